import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { fail, printResult, progressBar, type GlobalOptions } from './output';
import { dataDirOf, openService } from './context';
import { containedPath } from '../files/contain';
import { AtelierError } from '../../shared/errors';
import { isTextFamily } from '../../shared/families';
import type { GenerateRequest, GenerateTextRequest, ModelInfo } from '../../shared/contract';
import type { Service } from '../service';

interface GenerateFlags {
  project?: string;
  run?: string;
  model?: string;
  checkpoint?: string;
  prompt?: string;
  seed?: string;
  count?: string;
  batch?: string;
  truncation?: string;
  direction?: string[];
  variationOf?: string;
  strength?: string;
  interpolate?: string;
  frames?: string;
  backend?: string;
  out?: string;
  temperature?: string;
  topK?: string;
  length?: string;
}

export function registerGenerateCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('generate')
    .description('Sample images from a trained model (JSON: {"generationIds":[…],"files":[…]}), or texts from a text model (JSON: {"generationIds":[…],"texts":[…]}).')
    .option('--run <runId>', "the run whose model to sample (its newest checkpoint unless --checkpoint)")
    .option('--model <model>', 'model id or name (instead of --run)')
    .option('--project <project>', 'project id or name (needed with a base model)')
    .option('--checkpoint <id>', 'checkpoint id (default: the newest)')
    .option('--prompt <text>', 'labels and tags with weights, e.g. "cat face:0.7, dog face:0.3"; for a text model, the text every sample starts with', '')
    .option('--seed <n>', 'seed (image i uses seed + i)', '0')
    .option('--count <n>', 'how many images (default 16) or texts (default 8)')
    .option('--temperature <t>', 'text models: 0 = most likely character, < 1 safer, > 1 wilder', '0.8')
    .option('--top-k <k>', 'text models: draw only from the k most likely characters (0 = all)', '0')
    .option('--length <n>', 'text models: at most this many characters after the prompt', '48')
    .option('--batch <n>', 'images per pass (does not change the pixels)', '8')
    .option('--truncation <psi>', 'latent scale in (0, 1]', '1')
    .option('--direction <offset>', 'offset along the next principal latent direction (repeatable)', collect, [])
    .option('--variation-of <generationId>', 'variations around a generation')
    .option('--strength <s>', 'variation strength 0..1', '0.3')
    .option('--interpolate <a,b>', 'interpolate between two generations')
    .option('--frames <n>', 'interpolation frames', '8')
    .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | webgpu | wasm | cpu')
    .option('--out <dir>', 'also copy the PNGs into this folder')
    .action(async (flags: GenerateFlags) => {
      const opts = globals();
      const service = openService(opts);
      try {
        const model = await target(service, flags);
        if (isTextFamily(model.family)) {
          await generateText(service, model, flags, opts);
          await service.close();
          return;
        }
        const req = buildRequest(model, flags);
        const bar = progressBar(opts);
        const seeds = new Map<number, number>();
        const off = service.events.onAny((event, payload) => {
          if (event === 'generate.image') {
            const p = payload as { index: number; total: number; item: { id: number; seed: number } };
            seeds.set(p.item.id, p.item.seed);
            bar(p.index + 1, p.total, 'images');
          }
        });
        const started = await service.call('generate.start', req);
        const result = await service.call('generate.wait', { jobId: started.jobId });
        off();
        if (result.status !== 'done') throw new AtelierError('internal', `Generating failed (${result.status}): ${result.error ?? 'no detail'}`);
        let files = result.files.map((f) => containedPath(dataDirOf(opts), f));
        if (flags.out) {
          const out = path.resolve(flags.out);
          fs.mkdirSync(out, { recursive: true });
          files = result.generationIds.map((id, i) => {
            // An empty image left out shifts the rest: name each file by its own seed.
            const seed = seeds.get(id) ?? req.seed + i;
            const target = path.join(out, `${id}-seed${seed}.png`);
            fs.copyFileSync(files[i]!, target);
            return target;
          });
        }
        const skipped = result.skipped ?? 0;
        printResult(opts, { generationIds: result.generationIds, files, skipped, backend: result.backend, ms: result.ms }, () =>
          `Generated ${result.generationIds.length} images on ${result.backend ?? '?'} in ${(result.ms / 1000).toFixed(1)} s` +
            `${skipped ? ` (${skipped} came out empty and ${skipped === 1 ? 'was' : 'were'} left out)` : ''}:\n${files.join('\n')}`,
        );
        await service.close();
      } catch (err) {
        await service.close().catch(() => {});
        fail(err, opts);
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function num(v: string | undefined, what: string, int = false): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw new AtelierError('bad_request', `${what} must be ${int ? 'an integer' : 'a number'}, got "${v}".`);
  return n;
}

/** Which model the flags name, its family, and the project its generations go to. */
interface Target {
  modelId: number;
  family: string;
  projectId: number;
}

async function target(service: Service, flags: GenerateFlags): Promise<Target> {
  if (!flags.run && !flags.model) throw new AtelierError('bad_request', 'Say which model to sample: --run RUN_ID or --model MODEL.');
  let projectId: number | null = flags.project ? (await service.call('projects.resolve', { ref: flags.project })).id : null;
  let model: ModelInfo;
  if (flags.run) {
    const run = await service.call('runs.resolve', { ref: String(num(flags.run, '--run', true)) });
    model = await service.call('models.resolve', { ref: String(run.modelId) });
    projectId ??= run.projectId;
  } else {
    model = await service.call('models.resolve', { ref: flags.model!, projectId: projectId ?? undefined });
    projectId ??= model.projectId;
  }
  if (projectId === null) throw new AtelierError('bad_request', 'This model belongs to no project: say where the images go with --project.');
  return { modelId: model.id, family: model.family, projectId };
}

async function generateText(service: Service, model: Target, flags: GenerateFlags, opts: GlobalOptions): Promise<void> {
  const req: GenerateTextRequest = {
    ...requestBase(model, flags, 8),
    temperature: num(flags.temperature, '--temperature'),
    topK: num(flags.topK, '--top-k', true),
    maxLength: num(flags.length, '--length', true),
    backend: flags.backend as GenerateTextRequest['backend'],
  };
  const result = await service.call('generate.text', req);
  if (result.status !== 'done') throw new AtelierError('internal', `Generating failed (${result.status}): ${result.error ?? 'no detail'}`);
  if (flags.out) {
    const out = path.resolve(flags.out);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `texts-seed${req.seed}.txt`), result.texts.join('\n') + '\n');
  }
  printResult(opts, { generationIds: result.generationIds, texts: result.texts, backend: result.backend, step: result.step, ms: result.ms }, () =>
    `Generated ${result.texts.length} texts on ${result.backend ?? '?'} in ${(result.ms / 1000).toFixed(1)} s (step ${result.step ?? '?'}):\n${result.texts.join('\n')}`,
  );
}

/** The fields an image and a text request take alike from the flags (only the default count differs). */
function requestBase({ modelId, projectId }: Target, flags: GenerateFlags, defaultCount: number) {
  return {
    projectId,
    modelId,
    checkpointId: flags.checkpoint ? num(flags.checkpoint, '--checkpoint', true) : undefined,
    prompt: flags.prompt ?? '',
    seed: num(flags.seed, '--seed', true),
    count: flags.count === undefined ? defaultCount : num(flags.count, '--count', true),
  };
}

function buildRequest(model: Target, flags: GenerateFlags): GenerateRequest {
  const interpolate = flags.interpolate
    ? (() => {
        const [a, b] = flags.interpolate.split(',').map((s) => num(s.trim(), '--interpolate', true));
        if (a === undefined || b === undefined) throw new AtelierError('bad_request', '--interpolate takes two generation ids: A,B.');
        return { fromId: a, toId: b, frames: num(flags.frames, '--frames', true) };
      })()
    : undefined;
  return {
    ...requestBase(model, flags, 16),
    batch: num(flags.batch, '--batch', true),
    truncation: num(flags.truncation, '--truncation'),
    directions: (flags.direction ?? []).map((d) => num(d, '--direction')),
    variation: flags.variationOf ? { generationId: num(flags.variationOf, '--variation-of', true), strength: num(flags.strength, '--strength') } : undefined,
    interpolate,
    backend: flags.backend as GenerateRequest['backend'],
  };
}
