// Worker thread: trains one run. See ../train/loop.ts; the engine side is ../train/start.ts.
import { JobChannel } from '../worker-side';
import { runTraining } from '../train/loop';
import { runTextTraining } from '../train/text-loop';
import type { TrainWorkerData } from '../train/messages';
import { DivergedError } from '../../ml/guards';

const channel = new JobChannel<TrainWorkerData>();
try {
  const result = channel.data.datasetKind === 'text' ? await runTextTraining(channel) : await runTraining(channel);
  channel.finish(result, result.reason === 'stopped' ? 'interrupted' : result.reason === 'cancelled' ? 'cancelled' : 'done');
} catch (err) {
  channel.fail(err, err instanceof DivergedError ? 'diverged' : 'failed');
}
