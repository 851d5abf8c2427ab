// Worker thread: samples texts from one text-model checkpoint. See ../text-sample/run.ts; the engine side is ../text-sample/start.ts.
import { JobChannel } from '../worker-side';
import { runTextSampling } from '../text-sample/run';
import type { TextSampleWorkerData } from '../text-sample/messages';

const channel = new JobChannel<TextSampleWorkerData>();
try {
  const result = await runTextSampling(channel);
  channel.finish(result, channel.endRequested === 'cancel' ? 'cancelled' : 'done');
} catch (err) {
  channel.fail(err);
}
