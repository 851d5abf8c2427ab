/**
 * The training loop for image datasets: backend, data, session, data-parallel workers, then drive.ts's
 * loop with what images add: sample grids (written atomically before they are announced, with their
 * diversity and the collapse warnings) and the quality probe, which measures every checkpoint off the
 * start-up path (probe-schedule.ts). The run card is told what happens while no step runs (phases).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JobChannel } from '../worker-side';
import { initChosenBackend, wasmThreadsPerWorker } from '../../ml/backend';
import { TrainingSession } from '../../ml/train/session';
import { imageFamily } from '../../ml/models';
import { loadImageTrainingData } from '../../datasets/prepare';
import type { ImageTensorData } from '../../ml/data';
import { writeFileAtomic } from '../../files/atomic';
import { encodePng } from '../../files/png';
import { layout } from '../../files/data-dir';
import { TrainingWatch, imageDiversity } from './warnings';
import { createQualityProbe, type QualityProbe } from './quality';
import type { TrainMessage, TrainResult, TrainWorkerData } from './messages';
import { driveTraining } from './drive';
import { startRunWorkers } from './parallel';
import { MeasureQueue, checkpointSeconds } from './probe-schedule';
import type { RunPhase } from '../../../shared/contract';

/** Default cadence when the user sets none: a grid every ~30 s; checkpoints and quality: probe-schedule.ts. */
const GRID_SECONDS = 30;

export async function runTraining(channel: JobChannel<TrainWorkerData>): Promise<TrainResult> {
  const w = channel.data;
  const post = (m: TrainMessage) => channel.post(m);
  // Said in the run card (and the CLI's progress line before the first step) while no step runs.
  let stepping = false;
  const phase = (code: RunPhase['code'], message: string) => {
    post({ type: 'phase', phase: { code, message } });
    if (!stepping) channel.progress(0, null, message);
  };

  phase('starting', 'Starting the training engine…');
  const workersReq = w.workers ?? { count: 1, requested: false };
  const report = await initChosenBackend(w.backend, { threads: wasmThreadsPerWorker(workersReq.count) });
  post({ type: 'backend', report });

  phase('loading', `Loading ${w.items.length.toLocaleString('en')} images…`);
  if (w.datasetKind !== 'image') throw new Error(`Training ${w.family} on a ${w.datasetKind} dataset is not supported.`);
  const data = await loadImageTrainingData(w.dataDir, w.items, w.size, w.prepare);

  phase('building', w.resumeFrom ? 'Loading the last checkpoint…' : w.initFrom ? 'Loading the base model…' : 'Building the model…');
  const session = w.resumeFrom
    ? await TrainingSession.resume(w.resumeFrom, data)
    : await TrainingSession.create({
        family: imageFamily(w.family),
        data,
        seed: w.seed,
        batchSize: w.batchSize,
        augment: w.augment,
        config: w.config,
        init: w.initFrom ? { checkpoint: w.initFrom.file, freezeDiscriminatorLayers: w.initFrom.freezeDiscriminatorLayers, lrScale: w.initFrom.lrScale } : undefined,
      });
  const startStep = session.step;
  // Data-parallel workers (parallel.ts): the report is sent again with their count.
  if (workersReq.count > 1) phase('building', 'Starting the training workers…');
  const { group: workers, report: withWorkers } = await startRunWorkers(session, workersReq, report);
  post({ type: 'backend', report: withWorkers });
  post({
    type: 'setup',
    config: session.config as unknown as Record<string, unknown>,
    labels: session.vocab.labelNames,
    tags: session.vocab.tagNames,
    size: data.size,
    channels: data.channels,
    count: data.count,
    startStep,
  });

  // Fitted on first use, after the first steps (probe-schedule.ts); null when this data cannot have one.
  let probe: QualityProbe | null | undefined;
  const queue = new MeasureQueue();
  const watch = new TrainingWatch(w.family, dataDiversity(data));

  // The quality probe's work: fit it the first time, then measure every checkpoint waiting for it.
  const measure = async () => {
    const t0 = performance.now();
    const due = queue.take();
    if (probe === undefined) {
      phase('probe', 'Preparing the quality probe…');
      probe = await createQualityProbe(data, { seed: w.seed, cacheDir: w.cacheDir, family: w.family }).catch(() => null);
    }
    if (probe) {
      phase('measuring', 'Measuring sample quality…');
      for (const c of due) {
        if (!fs.existsSync(c.file)) continue; // pruned while it waited: nothing left to measure
        const m = await probe.evaluate(c.file);
        post({ type: 'metric', step: c.step, sha256: c.sha256, metric: m.metric, metrics: m.metrics });
      }
    }
    return performance.now() - t0;
  };

  return driveTraining(channel, session, {
    units: (r) => r.images,
    sampleSeconds: GRID_SECONDS,
    checkpointSeconds: checkpointSeconds(w.length),
    // Step 0 is measured through a checkpoint too, so every point on the metric curve means the same.
    checkpointAtStart: true,
    writeSamples: async () => {
      const grid = session.sampleGrid();
      const file = layout.gridFile(w.projectId, w.runId, session.step);
      await writeFileAtomic(path.join(w.dataDir, file), await encodePng(grid));
      const diversity = gridDiversity(grid, 6);
      post({ type: 'grid', step: session.step, file, diversity });
      const warning = watch.onGrid(diversity, session.step);
      if (warning) post({ type: 'warning', ...warning, step: session.step });
    },
    onStep: (r) => {
      const warning = watch.onStep(r.losses);
      if (warning) post({ type: 'warning', ...warning, step: r.step });
    },
    afterCheckpoint: (c, loopMs) => {
      queue.add(c);
      return queue.due(loopMs) ? measure() : 0;
    },
    between: async (loopMs) => (queue.due(loopMs) ? measure() : 0),
    atStart: () => phase('sampling', w.initFrom ? 'Drawing samples from the base model…' : 'Drawing the first samples…'),
    stepping: () => (stepping = true),
    atEnd: () => phase('finishing', 'Saving the final samples and checkpoint…'),
    afterEnd: async () => {
      if (queue.size > 0) await measure();
    },
    release: async () => {
      await workers?.close();
      probe?.dispose();
    },
  });
}

function dataDiversity(data: ImageTensorData): number | null {
  const per = data.size * data.size * data.channels;
  const n = Math.min(data.count, 36);
  const images = Array.from({ length: n }, (_, i) => ({ pixels: data.pixels.subarray(i * per, (i + 1) * per) }));
  return imageDiversity(images);
}

/** Split a side×side grid (2 px padding) back into its cells to measure how alike they are. */
function gridDiversity(grid: { pixels: Uint8Array; width: number; height: number; channels: number }, side: number, pad = 2): number | null {
  const cell = Math.floor((grid.width - (side + 1) * pad) / side);
  if (cell <= 0) return null;
  const c = grid.channels;
  const images: Array<{ pixels: Uint8Array }> = [];
  for (let k = 0; k < side * side; k++) {
    const x0 = pad + (k % side) * (cell + pad);
    const y0 = pad + Math.floor(k / side) * (cell + pad);
    const px = new Uint8Array(cell * cell * c);
    for (let y = 0; y < cell; y++) px.set(grid.pixels.subarray(((y0 + y) * grid.width + x0) * c, ((y0 + y) * grid.width + x0 + cell) * c), y * cell * c);
    images.push({ pixels: px });
  }
  return imageDiversity(images);
}
