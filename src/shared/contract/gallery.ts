import { z } from 'zod';
import { method } from './define';
import { Id, MediaPath, Name, Ok, Timestamp } from './common';

/** What the grid needs per cell: small, so 10,000 of them page in quickly. */
export const GalleryItem = z.strictObject({
  id: Id,
  file: MediaPath.nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  seed: z.number().int(),
  step: z.number().int(),
  starred: z.boolean(),
  memorised: z.boolean(),
  trashed: z.boolean(),
  createdAt: Timestamp,
  /** 'text' generations are shown as text cards (absent = image). */
  kind: z.enum(['image', 'text']).optional(),
  /** The start of a text generation's text (the whole text is in gallery.get and its .txt file). */
  text: z.string().nullable().optional(),
});
export type GalleryItem = z.infer<typeof GalleryItem>;

/** Everything a generation records, for the detail panel, "use prompt / seed / all" and remix. */
export const Generation = z.strictObject({
  id: Id,
  projectId: Id,
  kind: z.enum(['image', 'text']),
  modelId: Id.nullable(),
  modelName: z.string().nullable(),
  family: z.string().nullable(),
  runId: Id.nullable(),
  checkpointId: Id.nullable(),
  checkpointSha256: z.string(),
  step: z.number().int(),
  seed: z.number().int(),
  prompt: z.string(),
  /** Request, condition, latent (base64 float32) and lineage, exactly as stored. */
  params: z.record(z.string(), z.unknown()),
  backend: z.string(),
  appVersion: z.string(),
  file: MediaPath.nullable(),
  text: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  label: z.string().nullable(),
  nearest: z
    .strictObject({ itemId: Id.nullable(), distance: z.number(), file: MediaPath.nullable(), threshold: z.number().nullable() })
    .nullable(),
  memorised: z.boolean(),
  starred: z.boolean(),
  trashedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  tags: z.array(z.string()),
  boards: z.array(z.strictObject({ id: Id, name: z.string() })),
});
export type Generation = z.infer<typeof Generation>;

export const GalleryFilter = z.strictObject({
  projectId: Id,
  /** Full-text search over prompts, tags, labels and model names. */
  query: z.string().max(200).default(''),
  modelId: Id.optional(),
  runId: Id.optional(),
  stepMin: z.number().int().nonnegative().optional(),
  stepMax: z.number().int().nonnegative().optional(),
  label: z.string().max(120).optional(),
  seed: z.number().int().nonnegative().optional(),
  tag: z.string().max(120).optional(),
  /** created_at range, inclusive, ms since epoch. */
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  starred: z.boolean().optional(),
  memorised: z.boolean().optional(),
  boardId: Id.optional(),
  /** Browse the trash instead of the gallery. */
  trashed: z.boolean().default(false),
  sort: z.enum(['newest', 'oldest']).default('newest'),
});
export type GalleryFilter = z.infer<typeof GalleryFilter>;
export type GalleryFilterInput = z.input<typeof GalleryFilter>;

export const GalleryPage = z.strictObject({
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  items: z.array(GalleryItem),
});
export type GalleryPage = z.infer<typeof GalleryPage>;

export const Board = z.strictObject({
  id: Id,
  projectId: Id,
  name: z.string(),
  count: z.number().int().nonnegative(),
  cover: MediaPath.nullable(),
  createdAt: Timestamp,
});
export type Board = z.infer<typeof Board>;

export const GalleryFacets = z.strictObject({
  models: z.array(z.strictObject({ id: Id, name: z.string(), count: z.number().int() })),
  runs: z.array(z.strictObject({ id: Id, name: z.string(), count: z.number().int() })),
  labels: z.array(z.string()),
  tags: z.array(z.string()),
  steps: z.array(z.number().int()),
  trashed: z.number().int().nonnegative(),
});
export type GalleryFacets = z.infer<typeof GalleryFacets>;

const Ids = z.array(Id).min(1).max(100_000);
const TagName = z.string().trim().min(1).max(60);

export const galleryMethods = {
  'gallery.list': method(
    GalleryFilter.extend({ offset: z.number().int().nonnegative().max(10_000_000).default(0), limit: z.number().int().positive().max(1000).default(200) }),
    GalleryPage,
    'A page of generations matching a filter, with the total count.',
  ),
  'gallery.ids': method(GalleryFilter, z.array(Id), 'The ids of every generation matching a filter, in grid order (select all).'),
  'gallery.get': method(z.strictObject({ id: Id }), Generation, 'One generation with all its metadata.'),
  'gallery.facets': method(z.strictObject({ projectId: Id }), GalleryFacets, 'Values the gallery filters can take in a project.'),
  'gallery.star': method(z.strictObject({ ids: Ids, starred: z.boolean() }), Ok, 'Star or unstar generations.'),
  'gallery.tag': method(
    z.strictObject({ ids: Ids, add: z.array(TagName).max(50).default([]), remove: z.array(TagName).max(50).default([]) }),
    Ok,
    'Add and remove tags on generations.',
  ),
  'gallery.trash': method(z.strictObject({ ids: Ids }), Ok, 'Move generations to the trash (undo with gallery.restore).'),
  'gallery.restore': method(z.strictObject({ ids: Ids }), Ok, 'Bring generations back from the trash.'),
  'gallery.emptyTrash': method(z.strictObject({ projectId: Id }), z.strictObject({ removed: z.number().int().nonnegative() }), 'Delete trashed generations and their files for good.'),
  'boards.list': method(z.strictObject({ projectId: Id }), z.array(Board), "A project's boards."),
  'boards.create': method(z.strictObject({ projectId: Id, name: Name }), Board, 'Create a board (names are unique in a project).'),
  'boards.rename': method(z.strictObject({ id: Id, name: Name }), Board, 'Rename a board.'),
  'boards.delete': method(z.strictObject({ id: Id }), Ok, 'Delete a board (its generations stay in the gallery).'),
  'boards.add': method(z.strictObject({ boardId: Id, ids: Ids }), Ok, 'Add generations to a board.'),
  'boards.remove': method(z.strictObject({ boardId: Id, ids: Ids }), Ok, 'Take generations off a board.'),
};
