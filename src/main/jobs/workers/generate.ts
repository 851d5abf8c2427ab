// Worker thread: generates images. Started warm by the engine (../generate/warm.ts), it serves job after
// job and keeps loaded samplers (../generate/host.ts); started for one job, it runs it and ends.
// The job's loop is ../generate/run.ts; the engine side is ../generate/start.ts.
import { workerData } from 'node:worker_threads';
import { JobChannel, runOneJob } from '../worker-side';
import { oneOffCache, runGeneration } from '../generate/run';
import { serveWarmSampler } from '../generate/host';
import type { GenerateWorkerData } from '../generate/messages';

if ((workerData as { warm?: boolean } | null)?.warm) {
  serveWarmSampler();
} else {
  const channel = new JobChannel<GenerateWorkerData>();
  const cache = oneOffCache();
  try {
    await runOneJob(channel, () => runGeneration(channel, cache));
  } finally {
    cache.release();
  }
}
