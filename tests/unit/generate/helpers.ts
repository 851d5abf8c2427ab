/**
 * A small conditional model with a real checkpoint, registered in a fresh catalog as a trained model
 * would be (model row with its vocabulary, checkpoint row with its file): enough to sample from without
 * running a training job. The checkpoint is made once per test file and copied into each data folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../../src/main/ml/backend';
import { TrainingSession } from '../../../src/main/ml/train/session';
import { insertModel } from '../../../src/main/catalog/models';
import { insertCheckpoint } from '../../../src/main/catalog/checkpoints';
import { layout } from '../../../src/main/files/data-dir';
import type { Service } from '../../../src/main/service';

export const LABELS = ['cat', 'dog'];
export const TAGS: string[] = [];

let made: Promise<{ file: string; sha256: string; bytes: number }> | null = null;

export function makeCheckpoint(): Promise<{ file: string; sha256: string; bytes: number }> {
  made ??= (async () => {
    await initBackend('wasm');
    const size = 32;
    const channels = 3;
    const count = 8;
    const pixels = new Uint8Array(size * size * channels * count);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
    const s = await TrainingSession.create({
      family: 'cgan',
      data: { kind: 'image', size, channels, count, pixels, labels: Int32Array.from({ length: count }, (_, i) => i % 2), labelNames: LABELS },
      seed: 3,
      batchSize: 4,
    });
    s.trainStep();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-ckpt-')), 'model.ckpt');
    const { sha256, bytes } = await s.saveCheckpoint(file);
    s.dispose();
    return { file, sha256, bytes };
  })();
  return made;
}

/** A project with one registered conditional model; returns ids. */
export async function setupModel(service: Service, name = 'Pets'): Promise<{ projectId: number; modelId: number; checkpointId: number }> {
  const ckpt = await makeCheckpoint();
  const project = await service.call('projects.create', { name });
  const db = service.ctx.db;
  const modelId = insertModel(db, {
    projectId: project.id,
    name: 'Conditional GAN on pets',
    family: 'cgan',
    config: {},
    source: 'trained',
    meta: { labels: LABELS, tags: TAGS, size: 32, channels: 3, lineage: [{ checkpointId: null, sha256: 'base', modelName: 'Base', family: 'cgan', step: 10, source: 'base' }] },
  });
  const rel = layout.checkpointFile(project.id, 999, 1);
  const abs = path.join(service.ctx.dataDir, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.copyFileSync(ckpt.file, abs);
  const checkpointId = insertCheckpoint(db, { modelId, runId: null, step: 1, file: rel, sha256: ckpt.sha256, bytes: ckpt.bytes });
  return { projectId: project.id, modelId, checkpointId };
}
