import fsp from 'node:fs/promises';
import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { createProject, deleteProjectRow, getProject, listProjects, renameProject, touchProjectOpened } from '../catalog/projects';
import { containedPath } from '../files/contain';
import { layout } from '../files/data-dir';
import { AtelierError } from '../../shared/errors';
import { liveForeignJobs } from '../catalog/jobs';

export function projectHandlers(ctx: ServiceContext): Pick<
  Handlers,
  'projects.list' | 'projects.get' | 'projects.create' | 'projects.rename' | 'projects.open' | 'projects.delete'
> {
  const changed = (id: number) => ctx.events.emit('catalog.changed', { entity: 'project', id, projectId: id });
  return {
    'projects.list': () => listProjects(ctx.db),
    'projects.get': ({ id }) => getProject(ctx.db, id),
    'projects.create': ({ name }) => {
      const p = createProject(ctx.db, name);
      changed(p.id);
      return p;
    },
    'projects.rename': ({ id, name }) => {
      const p = renameProject(ctx.db, id, name);
      changed(id);
      return p;
    },
    'projects.open': ({ id }) => touchProjectOpened(ctx.db, id),
    'projects.delete': async ({ id, confirmName }) => {
      const p = getProject(ctx.db, id);
      if (p.name.localeCompare(confirmName, undefined, { sensitivity: 'accent' }) !== 0) {
        throw new AtelierError('bad_request', `To delete "${p.name}", confirm with its exact name.`);
      }
      // Work that another live Atelier process runs in this project cannot be cancelled from here.
      const foreign = liveForeignJobs(ctx.db, { projectId: id });
      if (foreign.length) {
        throw new AtelierError('conflict', `"${p.name}" has work running in another Atelier process (${foreign.map((j) => `${j.kind} job ${j.id}`).join(', ')}); stop it there first.`);
      }
      // Cancel this project's jobs and wait for them to end: a job still writing into the folder would
      // race the removal (ENOTEMPTY) and leave files behind. Cancel always ends a job (runner.ts).
      const ours = (j: { projectId: number | null }) => j.projectId === id;
      for (let round = 0; round < 3 && ctx.jobs.running().some(ours); round++) await ctx.jobs.cancelAll(ours);
      if (ctx.jobs.running().some(ours)) throw new AtelierError('conflict', `"${p.name}" keeps starting new work; try again.`);
      // Rows next, in the same tick as the check above (no job can start in between), then files: a
      // crash in between leaves only a folder without a project, which the startup sweep removes.
      deleteProjectRow(ctx.db, id);
      try {
        await fsp.rm(containedPath(ctx.dataDir, layout.projectDir(id)), { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // The project is gone from the catalog; what could not be removed now goes at the next start.
      }
      changed(id);
      return { ok: true as const };
    },
  };
}
