/** StepClock's time left: the box itself for time-boxed runs, a steady pace for runs sized in steps. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobChannel } from '../../../../src/main/jobs/worker-side';
import type { TrainWorkerData } from '../../../../src/main/jobs/train/messages';
import { StepClock } from '../../../../src/main/jobs/train/step-clock';

let now = 0;
afterEach(() => vi.restoreAllMocks());

function clock(length: TrainWorkerData['length']): StepClock {
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const channel = { data: { length }, progress: () => {}, checkpoint: async () => null } as unknown as JobChannel<TrainWorkerData>;
  return new StepClock(channel, 0);
}

/** One step of `ms` (the fake clock moves while the step "runs"). */
function step(c: StepClock, n: number, ms: number): number | null {
  return c.step(() => {
    now += ms;
    return { step: n, images: 16 };
  }, (r) => r.images).etaMs;
}

describe('StepClock time left', () => {
  it('with a time box, is what is left of the box, whatever the pace', () => {
    const c = clock({ minutes: 10 });
    expect(step(c, 1, 5000)).toBe(10 * 60_000 - 5000);
    c.loopMs += 20_000; // a grid, a checkpoint, a quality measure
    expect(step(c, 2, 100)).toBe(10 * 60_000 - 25_100);
  });

  it('sized in steps, stays steady through a slow step and loop overhead', () => {
    const c = clock({ steps: 1000 });
    step(c, 1, 4000); // warm-up
    const etas: number[] = [];
    for (let n = 2; n <= 40; n++) {
      const ms = n === 20 ? 6000 : 1000; // one step slowed by other work on the machine
      etas.push(step(c, n, ms)!);
      if (n % 10 === 0) c.loopMs += 2000; // a grid every 10 steps
    }
    // Each estimate moves by little more than the step just taken, never by a factor.
    for (let i = 5; i < etas.length; i++) expect(Math.abs(etas[i]! - etas[i - 1]!) / etas[i - 1]!).toBeLessThan(0.25);
    // And the pace includes the loop's overhead (grids, the slow step): well over 1 s a step for the 960 left.
    expect(etas.at(-1)!).toBeGreaterThan(1.1 * 960 * 1000);
  });
});
