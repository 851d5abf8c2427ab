import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Collective, ParallelAbort } from '../../../../src/main/ml/parallel/collective';
import { ROOT } from '../../support/sample-dataset';

/**
 * The shared-memory collectives, across real threads: this thread is rank 0, the others run
 * fixtures/collective-worker.ts. A tiny chunk makes every vector go through in several pieces.
 */
const FIXTURE = path.join(ROOT, 'tests', 'unit', 'ml', 'parallel', 'fixtures', 'collective-worker.ts');
const BOOTSTRAP = path.join(ROOT, 'src', 'main', 'jobs', 'source-worker.mjs');

type Reply = { sum: number[]; mean?: number[]; aborted?: string };

async function group(workers: number, length: number, abortAfterFirst: boolean) {
  const layout = { workers, chunk: 5, payloadFloats: 0 };
  const buffer = Collective.allocate(layout);
  const replies: Promise<Reply>[] = [];
  const threads: Worker[] = [];
  for (let rank = 1; rank < workers; rank++) {
    const w = new Worker(BOOTSTRAP, { argv: [FIXTURE], workerData: { buffer, layout, rank, length, abortAfterFirst } });
    threads.push(w);
    replies.push(new Promise((resolve, reject) => (w.once('message', resolve), w.once('error', reject))));
  }
  return { collective: new Collective(buffer, layout, 0), replies, threads };
}

/** What every worker must get: the rank-ordered float64 sum of the contributions, rounded once to float32. */
function expected(workers: number, length: number, op: 'sum' | 'mean'): number[] {
  return Array.from({ length }, (_, j) => {
    let s = 0;
    for (let r = 0; r < workers; r++) s += Math.fround((r + 1) * j + 0.1);
    return Math.fround(op === 'mean' ? s / workers : s);
  });
}

describe('collective', () => {
  it('all-reduces across threads in chunks; every worker gets the same bits', async () => {
    const workers = 3;
    const length = 13;
    const { collective, replies } = await group(workers, length, false);
    const own = (op: 'sum' | 'mean') => {
      const v = Float32Array.from({ length }, (_, j) => j + 0.1);
      collective.allReduce(v, op);
      return Array.from(v);
    };
    const sum = own('sum');
    const mean = own('mean');
    const others = await Promise.all(replies);
    expect(sum).toEqual(expected(workers, length, 'sum'));
    expect(mean).toEqual(expected(workers, length, 'mean'));
    for (const r of others) {
      expect(r.sum).toEqual(sum);
      expect(r.mean).toEqual(mean);
    }
  });

  it('an aborted group wakes every waiting worker with the reason instead of hanging', async () => {
    const { collective, replies } = await group(3, 4, true);
    collective.allReduce(Float32Array.from([0.1, 1.1, 2.1, 3.1]), 'sum');
    expect(() => collective.allReduce(new Float32Array(4), 'mean')).toThrow(ParallelAbort);
    expect(collective.abortReason()).toBe('worker 1 gave up');
    const [one, two] = await Promise.all(replies);
    expect(one!.mean).toBeUndefined();
    expect(two!.aborted).toBe('worker 1 gave up');
  });

  it('a group of one needs no other thread', () => {
    const layout = { workers: 1, chunk: 4, payloadFloats: 0 };
    const c = new Collective(Collective.allocate(layout), layout, 0);
    const v = Float32Array.from([1, 2, 3]);
    c.allReduce(v, 'mean');
    c.barrier();
    expect(Array.from(v)).toEqual([1, 2, 3]);
  });
});
