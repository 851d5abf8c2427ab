/**
 * The Datasets augmentation preview: one prepared image (size×size×channels bytes) augmented by the
 * training augmentation itself (ml/train/augment.ts, on a batch of one), so the preview shows what
 * training will do: the same jitter ranges, mirrored edges, transparent corners for RGBA. Seeded: the
 * same draws give the same image.
 */
import * as tf from '@tensorflow/tfjs-core';
// The preview runs on the main thread, which has no training backend: tfjs' plain-JS one is enough here.
import '@tensorflow/tfjs-backend-cpu';
import type { AugmentSettings } from '../../shared/contract/datasets';
import { fromBytes } from '../ml/image';
import { augmentBatch } from '../ml/train/augment';

export function augmentImage(src: Uint8Array, size: number, channels: number, s: AugmentSettings, rand: () => number): Uint8Array {
  // cpu needs no async start, so it is active as soon as setBackend returns.
  if (!tf.engine().backendName) {
    void tf.setBackend('cpu');
    // The cpu backend's first write prints "install tfjs-node to speed things up" in Node: here it is
    // a one-image preview, not training (which runs on its own backend in worker threads), so the
    // advice would only mislead whoever reads the log.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  const y = tf.tidy(() => augmentBatch(fromBytes(src, [1, size, size, channels]), s, { next: rand }));
  const values = y.dataSync();
  y.dispose();
  return Uint8Array.from(values, (v) => Math.min(255, Math.max(0, Math.round(v * 255))));
}
