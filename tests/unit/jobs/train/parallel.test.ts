import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/ml/backend';
import { chooseWorkers, resolveWorkers, startDataParallel, type ParallelGroup } from '../../../../src/main/jobs/train/parallel';
import { familyModule, type ImageFamily } from '../../../../src/main/ml/models';
import { shareProblem } from '../../../../src/main/ml/parallel/step';
import { Rng } from '../../../../src/main/ml/rng';
import { readCheckpoint, type Checkpoint } from '../../../../src/main/ml/checkpoint';
import { TrainingSession } from '../../../../src/main/ml/train/session';
import { TINY, blobs, tmpDir } from '../../ml/train/helpers';

/**
 * Data-parallel training with real replica threads (workers/train-replica.ts, from sources through
 * tsx): N = 2 computes what N = 1 computes, reproducibly, through checkpoints and resume, without
 * leaking tensors in any worker. Tiny models; behaviour only, never timings.
 */
const dir = tmpDir();
beforeAll(async () => {
  // One wasm thread per worker, as training runs with more than one worker.
  await initBackend('wasm', { threads: 1 });
});
const open: ParallelGroup[] = [];
afterAll(async () => {
  await Promise.all(open.map((g) => g.close()));
});

/** Batch 8: two shares of 4, which keep the default model's minibatch-stddev groups of 4 whole. */
const BATCH = 8;
const labelled = (family: ImageFamily) => family === 'cgan';
const dataFor = (family: ImageFamily) => blobs({ count: 24, size: 32, channels: family === 'mlpgan' ? 1 : 3, labelled: labelled(family) });

async function session(family: ImageFamily, workers: number, config: Record<string, unknown> = {}, seed = 11): Promise<{ s: TrainingSession; group: ParallelGroup | null }> {
  const s = await TrainingSession.create({ family, data: dataFor(family), seed, config: { ...TINY[family], batchSize: BATCH, ...config } as never });
  if (workers === 1) return { s, group: null };
  const group = await startDataParallel(s, { workers, backend: 'wasm', threads: 1 });
  open.push(group);
  return { s, group };
}

async function steps(s: TrainingSession, n: number): Promise<Record<string, number>[]> {
  const out: Record<string, number>[] = [];
  for (let i = 0; i < n; i++) out.push(s.trainStep().losses);
  return out;
}

async function checkpoint(s: TrainingSession, name: string): Promise<Checkpoint> {
  const file = path.join(dir, `${name}.ckpt`);
  await s.saveCheckpoint(file);
  return readCheckpoint(file);
}

/** Largest |a − b| of a tensor relative to its largest |a| (0 for an all-zero tensor that matches). */
function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(a[i]!));
  }
  return m === 0 ? d : d / m;
}

function expectClose(a: Checkpoint, b: Checkpoint, select: (name: string) => boolean, tolerance: number): void {
  let compared = 0;
  for (const [name, t] of a.tensors) {
    if (!select(name)) continue;
    const other = b.tensors.get(name)!;
    expect(relDiff(t.data, other.data), name).toBeLessThan(tolerance);
    compared++;
  }
  expect(compared).toBeGreaterThan(0);
}

function expectIdentical(a: Checkpoint, b: Checkpoint): void {
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
  for (const [name, t] of a.tensors) expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b.tensors.get(name)!.data.buffer, b.tensors.get(name)!.data.byteOffset, b.tensors.get(name)!.data.byteLength)), name).toBe(true);
  expect(a.header.counters).toEqual(b.header.counters);
  expect(a.header.session).toEqual(b.header.session);
}

describe('data-parallel training: the same maths on two workers', () => {
  // Learning rates ~0, so both nets keep their weights through the step and the first Adam moments
  // (m = (1 − β1)·gradient) compare the two gradients themselves: latents, DiffAugment draws, batch-norm
  // statistics, minibatch stddev and the averaged losses all have to be the whole batch's.
  for (const family of ['default', 'cgan', 'dcgan', 'vae', 'mlpgan'] as ImageFamily[]) {
    it(`${family}: one step on 2 workers has the gradients and losses of one step on 1`, async () => {
      const still = { lr: 1e-12 };
      const one = await session(family, 1, still);
      const two = await session(family, 2, still);
      const [l1] = await steps(one.s, 1);
      const [l2] = await steps(two.s, 1);
      for (const k of Object.keys(l1!)) expect(Math.abs(l2![k]! - l1![k]!), k).toBeLessThan(1e-5 * (1 + Math.abs(l1![k]!)));
      const a = await checkpoint(one.s, `${family}-1`);
      const b = await checkpoint(two.s, `${family}-2`);
      expectClose(a, b, (n) => /^opt\/[^/]+\/m\//.test(n), 1e-4);
      one.s.dispose();
      await two.group!.close();
      two.s.dispose();
    });
  }

  it('default: 10 steps on 2 workers stay within float tolerance of 10 steps on 1', async () => {
    const one = await session('default', 1);
    const two = await session('default', 2);
    const a = await steps(one.s, 10);
    const b = await steps(two.s, 10);
    for (let i = 0; i < 10; i++) for (const k of Object.keys(a[i]!)) expect(Math.abs(b[i]![k]! - a[i]![k]!), `step ${i + 1} ${k}`).toBeLessThan(1e-4 * (1 + Math.abs(a[i]![k]!)));
    // Weights, running statistics, spectral-norm vectors, EMA, optimizer moments.
    expectClose(await checkpoint(one.s, 'ten-1'), await checkpoint(two.s, 'ten-2'), () => true, 1e-3);
    one.s.dispose();
    await two.group!.close();
    two.s.dispose();
  });
});

describe('data-parallel training: reproducible, resumable, leak-free', () => {
  it('a fixed worker count is bit-for-bit reproducible, through a checkpoint and a resume, and no worker leaks tensors', async () => {
    // Run A: 2 steps, checkpoint, 2 steps, checkpoint.
    const a = await session('default', 2);
    await steps(a.s, 2);
    const a2 = await checkpoint(a.s, 'a2');
    const countsAt2 = a.group!.leader.tensorCounts;
    const lossesA = await steps(a.s, 2);
    const a4 = await checkpoint(a.s, 'a4');
    const countsAt4 = a.group!.leader.tensorCounts;
    expect(countsAt2).toHaveLength(2);
    expect(countsAt4).toEqual(countsAt2);
    await a.group!.close();
    a.s.dispose();

    // Run B: the same 4 steps without the checkpoint in between.
    const b = await session('default', 2);
    const lossesB = (await steps(b.s, 4)).slice(2);
    expectIdentical(a4, await checkpoint(b.s, 'b4'));
    expect(lossesB).toEqual(lossesA);
    await b.group!.close();
    b.s.dispose();

    // Run C: resumed from A's step-2 checkpoint on 2 workers.
    expect(a2.header.step).toBe(2);
    const c = await TrainingSession.resume(path.join(dir, 'a2.ckpt'), dataFor('default'));
    const group = await startDataParallel(c, { workers: 2, backend: 'wasm', threads: 1 });
    open.push(group);
    const lossesC = await steps(c, 2);
    expect(lossesC).toEqual(lossesA);
    expectIdentical(a4, await checkpoint(c, 'c4'));
    await group.close();
    c.dispose();
  });

  it('verify refuses weights the replicas do not hold', async () => {
    const { s, group } = await session('dcgan', 2);
    await steps(s, 1);
    const module = familyModule('dcgan');
    const other = module.build({ ...module.defaults({ size: 32, channels: 3 }), ...TINY.dcgan, batchSize: BATCH } as never, new Rng(99), { labelNames: [], tagNames: [] });
    expect(() => group!.leader.verify(other.store)).toThrow(/no longer holds the same weights/);
    other.store.dispose();
    // A failed worker aborts the group: the next step fails with its reason instead of waiting forever.
    group!.leader.collective.abort('training worker 1 failed: out of memory');
    expect(() => s.trainStep()).toThrow(/out of memory/);
    await group!.close();
    s.dispose();
  });

  it('a replica that cannot hold the model fails the start with its reason', async () => {
    const s = await TrainingSession.create({ family: 'vae', data: dataFor('vae'), seed: 1, config: { ...TINY.vae, batchSize: BATCH } as never });
    const state = s.replicaState();
    s.replicaState = () => ({ ...state, tensors: state.tensors.slice(1) });
    await expect(startDataParallel(s, { workers: 2, backend: 'wasm', threads: 1 })).rejects.toThrow(/failed to start: replica: the leader's model has no tensor/);
    s.dispose();
  });
});

describe('how many workers', () => {
  it('one per free core unless asked; text models keep one', () => {
    expect(chooseWorkers({ cores: 2, busyCores: 0, text: false, env: {} })).toEqual({ count: 2, requested: false });
    expect(chooseWorkers({ cores: 2, busyCores: 1, text: false, env: {} })).toEqual({ count: 1, requested: false });
    expect(chooseWorkers({ cores: 2, busyCores: 3, text: false, env: {} })).toEqual({ count: 1, requested: false });
    expect(chooseWorkers({ cores: 64, busyCores: 0, text: false, env: {} }).count).toBe(8);
    expect(chooseWorkers({ cores: 2, busyCores: 0, text: true, env: {}, requested: 2 })).toEqual({ count: 1, requested: false });
    expect(chooseWorkers({ cores: 2, busyCores: 2, text: false, env: {}, requested: 3 })).toEqual({ count: 3, requested: true });
    expect(chooseWorkers({ cores: 16, busyCores: 0, text: false, env: { ATELIER_TRAIN_WORKERS: '2' } })).toEqual({ count: 2, requested: true });
    expect(() => chooseWorkers({ cores: 2, busyCores: 0, text: false, env: {}, requested: 0 })).toThrow(/workers/);
  });

  it('shares must be equal and keep minibatch-stddev groups whole', () => {
    expect(shareProblem(16, 2, 4)).toBeNull();
    expect(shareProblem(16, 4, 4)).toBeNull();
    expect(shareProblem(16, 8, 4)).toMatch(/minibatch-stddev/);
    expect(shareProblem(16, 3)).toMatch(/equal shares/);
    const small = { family: 'default' as const, config: { ...TINY.default, batchSize: 16, mbstdGroup: 4 } as never };
    expect(resolveWorkers({ count: 8, requested: false }, small, 'wasm')).toMatchObject({ workers: 4 });
    expect(() => resolveWorkers({ count: 8, requested: true }, small, 'wasm')).toThrow(/Cannot train with 8 workers/);
    expect(resolveWorkers({ count: 2, requested: true }, small, 'webgpu')).toMatchObject({ workers: 1 });
    expect(resolveWorkers({ count: 2, requested: false }, small, 'wasm')).toEqual({ workers: 2, note: null });
  });
});
