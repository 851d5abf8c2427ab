import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { createProject } from '../../../src/main/catalog/projects';
import { insertModel } from '../../../src/main/catalog/models';
import { insertRun, setBestMetric } from '../../../src/main/catalog/runs';
import { insertCheckpoint, setCheckpointMetrics } from '../../../src/main/catalog/checkpoints';
import { formatKid } from '../../../src/shared/run-format';
import { tempDir } from '../support/tmp';

/**
 * One quality scale at every door: the probe records plain KID, the run's best and a checkpoint's
 * metric are KID × 10³; runs.list, runs.get's curves and its checkpoints all give KID × 10³ (full
 * precision), so `runs list` and `runs show` print the same number.
 */
let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

describe('quality numbers leave the service on one scale (KID × 10³)', () => {
  it('runs.list, runs.get curves and checkpoint metrics agree', async () => {
    service = createService({ dataDir: tempDir(), door: 'direct' });
    const db = service.ctx.db;
    const project = createProject(db, 'Pets');
    const modelId = insertModel(db, { projectId: project.id, name: 'm', family: 'default', config: {}, source: 'trained', meta: {} });
    const runId = insertRun(db, { projectId: project.id, modelId, datasetId: null, name: 'r', params: { family: 'default', size: 32, length: { steps: 10 }, seed: 1 }, parentCheckpointId: null });
    const checkpointId = insertCheckpoint(db, { modelId, runId, step: 10, file: 'c.ckpt', sha256: 'b'.repeat(64), bytes: 1 });
    // What the training loop records for one checkpoint (quality.ts: metric = kid × 1000).
    const kid = 7.3644808;
    const metrics = { kid, kidStd: 0.05, kidReal: 0.0001, kidNoise: 30.5, precision: 0.25, recall: 0.5 };
    setCheckpointMetrics(db, checkpointId, kid * 1000, metrics);
    const insert = db.prepare('INSERT INTO run_scalar (run_id, name, step, value) VALUES (?, ?, ?, ?)');
    for (const [k, v] of Object.entries(metrics)) insert.run(runId, `metric/${k}`, 10, v);
    insert.run(runId, 'loss/g', 10, 0.75);
    setBestMetric(db, runId, kid * 1000);

    const [listed] = await service.call('runs.list', { projectId: project.id });
    const detail = await service.call('runs.get', { id: runId });
    expect(listed!.bestMetric).toBeCloseTo(7364.4808, 6);
    expect(detail.scalars['metric/kid']![0]![1]).toBeCloseTo(7364.4808, 6);
    expect(detail.scalars['metric/kidNoise']![0]![1]).toBeCloseTo(30_500, 6);
    expect(detail.scalars['metric/kidStd']![0]![1]).toBeCloseTo(50, 6);
    expect(detail.checkpoints[0]!.metric).toBeCloseTo(7364.4808, 6);
    expect(detail.checkpoints[0]!.metrics['kid']).toBeCloseTo(detail.checkpoints[0]!.metric!, 6);
    // What is not a KID keeps its own scale.
    expect(detail.scalars['metric/precision']![0]![1]).toBe(0.25);
    expect(detail.scalars['loss/g']![0]![1]).toBe(0.75);
    expect(detail.checkpoints[0]!.metrics['recall']).toBe(0.5);
  });
});

describe('formatKid: rounding to what KID can tell apart', () => {
  it.each([
    [7364.4808, '7364'],
    [338.12786, '338'],
    [12.345, '12.3'],
    [0.5234, '0.52'],
    [-0.0004, '0'],
    [Number.NaN, '—'],
  ])('%s → %s', (v, text) => expect(formatKid(v)).toBe(text));
});
