/**
 * Shared fixtures for the training-library tests: a fast backend, tiny configs per family and small
 * synthetic datasets with structure (so a model has something learnable), all seeded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ImageTensorData } from '../../../../src/main/ml/data';
import type { ImageConfigs, ImageFamily } from '../../../../src/main/ml/models';
import { Rng } from '../../../../src/main/ml/rng';

/**
 * wasm when it initialises (tfjs' cpu backend takes seconds per conv filter gradient), else cpu.
 * ATELIER_TEST_BACKEND=cpu forces the reference backend; any other backend name (webgpu on a GPU
 * machine, tensorflow-gpu) runs the tests there and fails if it cannot start, never falling back.
 */
export async function useTestBackend(): Promise<string> {
  const wanted = process.env.ATELIER_TEST_BACKEND;
  const { initBackend } = await import('../../../../src/main/ml/backend');
  if (wanted && wanted !== 'cpu' && wanted !== 'wasm') return (await initBackend(wanted as Parameters<typeof initBackend>[0], {})).name;
  if (wanted !== 'cpu') {
    try {
      return (await initBackend('wasm', { threads: 2 })).name;
    } catch {
      /* fall through to cpu */
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  return 'cpu';
}

/** Tiny but architecture-complete configs: every layer kind of the family runs, narrow and at 32 px. */
export const TINY: { [F in ImageFamily]: Partial<ImageConfigs[F]> } = {
  mlpgan: { size: 28, channels: 1, latentDim: 8, gHidden: [16], dHidden: [16], batchSize: 4 },
  dcgan: { size: 32, channels: 3, latentDim: 8, ngf: 4, ndf: 4, batchSize: 4 },
  default: { size: 32, channels: 3, latentDim: 8, width: 4, maxWidth: 16, batchSize: 4 },
  cgan: { size: 32, channels: 3, latentDim: 8, width: 4, maxWidth: 16, condDim: 4, condRampSteps: 2, batchSize: 4 },
  vae: { size: 32, channels: 3, latentDim: 8, width: 4, maxWidth: 16, batchSize: 4, heldOutFraction: 0.25 },
};

export const FAMILIES = Object.keys(TINY) as ImageFamily[];

/**
 * `count` images of soft coloured blobs on a gradient (a few numbers per image: learnable), with two
 * labels (every third image unlabelled) and two tags when `labelled`.
 */
export function blobs(opts: { count: number; size?: number; channels?: 1 | 3 | 4; seed?: number; labelled?: boolean }): ImageTensorData {
  const { count, size = 32, channels = 3, seed = 1 } = opts;
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * channels);
  for (let i = 0; i < count; i++) {
    const cx = size * (0.25 + 0.5 * rng.next());
    const cy = size * (0.25 + 0.5 * rng.next());
    const r = size * (0.15 + 0.15 * rng.next());
    const colour = [rng.next(), rng.next(), rng.next(), 1];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = 1 / (1 + Math.exp(((Math.hypot(x - cx, y - cy) - r) / size) * 20));
        for (let c = 0; c < channels; c++) {
          const bg = c === 3 ? 0.5 : (0.2 * y) / size;
          const v = channels === 1 ? inside * 0.8 + (0.2 * y) / size : inside * colour[c]! + (1 - inside) * bg;
          pixels[((i * size + y) * size + x) * channels + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
        }
      }
    }
  }
  const data: ImageTensorData = { kind: 'image', size, channels, count, pixels };
  if (opts.labelled) {
    data.labelNames = ['cat face', 'dog face'];
    data.labels = Int32Array.from({ length: count }, (_, i) => (i % 3 === 2 ? -1 : i % 2));
    data.tagNames = ['smiling', 'round'];
    data.tags = Array.from({ length: count }, (_, i) => (i % 2 ? [0] : [0, 1]));
  }
  return data;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-ml-test-'));
}

export function allFinite(losses: Record<string, number>): boolean {
  return Object.values(losses).every(Number.isFinite);
}
