import { z } from 'zod';
import { method } from './define';
import { Id, MediaPath, Name, Ok, Timestamp } from './common';

/**
 * How images become training tensors for a model size. Applied at training time (and in the crop
 * preview), never to the stored originals.
 */
export const PrepareSettings = z.strictObject({
  /** crop: centre crop to a square; pad: fit inside with padding; stretch: ignore aspect ratio. */
  fit: z.enum(['crop', 'pad', 'stretch']).default('crop'),
  /** Padding colour for `pad`, and what transparency is composited onto when alpha is dropped. */
  background: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #ffffff')
    .default('#ffffff'),
  /** keep: train RGBA when the dataset has transparency; composite: flatten onto the background. */
  alpha: z.enum(['keep', 'composite']).default('keep'),
  grey: z.boolean().default(false),
});
export type PrepareSettings = z.infer<typeof PrepareSettings>;
export const DEFAULT_PREPARE: PrepareSettings = PrepareSettings.parse({});

/** Augmentation applied per batch during training (DiffAugment in the GAN is separate and always on). */
export const AugmentSettings = z.strictObject({
  flip: z.boolean().default(false),
  rotationDeg: z.number().min(0).max(45).default(0),
  /** Random crop keeping at least this fraction of the side; 1 = off. */
  cropFraction: z.number().min(0.5).max(1).default(1),
  /** 0..1 strength of brightness/contrast/saturation jitter; 0 = off. */
  colorJitter: z.number().min(0).max(1).default(0),
});
export type AugmentSettings = z.infer<typeof AugmentSettings>;
export const DEFAULT_AUGMENT: AugmentSettings = AugmentSettings.parse({});

export const DatasetKind = z.enum(['image', 'text']);

export const Dataset = z.strictObject({
  id: Id,
  projectId: Id,
  name: z.string(),
  kind: DatasetKind,
  /** 'user' or 'sample:<id>' for a built-in sample. */
  source: z.string(),
  attribution: z.string().nullable(),
  itemCount: z.number().int().nonnegative(),
  labels: z.array(z.strictObject({ name: z.string(), count: z.number().int().nonnegative() })),
  /** Tags found on at least two images (what a conditional model can learn; see shared/conditioning.ts). */
  tagCount: z.number().int().nonnegative().optional(),
  hasAlpha: z.boolean(),
  prepare: PrepareSettings,
  augment: AugmentSettings,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Dataset = z.infer<typeof Dataset>;

// ---------------------------------------------------------------------------------------------
// Items, imports, samples, previews.

/** One imported file of a dataset, as the grid and the label editor see it. */
export const DatasetItem = z.strictObject({
  id: Id,
  datasetId: Id,
  /** Media path of the stored original. */
  file: MediaPath,
  /** Media path of a small WebP thumbnail (images only). */
  thumb: MediaPath.nullable(),
  originalName: z.string(),
  mime: z.string(),
  bytes: z.number().int().nonnegative(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  hasAlpha: z.boolean(),
  label: z.string().nullable(),
  tags: z.array(z.string()),
  caption: z.string().nullable(),
  createdAt: Timestamp,
});
export type DatasetItem = z.infer<typeof DatasetItem>;

/** Why a file was not imported. Stable codes; `detail` says it in words. */
export const SkipReason = z.enum([
  'empty', // zero bytes
  'corrupt', // the decoder refused it
  'truncated', // the file ends early
  'over_pixel_limit', // declared width × height above the limit (decompression bomb guard)
  'too_large', // more bytes than the per-file limit
  'too_small', // smaller than the minimum side
  'wrong_type', // the bytes are not what the extension says
  'unsupported', // not an image or text format Atelier reads
  'unreadable', // permission denied, vanished, I/O error
  'escapes_root', // a link or zip entry pointing outside the chosen folder/archive
  'invalid_utf8', // a text file that is not UTF-8
  'archive_limit', // a zip entry or the archive itself over the size/entry limits
  'special_file', // a pipe, socket, device or /proc-like system file: never opened (it could block forever)
  'other_kind', // a text file in an image dataset, or an image in a text one: it belongs in a dataset of its own kind
]);
export type SkipReason = z.infer<typeof SkipReason>;

export const ImportReport = z.strictObject({
  datasetId: Id,
  jobId: Id.nullable(),
  status: z.string(),
  /** Files looked at (images, texts, archive entries; not sidecars or manifests). */
  seen: z.number().int().nonnegative(),
  /** New items added to the dataset. */
  imported: z.number().int().nonnegative(),
  /** Exact copies (same bytes) merged into one item, within this import. */
  duplicates: z.number().int().nonnegative(),
  /** Files whose bytes were already in the dataset (e.g. re-running an import). */
  alreadyPresent: z.number().int().nonnegative(),
  /** `detail` in plain words; `technical`, when present, is the decoder's or the system's own message. */
  skipped: z.array(z.strictObject({ path: z.string(), reason: SkipReason, detail: z.string(), technical: z.string().optional() })),
  duplicateOf: z.array(z.strictObject({ path: z.string(), of: z.string() })),
  /** Pairs of different files that look nearly the same: the same shape (dHash distance ≤ 4, the `distance`) and the same colours. */
  nearDuplicates: z.array(z.strictObject({ a: z.string(), b: z.string(), distance: z.number().int() })),
  warnings: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  elapsedMs: z.number().nonnegative(),
});
export type ImportReport = z.infer<typeof ImportReport>;

export const SampleInfo = z.strictObject({
  id: z.string(),
  name: z.string(),
  kind: DatasetKind,
  count: z.number().int().nonnegative(),
  attribution: z.string(),
});
export type SampleInfo = z.infer<typeof SampleInfo>;

const ImageSize = z.union([z.literal(32), z.literal(64), z.literal(128)]);
const LabelText = z.string().trim().min(1).max(120);
const TagText = z.string().trim().min(1).max(80);
/** An upload session's id (the web host stages dropped files under it). */
export const UploadId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'an upload id of 8–64 letters, digits, - or _');

export const datasetMethods = {
  'datasets.list': method(z.strictObject({ projectId: Id }), z.array(Dataset), "A project's datasets, oldest first."),
  'datasets.get': method(z.strictObject({ id: Id }), Dataset, 'One dataset with its label counts and settings.'),
  'datasets.create': method(
    z.strictObject({ projectId: Id, name: Name, kind: DatasetKind.default('image') }),
    Dataset,
    'Create an empty dataset.',
  ),
  'datasets.rename': method(z.strictObject({ id: Id, name: Name }), Dataset, 'Rename a dataset.'),
  'datasets.delete': method(z.strictObject({ id: Id }), Ok, 'Delete a dataset with its items, and the files no other item uses.'),
  'datasets.items': method(
    z.strictObject({
      datasetId: Id,
      offset: z.number().int().nonnegative().max(10_000_000).default(0),
      limit: z.number().int().positive().max(1000).default(200),
      /** Only items with this label; null: only unlabelled items. */
      label: z.string().max(120).nullable().optional(),
    }),
    z.strictObject({ total: z.number().int().nonnegative(), items: z.array(DatasetItem) }),
    'A page of items, in import order.',
  ),
  'datasets.updateItems': method(
    z.strictObject({
      datasetId: Id,
      itemIds: z.array(Id).min(1).max(100_000),
      /** A new label for all of them; null removes it. */
      label: LabelText.nullable().optional(),
      addTags: z.array(TagText).max(100).optional(),
      removeTags: z.array(TagText).max(100).optional(),
      caption: z.string().max(2000).nullable().optional(),
    }),
    z.strictObject({ updated: z.number().int().nonnegative() }),
    'Set the label, caption or tags of one or many items.',
  ),
  'datasets.deleteItems': method(
    z.strictObject({ datasetId: Id, itemIds: z.array(Id).min(1).max(100_000) }),
    z.strictObject({ deleted: z.number().int().nonnegative() }),
    'Remove items from a dataset.',
  ),
  'datasets.import': method(
    z
      .strictObject({
        projectId: Id,
        /** Add to this dataset; otherwise a new one is made (named `name` or after the first path). */
        datasetId: Id.optional(),
        name: Name.optional(),
        kind: DatasetKind.optional(),
        /** Folders, files or zip archives on the engine's machine (a shell glob in `atelier import` may name thousands). */
        paths: z.array(z.string().min(1).max(4096)).max(100_000).optional(),
        /** Files uploaded to the web host under this id (drag and drop, file picker). */
        uploadId: UploadId.optional(),
      })
      .refine((v) => (v.paths?.length ?? 0) > 0 || v.uploadId !== undefined, 'Give paths or an uploadId.'),
    z.strictObject({ jobId: Id, datasetId: Id }),
    'Import files into a dataset as a job; follow it with job.progress and read datasets.importReport.',
  ),
  'datasets.importReport': method(
    z.strictObject({ jobId: Id.optional(), datasetId: Id.optional() }),
    ImportReport.nullable(),
    "An import job's report (by job), or the dataset's latest one; null while it runs or when there is none.",
  ),
  'datasets.samples': method(z.strictObject({}), z.array(SampleInfo), 'The built-in sample datasets.'),
  'datasets.addSample': method(
    z.strictObject({ projectId: Id, sampleId: z.string().max(120).default('twemoji-faces-animals-food') }),
    Dataset,
    'Copy a built-in sample into a project as a dataset (with its attribution).',
  ),
  'datasets.textLines': method(
    z.strictObject({
      datasetId: Id,
      itemIds: z.array(Id).min(1).max(200),
      /** Lines to return per item, from its start. */
      lines: z.number().int().min(1).max(500).default(6),
    }),
    z.strictObject({
      items: z.array(
        z.strictObject({
          itemId: Id,
          /** The first non-empty lines (each cut at 300 characters). */
          lines: z.array(z.string()),
          /** Non-empty lines in the whole file: the examples a text model learns from; null when not counted (a very large file). */
          lineCount: z.number().int().nonnegative().nullable(),
        }),
      ),
    }),
    'The first lines of items of a text dataset, and how many lines each holds (one training example per non-empty line).',
  ),
  'datasets.setSettings': method(
    z.strictObject({ id: Id, prepare: PrepareSettings.partial().optional(), augment: AugmentSettings.partial().optional() }),
    Dataset,
    'Save how the dataset is prepared and augmented for training.',
  ),
  'datasets.preview': method(
    z.strictObject({
      id: Id,
      size: ImageSize.default(64),
      count: z.number().int().min(1).max(16).default(8),
      /** Unsaved settings to try; the saved ones otherwise. */
      prepare: PrepareSettings.partial().optional(),
      augment: AugmentSettings.partial().optional(),
      /** 'augment' shows random augmentations of the first item; 'prepare' the first items prepared. */
      mode: z.enum(['prepare', 'augment']).default('prepare'),
      seed: z.number().int().nonnegative().max(2 ** 31).default(1),
    }),
    z.strictObject({ images: z.array(z.strictObject({ itemId: Id, dataUrl: z.string() })) }),
    'A few items as training would see them (PNG data URLs).',
  ),
};
