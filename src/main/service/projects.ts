import fsp from 'node:fs/promises';
import type { Handlers } from './handlers';
import type { EngineContext } from './context';
import { createProject, deleteProjectRow, getProject, listProjects, renameProject, touchProjectOpened } from '../catalog/projects';
import { containedPath } from '../files/contain';
import { layout } from '../files/data-dir';
import { AtelierError } from '../../shared/errors';

export function projectHandlers(ctx: EngineContext): Pick<
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
      // Rows first (one transaction), then files: a crash in between leaves only orphan files, which the
      // startup sweep removes, never a row pointing at a missing file.
      deleteProjectRow(ctx.db, id);
      await fsp.rm(containedPath(ctx.dataDir, layout.projectDir(id)), { recursive: true, force: true });
      changed(id);
      return { ok: true as const };
    },
  };
}
