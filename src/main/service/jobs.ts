import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { getJob, listJobs, type JobRow } from '../catalog/jobs';
import { AtelierError } from '../../shared/errors';
import type { Job } from '../../shared/contract';

export function toJob(j: JobRow): Job {
  return {
    id: j.id,
    projectId: j.projectId,
    kind: j.kind,
    status: j.status,
    done: Number(j.progress.done ?? 0),
    total: typeof j.progress.total === 'number' ? j.progress.total : null,
    message: typeof j.progress.message === 'string' ? j.progress.message : null,
    error: j.error,
    createdAt: j.createdAt,
    endedAt: j.endedAt,
  };
}

export function jobHandlers(ctx: ServiceContext): Pick<Handlers, 'jobs.list' | 'jobs.control' | 'jobs.wait'> {
  return {
    'jobs.list': ({ projectId, active }) => listJobs(ctx.db, { projectId, active }).map(toJob),
    'jobs.control': ({ id, action }) => {
      ctx.jobs.control(id, action);
      return { ok: true as const };
    },
    'jobs.wait': async ({ id }) => {
      // The runner settles the row (status, result) before `done` resolves.
      await ctx.jobs.get(id)?.done;
      const row = getJob(ctx.db, id);
      if (!row) throw new AtelierError('not_found', `There is no job with id ${id}.`);
      return toJob(row);
    },
  };
}
