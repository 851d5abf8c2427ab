import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { createProject } from '../../../src/main/catalog/projects';
import { insertModel } from '../../../src/main/catalog/models';
import { insertRun, recordStep, setRunBackend } from '../../../src/main/catalog/runs';
import { tempDir } from '../support/tmp';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** A past run as the catalog records it: params, backend and the loop's own counters. */
function pastRun(s: Service, p: { family: string; size: number; backend: string; imagesSeen: number; trainMs: number }): void {
  const db = s.ctx.db;
  const project = createProject(db, `P${Math.random()}`);
  const modelId = insertModel(db, { projectId: project.id, name: 'm', family: p.family, config: {}, source: 'trained', meta: {} });
  const runId = insertRun(db, { projectId: project.id, modelId, datasetId: null, name: 'r', params: { family: p.family, size: p.size, length: { steps: 10 }, seed: 1 }, parentCheckpointId: null });
  setRunBackend(db, runId, p.backend, { name: p.backend, reason: 'test', threads: 2, skipped: [] });
  recordStep(db, runId, 10, {}, { imagesSeen: p.imagesSeen, trainMs: p.trainMs });
}

describe('runs.estimate', () => {
  it('says so when nothing has been measured on this machine', async () => {
    service = createService({ dataDir: tempDir(), door: 'direct' });
    const e = await service.call('runs.estimate', { family: 'vae', size: 64, batchSize: 8 });
    expect(e).toMatchObject({ secondsPerStep: null, basis: 'none' });
  });

  it('uses past runs of the same family and size on the same backend', async () => {
    service = createService({ dataDir: tempDir(), door: 'direct' });
    pastRun(service, { family: 'default', size: 32, backend: 'wasm', imagesSeen: 800, trainMs: 20_000 }); // 40 img/s
    const e = await service.call('runs.estimate', { family: 'default', size: 32, batchSize: 8 });
    expect(e.basis).toBe('history');
    expect(e.backend).toBe('wasm');
    expect(e.imgPerSec).toBeCloseTo(40);
    expect(e.secondsPerStep).toBeCloseTo(0.2);
  });

  it('scales from another size: four times the pixels, about four times the time', async () => {
    service = createService({ dataDir: tempDir(), door: 'direct' });
    pastRun(service, { family: 'default', size: 32, backend: 'wasm', imagesSeen: 800, trainMs: 20_000 });
    const e = await service.call('runs.estimate', { family: 'default', size: 64, batchSize: 8 });
    expect(e.basis).toBe('scaled');
    expect(e.imgPerSec).toBeCloseTo(10);
  });
});
