/**
 * Export orchestration: read the generations (or a run's grids), render the chosen format, write every
 * file through one ExportWriter (all-or-nothing), and describe what was written. The service records
 * the result in the catalog afterwards, so a catalog row never points at a file that is not there.
 */
import path from 'node:path';
import type { Db } from '../catalog/db';
import { AtelierError } from '../../shared/errors';
import { loadGenerations, loadRunGrids, readGenerationImage, readMedia, type GenerationSource } from './source';
import { withExportWriter, slug, type WriterIo, type WrittenFile } from './safe-write';
import { EXTENSION, renderRaster, type RasterFormat, type Resample } from './raster';
import { buildSheet } from './sheet';
import { traceToSvg } from './svg-trace';
import { ANIMATION_EXTENSION, renderAnimation, type AnimationFormat } from './animation';
import { buildManifest, zipEntries, type PackManifest } from './pack';

export type GenerationExportFormat = 'png' | 'jpeg' | 'webp' | 'sheet' | 'svg' | 'gif' | 'apng' | 'webp-animated' | 'zip' | 'txt' | 'csv' | 'json';
export const GENERATION_EXPORT_FORMATS: readonly GenerationExportFormat[] = ['png', 'jpeg', 'webp', 'sheet', 'svg', 'gif', 'apng', 'webp-animated', 'zip', 'txt', 'csv', 'json'];
const TEXT_FORMATS: readonly GenerationExportFormat[] = ['txt', 'csv', 'json'];

export interface ExportEnv {
  db: Db;
  dataDir: string;
  appVersion: string;
  /** Injected file operations (tests simulate a full disk). */
  io?: WriterIo;
}

export interface GenerationExportRequest {
  projectId?: number;
  ids: number[];
  format: GenerationExportFormat;
  scale?: number;
  width?: number;
  height?: number;
  resample?: Resample;
  quality?: number;
  /** Sheet: pixels between frames. */
  padding?: number;
  columns?: number;
  /** Sheet background (contact sheet); transparent when absent. */
  background?: string;
  /** SVG: colour count. */
  colors?: number;
  /** Animations. */
  fps?: number;
  loop?: number;
  /** Zip: the format of each image inside, and whether to add a sheet + atlas. */
  packFormat?: RasterFormat | 'svg';
  packSheet?: boolean;
  /** Embed metadata in images (default true). */
  metadata?: boolean;
}

export interface ExportOutcome {
  kind: string;
  outDir: string;
  files: WrittenFile[];
  manifest: PackManifest;
}

/** `12-red-fox-seed42`: id first (unique and sortable), then what a person recognises. */
export function baseName(g: GenerationSource): string {
  const words = slug(g.prompt);
  return `${g.id}${words ? `-${words}` : ''}-seed${g.seed}`;
}

function imagesOnly(gens: GenerationSource[]): GenerationSource[] {
  const text = gens.filter((g) => g.kind !== 'image' || !g.file);
  if (text.length) throw new AtelierError('bad_request', `Only images can be exported this way; generation ${text[0]!.id} is text (export texts as txt, csv or json).`);
  return gens;
}

function textsOnly(gens: GenerationSource[]): GenerationSource[] {
  const images = gens.filter((g) => g.kind !== 'text' || g.text === null);
  if (images.length) throw new AtelierError('bad_request', `Only texts can be exported as txt, csv or json; generation ${images[0]!.id} is an image.`);
  return gens;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The sampling settings a text generation recorded (see jobs/text-generate/start.ts). */
function textRequest(g: GenerationSource): { temperature?: number; topK?: number; maxLength?: number; index?: number } {
  return (g.provenance.params.request ?? {}) as { temperature?: number; topK?: number; maxLength?: number; index?: number };
}

function textsCsv(gens: GenerationSource[]): string {
  const head = ['id', 'text', 'prompt', 'seed', 'index', 'temperature', 'top_k', 'max_length', 'model', 'family', 'step', 'checkpoint_sha256', 'backend', 'created_at'];
  const rows = gens.map((g) => {
    const r = textRequest(g);
    const p = g.provenance;
    return [g.id, g.text, g.prompt, g.seed, r.index, r.temperature, r.topK, r.maxLength, p.model.name, p.model.family, p.checkpoint.step, p.checkpoint.sha256, p.backend, p.createdAt].map(csvField).join(',');
  });
  return `${[head.join(','), ...rows].join('\r\n')}\r\n`;
}

async function renderOne(env: ExportEnv, g: GenerationSource, format: RasterFormat | 'svg', req: GenerationExportRequest): Promise<{ name: string; data: Buffer | string }> {
  const image = readGenerationImage(env.dataDir, g);
  if (format === 'svg') return { name: `${baseName(g)}.svg`, data: await traceToSvg(image, g.provenance, { colors: req.colors, scale: req.scale }) };
  const data = await renderRaster(image, g.provenance, {
    format,
    scale: req.scale,
    width: req.width,
    height: req.height,
    resample: req.resample,
    quality: req.quality,
    metadata: req.metadata,
  });
  return { name: `${baseName(g)}${EXTENSION[format]}`, data };
}

function renderSheet(env: ExportEnv, gens: GenerationSource[], req: GenerationExportRequest, imageName: string) {
  return buildSheet(
    gens.map((g) => ({ name: baseName(g), image: readGenerationImage(env.dataDir, g) })),
    { padding: req.padding, columns: req.columns, background: req.background, scale: req.scale, width: req.width, height: req.height, resample: req.resample, imageName, appVersion: env.appVersion },
  );
}

export async function exportGenerations(env: ExportEnv, outDir: string, req: GenerationExportRequest): Promise<ExportOutcome> {
  const loaded = loadGenerations(env.db, req.ids, req.projectId);
  const gens = TEXT_FORMATS.includes(req.format) ? textsOnly(loaded) : imagesOnly(loaded);
  const stamp = `atelier-${new Date().toISOString().slice(0, 10)}`;
  const { value: manifest, files } = await withExportWriter(
    outDir,
    async (w) => {
      switch (req.format) {
        case 'png':
        case 'jpeg':
        case 'webp':
        case 'svg': {
          const entries: Array<{ file: string; g: GenerationSource }> = [];
          for (const g of gens) {
            const one = await renderOne(env, g, req.format, req);
            entries.push({ file: (await w.write(one.name, one.data)).name, g });
          }
          return buildManifest(entries.map((e) => ({ file: e.file, provenance: e.g.provenance })), env.appVersion);
        }
        case 'sheet': {
          const sheetName = w.claim(`${stamp}-sheet.png`);
          const atlasName = w.claim(`${path.parse(sheetName.name).name}.json`);
          const { png, atlas } = await renderSheet(env, gens, req, sheetName.name);
          await w.writeClaimed(sheetName, png);
          await w.writeClaimed(atlasName, `${JSON.stringify(atlas, null, 2)}\n`);
          return buildManifest([{ file: sheetName.name, provenance: null }, ...gens.map((g) => ({ file: `${sheetName.name}#${baseName(g)}`, provenance: g.provenance }))], env.appVersion);
        }
        case 'gif':
        case 'apng':
        case 'webp-animated': {
          const format: AnimationFormat = req.format === 'webp-animated' ? 'webp' : req.format;
          const frames = gens.map((g) => readGenerationImage(env.dataDir, g));
          const data = await renderAnimation(frames, { format, fps: req.fps, loop: req.loop, scale: req.scale, width: req.width, height: req.height, resample: req.resample });
          const file = await w.write(`${stamp}-walk-${gens.length}f${ANIMATION_EXTENSION[format]}`, data);
          return buildManifest([{ file: file.name, provenance: null }, ...gens.map((g, i) => ({ file: `${file.name}#frame${i}`, provenance: g.provenance }))], env.appVersion);
        }
        case 'zip': {
          const inner = req.packFormat ?? 'png';
          const entries: Array<{ name: string; data: Buffer | string }> = [];
          const listed: Array<{ file: string; provenance: GenerationSource['provenance'] | null }> = [];
          const used = new Set<string>();
          for (const g of gens) {
            const one = await renderOne(env, g, inner, req);
            let name = `images/${one.name}`;
            for (let n = 2; used.has(name); n++) name = `images/${path.parse(one.name).name}-${n}${path.extname(one.name)}`;
            used.add(name);
            entries.push({ name, data: one.data });
            listed.push({ file: name, provenance: g.provenance });
          }
          if (req.packSheet) {
            const { png, atlas } = await renderSheet(env, gens, req, 'sheet.png');
            entries.push({ name: 'sheet.png', data: png }, { name: 'sheet.json', data: `${JSON.stringify(atlas, null, 2)}\n` });
            listed.push({ file: 'sheet.png', provenance: null }, { file: 'sheet.json', provenance: null });
          }
          const manifest = buildManifest(listed, env.appVersion);
          entries.push({ name: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` });
          await w.write(`${stamp}-pack-${gens.length}.zip`, await zipEntries(entries));
          return manifest;
        }
        case 'txt': {
          const entries: Array<{ file: string; g: GenerationSource }> = [];
          for (const g of gens) entries.push({ file: (await w.write(`${baseName(g)}.txt`, `${g.text}\n`)).name, g });
          return buildManifest(entries.map((e) => ({ file: e.file, provenance: e.g.provenance })), env.appVersion);
        }
        case 'csv': {
          const file = await w.write(`${stamp}-texts-${gens.length}.csv`, textsCsv(gens));
          return buildManifest([{ file: file.name, provenance: null }, ...gens.map((g) => ({ file: `${file.name}#${g.id}`, provenance: g.provenance }))], env.appVersion);
        }
        case 'json': {
          const body = { app: 'Atelier', appVersion: env.appVersion, texts: gens.map((g) => ({ id: g.id, text: g.text, provenance: g.provenance })) };
          const file = await w.write(`${stamp}-texts-${gens.length}.json`, `${JSON.stringify(body, null, 2)}\n`);
          return buildManifest([{ file: file.name, provenance: null }, ...gens.map((g) => ({ file: `${file.name}#${g.id}`, provenance: g.provenance }))], env.appVersion);
        }
        default:
          throw new AtelierError('bad_request', `Unknown export format ${String(req.format)}.`);
      }
    },
    env.io,
  );
  return { kind: req.format, outDir: path.resolve(outDir), files, manifest };
}

export interface TimelineExportRequest {
  runId: number;
  format: AnimationFormat;
  fps?: number;
  loop?: number;
  scale?: number;
  resample?: Resample;
}

/** A training timeline: the run's sample grids in step order, ending on a held last frame. */
export async function exportTimeline(env: ExportEnv, outDir: string, req: TimelineExportRequest): Promise<ExportOutcome & { projectId: number }> {
  const { projectId, runName, grids } = loadRunGrids(env.db, req.runId);
  if (grids.length === 0) throw new AtelierError('not_found', `Run ${req.runId} has no sample grids yet.`);
  const frames = grids.map((g) => readMedia(env.dataDir, g.file, `the grid at step ${g.step}`));
  const data = await renderAnimation(frames, { format: req.format, fps: req.fps ?? 4, loop: req.loop, scale: req.scale, resample: req.resample ?? 'nearest', holdLastMs: 1500 });
  const { files } = await withExportWriter(outDir, (w) => w.write(`${slug(runName) || 'run'}-${req.runId}-timeline${ANIMATION_EXTENSION[req.format]}`, data), env.io);
  const manifest = buildManifest([{ file: files[0]!.name, provenance: null }], env.appVersion);
  return { kind: `timeline-${req.format}`, outDir: path.resolve(outDir), files, manifest, projectId };
}
