/**
 * The bookkeeping both training loops (loop.ts for images, text-loop.ts for text) share: when to stop
 * (user signals, the run's length in steps or minutes), how long the loop has run, throughput, ETA,
 * job progress and the grid/checkpoint cadence. The loops keep what differs: what a step, a sample and
 * a checkpoint are.
 */
import type { JobChannel } from '../worker-side';
import type { TrainResult, TrainWorkerData } from './messages';

export class StepClock {
  /** Time in the loop (steps, samples, checkpoints), not start-up or metrics: what `--minutes` counts. */
  loopMs = 0;
  /** Time in training steps alone. */
  trainMs = 0;
  /** Smoothed throughput, in the loop's units (images or sequences) per second. */
  rate = 0;
  private readonly targetSteps: number | null;
  private readonly targetMs: number | null;

  constructor(
    private readonly channel: JobChannel<TrainWorkerData>,
    private readonly startStep: number,
  ) {
    const length = channel.data.length;
    this.targetSteps = 'steps' in length ? startStep + length.steps : null;
    this.targetMs = 'minutes' in length ? length.minutes * 60_000 : null;
  }

  /** Waits while the user has paused; then why the loop must end now, or null to take another step. */
  async stopReason(step: number): Promise<TrainResult['reason'] | null> {
    const end = await this.channel.checkpoint();
    if (end === 'cancel') return 'cancelled';
    if (end === 'stop') return 'stopped';
    if (end === 'finish') return 'finished';
    if (this.targetSteps !== null && step >= this.targetSteps) return 'length';
    if (this.targetMs !== null && this.loopMs >= this.targetMs) return 'length';
    return null;
  }

  /** Runs and times one training step of `units` images/sequences; returns its result and the run's ETA. */
  step<R extends { step: number }>(run: () => R, units: (r: R) => number): { r: R; etaMs: number | null } {
    const t0 = performance.now();
    const r = run();
    const dt = performance.now() - t0;
    this.trainMs += dt;
    this.loopMs += dt;
    const rate = units(r) / (dt / 1000);
    this.rate = this.rate === 0 ? rate : 0.9 * this.rate + 0.1 * rate;
    const msPerStep = (units(r) / this.rate) * 1000;
    const etaMs =
      this.targetSteps !== null ? Math.max(0, (this.targetSteps - r.step) * msPerStep) : this.targetMs !== null ? Math.max(0, this.targetMs - this.loopMs) : null;
    return { r, etaMs: etaMs === null ? null : Math.round(etaMs) };
  }

  /** Reports progress to the job: steps done of the length, or seconds of the minutes. */
  progress(step: number): void {
    const bySteps = this.targetSteps !== null;
    this.channel.progress(
      bySteps ? step - this.startStep : Math.round(this.loopMs / 1000),
      bySteps ? this.targetSteps! - this.startStep : Math.round((this.targetMs ?? 0) / 1000),
      `step ${step}`,
    );
  }

  /** A cadence: every `everySteps` steps when the user set it, else every `seconds` of loop time since `lastAtMs`. */
  due(step: number, everySteps: number | undefined, lastAtMs: number, seconds: number): boolean {
    return everySteps ? step % everySteps === 0 : this.loopMs - lastAtMs >= seconds * 1000;
  }
}
