/** When checkpoints are saved and measured: off the start-up path, and often enough in a time box. */
import { describe, expect, it } from 'vitest';
import { FIRST_MEASURE_SECONDS, MeasureQueue, checkpointSeconds } from '../../../../src/main/jobs/train/probe-schedule';

describe('checkpointSeconds', () => {
  it('gives a 10-minute box several quality points, each 1–2 minutes apart', () => {
    const every = checkpointSeconds({ minutes: 10 });
    expect(every).toBeGreaterThanOrEqual(60);
    expect(every).toBeLessThanOrEqual(120);
    expect(Math.floor((10 * 60) / every)).toBeGreaterThanOrEqual(5);
  });

  it('never measures closer than 20 s nor further apart than 2 minutes', () => {
    expect(checkpointSeconds({ minutes: 0.2 })).toBe(20);
    expect(checkpointSeconds({ minutes: 600 })).toBe(120);
    expect(checkpointSeconds({ steps: 2000 })).toBe(120);
  });
});

describe('MeasureQueue', () => {
  it('waits for the first steps before measuring the step-0 checkpoint', () => {
    const q = new MeasureQueue();
    q.add({ step: 0, file: '/x/0.ckpt', sha256: 'a' });
    expect(q.due(0)).toBe(false);
    expect(q.due(FIRST_MEASURE_SECONDS * 1000 - 1)).toBe(false);
    expect(q.due(FIRST_MEASURE_SECONDS * 1000)).toBe(true);
  });

  it('measures at the latest when a second checkpoint joins, oldest first, and empties', () => {
    const q = new MeasureQueue();
    q.add({ step: 0, file: '/x/0.ckpt', sha256: 'a' });
    q.add({ step: 3, file: '/x/3.ckpt', sha256: 'b' });
    expect(q.due(0)).toBe(true);
    expect(q.take().map((m) => m.step)).toEqual([0, 3]);
    expect(q.size).toBe(0);
    expect(q.due(10 ** 9)).toBe(false);
  });
});
