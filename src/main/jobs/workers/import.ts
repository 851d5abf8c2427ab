// Worker thread: imports files into a dataset. The engine side (catalog commits, report) is
// src/main/service/datasets.ts; the engine itself is src/main/datasets/import.ts.
import sharp from 'sharp';
import { JobChannel } from '../worker-side';
import { runImport, type ImportParams, type NewItem } from '../../datasets/import';

// Decoded images are used once: libvips' cache would only hold memory. One decode thread per core
// at most keeps peak memory to a couple of images in flight.
sharp.cache(false);
sharp.concurrency(2);

export type ImportMessage = { type: 'items'; items: NewItem[] };

const channel = new JobChannel<ImportParams>();
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
