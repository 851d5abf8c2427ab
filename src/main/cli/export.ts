import path from 'node:path';
import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { withService } from './context';
import { findProject } from '../catalog/projects';
import { AtelierError } from '../../shared/errors';
import { EXPORT_FORMATS, type ExportFormat, type ExportRecord } from '../../shared/contract';
import type { Service } from '../service';

interface ExportFlags {
  ids?: string;
  run?: string;
  format: string;
  out?: string;
  project?: string;
  scale?: string;
  width?: string;
  height?: string;
  resample?: string;
  quality?: string;
  padding?: string;
  columns?: string;
  background?: string;
  colors?: string;
  fps?: string;
  loop?: string;
  packFormat?: string;
  sheet?: boolean;
  metadata?: boolean;
}

function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new AtelierError('bad_request', `${what} must be a whole number, got "${v}".`);
  return n;
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new AtelierError('bad_request', `${what} must be a number, got "${v}".`);
  return n;
}

function parseIds(text: string): number[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => Number(s));
  if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new AtelierError('bad_request', `--ids takes generation ids separated by commas, got "${text}".`);
  return ids;
}

function projectOf(service: Service, flags: ExportFlags, ids: number[]): number {
  if (flags.project) return findProject(service.ctx.db, flags.project).id;
  const row = service.ctx.db.prepare('SELECT project_id FROM generation WHERE id = ?').get(ids[0]) as { project_id: number } | undefined;
  if (!row) throw new AtelierError('not_found', `There is no generation with id ${ids[0]}.`);
  return row.project_id;
}

function summary(r: ExportRecord): string {
  return [`Exported ${r.files.length} file${r.files.length === 1 ? '' : 's'} to ${r.outDir}:`, ...r.files.map((f) => `  ${f.name}  (${f.bytes} bytes)`)].join('\n');
}

export function registerExportCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description(`Export generations (--ids) or a run's training timeline (--run). JSON: {"files":[absolute paths],"exportId","outDir"}.`)
    .option('--ids <ids>', 'generation ids, comma-separated (frames in this order for gif/apng/webp-animated)')
    .option('--run <runId>', "animate this run's sample grids (format gif, apng or webp)")
    .requiredOption('--format <format>', `${EXPORT_FORMATS.join(' | ')}`)
    .option('--out <dir>', 'folder to write into (default: a new folder under the data folder\'s exports/)')
    .option('--project <project>', 'project id or name (default: the project of the first generation)')
    .option('--scale <n>', 'upscale 1, 2 or 4 (nearest for pixel art, Lanczos otherwise)')
    .option('--width <px>', 'exact width')
    .option('--height <px>', 'exact height')
    .option('--resample <mode>', 'auto | nearest | lanczos')
    .option('--quality <q>', 'JPEG / lossy WebP quality 1-100')
    .option('--padding <px>', 'sheet: pixels between frames')
    .option('--columns <n>', 'sheet: frames per row')
    .option('--background <#rrggbb>', 'sheet: background colour (contact sheet)')
    .option('--colors <n>', 'svg: colour count 2-64')
    .option('--fps <n>', 'animations: frames per second')
    .option('--loop <n>', 'animations: repeat count, 0 = forever')
    .option('--pack-format <format>', 'zip: png | jpeg | webp | svg for each image')
    .option('--sheet', 'zip: add a sprite sheet and atlas')
    .option('--no-metadata', 'do not embed prompt/seed/model metadata')
    .action(async (flags: ExportFlags) => {
      const opts = globals();
      try {
        const result = await withService(opts, async (s) => {
          const outDir = flags.out ? path.resolve(flags.out) : undefined;
          if (flags.run) {
            if (flags.ids) throw new AtelierError('bad_request', 'Give either --ids or --run, not both.');
            const format = flags.format === 'webp-animated' ? 'webp' : flags.format;
            if (format !== 'gif' && format !== 'apng' && format !== 'webp') throw new AtelierError('bad_request', 'A timeline is exported as gif, apng or webp.');
            return s.call('export.timeline', { runId: int(flags.run, '--run'), format, outDir, fps: num(flags.fps, '--fps'), loop: int(flags.loop, '--loop'), scale: int(flags.scale, '--scale') });
          }
          if (!flags.ids) throw new AtelierError('bad_request', 'Say what to export: --ids 1,2,3 (generations) or --run ID (training timeline).');
          if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format)) throw new AtelierError('bad_request', `--format must be one of ${EXPORT_FORMATS.join(', ')}.`);
          const ids = parseIds(flags.ids);
          return s.call('export.generations', {
            projectId: projectOf(s, flags, ids),
            ids,
            format: flags.format as ExportFormat,
            outDir,
            scale: int(flags.scale, '--scale'),
            width: int(flags.width, '--width'),
            height: int(flags.height, '--height'),
            resample: flags.resample as 'auto' | 'nearest' | 'lanczos' | undefined,
            quality: int(flags.quality, '--quality'),
            padding: int(flags.padding, '--padding'),
            columns: int(flags.columns, '--columns'),
            background: flags.background,
            colors: int(flags.colors, '--colors'),
            fps: num(flags.fps, '--fps'),
            loop: int(flags.loop, '--loop'),
            packFormat: flags.packFormat as 'png' | 'jpeg' | 'webp' | 'svg' | undefined,
            packSheet: flags.sheet,
            metadata: flags.metadata === false ? false : undefined,
          });
        });
        printResult(opts, { files: result.files.map((f) => f.path), exportId: result.id, outDir: result.outDir }, () => summary(result));
      } catch (err) {
        fail(err, opts);
      }
    });

  // `models` is created by the training commands (models list); add export/import beside it.
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models').description('Models: list, export, import.');
  models.description('Models: list (base models included), export to a file, import from another install.');
  models
    .command('export')
    .argument('<model>', 'model id, "checkpoint:ID", a checkpoint sha256, or a model name')
    .requiredOption('--out <file>', 'the .atelier-model file to write')
    .description('Export a trained model (checkpoint + metadata + tfjs weights) to one file. JSON: {"file","sha256","modelId","checkpointId"}.')
    .action(async (ref: string, flags: { out: string }) => {
      const opts = globals();
      try {
        const r = await withService(opts, (s) => s.call('models.export', { ...resolveModelRef(s, ref), outFile: path.resolve(flags.out) }));
        printResult(opts, { file: r.file, bytes: r.bytes, sha256: r.sha256, modelId: r.modelId, checkpointId: r.checkpointId, name: r.name }, () => `Exported model "${r.name}" to ${r.file} (${r.bytes} bytes).`);
      } catch (err) {
        fail(err, opts);
      }
    });
  models
    .command('import')
    .argument('<file>', 'an .atelier-model file')
    .option('--project <project>', 'attach the model to this project (default: available to every project)')
    .option('--name <name>', 'a new name for the model')
    .description('Import a model exported from another install. JSON: {"modelId","checkpointId","name","family","sha256","alreadyPresent"}.')
    .action(async (file: string, flags: { project?: string; name?: string }) => {
      const opts = globals();
      try {
        const r = await withService(opts, (s) =>
          s.call('models.import', { file: path.resolve(file), projectId: flags.project ? findProject(s.ctx.db, flags.project).id : undefined, name: flags.name }),
        );
        printResult(opts, r, () => (r.alreadyPresent ? `Model "${r.name}" is already here (model ${r.modelId}).` : `Imported model "${r.name}" [${r.family}] as model ${r.modelId}.`));
      } catch (err) {
        fail(err, opts);
      }
    });
}

function resolveModelRef(s: Service, ref: string): { modelId?: number; checkpointId?: number } {
  const db = s.ctx.db;
  if (/^\d+$/.test(ref)) return { modelId: Number(ref) };
  const ck = /^checkpoint:(\d+)$/.exec(ref);
  if (ck) return { checkpointId: Number(ck[1]) };
  if (/^[0-9a-f]{64}$/i.test(ref)) {
    const row = db.prepare('SELECT id FROM checkpoint WHERE sha256 = ? ORDER BY id LIMIT 1').get(ref.toLowerCase()) as { id: number } | undefined;
    if (!row) throw new AtelierError('not_found', `No checkpoint has sha256 ${ref}.`);
    return { checkpointId: row.id };
  }
  const row = db.prepare('SELECT id FROM model WHERE name = ? COLLATE NOCASE ORDER BY id DESC LIMIT 1').get(ref) as { id: number } | undefined;
  if (!row) throw new AtelierError('not_found', `No model matches "${ref}". See "atelier models list".`);
  return { modelId: row.id };
}
