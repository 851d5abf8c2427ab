/**
 * A text-generate job, worker side, in the shape of ../generate/run.ts: backend, sampler (posted as
 * 'model'), then the texts — all of the request in one call (text i is drawn from the i-th fork of
 * Rng(seed), so splitting the request would change nothing but cost more), posted together.
 */
import { initChosenBackend } from '../../ml/backend';
import { loadTextSampler } from '../../ml/text/sampler';
import type { JobChannel } from '../worker-side';
import type { TextGenerateMessage, TextGenerateWorkerResult, TextGenerateWorkerData } from './messages';

export async function runTextGeneration(channel: JobChannel<TextGenerateWorkerData>): Promise<TextGenerateWorkerResult> {
  const w = channel.data;
  const post = (m: TextGenerateMessage) => channel.post(m);
  const t0 = performance.now();
  const report = await initChosenBackend(w.backend);
  post({ type: 'backend', name: report.name, reason: report.reason });
  const s = await loadTextSampler(w.checkpointPath);
  try {
    post({ type: 'model', family: s.family, step: s.step, sha256: s.sha256, vocabSize: s.vocab.size });
    const total = w.request.count;
    channel.progress(0, total, 'Writing…');
    if (await channel.checkpoint()) return { count: 0, ms: Math.round(performance.now() - t0) };
    const texts = s.sample(w.request);
    post({ type: 'texts', texts });
    channel.progress(texts.length, total, `${texts.length} of ${total}`);
    return { count: texts.length, ms: Math.round(performance.now() - t0) };
  } finally {
    s.dispose();
  }
}
