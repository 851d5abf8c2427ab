// Worker thread: generates texts from one text-model checkpoint, in one job. See ../text-generate/run.ts;
// the engine side is ../text-generate/start.ts.
import { JobChannel, runOneJob } from '../worker-side';
import { runTextGeneration } from '../text-generate/run';
import type { TextGenerateWorkerData } from '../text-generate/messages';

const channel = new JobChannel<TextGenerateWorkerData>();
await runOneJob(channel, () => runTextGeneration(channel));
