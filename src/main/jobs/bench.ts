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
import { loadGenerator } from '../ml/sample/sampler';
import type { ImageTensorData } from '../ml/data';
import { Rng } from '../ml/rng';
import { appRoot } from '../files/app-root';

export interface BenchOptions {
  backend?: BackendName;
  steps?: number;
  warmup?: number;
  batch?: number;
  /** Skip the PyTorch peer (e.g. when timing only ourselves). */
  noPeer?: boolean;
  log?: (line: string) => void;
}

export interface BenchResult {
  backend: string;
  trainImgPerSec: number;
  peerImgPerSec: number | null;
  ratio: number | null;
  sample64Ms: number;
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
  const meanMs = msPerStep.reduce((a, b) => a + b, 0) / msPerStep.length;
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
    const gen = await loadGenerator(file);
    gen.sample({ seed: 1, count: 8 }); // warm-up: operators and buffers
    const t0 = performance.now();
    gen.sample({ seed: 7, count: 64 });
    sample64Ms = performance.now() - t0;
    gen.dispose();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`sample 64 images at 64x64: ${sample64Ms.toFixed(0)} ms`);

  const peer = opts.noPeer ? { line: null, imgPerSec: null, note: 'skipped (--no-peer)' } : runPeer(batch, log);
  return {
    backend: report.name,
    trainImgPerSec: round(trainImgPerSec),
    peerImgPerSec: peer.imgPerSec === null ? null : round(peer.imgPerSec),
    ratio: peer.imgPerSec === null ? null : round(trainImgPerSec / peer.imgPerSec, 3),
    sample64Ms: Math.round(sample64Ms),
    details: { backendReport: report, steps, batch, msPerStep: msPerStep.map((m) => Math.round(m)), peer: peer.line, peerNote: peer.note, cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length },
  };
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
