import type { Handlers } from './handlers';
import type { EngineContext } from './context';
import { listJobs, type JobRow } from '../catalog/jobs';
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

export function jobHandlers(ctx: EngineContext): Pick<Handlers, 'jobs.list' | 'jobs.control'> {
  return {
    'jobs.list': ({ projectId, active }) => listJobs(ctx.db, { projectId, active }).map(toJob),
    'jobs.control': ({ id, action }) => {
      ctx.jobs.control(id, action);
      return { ok: true as const };
    },
  };
}
