import path from 'node:path';
import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { withService } from './context';
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

/** The project named by --project, or the one the first generation belongs to. */
async function projectOf(service: Service, flags: ExportFlags, ids: number[]): Promise<number> {
  if (flags.project) return (await service.call('projects.resolve', { ref: flags.project })).id;
  return (await service.call('gallery.get', { id: ids[0]! })).projectId;
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
            projectId: await projectOf(s, flags, ids),
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
    .option('--project <project>', "with a model name: the project whose model it is (default: base and imported models)")
    .description('Export a trained model (checkpoint + metadata + tfjs weights) to one file. JSON: {"file","sha256","modelId","checkpointId"}.')
    .action(async (ref: string, flags: { out: string; project?: string }) => {
      const opts = globals();
      try {
        const r = await withService(opts, async (s) => {
          const projectId = flags.project ? (await s.call('projects.resolve', { ref: flags.project })).id : undefined;
          return s.call('models.export', { ...(await resolveModelRef(s, ref, projectId)), outFile: path.resolve(flags.out) });
        });
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
        const r = await withService(opts, async (s) =>
          s.call('models.import', { file: path.resolve(file), projectId: flags.project ? (await s.call('projects.resolve', { ref: flags.project })).id : undefined, name: flags.name }),
        );
        printResult(opts, r, () => (r.alreadyPresent ? `Model "${r.name}" is already here (model ${r.modelId}).` : `Imported model "${r.name}" [${r.family}] as model ${r.modelId}.`));
      } catch (err) {
        fail(err, opts);
      }
    });
}

/** What `models export` names: a model id, "checkpoint:ID", a checkpoint's sha256, or a model name. */
async function resolveModelRef(s: Service, ref: string, projectId: number | undefined): Promise<{ modelId?: number; checkpointId?: number }> {
  if (/^\d+$/.test(ref)) return { modelId: Number(ref) };
  const ck = /^checkpoint:(\d+)$/.exec(ref);
  if (ck) return { checkpointId: Number(ck[1]) };
  // The engine resolves the rest as the studio does (a sha256 is a checkpoint; a name, a model of the project).
  if (/^[0-9a-f]{64}$/i.test(ref)) return { checkpointId: (await s.call('checkpoints.resolve', { ref })).checkpointId };
  return { modelId: (await s.call('models.resolve', { ref, projectId })).id };
}
