import { z } from 'zod';
import { method } from './define';
import { Id, MediaPath, Name, Ok, Timestamp } from './common';

/**
 * Export: generations to files (PNG with metadata, JPEG, WebP, sprite sheet + atlas, SVG, GIF, APNG,
 * animated WebP, ZIP asset pack), training timelines to animations, and trained models to a portable
 * `.atelier-model` file and back. Reveal / copy / drag-out need the desktop shell; elsewhere they answer
 * `unsupported` and the view offers download links instead.
 */
export const EXPORT_FORMATS = ['png', 'jpeg', 'webp', 'sheet', 'svg', 'gif', 'apng', 'webp-animated', 'zip', 'txt', 'csv', 'json'] as const;
/** Formats for text generations: one .txt per text, or all of them in one .csv / .json with their provenance. */
export const TEXT_EXPORT_FORMATS = ['txt', 'csv', 'json'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** A folder or file chosen by the user on this machine (absolute). Not accepted from the web door. */
const LocalPath = z.string().min(1).max(4096);

export const ExportFile = z.strictObject({
  name: z.string(),
  /** Absolute path on the engine's machine. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Media path when the file lies inside the data folder (what a browser can download). */
  media: MediaPath.nullable(),
});
export type ExportFile = z.infer<typeof ExportFile>;

export const ExportRecord = z.strictObject({
  id: Id,
  projectId: Id.nullable(),
  kind: z.string(),
  outDir: z.string(),
  files: z.array(ExportFile),
  createdAt: Timestamp,
});
export type ExportRecord = z.infer<typeof ExportRecord>;

const Resample = z.enum(['auto', 'nearest', 'lanczos']);

export const ExportGenerationsInput = z.strictObject({
  projectId: Id,
  ids: z.array(Id).min(1, 'Choose at least one generation.').max(1000),
  format: ExportFormat,
  /** Default: a new folder under the data folder's exports/. */
  outDir: LocalPath.optional(),
  scale: z.number().int().min(1).max(16).optional(),
  width: z.number().int().min(1).max(8192).optional(),
  height: z.number().int().min(1).max(8192).optional(),
  resample: Resample.optional(),
  quality: z.number().int().min(1).max(100).optional(),
  padding: z.number().int().min(0).max(64).optional(),
  columns: z.number().int().min(1).max(256).optional(),
  background: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'Background must be a colour like #202020.').optional(),
  colors: z.number().int().min(2).max(64).optional(),
  fps: z.number().min(0.5).max(60).optional(),
  loop: z.number().int().min(0).max(65535).optional(),
  packFormat: z.enum(['png', 'jpeg', 'webp', 'svg']).optional(),
  packSheet: z.boolean().optional(),
  metadata: z.boolean().optional(),
});
export type ExportGenerationsInput = z.input<typeof ExportGenerationsInput>;

export const ExportCandidate = z.strictObject({
  id: Id,
  file: MediaPath,
  prompt: z.string(),
  seed: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  model: z.string(),
  createdAt: Timestamp,
  /** Curation, for the picker's filters: starred, and the boards it is on. */
  starred: z.boolean().optional(),
  boardIds: z.array(Id).optional(),
  /** The checkpoint's step, for the picker's label. */
  step: z.number().int().nonnegative().optional(),
});
export type ExportCandidate = z.infer<typeof ExportCandidate>;

export const ExportCandidates = z.strictObject({
  generations: z.array(ExportCandidate),
  runs: z.array(z.strictObject({ id: Id, name: z.string(), grids: z.number().int().nonnegative(), lastStep: z.number().int().nonnegative() })),
  models: z.array(
    z.strictObject({ modelId: Id, name: z.string(), family: z.string(), source: z.string(), checkpointId: Id, step: z.number().int().nonnegative(), sha256: z.string() }),
  ),
  /** Whether reveal / copy / drag-out work here (desktop app only). */
  desktop: z.boolean(),
  /** The project's boards, for the picker's board filter. */
  boards: z.array(z.strictObject({ id: Id, name: z.string() })).optional(),
});
export type ExportCandidates = z.infer<typeof ExportCandidates>;

const FileRef = z.strictObject({ exportId: Id, name: z.string().min(1).max(255) });

export const ModelExportResult = z.strictObject({
  exportId: Id,
  file: z.string(),
  media: MediaPath.nullable(),
  bytes: z.number().int().positive(),
  sha256: z.string(),
  modelId: Id,
  checkpointId: Id,
  name: z.string(),
});
export type ModelExportResult = z.infer<typeof ModelExportResult>;

export const ModelImportResult = z.strictObject({
  modelId: Id,
  checkpointId: Id,
  name: z.string(),
  family: z.string(),
  sha256: z.string(),
  step: z.number().int().nonnegative(),
  alreadyPresent: z.boolean(),
});
export type ModelImportResult = z.infer<typeof ModelImportResult>;

export const exportMethods = {
  'export.candidates': method(
    z.strictObject({ projectId: Id, limit: z.number().int().min(1).max(2000).default(500) }),
    ExportCandidates,
    'What a project can export: image generations (newest first), runs with sample grids, models with checkpoints.',
  ),
  'export.generations': method(ExportGenerationsInput, ExportRecord, 'Export generations as PNG/JPEG/WebP (with metadata), a sprite sheet + atlas, SVG, GIF/APNG/WebP animation or a ZIP pack.'),
  'export.timeline': method(
    z.strictObject({
      runId: Id,
      format: z.enum(['gif', 'apng', 'webp']),
      outDir: LocalPath.optional(),
      fps: z.number().min(0.5).max(60).optional(),
      loop: z.number().int().min(0).max(65535).optional(),
      scale: z.number().int().min(1).max(8).optional(),
    }),
    ExportRecord,
    "Animate a run's sample grids, step by step (a training timeline).",
  ),
  'export.zip': method(
    z.strictObject({ exportId: Id }),
    ExportFile,
    'Put every file of an export into one zip in the data folder ("Download all"); the same export gives the same zip.',
  ),
  'export.list': method(z.strictObject({ projectId: Id }), z.array(ExportRecord), "A project's recent exports, newest first."),
  'export.reveal': method(FileRef, Ok, 'Show an exported file in the system file manager (desktop app only).'),
  'export.copy': method(FileRef, Ok, 'Copy an exported image to the clipboard (desktop app only).'),
  'export.drag': method(FileRef, Ok, 'Start dragging an exported file out of the window (desktop app only).'),
  'models.export': method(
    z.strictObject({ modelId: Id.optional(), checkpointId: Id.optional(), outFile: LocalPath.optional() }),
    ModelExportResult,
    'Export a trained model (its latest checkpoint, or the one given) as a portable .atelier-model file.',
  ),
  'models.import': method(
    z.strictObject({ file: LocalPath, projectId: Id.optional(), name: Name.optional() }),
    ModelImportResult,
    'Import a .atelier-model file from another install; it becomes a model with source "imported".',
  ),
};
