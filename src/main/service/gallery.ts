import fsp from 'node:fs/promises';
import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { getProject } from '../catalog/projects';
import {
  assertGenerations,
  deleteTrashed,
  getGeneration,
  setStarred,
  setTrashed,
  tagGenerations,
} from '../catalog/generations';
import { galleryFacets, galleryIds, listGallery } from '../catalog/gallery';
import { addToBoard, createBoard, deleteBoard, getBoard, listBoards, removeFromBoard, renameBoard } from '../catalog/boards';
import { containedPath } from '../files/contain';

type GalleryMethods =
  | 'gallery.list'
  | 'gallery.ids'
  | 'gallery.get'
  | 'gallery.facets'
  | 'gallery.star'
  | 'gallery.tag'
  | 'gallery.trash'
  | 'gallery.restore'
  | 'gallery.emptyTrash'
  | 'boards.list'
  | 'boards.create'
  | 'boards.rename'
  | 'boards.delete'
  | 'boards.add'
  | 'boards.remove';

export function galleryHandlers(ctx: ServiceContext): Pick<Handlers, GalleryMethods> {
  const changed = (projectIds: number[], entity: 'generation' | 'board' = 'generation') => {
    for (const projectId of projectIds) ctx.events.emit('catalog.changed', { entity, projectId });
  };
  const ok = { ok: true as const };
  return {
    'gallery.list': ({ offset, limit, ...filter }) => {
      getProject(ctx.db, filter.projectId);
      return listGallery(ctx.db, filter, offset, limit);
    },
    'gallery.ids': (filter) => galleryIds(ctx.db, filter),
    'gallery.get': ({ id }) => getGeneration(ctx.db, id),
    'gallery.facets': ({ projectId }) => {
      getProject(ctx.db, projectId);
      return galleryFacets(ctx.db, projectId);
    },
    'gallery.star': ({ ids, starred }) => {
      const projects = assertGenerations(ctx.db, ids);
      setStarred(ctx.db, ids, starred);
      changed(projects);
      return ok;
    },
    'gallery.tag': ({ ids, add, remove }) => {
      const projects = assertGenerations(ctx.db, ids);
      tagGenerations(ctx.db, ids, add, remove);
      changed(projects);
      return ok;
    },
    'gallery.trash': ({ ids }) => {
      const projects = assertGenerations(ctx.db, ids);
      setTrashed(ctx.db, ids, true);
      changed(projects);
      return ok;
    },
    'gallery.restore': ({ ids }) => {
      const projects = assertGenerations(ctx.db, ids);
      setTrashed(ctx.db, ids, false);
      changed(projects);
      return ok;
    },
    'gallery.emptyTrash': async ({ projectId }) => {
      getProject(ctx.db, projectId);
      // Rows first (one transaction), then files: a crash in between leaves only orphan files.
      const files = deleteTrashed(ctx.db, projectId);
      for (const f of files) await fsp.rm(containedPath(ctx.dataDir, f), { force: true });
      changed([projectId]);
      return { removed: files.length };
    },
    'boards.list': ({ projectId }) => {
      getProject(ctx.db, projectId);
      return listBoards(ctx.db, projectId);
    },
    'boards.create': ({ projectId, name }) => {
      getProject(ctx.db, projectId);
      const b = createBoard(ctx.db, projectId, name);
      changed([projectId], 'board');
      return b;
    },
    'boards.rename': ({ id, name }) => {
      const b = renameBoard(ctx.db, id, name);
      changed([b.projectId], 'board');
      return b;
    },
    'boards.delete': ({ id }) => {
      const b = deleteBoard(ctx.db, id);
      changed([b.projectId], 'board');
      return ok;
    },
    'boards.add': ({ boardId, ids }) => {
      const b = addToBoard(ctx.db, boardId, ids);
      changed([b.projectId], 'board');
      return ok;
    },
    'boards.remove': ({ boardId, ids }) => {
      const b = getBoard(ctx.db, boardId);
      removeFromBoard(ctx.db, boardId, ids);
      changed([b.projectId], 'board');
      return ok;
    },
  };
}
