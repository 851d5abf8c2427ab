// Worker thread: samples images. Started warm by the engine (../sample/warm.ts), it serves job after
// job and keeps loaded models (../sample/host.ts); started for one job, it runs it and ends.
// The sampling loop is ../sample/run.ts; the engine side is ../sample/start.ts.
import { workerData } from 'node:worker_threads';
import { JobChannel } from '../worker-side';
import { oneOffCache, runSampling } from '../sample/run';
import { serveWarmSampler } from '../sample/host';
import type { SampleWorkerData } from '../sample/messages';

if ((workerData as { warm?: boolean } | null)?.warm) {
  serveWarmSampler();
} else {
  const channel = new JobChannel<SampleWorkerData>();
  const cache = oneOffCache();
  try {
    const result = await runSampling(channel, cache);
    channel.finish(result, channel.endRequested === 'cancel' ? 'cancelled' : 'done');
  } catch (err) {
    channel.fail(err);
  } finally {
    cache.release();
  }
}
