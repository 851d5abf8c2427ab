/**
 * The text-sampling loop a worker runs: backend, text generator, then all texts of the request in one
 * call (text i is drawn from the i-th fork of Rng(seed), so splitting the request would change nothing
 * but cost more), posted together.
 */
import { initBackend, type BackendName } from '../../ml/backend';
import { loadTextGenerator } from '../../ml/text/text-sampler';
import type { JobChannel } from '../worker-side';
import type { TextSampleMessage, TextSampleResult, TextSampleWorkerData } from './messages';

export async function runTextSampling(channel: JobChannel<TextSampleWorkerData>): Promise<TextSampleResult> {
  const w = channel.data;
  const post = (m: TextSampleMessage) => channel.post(m);
  const t0 = performance.now();
  const report = await initBackend(w.backend && w.backend !== 'auto' ? (w.backend as BackendName) : undefined);
  post({ type: 'backend', name: report.name, reason: report.reason });
  const g = await loadTextGenerator(w.checkpointPath);
  try {
    post({ type: 'model', family: g.family, step: g.step, sha256: g.sha256, vocabSize: g.vocab.size });
    const total = w.request.count;
    channel.progress(0, total, 'Writing…');
    if (await channel.checkpoint()) return { count: 0, ms: Math.round(performance.now() - t0) };
    const texts = g.generate(w.request);
    post({ type: 'texts', texts });
    channel.progress(texts.length, total, `${texts.length} of ${total}`);
    return { count: texts.length, ms: Math.round(performance.now() - t0) };
  } finally {
    g.dispose();
  }
}
