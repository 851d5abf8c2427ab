/**
 * What both training loops (loop.ts for images, text-loop.ts for text) do once their session is built:
 * step until the length is reached or the user pauses / finishes / the app stops, posting every step;
 * draw samples (a grid, texts) and save checkpoints on their cadence (the user's sampleEvery /
 * checkpointEvery in steps, else every so many seconds of loop time), each file written before it is
 * announced so every catalog row points at a complete file; and, unless cancelled, keep the work at the
 * end: a last sample and checkpoint. A loop brings what differs as a TrainingKind: what its samples are,
 * what follows a checkpoint (the image quality probe, the text validation metric), what its steps add.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobChannel } from '../worker-side';
import { DivergedError } from '../../ml/guards';
import { layout } from '../../files/data-dir';
import type { TrainMessage, TrainResult, TrainWorkerData } from './messages';
import { StepClock } from './step-clock';

export interface StepOutcome {
  step: number;
  losses: Record<string, number>;
}

/** What the loop needs of a session (ml's TrainingSession and TextTrainingSession). */
export interface LoopSession<R extends StepOutcome> {
  readonly step: number;
  trainStep(): R;
  saveCheckpoint(path: string): Promise<{ bytes: number; sha256: string }>;
  dispose(): void;
}

export interface SavedCheckpoint {
  step: number;
  /** Absolute path. */
  file: string;
  sha256: string;
}

export interface TrainingKind<R extends StepOutcome> {
  /** What a step consumed (images, sequences): the throughput's unit and the step message's `images`. */
  units(r: R): number;
  /** Loop seconds between samples, and between checkpoints, when the user set no step cadence. */
  sampleSeconds: number;
  checkpointSeconds: number;
  /** A new run saves a checkpoint before its first step too (images: step 0 is measured like any other). */
  checkpointAtStart: boolean;
  /** Draws and posts the samples at the session's step. */
  writeSamples(): Promise<void> | void;
  /** Losses posted with a step that samples follow (text: the validation loss and perplexity). */
  sampleLosses?(): Record<string, number>;
  /** After a step was posted (warnings about its losses). */
  onStep?(r: R): void;
  /** After a checkpoint was announced: its measure; returns the ms spent (loop time). */
  afterCheckpoint(c: SavedCheckpoint, loopMs: number): Promise<number> | number;
  /** After a step that saved no checkpoint: pending work (measures waiting); returns the ms spent. */
  between?(loopMs: number): Promise<number>;
  /** A new run, before its "before" samples. */
  atStart?(): void;
  /** Before the first step of this session. */
  stepping?(): void;
  /** Before the last samples and checkpoint (not when cancelled)… */
  atEnd?(): void;
  /** …and after them. */
  afterEnd?(): Promise<void>;
  /** Frees what the kind holds besides the session (workers, the probe); called however the run ends. */
  release?(): Promise<void>;
}

export async function driveTraining<R extends StepOutcome>(
  channel: JobChannel<TrainWorkerData>,
  session: LoopSession<R>,
  kind: TrainingKind<R>,
): Promise<TrainResult> {
  const w = channel.data;
  const post = (m: TrainMessage) => channel.post(m);
  const startStep = session.step;
  const clock = new StepClock(channel, startStep);
  let lastSamplesAt = -Infinity;
  let lastCheckpointAt = 0;
  let lastSamplesStep = -1;
  let lastCheckpointStep = startStep;

  const writeSamples = async () => {
    const t0 = performance.now();
    await kind.writeSamples();
    lastSamplesStep = session.step;
    lastSamplesAt = clock.loopMs;
    return performance.now() - t0;
  };

  const writeCheckpoint = async () => {
    const t0 = performance.now();
    const file = layout.checkpointFile(w.projectId, w.runId, session.step);
    const abs = path.join(w.dataDir, file);
    const { bytes, sha256 } = await session.saveCheckpoint(abs);
    post({ type: 'checkpoint', step: session.step, file, sha256, bytes });
    lastCheckpointStep = session.step;
    lastCheckpointAt = clock.loopMs;
    const ms = performance.now() - t0;
    return ms + (await kind.afterCheckpoint({ step: session.step, file: abs, sha256 }, clock.loopMs));
  };

  const release = async () => {
    await kind.release?.();
    session.dispose();
  };

  if (!w.resumeFrom) {
    kind.atStart?.();
    await writeSamples(); // the "before" picture
    if (kind.checkpointAtStart) clock.loopMs += await writeCheckpoint();
  }
  kind.stepping?.();

  let reason: TrainResult['reason'] = 'length';
  try {
    for (;;) {
      const stop = await clock.stopReason(session.step);
      if (stop) {
        reason = stop;
        break;
      }
      const { r, etaMs } = clock.step(() => session.trainStep(), kind.units);
      const samplesDue = clock.due(r.step, w.sampleEvery, lastSamplesAt, kind.sampleSeconds);
      let losses = r.losses;
      if (samplesDue && kind.sampleLosses) {
        const t1 = performance.now();
        losses = { ...r.losses, ...kind.sampleLosses() };
        clock.loopMs += performance.now() - t1;
      }
      post({
        type: 'step',
        step: r.step,
        losses,
        images: kind.units(r),
        trainMs: Math.round(clock.trainMs),
        imgPerSec: clock.rate,
        etaMs,
        memory: { tensors: tf.memory().numTensors, rssMb: Math.round(process.memoryUsage().rss / 1048576) },
      });
      kind.onStep?.(r);
      clock.progress(r.step);

      if (samplesDue) clock.loopMs += await writeSamples();
      if (clock.due(r.step, w.checkpointEvery, lastCheckpointAt, kind.checkpointSeconds)) clock.loopMs += await writeCheckpoint();
      else if (kind.between) clock.loopMs += await kind.between(clock.loopMs);
    }
  } catch (err) {
    if (err instanceof DivergedError) post({ type: 'warning', code: 'diverged', message: err.message, step: err.step });
    await release();
    throw err;
  }

  // Whatever ended the loop (length, finish, app stopping), keep the work: a last sample and checkpoint.
  if (reason !== 'cancelled') {
    kind.atEnd?.();
    if (lastSamplesStep !== session.step) await writeSamples();
    if (lastCheckpointStep !== session.step || session.step === startStep) await writeCheckpoint();
    await kind.afterEnd?.();
  }
  const step = session.step;
  await release();
  return { step, reason };
}
