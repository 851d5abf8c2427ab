// Worker thread: imports files into a dataset. The engine side (dataset row, catalog commits) is
// src/main/jobs/import/start.ts; the import itself is src/main/datasets/import.ts.
import sharp from 'sharp';
import { JobChannel } from '../worker-side';
import { runImport } from '../../datasets/import';
import type { ImportMessage, ImportWorkerData } from '../import/messages';

// Decoded images are used once: libvips' cache would only hold memory. One decode thread per core
// at most keeps peak memory to a couple of images in flight.
sharp.cache(false);
sharp.concurrency(2);

const channel = new JobChannel<ImportWorkerData>();
try {
  const outcome = await runImport(channel.data, {
    commit: (items) => channel.post({ type: 'items', items } satisfies ImportMessage),
    progress: (done, total, message) => channel.progress(done, total, message),
    shouldStop: () => channel.checkpoint(),
  });
  const { ended, ...report } = outcome;
  channel.finish({ ...report, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }, ended);
} catch (err) {
  channel.fail(err);
}
