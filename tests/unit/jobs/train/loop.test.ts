/**
 * runTraining (image runs) with a stand-in job channel: what the run card is told before the first step,
 * and the quality probe kept off that path (fitted and run after the first steps, every checkpoint still
 * measured by the end).
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobChannel } from '../../../../src/main/jobs/worker-side';
import type { TrainWorkerData } from '../../../../src/main/jobs/train/messages';
import { runTraining } from '../../../../src/main/jobs/train/loop';
import { DEFAULT_PREPARE } from '../../../../src/shared/contract';
import { NO_AUGMENT } from '../../../../src/main/ml/data';
import { ROOT } from '../../support/sample-dataset';

const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'atelier-loop-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

type Msg = { type: string } & Record<string, unknown>;

function fakeChannel(data: TrainWorkerData) {
  const messages: Msg[] = [];
  const channel = {
    data,
    post: (m: Msg) => messages.push(m),
    progress: () => {},
    checkpoint: async () => null,
  } as unknown as JobChannel<TrainWorkerData>;
  return { channel, messages };
}

describe('runTraining', () => {
  it('says what it is doing before the first step, and measures quality only after it', async () => {
    const sample = path.join(ROOT, 'resources/samples/twemoji-faces-animals-food');
    const manifest = JSON.parse(fs.readFileSync(path.join(sample, 'manifest.json'), 'utf8')) as { items: Array<{ file: string; label: string }> };
    const items = manifest.items.filter((_, i) => i % 20 === 0).map((it, i) => {
      const file = `items/${i}.png`;
      fs.mkdirSync(path.join(dataDir, 'items'), { recursive: true });
      fs.copyFileSync(path.join(sample, it.file), path.join(dataDir, file));
      return { id: i + 1, file, mime: 'image/png', hasAlpha: true, label: it.label, tags: [], caption: null };
    });
    const { channel, messages } = fakeChannel({
      dataDir,
      projectId: 1,
      runId: 1,
      family: 'default',
      size: 32,
      prepare: DEFAULT_PREPARE,
      augment: NO_AUGMENT,
      items,
      datasetKind: 'image',
      seed: 3,
      batchSize: 4,
      config: { width: 8, maxWidth: 32 },
      backend: 'wasm',
      length: { steps: 3 },
      cacheDir: path.join(dataDir, 'cache'),
    });
    const result = await runTraining(channel);
    expect(result).toEqual({ step: 3, reason: 'length' });

    const firstStep = messages.findIndex((m) => m.type === 'step');
    const phases = messages.map((m, i) => ({ i, phase: m.type === 'phase' ? (m.phase as { code: string } | null)?.code : undefined })).filter((p) => p.phase);
    const before = phases.filter((p) => p.i < firstStep).map((p) => p.phase);
    expect(before).toEqual(['starting', 'loading', 'building', 'sampling']);
    // The probe is neither fitted nor run before the first step…
    expect(messages.slice(0, firstStep).some((m) => m.type === 'metric')).toBe(false);
    // …and by the end every checkpoint (step 0 included) has its measure, after the final save was said.
    const checkpoints = messages.filter((m) => m.type === 'checkpoint').map((m) => m.step);
    expect(checkpoints).toEqual([0, 3]);
    expect(messages.filter((m) => m.type === 'metric').map((m) => m.step)).toEqual([0, 3]);
    expect(phases.filter((p) => p.i > firstStep).map((p) => p.phase)).toEqual(expect.arrayContaining(['finishing', 'probe', 'measuring']));
  }, 180_000);
});
