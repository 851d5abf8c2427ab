/**
 * The bookkeeping both training loops (loop.ts for images, text-loop.ts for text) share: when to stop
 * (user signals, the run's length in steps or minutes), how long the loop has run, throughput, ETA,
 * job progress and the grid/checkpoint cadence. The loops keep what differs: what a step, a sample and
 * a checkpoint are.
 */
import type { JobChannel } from '../worker-side';
import type { TrainResult, TrainWorkerData } from './messages';

export class StepClock {
  /**
   * Time in the loop (steps, samples, checkpoints, quality measures), not start-up: what `--minutes`
   * counts. The probe is inside it because a time box is the user's wall-clock budget: "10 minutes"
   * should end about ten minutes after the first step, however often quality was measured.
   */
  loopMs = 0;
  /** Time in training steps alone. */
  trainMs = 0;
  /** Smoothed throughput, in the loop's units (images or sequences) per second. */
  rate = 0;
  private readonly targetSteps: number | null;
  private readonly targetMs: number | null;
  /** Loop time and steps since the first step of this session (which is slow: kernels warm up then). */
  private paceFromMs: number | null = null;
  private paceSteps = 0;

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
    if (this.paceFromMs === null) this.paceFromMs = this.loopMs;
    else this.paceSteps++;
    const etaMs =
      this.targetMs !== null ? Math.max(0, this.targetMs - this.loopMs) : this.targetSteps !== null ? Math.max(0, (this.targetSteps - r.step) * this.msPerStep(units(r))) : null;
    return { r, etaMs: etaMs === null ? null : Math.round(etaMs) };
  }

  /**
   * A step's share of loop time, averaged since the first step (grids, checkpoints and quality measures
   * included): steady where one step's rate swings with every grid and with other work on the machine.
   */
  private msPerStep(units: number): number {
    if (this.paceSteps >= 3 && this.paceFromMs !== null) return (this.loopMs - this.paceFromMs) / this.paceSteps;
    return (units / this.rate) * 1000;
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
