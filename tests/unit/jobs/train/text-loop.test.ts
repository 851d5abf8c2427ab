/** runTextTraining end to end with a stand-in job channel: messages, files, resume. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobChannel } from '../../../../src/main/jobs/worker-side';
import type { TrainWorkerData } from '../../../../src/main/jobs/train/messages';
import { runTextTraining } from '../../../../src/main/jobs/train/text-loop';
import { NO_AUGMENT } from '../../../../src/main/ml/data';

const dataDir = mkdtempSync(path.join(tmpdir(), 'atelier-text-loop-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function fakeChannel(data: TrainWorkerData) {
  const messages: Array<{ type: string } & Record<string, unknown>> = [];
  const channel = {
    data,
    post: (m: { type: string } & Record<string, unknown>) => messages.push(m),
    progress: () => {},
    checkpoint: async () => null,
  } as unknown as JobChannel<TrainWorkerData>;
  return { channel, messages };
}

describe('runTextTraining', () => {
  const names = ['red apple', 'green apple', 'cat face', 'dog face', 'grinning face', 'smiling cat', 'sun with face', 'full moon face'];
  mkdirSync(path.join(dataDir, 'items'), { recursive: true });
  writeFileSync(path.join(dataDir, 'items/a.txt'), names.slice(0, 4).join('\n') + '\n');
  writeFileSync(path.join(dataDir, 'items/b.txt'), names.slice(4).join('\r\n'));
  const item = (file: string, id: number) => ({ id, file, mime: 'text/plain', hasAlpha: false, label: null, tags: [], caption: null });
  const base: TrainWorkerData = {
    dataDir,
    projectId: 1,
    runId: 2,
    family: 'chartransformer',
    size: 0,
    prepare: {} as TrainWorkerData['prepare'],
    augment: NO_AUGMENT,
    items: [item('items/a.txt', 1), item('items/b.txt', 2)],
    datasetKind: 'text',
    seed: 5,
    config: { nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 8, batchSize: 4, heldOutFraction: 0.25 },
    backend: 'wasm',
    length: { steps: 2 },
    sampleEvery: 2,
    checkpointEvery: 2,
    cacheDir: path.join(dataDir, 'cache'),
  };

  it('posts steps with validation loss, text samples and checkpoints with the validation loss as metric', async () => {
    const { channel, messages } = fakeChannel(base);
    const result = await runTextTraining(channel);
    expect(result).toEqual({ step: 2, reason: 'length' });
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('backend');
    expect(messages.find((m) => m.type === 'setup')).toMatchObject({ count: 8, startStep: 0 });
    const steps = messages.filter((m) => m.type === 'step') as unknown as Array<{ step: number; losses: Record<string, number> }>;
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    expect(Object.keys(steps[0]!.losses)).toEqual(['loss']);
    expect(Object.keys(steps[1]!.losses).sort()).toEqual(['loss', 'perplexity', 'valLoss']);
    const samples = messages.filter((m) => m.type === 'text-samples') as unknown as Array<{ step: number; samples: string[]; distinct2: number }>;
    expect(samples.map((s) => s.step)).toEqual([0, 2]);
    expect(samples[0]!.samples.length).toBeGreaterThan(0);
    expect(samples[0]!.distinct2).toBeGreaterThanOrEqual(0);
    const ckpt = messages.find((m) => m.type === 'checkpoint') as unknown as { step: number; file: string; sha256: string };
    expect(ckpt.step).toBe(2);
    expect(existsSync(path.join(dataDir, ckpt.file))).toBe(true);
    const metric = messages.find((m) => m.type === 'metric') as unknown as { metric: number; metrics: Record<string, number>; sha256: string };
    expect(metric.sha256).toBe(ckpt.sha256);
    expect(metric.metric).toBe(metric.metrics.valLoss);
    expect(metric.metrics.perplexity).toBeCloseTo(Math.exp(metric.metric), 6);
    expect(types).not.toContain('grid');

    // Resume continues from the checkpoint's step.
    const again = fakeChannel({ ...base, resumeFrom: path.join(dataDir, ckpt.file), length: { steps: 1 } });
    expect(await runTextTraining(again.channel)).toEqual({ step: 3, reason: 'length' });
    expect(again.messages.find((m) => m.type === 'setup')).toMatchObject({ startStep: 2 });
    // The run's last step gets samples and a checkpoint even off the cadence.
    expect(again.messages.filter((m) => m.type === 'text-samples').map((m) => m.step)).toEqual([3]);
    expect(again.messages.filter((m) => m.type === 'checkpoint').map((m) => m.step)).toEqual([3]);
  });
});
