/**
 * The training benchmark behind `atelier bench` / `npm run bench`: the classic DCGAN (the same network
 * as the PyTorch peer) at batch 64 on random data, timed after warm-up; the time to sample 64 images at
 * 64×64 from the default model; and, in the same run, the PyTorch peer when Debian's python3-torch is
 * installed. Figures only — benchmarks are not tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend, type BackendName, type BackendReport } from '../ml/backend';
import { TrainingSession } from '../ml/train/session';
import { loadSampler } from '../ml/sample/sampler';
import type { ImageTensorData } from '../ml/data';
import { Rng } from '../ml/rng';
import { appRoot, resourcesDir } from '../files/app-root';
import { chooseWorkers, startDataParallel } from './train/parallel';
import { encodePng } from '../files/png';
import { Worker } from 'node:worker_threads';
import { WarmSampler } from './generate/warm';
import { workerEntry } from '../engine/worker-entry';
import type { JobPort } from '../engine/runner';
import type { GenerateMessage, GenerateWorkerData } from './generate/messages';

export interface BenchOptions {
  backend?: BackendName;
  steps?: number;
  warmup?: number;
  batch?: number;
  /** Skip the PyTorch peer (e.g. when timing only ourselves). */
  noPeer?: boolean;
  /** Data-parallel workers to time next to one (default: one per core, as training chooses; 1 = skip). */
  workers?: number;
  log?: (line: string) => void;
}

export interface BenchResult {
  backend: string;
  trainImgPerSec: number;
  peerImgPerSec: number | null;
  ratio: number | null;
  sample64Ms: number;
  /** Create: first image and 16 images, cold and warm (runSampleLatencyBench). */
  create: SampleLatency;
  /** The same training with data-parallel workers (null with one worker). */
  parallel: ParallelBench | null;
  details: {
    backendReport: BackendReport;
    steps: number;
    batch: number;
    msPerStep: number[];
    peer: string | null;
    peerNote: string | null;
    cpu: string;
    cores: number;
  };
}

function randomImages(count: number, size: number, channels: 1 | 3 | 4, seed: number): ImageTensorData {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  return { kind: 'image', size, channels, count, pixels };
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const log = opts.log ?? (() => {});
  const batch = opts.batch ?? 64;
  const steps = opts.steps ?? 10;
  const warmup = opts.warmup ?? 2;
  const report = await initBackend(opts.backend);
  log(`backend: ${report.name} (${report.reason}; ${report.threads ?? '?'} thread${report.threads === 1 ? '' : 's'})`);

  // Training: classic DCGAN, 32×32 RGB, batch 64, one D and one G update per step — the peer's work.
  const data = randomImages(batch * 4, 32, 3, 1);
  const session = await TrainingSession.create({ family: 'dcgan', data, seed: 1, batchSize: batch });
  for (let i = 0; i < warmup; i++) session.trainStep();
  const msPerStep: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    session.trainStep();
    msPerStep.push(performance.now() - t0);
  }
  session.dispose();
  const meanMs = mean(msPerStep);
  const trainImgPerSec = (batch * 1000) / meanMs;
  log(`atelier DCGAN 32x32 batch ${batch}: ${meanMs.toFixed(0)} ms/step, ${trainImgPerSec.toFixed(1)} img/s`);

  // Sampling: 64 images at 64×64 from the default model (EMA generator), through a real checkpoint.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-'));
  let sample64Ms: number;
  try {
    const s = await TrainingSession.create({ family: 'default', data: randomImages(64, 64, 4, 2), seed: 2 });
    const file = path.join(tmp, 'default64.ckpt');
    await s.saveCheckpoint(file);
    s.dispose();
    const gen = await loadSampler(file);
    gen.sample({ seed: 1, count: 8 }); // warm-up: operators and buffers
    const t0 = performance.now();
    gen.sample({ seed: 7, count: 64 });
    sample64Ms = performance.now() - t0;
    gen.dispose();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`sample 64 images at 64x64: ${sample64Ms.toFixed(0)} ms`);

  const create = await runSampleLatencyBench({ backend: opts.backend, log });

  const workers = opts.workers ?? chooseWorkers({ busyCores: 0, text: false }).count;
  const parallel = workers > 1 ? await runParallelBench({ workers, report, batch, steps, warmup, dcgan1: trainImgPerSec, log }) : null;

  const peer = opts.noPeer ? { line: null, imgPerSec: null, note: 'skipped (--no-peer)' } : runPeer(batch, log);
  return {
    backend: report.name,
    trainImgPerSec: round(trainImgPerSec),
    peerImgPerSec: peer.imgPerSec === null ? null : round(peer.imgPerSec),
    ratio: peer.imgPerSec === null ? null : round(trainImgPerSec / peer.imgPerSec, 3),
    sample64Ms: Math.round(sample64Ms),
    create,
    parallel: parallel && { ...parallel, ratio: peer.imgPerSec === null ? null : round(parallel.dcganImgPerSec / peer.imgPerSec, 3) },
    details: { backendReport: report, steps, batch, msPerStep: msPerStep.map((m) => Math.round(m)), peer: peer.line, peerNote: peer.note, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length },
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export interface ParallelBench {
  workers: number;
  /** Classic DCGAN at the run's batch (64): img/s on `workers` workers (one worker: trainImgPerSec). */
  dcganImgPerSec: number;
  /** dcganImgPerSec / the peer's img/s (filled in by runBench once the peer has run). */
  ratio: number | null;
  /** The default model (64 px RGB, its default batch of 16): img/s on one worker and on `workers`. */
  default1ImgPerSec: number;
  defaultImgPerSec: number;
}

/**
 * Data-parallel training next to one worker, in the same run: the classic DCGAN (the peer's work) and
 * the default model. The replicas are the same threads a training job starts (jobs/train/parallel.ts).
 */
async function runParallelBench(o: { workers: number; report: BackendReport; batch: number; steps: number; warmup: number; dcgan1: number; log: (line: string) => void }): Promise<Omit<ParallelBench, 'ratio'>> {
  const time = async (family: 'dcgan' | 'default', data: ImageTensorData, batchSize: number, workers: number): Promise<number> => {
    const session = await TrainingSession.create({ family, data, seed: 1, batchSize });
    const group = workers > 1 ? await startDataParallel(session, { workers, backend: o.report.name, threads: o.report.threads ?? 1 }) : null;
    try {
      for (let i = 0; i < o.warmup; i++) session.trainStep();
      const ms: number[] = [];
      for (let i = 0; i < o.steps; i++) {
        const t0 = performance.now();
        session.trainStep();
        ms.push(performance.now() - t0);
      }
      return (batchSize * 1000) / mean(ms);
    } finally {
      await group?.close();
      session.dispose();
    }
  };
  const dcgan = await time('dcgan', randomImages(o.batch * 4, 32, 3, 1), o.batch, o.workers);
  o.log(`atelier DCGAN 32x32 batch ${o.batch}, ${o.workers} workers: ${dcgan.toFixed(1)} img/s (1 worker: ${o.dcgan1.toFixed(1)}, ×${(dcgan / o.dcgan1).toFixed(2)})`);
  const data = randomImages(64, 64, 3, 4);
  const one = await time('default', data, 16, 1);
  const many = await time('default', data, 16, o.workers);
  o.log(`atelier default 64x64 batch 16: 1 worker ${one.toFixed(1)} img/s, ${o.workers} workers ${many.toFixed(1)} img/s (×${(many / one).toFixed(2)})`);
  return { workers: o.workers, dcganImgPerSec: round(dcgan), default1ImgPerSec: round(one), defaultImgPerSec: round(many) };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The PyTorch reference, same machine, same run. Debian's python3-torch is looked for at /usr/bin/python3. */
function runPeer(batch: number, log: (l: string) => void): { line: string | null; imgPerSec: number | null; note: string | null } {
  // The brief's copy next to the checkout wins; a fresh clone falls back to the vendored, identical copy.
  const shared = path.resolve(appRoot(), '..', 'shared', 'bench', 'torch_dcgan_peer.py');
  const script = fs.existsSync(shared) ? shared : path.join(appRoot(), 'bench', 'torch_dcgan_peer.py');
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (!fs.existsSync(script)) return { line: null, imgPerSec: null, note: `peer script missing (${script})` };
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { line: null, imgPerSec: null, note: 'python3-torch is not installed (apt-get install -y python3-torch)' };
  const threads = String(Math.min(2, os.cpus().length));
  log(`running the PyTorch peer (${threads} threads)…`);
  const out = execFileSync(python, [script, '10', String(batch), threads], { encoding: 'utf8', timeout: 600_000 });
  const line = out.trim().split('\n').pop() ?? '';
  const m = /([\d.]+) img\/s/.exec(line);
  log(`${line} (${script})`);
  return { line, imgPerSec: m ? Number(m[1]) : null, note: m ? null : 'could not read the peer output' };
}

// ---------------------------------------------------------------------------------------------
// Create's latency: what a person waits for after pressing Generate.

export interface SampleLatency {
  /** The checkpoint sampled (the shipped base when present). */
  model: string;
  /** A fresh warm sampler (thread, backend, checkpoint): first image, all 16 (PNG encoded). */
  coldFirstMs: number;
  cold16Ms: number;
  /** The next request to the same model. */
  warmFirstMs: number;
  warm16Ms: number;
  /** For comparison, a worker started for the request alone (how every request ran before). */
  oneOffFirstMs: number;
  oneOff16Ms: number;
}

/**
 * Time to the first and to the 16th image of a 16-image request at 32 px, as Create runs it (worker
 * messages, each image encoded to PNG as the engine does before it shows it): cold, warm, and through
 * a one-off worker. The catalog writes are left out (a row per image, well under a millisecond).
 */
export async function runSampleLatencyBench(opts: { backend?: BackendName; log?: (line: string) => void } = {}): Promise<SampleLatency> {
  const log = opts.log ?? (() => {});
  const base = path.join(resourcesDir(), 'models', 'emoji-base-32.ckpt');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-create-'));
  try {
    let file = base;
    if (!fs.existsSync(base)) {
      // No shipped base here: a default 32 px RGBA model from random data samples just as fast.
      file = path.join(tmp, 'default32.ckpt');
      const s = await TrainingSession.create({ family: 'default', data: randomImages(16, 32, 4, 3), seed: 3 });
      await s.saveCheckpoint(file);
      s.dispose();
    }
    const data = (seed: number): GenerateWorkerData => ({
      checkpointPath: file,
      backend: opts.backend,
      truncation: 1,
      directions: [],
      batch: 8,
      images: Array.from({ length: 16 }, (_, i) => ({ index: i, seed: seed + i, latent: { mode: 'sample' as const, seed: seed + i }, condition: {} })),
    });
    const warm = new WarmSampler(opts.backend ?? 'auto');
    let t0 = performance.now();
    const cold = await timeImages(warm.port(data(1)), t0);
    log(`create, cold (new warm sampler): first image ${cold.first.toFixed(0)} ms, 16 images ${cold.all.toFixed(0)} ms`);
    t0 = performance.now();
    const hot = await timeImages(warm.port(data(101)), t0);
    log(`create, warm (same model again): first image ${hot.first.toFixed(0)} ms, 16 images ${hot.all.toFixed(0)} ms`);
    await warm.kill();
    const entry = workerEntry('generate');
    t0 = performance.now();
    const one = await timeImages(new Worker(entry.file, { workerData: data(201), argv: entry.argv }), t0);
    log(`create, one-off worker (before): first image ${one.first.toFixed(0)} ms, 16 images ${one.all.toFixed(0)} ms`);
    return {
      model: path.basename(file),
      coldFirstMs: Math.round(cold.first),
      cold16Ms: Math.round(cold.all),
      warmFirstMs: Math.round(hot.first),
      warm16Ms: Math.round(hot.all),
      oneOffFirstMs: Math.round(one.first),
      oneOff16Ms: Math.round(one.all),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Milliseconds from t0 to the first and to the last image (each PNG-encoded as it arrives) of one job. */
function timeImages(port: JobPort | Worker, t0: number): Promise<{ first: number; all: number }> {
  return new Promise((resolve, reject) => {
    let first = -1;
    let chain = Promise.resolve();
    (port as JobPort).on('message', (m) => {
      const msg = m as GenerateMessage | { type: 'result' } | { type: 'error'; message: string };
      if (msg.type === 'images') {
        chain = chain.then(async () => {
          for (const im of msg.images) {
            await encodePng(im);
            if (first < 0) first = performance.now() - t0;
          }
        });
      } else if (msg.type === 'result') {
        void chain.then(() => resolve({ first, all: performance.now() - t0 }));
      } else if (msg.type === 'error') {
        reject(new Error(msg.message));
      }
    });
  });
}
