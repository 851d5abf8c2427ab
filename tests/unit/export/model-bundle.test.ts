import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { listFiles } from './fixtures';
import { initBackend } from '../../../src/main/ml/backend';
import { TrainingSession } from '../../../src/main/ml/train/session';
import { loadSampler } from '../../../src/main/ml/sample/sampler';
import { readCheckpoint } from '../../../src/main/ml/checkpoint';
import { Rng } from '../../../src/main/ml/rng';
import { createService } from '../../../src/main/service';
import { unzipEntries } from '../../../src/main/export/pack';
import { AtelierError } from '../../../src/shared/errors';

/**
 * A model trained in one install, exported, and imported into a fresh data folder generates the same
 * pixels for the same seed. The checkpoint comes from a real (tiny) TrainingSession.
 */
beforeAll(async () => {
  await initBackend('cpu');
});

async function trainedInstall() {
  const dataDir = tempDir();
  const service = createService({ dataDir, door: 'direct' });
  const db = service.ctx.db;
  const now = Date.now();
  const projectId = Number(db.prepare("INSERT INTO project (name, created_at, updated_at) VALUES ('Origin', ?, ?)").run(now, now).lastInsertRowid);
  const datasetId = Number(
    db.prepare("INSERT INTO dataset (project_id, name, kind, attribution, created_at, updated_at) VALUES (?, 'Dots', 'image', 'Dots by the test suite, CC0', ?, ?)").run(projectId, now, now)
      .lastInsertRowid,
  );
  // Tiny data: 8 grey 32×32 images of a dot at different places.
  const size = 32;
  const count = 8;
  const pixels = new Uint8Array(count * size * size);
  const rng = new Rng(3);
  for (let i = 0; i < count; i++) {
    const cx = 8 + Math.floor(rng.next() * 16);
    const cy = 8 + Math.floor(rng.next() * 16);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[i * size * size + y * size + x] = (x - cx) ** 2 + (y - cy) ** 2 < 25 ? 255 : 0;
  }
  const session = await TrainingSession.create({
    family: 'mlpgan',
    data: { kind: 'image', size, channels: 1, count, pixels },
    seed: 11,
    config: { size: 16, latentDim: 8, gHidden: [16], dHidden: [16], batchSize: 4 },
  });
  for (let i = 0; i < 3; i++) session.trainStep();
  const config = { size: 16, latentDim: 8, gHidden: [16], dHidden: [16], batchSize: 4 };
  const modelId = Number(
    db.prepare("INSERT INTO model (project_id, name, family, config_json, source, meta_json, created_at) VALUES (?, 'Dots v1', 'mlpgan', ?, 'trained', '{}', ?)").run(projectId, JSON.stringify(config), now)
      .lastInsertRowid,
  );
  const runId = Number(
    db.prepare("INSERT INTO run (project_id, model_id, dataset_id, name, status, params_json, step, created_at, updated_at) VALUES (?, ?, ?, 'dots', 'done', '{}', 3, ?, ?)").run(projectId, modelId, datasetId, now, now)
      .lastInsertRowid,
  );
  const media = `projects/${projectId}/runs/${runId}/checkpoints/step-00000003.ckpt`;
  fs.mkdirSync(path.dirname(path.join(dataDir, media)), { recursive: true });
  const saved = await session.saveCheckpoint(path.join(dataDir, media));
  session.dispose();
  db.prepare('INSERT INTO checkpoint (model_id, run_id, step, file, sha256, bytes, created_at) VALUES (?, ?, 3, ?, ?, ?, ?)').run(modelId, runId, media, saved.sha256, saved.bytes, now);
  return { service, dataDir, modelId, ckptPath: path.join(dataDir, media), sha256: saved.sha256 };
}

describe('model export and import', () => {
  it('an imported model generates the same pixels for the same seed; re-import is a no-op', async () => {
    const origin = await trainedInstall();
    const bundle = path.join(tempDir(), 'dots.atelier-model');
    const exported = await origin.service.call('models.export', { modelId: origin.modelId, outFile: bundle });
    expect(exported).toMatchObject({ file: bundle, sha256: origin.sha256, modelId: origin.modelId, name: 'Dots v1' });

    // The bundle: metadata, the checkpoint byte for byte, and tfjs weights that decode to the same tensors.
    const entries = await unzipEntries(fs.readFileSync(bundle), { maxEntries: 10, maxEntryBytes: 1e9, maxTotalBytes: 2e9 });
    expect([...entries.keys()].sort()).toEqual(['atelier-model.json', 'checkpoint.ckpt', 'tfjs/model.json', 'tfjs/weights.bin']);
    const meta = JSON.parse(entries.get('atelier-model.json')!.toString('utf8'));
    expect(meta).toMatchObject({ format: 'atelier-model-bundle', model: { name: 'Dots v1', family: 'mlpgan' }, checkpoint: { sha256: origin.sha256, step: 3 }, dataset: { attribution: 'Dots by the test suite, CC0' } });
    expect(entries.get('checkpoint.ckpt')!.equals(fs.readFileSync(origin.ckptPath))).toBe(true);
    const manifest = JSON.parse(entries.get('tfjs/model.json')!.toString('utf8'));
    const weightsBin = entries.get('tfjs/weights.bin')!;
    const decoded = tf.io.decodeWeights(weightsBin.buffer.slice(weightsBin.byteOffset, weightsBin.byteOffset + weightsBin.byteLength) as ArrayBuffer, manifest.weightsManifest[0].weights);
    const ckpt = await readCheckpoint(origin.ckptPath);
    const someName = manifest.weightsManifest[0].weights[0].name as string;
    expect(Array.from(decoded[someName]!.dataSync())).toEqual(Array.from(ckpt.tensors.get(someName)!.data));
    expect(Object.keys(decoded).some((n) => ckpt.tensors.get(n)?.role === 'opt')).toBe(false);

    // A fresh install imports it.
    const freshDir = tempDir();
    const fresh = createService({ dataDir: freshDir, door: 'direct' });
    const imported = await fresh.call('models.import', { file: bundle });
    expect(imported).toMatchObject({ name: 'Dots v1', family: 'mlpgan', sha256: origin.sha256, step: 3, alreadyPresent: false });
    const row = fresh.ctx.db.prepare('SELECT m.source, m.project_id, m.meta_json, c.file, c.sha256 FROM model m JOIN checkpoint c ON c.model_id = m.id WHERE m.id = ?').get(imported.modelId) as {
      source: string;
      project_id: number | null;
      meta_json: string;
      file: string;
      sha256: string;
    };
    expect(row).toMatchObject({ source: 'imported', project_id: null, sha256: origin.sha256 });
    expect(JSON.parse(row.meta_json)).toMatchObject({ attribution: 'Dots by the test suite, CC0', size: 16, channels: 1, labels: [], tags: [] });

    const a = await loadSampler(origin.ckptPath);
    const b = await loadSampler(path.join(freshDir, row.file));
    const sa = a.sample({ seed: 42, count: 3 });
    const sb = b.sample({ seed: 42, count: 3 });
    expect(sb.images.length).toBe(3);
    for (let i = 0; i < 3; i++) expect(Buffer.from(sb.images[i]!.pixels).equals(Buffer.from(sa.images[i]!.pixels))).toBe(true);
    a.dispose();
    b.dispose();

    expect(await fresh.call('models.import', { file: bundle })).toMatchObject({ modelId: imported.modelId, alreadyPresent: true });
    await fresh.close();
    await origin.service.close();
  });

  it('a damaged bundle is refused and leaves nothing in the data folder', async () => {
    const origin = await trainedInstall();
    const bundle = path.join(tempDir(), 'dots.atelier-model');
    await origin.service.call('models.export', { modelId: origin.modelId, outFile: bundle });
    await origin.service.close();
    const bytes = fs.readFileSync(bundle);
    // Flip a byte inside the stored (uncompressed) checkpoint.
    const at = bytes.indexOf(Buffer.from('ATLRCKPT')) + 200;
    bytes[at] = bytes[at]! ^ 0xff;
    const broken = path.join(tempDir(), 'broken.atelier-model');
    fs.writeFileSync(broken, bytes);
    const freshDir = tempDir();
    const fresh = createService({ dataDir: freshDir, door: 'direct' });
    const before = listFiles(freshDir);
    const err = await fresh.call('models.import', { file: broken }).catch((e) => e);
    expect(err).toBeInstanceOf(AtelierError);
    expect(err.code).toBe('invalid_input');
    expect(listFiles(freshDir)).toEqual(before);
    expect(fresh.ctx.db.prepare('SELECT count(*) AS n FROM model').get()).toEqual({ n: 0 });
    const notZip = path.join(tempDir(), 'x.atelier-model');
    fs.writeFileSync(notZip, 'hello');
    expect((await fresh.call('models.import', { file: notZip }).catch((e) => e)).code).toBe('invalid_input');
    await fresh.close();
  });
});

describe('atelier models export / import (CLI)', () => {
  const built = path.resolve('out/main/cli.js');
  it.skipIf(!fs.existsSync(built))('moves a model between two data folders', async () => {
    const origin = await trainedInstall();
    await origin.service.close();
    const file = path.join(tempDir(), 'dots.atelier-model');
    const cli = (args: string[]) => spawnSync(process.execPath, ['bin/atelier.js', ...args, '--json'], { encoding: 'utf8' });
    const exp = cli(['models', 'export', String(origin.modelId), '--out', file, '--data-dir', origin.dataDir]);
    expect(exp.status, exp.stderr).toBe(0);
    expect(JSON.parse(exp.stdout.trim().split('\n').pop()!)).toMatchObject({ file, sha256: origin.sha256, modelId: origin.modelId });
    const freshDir = tempDir();
    const imp = cli(['models', 'import', file, '--data-dir', freshDir]);
    expect(imp.status, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout.trim().split('\n').pop()!)).toMatchObject({ name: 'Dots v1', family: 'mlpgan', sha256: origin.sha256, alreadyPresent: false });
    const list = cli(['models', 'list', '--data-dir', freshDir]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain('Dots v1');
  });
});
