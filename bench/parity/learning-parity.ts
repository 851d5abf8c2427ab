/**
 * Learning parity: Atelier's `dcgan` preset and the PyTorch peer (bench/parity/torch_dcgan_steps.py)
 * trained on the same PNG folder for the same number of steps at the same batch size, both scored by
 * the external ruler (shared/eval/kid.py). Figures only: a benchmark, not a test.
 *
 *   npx tsx bench/parity/learning-parity.ts --data DIR --steps 300 [--batch 64] [--init torch|normal]
 *       [--family dcgan] [--config JSON] [--minutes M] [--out DIR] [--samples 256] [--seed 1] [--no-peer] [--threads 1] [--rgba]
 *
 * With --family default --no-peer (and --config overrides, --minutes for a time box) it is also the
 * quick in-process harness used to compare design choices of the default model on one folder.
 *
 * Atelier and the peer run side by side, one core each (Atelier's wasm backend uses one thread; the
 * peer is given --threads), so the comparison is per step, not per second.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/main/ml/backend';
import type { ImageTensorData } from '../../src/main/ml/data';
import type { ImageFamily } from '../../src/main/ml/models/model';
import { loadSampler } from '../../src/main/ml/sample/sampler';
import { TrainingSession } from '../../src/main/ml/train/session';

const args = process.argv.slice(2);
const flag = (name: string, dflt?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const has = (name: string) => args.includes(`--${name}`);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SHARED = process.env.ATELIER_SHARED ?? path.resolve(ROOT, '..', 'shared');
const PY = process.env.ATELIER_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const dataDir = flag('data');
if (!dataDir) throw new Error('--data DIR (a folder of PNGs) is required');
const steps = Number(flag('steps', '300'));
const batch = Number(flag('batch', '64'));
const family = flag('family', 'dcgan') as ImageFamily;
const init = flag('init', 'torch');
const samples = Number(flag('samples', '256'));
const seed = Number(flag('seed', '1'));
const out = path.resolve(flag('out', path.join(os.tmpdir(), `atelier-parity-${Date.now()}`))!);

function pngs(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(dir, f));
}

/** 32 px, RGB flattened on white (what the peer is fed) or, with --rgba, RGBA (Atelier only). */
const CHANNELS = has('rgba') ? 4 : 3;
async function load(dir: string): Promise<ImageTensorData> {
  const files = pngs(dir);
  const per = 32 * 32 * CHANNELS;
  const pixels = new Uint8Array(files.length * per);
  for (const [i, f] of files.entries()) {
    const img = sharp(f).resize(32, 32, { fit: 'fill', kernel: 'lanczos3' });
    const buf = await (CHANNELS === 4 ? img.ensureAlpha() : img.flatten({ background: '#ffffff' }).removeAlpha()).raw().toBuffer();
    pixels.set(buf, i * per);
  }
  return { kind: 'image', size: 32, channels: CHANNELS, count: files.length, pixels };
}

async function writeSamples(ckpt: string, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const gen = await loadSampler(ckpt);
  const { images } = gen.sample({ seed: 12345, count: samples });
  await Promise.all(images.map((im, i) => sharp(Buffer.from(im.pixels), { raw: { width: im.width, height: im.height, channels: im.channels as 3 } }).png().toFile(path.join(dir, `${String(i).padStart(4, '0')}.png`))));
  gen.dispose();
}

function kid(real: string, gen: string): Record<string, number> {
  const r = spawnSync(PY, [path.join(SHARED, 'eval', 'kid.py'), real, gen], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kid.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  // The peer's data must be what Atelier sees: the same RGB-on-white 32 px images, written once.
  const data = await load(dataDir!);
  const real = path.join(out, 'real');
  fs.mkdirSync(real, { recursive: true });
  const per = 32 * 32 * CHANNELS;
  for (let i = 0; i < data.count; i++) {
    await sharp(Buffer.from(data.pixels.subarray(i * per, (i + 1) * per)), { raw: { width: 32, height: 32, channels: CHANNELS } }).png().toFile(path.join(real, `${String(i).padStart(4, '0')}.png`));
  }
  const threads = flag('threads', '1')!;
  const peer = has('no-peer')
    ? null
    : new Promise<string>((resolve, reject) => {
        const p = spawn(PY, [path.join(ROOT, 'bench', 'parity', 'torch_dcgan_steps.py'), real, path.join(out, 'peer'), String(steps), String(samples), threads, String(batch)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        p.stdout.on('data', (d) => (text += d));
        p.on('exit', (code) => (code === 0 ? resolve(text.trim()) : reject(new Error(`peer exited ${code}`))));
      });

  const report = await initBackend('wasm', { threads: 1 });
  const config = { ...(family === 'dcgan' ? { init } : {}), ...JSON.parse(flag('config', '{}')!) };
  const session = await TrainingSession.create({ family, data, seed, batchSize: batch, config });
  const t0 = performance.now();
  const minutes = Number(flag('minutes', '0'));
  // A time box (--minutes) when given, else --steps.
  const more = () => (minutes > 0 ? performance.now() - t0 - paused < minutes * 60_000 : session.step < steps);
  // --eval-every K: score a checkpoint every K steps too (a learning curve in one run; the time spent
  // scoring is not counted as training time).
  const every = Number(flag('eval-every', '0'));
  const curve: Array<{ step: number; seconds: number; kid: Record<string, number> }> = [];
  let paused = 0;
  while (more()) {
    session.trainStep();
    if (every > 0 && session.step % every === 0 && more()) {
      const p0 = performance.now();
      const c = path.join(out, `step${session.step}.ckpt`);
      await session.saveCheckpoint(c);
      const dir = path.join(out, `atelier-${session.step}`);
      await writeSamples(c, dir);
      fs.rmSync(c, { force: true });
      const k = kid(real, dir);
      const seconds = (p0 - t0 - paused) / 1000;
      curve.push({ step: session.step, seconds, kid: k });
      console.log(`step ${session.step} (${seconds.toFixed(0)} s): KID×10³ px ${k.kid_pixels} rc ${k.kid_randconv} learned ${k.kid_learned}`);
      paused += performance.now() - p0;
    }
  }
  const done = session.step;
  const seconds = (performance.now() - t0 - paused) / 1000;
  const ckpt = path.join(out, 'atelier.ckpt');
  await session.saveCheckpoint(ckpt);
  session.dispose();
  await writeSamples(ckpt, path.join(out, 'atelier'));
  const peerLine = peer ? await peer : null;

  const a = kid(real, path.join(out, 'atelier'));
  const p = peer ? kid(real, path.join(out, 'peer')) : null;
  const row = (name: string, k: Record<string, number>) =>
    `| ${name} | ${k.kid_pixels} | ${k.kid_randconv} | ${k.kid_learned} | ${k.memorised} |`;
  console.log(`\n${data.count} images from ${dataDir}, ${steps} steps at batch ${batch}; Atelier ${family} (init ${init}) on ${report.name}, ${seconds.toFixed(0)} s; peer: ${peerLine ?? 'skipped'}`);
  console.log('| run | KID×10³ pixels | random-conv | learned | memorised |\n|---|---|---|---|---|');
  console.log(row(`Atelier ${family}`, a));
  if (p) console.log(row('PyTorch peer', p));
  if (p) console.log(`ratio Atelier/peer: pixels ${(a.kid_pixels! / p.kid_pixels!).toFixed(2)}, random-conv ${(a.kid_randconv! / p.kid_randconv!).toFixed(2)}, learned ${(a.kid_learned! / p.kid_learned!).toFixed(2)}`);
  console.log(`Atelier trained ${done} steps (${((done * batch) / seconds).toFixed(1)} img/s), config ${JSON.stringify(config)}`);
  fs.writeFileSync(path.join(out, 'result.json'), JSON.stringify({ steps: done, batch, family, config, atelier: a, peer: p, peerLine, seconds, curve }, null, 2));
  console.log(`samples: ${out}/{real,atelier,peer}`);
}

await main();
