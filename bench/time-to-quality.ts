/**
 * Time to quality with 1 and N data-parallel workers: the `default` model trained on a PNG folder for
 * the same training minutes with each worker count (same seed, one after the other), scored every few
 * training minutes by the external ruler (shared/eval/kid.py). Prints each curve and the training
 * minutes each count needs to reach a target score: by default the learned-space KID the first count
 * reached at the end. Figures only: a benchmark, not a test.
 *
 *   npx tsx bench/time-to-quality.ts --data DIR [--minutes 8] [--eval-minutes 1] [--workers 1,2]
 *       [--target KID_LEARNED] [--samples 256] [--seed 0] [--batch 16] [--out DIR]
 *
 * The clock counts training steps only (scoring pauses it). The machine's load average is printed with
 * every point: on a shared machine the figures move with it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startDataParallel } from '../src/main/jobs/train/parallel';
import { initBackend, wasmThreadsPerWorker, type BackendReport } from '../src/main/ml/backend';
import type { ImageTensorData } from '../src/main/ml/data';
import { loadSampler } from '../src/main/ml/sample/sampler';
import { TrainingSession } from '../src/main/ml/train/session';

const args = process.argv.slice(2);
const flag = (name: string, dflt?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROOT = path.resolve(import.meta.dirname, '..');
const SHARED = process.env.ATELIER_SHARED ?? path.resolve(ROOT, '..', 'shared');
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const dataDir = flag('data');
if (!dataDir) throw new Error('--data DIR (a folder of PNGs) is required');
const minutes = Number(flag('minutes', '8'));
const evalMinutes = Number(flag('eval-minutes', '1'));
const counts = flag('workers', '1,2')!.split(',').map(Number);
const samples = Number(flag('samples', '256'));
const seed = Number(flag('seed', '0'));
const batch = Number(flag('batch', '16'));
const out = path.resolve(flag('out', path.join(os.tmpdir(), `atelier-ttq-${Date.now()}`))!);

async function load(dir: string): Promise<ImageTensorData> {
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(dir, f));
  const per = 32 * 32 * 3;
  const pixels = new Uint8Array(files.length * per);
  for (const [i, f] of files.entries()) pixels.set(await sharp(f).resize(32, 32, { fit: 'fill', kernel: 'lanczos3' }).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer(), i * per);
  return { kind: 'image', size: 32, channels: 3, count: files.length, pixels };
}

async function writePngs(images: { pixels: Uint8Array; width: number; height: number; channels: number }[], dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await Promise.all(images.map((im, i) => sharp(Buffer.from(im.pixels), { raw: { width: im.width, height: im.height, channels: im.channels as 3 } }).png().toFile(path.join(dir, `${String(i).padStart(4, '0')}.png`))));
}

function kid(real: string, gen: string): Record<string, number> {
  const r = spawnSync(PY, [path.join(SHARED, 'eval', 'kid.py'), real, gen], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kid.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

interface Point {
  minutes: number;
  step: number;
  kid: Record<string, number>;
  load: number;
}

async function curve(data: ImageTensorData, real: string, workers: number, report: BackendReport): Promise<Point[]> {
  const session = await TrainingSession.create({ family: 'default', data, seed, batchSize: batch });
  const group = workers > 1 ? await startDataParallel(session, { workers, backend: report.name, threads: report.threads ?? 1 }) : null;
  const points: Point[] = [];
  let trainMs = 0;
  try {
    for (let next = evalMinutes; next <= minutes + 1e-9; next += evalMinutes) {
      while (trainMs < next * 60_000) {
        const t0 = performance.now();
        session.trainStep();
        trainMs += performance.now() - t0;
      }
      const ckpt = path.join(out, `w${workers}-step${session.step}.ckpt`);
      await session.saveCheckpoint(ckpt);
      const gen = await loadSampler(ckpt);
      const dir = path.join(out, `w${workers}-step${session.step}`);
      await writePngs(gen.sample({ seed: 12345, count: samples }).images, dir);
      gen.dispose();
      fs.rmSync(ckpt, { force: true });
      const p = { minutes: trainMs / 60_000, step: session.step, kid: kid(real, dir), load: os.loadavg()[0]! };
      points.push(p);
      console.log(`${workers} worker(s): ${p.minutes.toFixed(2)} min, step ${p.step}: KID×10³ learned ${p.kid.kid_learned} random-conv ${p.kid.kid_randconv} pixels ${p.kid.kid_pixels} (load ${p.load.toFixed(2)})`);
    }
  } finally {
    await group?.close();
    session.dispose();
  }
  return points;
}

/** Training minutes to the first point at or below `target` (linear between points), or null. */
function minutesTo(points: Point[], target: number): number | null {
  let prev: Point | null = null;
  for (const p of points) {
    const k = p.kid.kid_learned ?? p.kid.kid_randconv!;
    if (k <= target) {
      if (!prev) return p.minutes;
      const kp = prev.kid.kid_learned ?? prev.kid.kid_randconv!;
      return prev.minutes + ((kp - target) / (kp - k)) * (p.minutes - prev.minutes);
    }
    prev = p;
  }
  return null;
}

async function main(): Promise<void> {
  fs.mkdirSync(out, { recursive: true });
  // One wasm thread per worker for every count, so the counts differ only in their workers.
  const report = await initBackend('wasm', { threads: wasmThreadsPerWorker(2) });
  const data = await load(dataDir!);
  const real = path.join(out, 'real');
  const per = 32 * 32 * 3;
  await writePngs(Array.from({ length: data.count }, (_, i) => ({ pixels: data.pixels.subarray(i * per, (i + 1) * per), width: 32, height: 32, channels: 3 })), real);
  const curves = new Map<number, Point[]>();
  for (const n of counts) curves.set(n, await curve(data, real, n, report));
  const first = curves.get(counts[0]!)!;
  const last = first[first.length - 1]!;
  const target = Number(flag('target', String(last.kid.kid_learned ?? last.kid.kid_randconv)));
  console.log(`\ntarget: KID×10³ (learned) ≤ ${target}`);
  for (const [n, points] of curves) {
    const m = minutesTo(points, target);
    console.log(`${n} worker(s): ${m === null ? `not reached in ${minutes} min` : `${m.toFixed(2)} training minutes`} (${points[points.length - 1]!.step} steps in ${minutes} min)`);
  }
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ data: dataDir, minutes, evalMinutes, seed, batch, target, curves: Object.fromEntries(curves) }, null, 2));
  console.log(`results: ${path.join(out, 'results.json')}`);
}

await main();
