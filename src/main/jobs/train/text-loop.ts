/**
 * The training loop for text datasets: the text twin of loop.ts's runTraining, posting the same
 * TrainMessage types, so the engine, the catalog and the UI follow a text run like an image run:
 *
 * - 'step' messages carry losses { loss } every step, plus { valLoss, perplexity } on the steps where
 *   samples are drawn (validation on the held-out documents); `images` counts the step's sequences.
 * - instead of 'grid' (no pictures), 'text-samples' with the session's fixed-seed samples and their
 *   distinct-2 (character bigrams), so the UI can show how the texts evolve and whether they collapse.
 * - 'checkpoint' then 'metric' with metric = validation loss (lower is better) and { valLoss, perplexity }.
 *
 * Cadence as loop.ts: the user's sampleEvery / checkpointEvery in steps, else samples every ~30 s and a
 * checkpoint every ~2 min of training. Checkpoints are written before they are announced.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { JobChannel } from '../worker-side';
import { initBackend, type BackendName } from '../../ml/backend';
import type { TextCorpusData } from '../../ml/data';
import { DivergedError } from '../../ml/guards';
import { isTextFamily } from '../../../shared/families';
import { distinctN } from '../../ml/text/metrics';
import { TextTrainingSession, type TextEvaluation } from '../../ml/text/text-session';
import { itemPath, type TrainingItem } from '../../datasets/prepare';
import { layout } from '../../files/data-dir';
import type { TrainMessage, TrainResult, TrainWorkerData } from './messages';
import { StepClock } from './step-clock';

/** Posted where an image run posts 'grid': the fixed-seed samples at `step`. */
export interface TextSamplesMessage {
  type: 'text-samples';
  step: number;
  samples: string[];
  /** distinct-2 over the samples' characters (0..1; low = repetitive). */
  distinct2: number;
}

export type TextTrainMessage = Exclude<TrainMessage, { type: 'grid' }> | TextSamplesMessage;

const SAMPLE_SECONDS = 30;
const CHECKPOINT_SECONDS = 120;

/**
 * A text dataset's items as documents: every non-empty line of every item file (the importer stores
 * text items as UTF-8 text/plain). Item order, then line order.
 */
export async function loadTextTrainingData(dataDir: string, items: readonly Pick<TrainingItem, 'file'>[]): Promise<TextCorpusData> {
  const documents: string[] = [];
  for (const item of items) {
    const text = await readFile(itemPath(dataDir, item), 'utf8');
    for (const line of text.split(/\r?\n/)) if (line.trim().length > 0) documents.push(line);
  }
  return { kind: 'text', documents };
}

export async function runTextTraining(channel: JobChannel<TrainWorkerData>): Promise<TrainResult> {
  const w = channel.data;
  const post = (m: TextTrainMessage) => channel.post(m as unknown as Parameters<typeof channel.post>[0]);

  const report = await initBackend(w.backend && w.backend !== 'auto' ? (w.backend as BackendName) : undefined);
  post({ type: 'backend', report });

  channel.progress(0, null, 'Reading text…');
  if (w.datasetKind !== 'text' || !isTextFamily(w.family)) throw new Error(`Training ${w.family} on a ${w.datasetKind} dataset is not supported.`);
  const data = await loadTextTrainingData(w.dataDir, w.items);

  const session = w.resumeFrom
    ? await TextTrainingSession.resume(w.resumeFrom, data)
    : await TextTrainingSession.create({ family: w.family, data, seed: w.seed, batchSize: w.batchSize, config: w.config as never });
  const startStep = session.step;
  post({ type: 'setup', config: session.config as unknown as Record<string, unknown>, labels: [], tags: [], size: 0, channels: 0, count: data.documents.length, startStep });

  const clock = new StepClock(channel, startStep);
  let lastSamplesAt = -Infinity;
  let lastCheckpointAt = 0;
  let lastSamplesStep = -1;
  let lastCheckpointStep = startStep;
  let lastEval: { step: number; value: TextEvaluation } | null = null;

  const evaluate = (): TextEvaluation => {
    if (lastEval?.step !== session.step) lastEval = { step: session.step, value: session.evaluate() };
    return lastEval.value;
  };

  const writeSamples = () => {
    const t0 = performance.now();
    const samples = session.sample();
    post({ type: 'text-samples', step: session.step, samples, distinct2: distinctN(samples, 2) });
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
    const e = evaluate();
    post({ type: 'metric', step: session.step, sha256, metric: e.valLoss, metrics: { valLoss: e.valLoss, perplexity: e.perplexity } });
    lastCheckpointStep = session.step;
    lastCheckpointAt = clock.loopMs;
    return performance.now() - t0;
  };

  if (!w.resumeFrom) writeSamples(); // the "before" samples

  let reason: TrainResult['reason'] = 'length';
  try {
    for (;;) {
      const stop = await clock.stopReason(session.step);
      if (stop) {
        reason = stop;
        break;
      }
      const { r, etaMs } = clock.step(() => session.trainStep(), (x) => x.sequences);

      const samplesDue = clock.due(r.step, w.sampleEvery, lastSamplesAt, SAMPLE_SECONDS);
      const losses: Record<string, number> = { ...r.losses };
      if (samplesDue) {
        const t1 = performance.now();
        const e = evaluate();
        clock.loopMs += performance.now() - t1;
        losses.valLoss = e.valLoss;
        losses.perplexity = e.perplexity;
      }
      post({
        type: 'step',
        step: r.step,
        losses,
        images: r.sequences,
        trainMs: Math.round(clock.trainMs),
        imgPerSec: clock.rate,
        etaMs,
        memory: { tensors: tf.memory().numTensors, rssMb: Math.round(process.memoryUsage().rss / 1048576) },
      });
      clock.progress(r.step);
      if (samplesDue) clock.loopMs += writeSamples();
      if (clock.due(r.step, w.checkpointEvery, lastCheckpointAt, CHECKPOINT_SECONDS)) clock.loopMs += await writeCheckpoint();
    }
  } catch (err) {
    if (err instanceof DivergedError) post({ type: 'warning', code: 'diverged', message: err.message, step: err.step });
    session.dispose();
    throw err;
  }

  if (reason !== 'cancelled') {
    if (lastSamplesStep !== session.step) writeSamples();
    if (lastCheckpointStep !== session.step || session.step === startStep) await writeCheckpoint();
  }
  const step = session.step;
  session.dispose();
  return { step, reason };
}
