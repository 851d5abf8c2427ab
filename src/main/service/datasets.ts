/**
 * Datasets: imports through a door (the door's path check here, the job in jobs/import/start.ts) and
 * their reports, samples, label editing, settings and previews.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import type { ImportReport, ParsedInput } from '../../shared/contract';
import { AtelierError } from '../../shared/errors';
import { getProject } from '../catalog/projects';
import { getJob } from '../catalog/jobs';
import {
  deleteItemRows,
  getDataset,
  insertDataset,
  latestImportJobId,
  listDatasets,
  listItems,
  listTrainingItems,
  renameDataset,
  setDatasetSettings,
  updateItems,
} from '../catalog/datasets';
import { containedPath } from '../files/contain';
import { checkReadablePath } from './door-paths';
import { listSamples } from '../datasets/samples';
import { prepareImage, preparedChannels } from '../datasets/prepare';
import { augmentImage } from '../datasets/augment';
import type { ItemMeta } from '../datasets/metadata';
import { isImporting, startImport, type ImportJobParams, type StartedImport } from '../jobs/import/start';
import { Rng } from '../ml/rng';

/**
 * An import asked for through a door: before anything is created, this door may read these paths, and
 * none is a pipe, device or /proc file (a missing project is said first). The built-in samples skip
 * this: they are the app's own resources, readable from every door.
 */
function startDoorImport(ctx: ServiceContext, input: ParsedInput<'datasets.import'>): StartedImport {
  getProject(ctx.db, input.projectId);
  for (const p of input.paths ?? []) checkReadablePath(ctx, path.resolve(p));
  return startImport(ctx, input);
}

/** The stored report of an import job, in the contract's shape. */
export function importReportOf(ctx: ServiceContext, jobId: number): ImportReport | null {
  const job = getJob(ctx.db, jobId);
  if (!job || job.kind !== 'import') throw new AtelierError('not_found', `There is no import job ${jobId}.`);
  const params = job.params as ImportJobParams;
  if (['running', 'queued', 'paused'].includes(job.status)) return null;
  const r = (job.result ?? {}) as Partial<ImportReport>;
  const warnings = r.warnings ?? [];
  if (!job.result) {
    warnings.push({
      path: '',
      message:
        job.status === 'interrupted'
          ? 'The import was interrupted before it finished. Everything imported so far is kept; import the same files again to add the rest.'
          : `The import ${job.status}${job.error ? `: ${job.error}` : ''}.`,
    });
  }
  return {
    datasetId: params.datasetId,
    jobId: job.id,
    status: job.status,
    seen: r.seen ?? 0,
    imported: r.imported ?? 0,
    duplicates: r.duplicates ?? 0,
    alreadyPresent: r.alreadyPresent ?? 0,
    skipped: r.skipped ?? [],
    duplicateOf: r.duplicateOf ?? [],
    nearDuplicates: r.nearDuplicates ?? [],
    warnings,
    elapsedMs: r.elapsedMs ?? (job.endedAt && job.startedAt ? job.endedAt - job.startedAt : 0),
  };
}

async function removeFiles(ctx: ServiceContext, files: string[]): Promise<void> {
  for (const f of files) await fsp.rm(containedPath(ctx.dataDir, f), { force: true }).catch(() => {});
}

function samplePaths(ctx: ServiceContext, sampleId: string) {
  const entry = listSamples(ctx.resourcesDir).find((s) => s.id === sampleId);
  if (!entry) throw new AtelierError('not_found', `There is no built-in sample "${sampleId}".`);
  const abs = path.join(ctx.resourcesDir, 'samples', entry.path);
  return { entry, abs };
}

/** Label = category; tags = the emoji's name and its keywords; caption = the name. */
function sampleMeta(manifestFile: string): Record<string, ItemMeta> {
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { items?: Array<{ file: string; label?: string; name?: string; tags?: string[] }> };
  const meta: Record<string, ItemMeta> = {};
  for (const it of manifest.items ?? []) {
    meta[it.file] = { label: it.label ?? null, caption: it.name ?? null, tags: [...(it.name ? [it.name] : []), ...(it.tags ?? [])] };
  }
  return meta;
}

export async function addSample(ctx: ServiceContext, projectId: number, sampleId: string) {
  getProject(ctx.db, projectId);
  const { entry, abs } = samplePaths(ctx, sampleId);
  const source = `sample:${entry.id}`;
  const already = listDatasets(ctx.db, projectId).find((d) => d.source === source);
  if (already && already.itemCount > 0) return already;
  const isManifest = abs.endsWith('.json');
  const started = startImport(
    ctx,
    { projectId, kind: entry.kind, name: entry.name, paths: [isManifest ? path.dirname(abs) : abs], ...(already ? { datasetId: already.id } : {}) },
    { meta: isManifest ? sampleMeta(abs) : undefined, source, attribution: entry.attribution },
  );
  const outcome = await started.handle.done;
  if (outcome.status !== 'done') throw new AtelierError('internal', `Adding the sample failed: ${outcome.error?.message ?? outcome.status}`);
  return getDataset(ctx.db, started.datasetId);
}

async function preview(ctx: ServiceContext, input: ParsedInput<'datasets.preview'>) {
  const d = getDataset(ctx.db, input.id);
  if (d.kind !== 'image') throw new AtelierError('bad_request', 'Previews are for image datasets.');
  const prepare = { ...d.prepare, ...input.prepare };
  const augment = { ...d.augment, ...input.augment };
  const items = listTrainingItems(ctx.db, d.id);
  if (items.length === 0) return { images: [] };
  const channels = preparedChannels(items, prepare);
  const toUrl = async (raw: Uint8Array) => {
    const png = await sharp(Buffer.from(raw), { raw: { width: input.size, height: input.size, channels } }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  };
  const images: Array<{ itemId: number; dataUrl: string }> = [];
  if (input.mode === 'prepare') {
    // Spread the picks over the dataset so several labels show.
    const step = Math.max(1, Math.floor(items.length / input.count));
    for (let i = 0; i < items.length && images.length < input.count; i += step) {
      const item = items[i]!;
      try {
        images.push({ itemId: item.id, dataUrl: await toUrl(await prepareImage(containedPath(ctx.dataDir, item.file), input.size, prepare, channels)) });
      } catch {
        // a file removed behind our back: leave it out of the preview
      }
    }
  } else {
    const rng = new Rng(input.seed);
    const pick = items[Math.floor(rng.next() * items.length)]!;
    const base = await prepareImage(containedPath(ctx.dataDir, pick.file), input.size, prepare, channels);
    images.push({ itemId: pick.id, dataUrl: await toUrl(base) });
    for (let i = 1; i < input.count; i++) images.push({ itemId: pick.id, dataUrl: await toUrl(augmentImage(base, input.size, channels, augment, () => rng.next())) });
  }
  return { images };
}

/** Files up to this size have their lines counted; larger ones show their first lines only. */
const COUNT_LINES_UP_TO = 8 * 1024 * 1024;
/** Bytes read for the first lines of a file. */
const HEAD_BYTES = 256 * 1024;

async function textLines(ctx: ServiceContext, input: ParsedInput<'datasets.textLines'>) {
  const d = getDataset(ctx.db, input.datasetId);
  if (d.kind !== 'text') throw new AtelierError('bad_request', `"${d.name}" is an image dataset; its items have no lines.`);
  const wanted = new Set(input.itemIds);
  const items = listTrainingItems(ctx.db, d.id).filter((it) => wanted.has(it.id));
  const out: Array<{ itemId: number; lines: string[]; lineCount: number | null }> = [];
  for (const it of items) {
    const file = containedPath(ctx.dataDir, it.file);
    let handle: fsp.FileHandle | null = null;
    try {
      handle = await fsp.open(file, 'r');
      const { size } = await handle.stat();
      const whole = size <= COUNT_LINES_UP_TO;
      const buf = Buffer.alloc(whole ? size : Math.min(size, HEAD_BYTES));
      await handle.read(buf, 0, buf.length, 0);
      // Cut at the last complete character when only the head was read.
      const text = buf.toString('utf8').replace(/\uFFFD$/, '');
      const all = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
      out.push({ itemId: it.id, lines: all.slice(0, input.lines).map((l) => l.slice(0, 300)), lineCount: whole ? all.length : null });
    } catch {
      // A file removed behind our back: no lines to show.
      out.push({ itemId: it.id, lines: [], lineCount: null });
    } finally {
      await handle?.close();
    }
  }
  return { items: out };
}

type DatasetMethod =
  | 'datasets.list'
  | 'datasets.get'
  | 'datasets.create'
  | 'datasets.rename'
  | 'datasets.delete'
  | 'datasets.items'
  | 'datasets.updateItems'
  | 'datasets.deleteItems'
  | 'datasets.import'
  | 'datasets.importReport'
  | 'datasets.samples'
  | 'datasets.addSample'
  | 'datasets.setSettings'
  | 'datasets.preview'
  | 'datasets.textLines';

export function datasetHandlers(ctx: ServiceContext): Pick<Handlers, DatasetMethod> {
  const { db } = ctx;
  const changed = (entity: 'dataset' | 'item', projectId: number, id: number) => ctx.events.emit('catalog.changed', { entity, projectId, id });
  return {
    'datasets.list': ({ projectId }) => {
      getProject(db, projectId);
      return listDatasets(db, projectId);
    },
    'datasets.get': ({ id }) => getDataset(db, id),
    'datasets.create': ({ projectId, name, kind }) => {
      getProject(db, projectId);
      const id = insertDataset(db, { projectId, name, kind });
      changed('dataset', projectId, id);
      return getDataset(db, id);
    },
    'datasets.rename': ({ id, name }) => {
      const d = renameDataset(db, id, name);
      changed('dataset', d.projectId, id);
      return d;
    },
    'datasets.delete': async ({ id }) => {
      const d = getDataset(db, id);
      if (isImporting(ctx, id)) throw new AtelierError('conflict', `"${d.name}" is still importing; cancel the import first.`);
      // Rows first (one transaction), then the files nothing else uses.
      const { orphanFiles } = deleteItemRows(db, id, 'all');
      await removeFiles(ctx, orphanFiles);
      changed('dataset', d.projectId, id);
      return { ok: true as const };
    },
    'datasets.items': ({ datasetId, offset, limit, label }) => listItems(db, datasetId, { offset, limit, label }),
    'datasets.updateItems': ({ datasetId, itemIds, label, caption, addTags, removeTags }) => {
      const updated = updateItems(db, datasetId, itemIds, { label, caption, addTags, removeTags });
      changed('item', getDataset(db, datasetId).projectId, datasetId);
      return { updated };
    },
    'datasets.deleteItems': async ({ datasetId, itemIds }) => {
      const { deleted, orphanFiles } = deleteItemRows(db, datasetId, itemIds);
      await removeFiles(ctx, orphanFiles);
      changed('item', getDataset(db, datasetId).projectId, datasetId);
      return { deleted };
    },
    'datasets.import': (input) => {
      const s = startDoorImport(ctx, input);
      return { jobId: s.jobId, datasetId: s.datasetId };
    },
    'datasets.importReport': ({ jobId, datasetId }) => {
      if (jobId !== undefined) return importReportOf(ctx, jobId);
      if (datasetId === undefined) throw new AtelierError('bad_request', 'Give a jobId or a datasetId.');
      getDataset(db, datasetId);
      const latest = latestImportJobId(db, datasetId);
      return latest === null ? null : importReportOf(ctx, latest);
    },
    'datasets.samples': () =>
      listSamples(ctx.resourcesDir)
        .filter((s) => s.role === 'sample')
        .map((s) => ({ id: s.id, name: s.name, kind: s.kind, count: s.count, attribution: s.attribution })),
    'datasets.addSample': async ({ projectId, sampleId }) => {
      const d = await addSample(ctx, projectId, sampleId);
      changed('dataset', projectId, d.id);
      return d;
    },
    'datasets.setSettings': ({ id, prepare, augment }) => {
      const d = setDatasetSettings(db, id, { prepare, augment });
      changed('dataset', d.projectId, id);
      return d;
    },
    'datasets.preview': (input) => preview(ctx, input),
    'datasets.textLines': (input) => textLines(ctx, input),
  };
}
