import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Handlers } from './handlers';
import type { DesktopBridge, ServiceContext } from './context';
import type { ExportRecord } from '../../shared/contract';
import { AtelierError } from '../../shared/errors';
import { getExport, insertExport, listExports, checkpointForExport, curationOf, findImportedBySha, insertImportedModel, listExportableModels, type ExportRow } from '../catalog/exports';
import { listBoards } from '../catalog/boards';
import { getProject } from '../catalog/projects';
import { getModel } from '../catalog/models';
import { runsWithGrids } from '../catalog/runs';
import { zipEntries } from '../export/pack';
import { exportGenerations, exportTimeline, type ExportOutcome } from '../export/exporter';
import { checkpointFilePath, lineageOf, listExportableGenerations } from '../export/source';
import { buildModelBundle, readModelBundle, BUNDLE_EXTENSION } from '../export/model-bundle';
import { withExportWriter, sanitizeFileName, slug } from '../export/safe-write';
import { containedPath, isInside } from '../files/contain';
import { writeFileAtomic } from '../files/atomic';
import { checkReadablePath } from './door-paths';

function toRecord(r: ExportRow): ExportRecord {
  return { id: r.id, projectId: r.projectId, kind: r.kind, outDir: r.outDir, files: r.files, createdAt: r.createdAt };
}

function mediaOf(ctx: ServiceContext, file: string): string | null {
  return isInside(ctx.dataDir, file) ? path.relative(ctx.dataDir, file).split(path.sep).join('/') : null;
}

/** Where an export goes: the folder the user chose (not from the web door), or a fresh one under exports/. */
function resolveOutDir(ctx: ServiceContext, outDir: string | undefined, kind: string): string {
  if (outDir !== undefined) {
    if (ctx.door === 'web') {
      throw new AtelierError('forbidden', 'The browser studio exports into the data folder and offers downloads; choosing a folder needs the desktop app or the CLI.');
    }
    return path.resolve(outDir);
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const base = `exports/${stamp}-${slug(kind) || 'export'}`;
  let rel = base;
  for (let n = 2; fs.existsSync(path.join(ctx.dataDir, rel)); n++) rel = `${base}-${n}`;
  return containedPath(ctx.dataDir, rel);
}

function record(ctx: ServiceContext, projectId: number | null, outcome: ExportOutcome): ExportRecord {
  const row = insertExport(ctx.db, {
    projectId,
    kind: outcome.kind,
    outDir: outcome.outDir,
    files: outcome.files.map((f) => ({ name: f.name, path: f.path, bytes: f.bytes, media: mediaOf(ctx, f.path) })),
    manifest: outcome.manifest as unknown as Record<string, unknown>,
  });
  ctx.events.emit('catalog.changed', { entity: 'export', id: row.id, ...(projectId !== null ? { projectId } : {}) });
  return toRecord(row);
}

/** An exported file, by export id and name, exactly as recorded (never an arbitrary path). */
function exportedFile(ctx: ServiceContext, exportId: number, name: string): string {
  const row = getExport(ctx.db, exportId);
  const f = row.files.find((x) => x.name === name);
  if (!f) throw new AtelierError('not_found', `Export ${exportId} has no file called ${name}.`);
  if (!fs.existsSync(f.path)) throw new AtelierError('not_found', `${name} is no longer there (moved or deleted).`);
  return f.path;
}

/** A zip of everything one export wrote larger than this is refused (it is built in memory). */
const MAX_ZIP_BYTES = 1024 * 1024 * 1024;

/**
 * "Download all": an export's files in one zip, written (atomically) next to the export's folder in the
 * data folder's exports/, where both doors serve it as media. The same export gives the same bytes, so
 * asking again rewrites the same file.
 */
async function zipExport(ctx: ServiceContext, exportId: number): Promise<ExportRecord['files'][number]> {
  const row = getExport(ctx.db, exportId);
  if (row.files.length === 0) throw new AtelierError('not_found', `Export ${exportId} wrote no files.`);
  const total = row.files.reduce((a, f) => a + f.bytes, 0);
  if (total > MAX_ZIP_BYTES) throw new AtelierError('invalid_input', `Export ${exportId} is too large to zip here (${Math.round(total / 1024 / 1024)} MB); its files are in ${row.outDir}.`);
  const entries: Array<{ name: string; data: Uint8Array }> = [];
  for (const f of row.files) {
    try {
      entries.push({ name: f.name, data: await fsp.readFile(f.path) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AtelierError('not_found', `${f.name} is no longer there (moved or deleted), so the export cannot be zipped.`);
      throw err;
    }
  }
  const data = await zipEntries(entries);
  const stem = sanitizeFileName(path.basename(row.outDir), `export-${row.id}`);
  const media = `exports/${stem}.zip`;
  const file = containedPath(ctx.dataDir, media);
  await writeFileAtomic(file, data);
  return { name: `${stem}.zip`, path: file, bytes: data.length, media };
}

/** Dataset and model attribution as one line ("A; B"), or null when neither says anything. */
function attributionText(...parts: unknown[]): string | null {
  const all = parts.flatMap((p) => (Array.isArray(p) ? p : [p])).filter((a): a is string => typeof a === 'string' && a.trim() !== '');
  return all.length ? [...new Set(all)].join('; ') : null;
}

function desktop(ctx: ServiceContext, what: string): DesktopBridge {
  const d = ctx.desktop;
  if (!d) throw new AtelierError('unsupported', `${what} needs the desktop app. In the browser, use the download links instead.`);
  return d;
}

export function exportHandlers(ctx: ServiceContext): Pick<
  Handlers,
  | 'export.candidates'
  | 'export.generations'
  | 'export.timeline'
  | 'export.list'
  | 'export.zip'
  | 'export.reveal'
  | 'export.copy'
  | 'export.drag'
  | 'models.export'
  | 'models.import'
> {
  const env = () => ({ db: ctx.db, dataDir: ctx.dataDir, appVersion: ctx.appVersion, io: ctx.exportIo });
  return {
    'export.candidates': ({ projectId, limit }) => {
      getProject(ctx.db, projectId);
      const generations = listExportableGenerations(ctx.db, projectId, limit);
      const curation = curationOf(ctx.db, generations.map((g) => g.id));
      return {
        generations: generations.map((g) => ({
          id: g.id,
          file: g.file!,
          prompt: g.prompt,
          seed: g.seed,
          width: g.width,
          height: g.height,
          model: g.provenance.model.name,
          createdAt: g.createdAt,
          starred: curation.get(g.id)?.starred ?? false,
          boardIds: curation.get(g.id)?.boardIds ?? [],
          step: g.provenance.checkpoint.step,
        })),
        runs: runsWithGrids(ctx.db, projectId),
        models: listExportableModels(ctx.db, projectId),
        desktop: ctx.desktop !== null,
        boards: listBoards(ctx.db, projectId).map((b) => ({ id: b.id, name: b.name })),
      };
    },
    'export.generations': async (input) => {
      const { projectId, outDir, ...req } = input;
      const dir = resolveOutDir(ctx, outDir, input.format);
      const outcome = await exportGenerations(env(), dir, { projectId, ...req });
      return record(ctx, projectId, outcome);
    },
    'export.timeline': async ({ outDir, ...req }) => {
      const dir = resolveOutDir(ctx, outDir, `timeline-${req.format}`);
      const outcome = await exportTimeline(env(), dir, req);
      return record(ctx, outcome.projectId, outcome);
    },
    'export.list': ({ projectId }) => listExports(ctx.db, projectId).map((r) => toRecord(r)),
    'export.zip': ({ exportId }) => zipExport(ctx, exportId),
    'export.reveal': async ({ exportId, name }) => {
      await desktop(ctx, 'Showing a file in its folder').reveal(exportedFile(ctx, exportId, name));
      return { ok: true as const };
    },
    'export.copy': async ({ exportId, name }) => {
      const file = exportedFile(ctx, exportId, name);
      if (!/\.(png|jpe?g|webp|gif)$/i.test(file)) throw new AtelierError('unsupported', 'Only images can be copied to the clipboard.');
      await desktop(ctx, 'Copying to the clipboard').copyImage(file);
      return { ok: true as const };
    },
    'export.drag': async ({ exportId, name }) => {
      await desktop(ctx, 'Dragging files out').startDrag(exportedFile(ctx, exportId, name));
      return { ok: true as const };
    },
    'models.export': async ({ modelId, checkpointId, outFile }) => {
      if (modelId === undefined && checkpointId === undefined) throw new AtelierError('bad_request', 'Say which model (modelId) or checkpoint (checkpointId) to export.');
      const c = checkpointForExport(ctx.db, checkpointId !== undefined ? { checkpointId } : { modelId });
      let bytes: Buffer;
      try {
        bytes = await fsp.readFile(checkpointFilePath(ctx.dataDir, ctx.resourcesDir, c.file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AtelierError('not_found', `The checkpoint file of model "${c.modelName}" is missing.`);
        throw err;
      }
      const bundle = await buildModelBundle({
        appVersion: ctx.appVersion,
        model: { name: c.modelName, family: c.family, config: c.config, source: c.source, meta: c.meta },
        checkpoint: { bytes, step: c.step, metric: c.metric },
        dataset: c.dataset,
        lineage: lineageOf(ctx.db, c.parentCheckpointId, c.meta),
      });
      const wanted = `${sanitizeFileName(slug(c.modelName) || 'model')}-step${c.step}${BUNDLE_EXTENSION}`;
      let dir: string;
      let name: string;
      if (outFile !== undefined) {
        if (ctx.door === 'web') throw new AtelierError('forbidden', 'The browser studio saves models into the data folder and offers a download; choosing a file needs the desktop app or the CLI.');
        const abs = path.resolve(outFile);
        dir = path.dirname(abs);
        name = path.basename(abs);
        if (!name.endsWith(BUNDLE_EXTENSION)) name += BUNDLE_EXTENSION;
      } else {
        dir = resolveOutDir(ctx, undefined, 'model');
        name = wanted;
      }
      const { files } = await withExportWriter(dir, (w) => w.write(name, bundle.bytes), ctx.exportIo);
      const written = files[0]!;
      const row = insertExport(ctx.db, {
        projectId: getModel(ctx.db, c.modelId).projectId,
        kind: 'model',
        outDir: dir,
        files: [{ name: written.name, path: written.path, bytes: written.bytes, media: mediaOf(ctx, written.path) }],
        manifest: bundle.meta as unknown as Record<string, unknown>,
      });
      ctx.events.emit('catalog.changed', { entity: 'export', id: row.id });
      return {
        exportId: row.id,
        file: written.path,
        media: mediaOf(ctx, written.path),
        bytes: written.bytes,
        sha256: c.sha256,
        modelId: c.modelId,
        checkpointId: c.checkpointId,
        name: c.modelName,
      };
    },
    'models.import': async ({ file, projectId, name }) => {
      checkReadablePath(ctx, file, 'That model file');
      let data: Buffer;
      try {
        const stat = await fsp.stat(file);
        if (!stat.isFile()) throw new AtelierError('invalid_input', `${file} is not a file.`);
        if (stat.size > 2.5 * 1024 * 1024 * 1024) throw new AtelierError('invalid_input', 'That file is too large to be an Atelier model.');
        data = await fsp.readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AtelierError('not_found', `There is no file ${file}.`);
        throw err;
      }
      const { meta, checkpoint, decoded } = await readModelBundle(data);
      const existing = findImportedBySha(ctx.db, meta.checkpoint.sha256);
      if (existing) {
        return { ...existing, sha256: meta.checkpoint.sha256, step: meta.checkpoint.step, alreadyPresent: true };
      }
      const sha = meta.checkpoint.sha256;
      const media = `models/imported/${sha.slice(0, 2)}/${sha}.ckpt`;
      // File first, then rows: a crash in between leaves an orphan file, never a row without its file.
      await writeFileAtomic(containedPath(ctx.dataDir, media), checkpoint);
      const modelName = name ?? meta.model.name;
      const ids = insertImportedModel(
        ctx.db,
        {
          projectId: projectId ?? null,
          name: modelName,
          family: meta.model.family,
          config: meta.model.config,
          meta: {
            ...meta.model.meta,
            importedFrom: { appVersion: meta.appVersion, exportedAt: meta.exportedAt, originalSource: meta.model.source },
            // The shape models.list reads (base models use the same keys): one attribution string, the
            // image size and the vocabulary the checkpoint was trained with.
            attribution: attributionText(meta.dataset?.attribution, meta.model.meta.attribution),
            size: typeof decoded.header.config.size === 'number' ? decoded.header.config.size : null,
            channels: typeof decoded.header.config.channels === 'number' ? decoded.header.config.channels : null,
            labels: decoded.header.vocab.labelNames,
            tags: decoded.header.vocab.tagNames,
            lineage: meta.lineage,
          },
        },
        { file: media, sha256: sha, bytes: checkpoint.length, step: meta.checkpoint.step, metric: meta.checkpoint.metric },
      );
      ctx.events.emit('catalog.changed', { entity: 'model', id: ids.modelId, ...(projectId !== undefined ? { projectId } : {}) });
      return { ...ids, name: modelName, family: meta.model.family, sha256: sha, step: meta.checkpoint.step, alreadyPresent: false };
    },
  };
}
