/**
 * The training loop for text datasets: the text twin of loop.ts's runTraining, through the same
 * drive.ts loop and the same TrainMessage types, so the engine, the catalog and the UI follow a text run
 * like an image run:
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
import type { JobChannel } from '../worker-side';
import { initChosenBackend } from '../../ml/backend';
import type { TextCorpusData } from '../../ml/data';
import { isTextFamily } from '../../../shared/families';
import { distinctN } from '../../ml/text/metrics';
import { TextTrainingSession, type TextEvaluation } from '../../ml/text/text-session';
import { itemPath, type TrainingItem } from '../../datasets/prepare';
import type { TextTrainMessage, TrainResult, TrainWorkerData } from './messages';
import { driveTraining } from './drive';

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
  const post = (m: TextTrainMessage) => channel.post(m);

  const report = await initChosenBackend(w.backend);
  post({ type: 'backend', report });

  channel.progress(0, null, 'Reading text…');
  if (w.datasetKind !== 'text' || !isTextFamily(w.family)) throw new Error(`Training ${w.family} on a ${w.datasetKind} dataset is not supported.`);
  const data = await loadTextTrainingData(w.dataDir, w.items);

  const session = w.resumeFrom
    ? await TextTrainingSession.resume(w.resumeFrom, data)
    : await TextTrainingSession.create({ family: w.family, data, seed: w.seed, batchSize: w.batchSize, config: w.config });
  post({ type: 'setup', config: session.config as unknown as Record<string, unknown>, labels: [], tags: [], size: 0, channels: 0, count: data.documents.length, startStep: session.step });

  // Validation runs once per step at most: the step's losses and its checkpoint's metric share it.
  let lastEval: { step: number; value: TextEvaluation } | null = null;
  const evaluate = (): TextEvaluation => {
    if (lastEval?.step !== session.step) lastEval = { step: session.step, value: session.evaluate() };
    return lastEval.value;
  };

  return driveTraining(channel, session, {
    units: (r) => r.sequences,
    sampleSeconds: SAMPLE_SECONDS,
    checkpointSeconds: CHECKPOINT_SECONDS,
    checkpointAtStart: false,
    writeSamples: () => {
      const samples = session.sample();
      post({ type: 'text-samples', step: session.step, samples, distinct2: distinctN(samples, 2) });
    },
    sampleLosses: () => {
      const e = evaluate();
      return { valLoss: e.valLoss, perplexity: e.perplexity };
    },
    afterCheckpoint: (c) => {
      const t0 = performance.now();
      const e = evaluate();
      post({ type: 'metric', step: c.step, sha256: c.sha256, metric: e.valLoss, metrics: { valLoss: e.valLoss, perplexity: e.perplexity } });
      return performance.now() - t0;
    },
  });
}
