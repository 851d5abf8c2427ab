// Worker thread: samples images from one checkpoint. See ../sample/run.ts; the engine side is ../sample/start.ts.
import { JobChannel } from '../worker-side';
import { runSampling } from '../sample/run';
import type { SampleWorkerData } from '../sample/messages';

const channel = new JobChannel<SampleWorkerData>();
try {
  const result = await runSampling(channel);
  channel.finish(result, channel.endRequested === 'cancel' ? 'cancelled' : 'done');
} catch (err) {
  channel.fail(err);
}
