/**
 * When an image run saves checkpoints and measures them with the quality probe (quality.ts).
 *
 * - Off the start-up path: the step-0 checkpoint is saved before the first step (it is cheap), but the
 *   probe is fitted and that checkpoint measured only once training has run FIRST_MEASURE_SECONDS, so
 *   the first step comes seconds sooner and the wait before it is only loading and building.
 * - Checkpoints come at checkpointSeconds (shared/run-format.ts: about six in a time box, a 10-minute
 *   box every 100 s; every 2 minutes in a run sized in steps). Every checkpoint is measured (the best one
 *   is kept by its metric), so the two cadences are one.
 * - A checkpoint waiting to be measured is measured at the latest when the next one is saved, so
 *   pruning (keepLast) can never remove it first.
 */
export { checkpointSeconds } from '../../../shared/run-format';

export const FIRST_MEASURE_SECONDS = 15;

export interface PendingMeasure {
  step: number;
  file: string;
  sha256: string;
}

/** Checkpoints saved but not yet measured, and whether to measure them now. */
export class MeasureQueue {
  private readonly pending: PendingMeasure[] = [];

  add(m: PendingMeasure): void {
    this.pending.push(m);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Measure now: training has run long enough, or another checkpoint is about to join the queue. */
  due(loopMs: number): boolean {
    return this.pending.length > 0 && (loopMs >= FIRST_MEASURE_SECONDS * 1000 || this.pending.length > 1);
  }

  /** Everything waiting, oldest first; the queue is left empty. */
  take(): PendingMeasure[] {
    return this.pending.splice(0);
  }
}
