/**
 * The warm sampler (jobs/generate/warm.ts + host.ts): one thread keeps loaded models between requests,
 * streams the first image on its own, runs the copy check after the images, and still behaves like a
 * job per request (catalog row, cancel) — with the same pixels as a worker started for one request.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { warmSamplerPort } from '../../../src/main/jobs/generate/warm';
import { MAX_SAMPLERS } from '../../../src/main/jobs/generate/host';
import { getDatasetSettings, listTrainingItems } from '../../../src/main/catalog/datasets';
import { getJob } from '../../../src/main/catalog/jobs';
import type { GenerateMessage, GenerateWorkerData } from '../../../src/main/jobs/generate/messages';
import type { JobOutcome } from '../../../src/main/engine/runner';
import { seedSampleProject } from '../support/sample-dataset';
import { makeCheckpoint, setupModel } from './helpers';
import { insertRun } from '../../../src/main/catalog/runs';

let service: Service;
let dataDir: string;
let ckpt: string;
let datasetId: number;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-warm-'));
  ({ datasetId } = seedSampleProject(dataDir, { limit: 12 }));
  service = createService({ dataDir, door: 'direct' });
  ckpt = (await makeCheckpoint()).file;
});
afterAll(async () => {
  await service?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function request(file: string, seed: number, count: number, extra: Partial<GenerateWorkerData> = {}): GenerateWorkerData {
  return {
    checkpointPath: file,
    backend: 'wasm',
    truncation: 1,
    directions: [],
    batch: 4,
    images: Array.from({ length: count }, (_, i) => ({ index: i, seed: seed + i, latent: { mode: 'sample' as const, seed: seed + i }, condition: { labels: { cat: 1 } } })),
    ...extra,
  };
}

async function run(data: GenerateWorkerData, opts: { warm?: boolean; onMessage?: (m: GenerateMessage, cancel: () => void) => void } = {}): Promise<{ msgs: GenerateMessage[]; outcome: JobOutcome; jobId: number }> {
  const msgs: GenerateMessage[] = [];
  const job = service.ctx.jobs.start({
    kind: 'generate',
    projectId: null,
    params: {},
    worker: 'generate',
    workerData: data,
    ...(opts.warm === false ? {} : { port: warmSamplerPort(service.ctx, data) }),
    onMessage: (m, handle) => {
      msgs.push(m as GenerateMessage);
      opts.onMessage?.(m as GenerateMessage, () => handle.control('cancel'));
    },
  });
  return { msgs, outcome: await job.done, jobId: job.id };
}

const model = (msgs: GenerateMessage[]) => msgs.find((m) => m.type === 'model') as Extract<GenerateMessage, { type: 'model' }>;
const images = (msgs: GenerateMessage[]) => msgs.flatMap((m) => (m.type === 'images' ? m.images : []));

describe('the warm sampler', () => {
  it('keeps a model loaded between requests, streams the first image alone, and draws what a one-off worker draws', async () => {
    const first = await run(request(ckpt, 10, 6));
    expect(first.outcome.status).toBe('done');
    expect(model(first.msgs).warm).toBe(false);
    const again = await run(request(ckpt, 10, 6));
    expect(model(again.msgs).warm).toBe(true);
    // The first images message holds one image; the rest come in batches of `batch`.
    expect(again.msgs.filter((m) => m.type === 'images').map((m) => (m.type === 'images' ? m.images.length : 0))).toEqual([1, 4, 1]);
    const oneOff = await run(request(ckpt, 10, 6), { warm: false });
    expect(images(again.msgs).map((im) => Buffer.from(im.pixels).toString('base64'))).toEqual(images(oneOff.msgs).map((im) => Buffer.from(im.pixels).toString('base64')));
    expect(images(first.msgs).map((im) => im.latent)).toEqual(images(oneOff.msgs).map((im) => im.latent));
    // Each request is still a job of its own in the catalog.
    expect(getJob(service.ctx.db, again.jobId)?.status).toBe('done');
  });

  it(`evicts the least recently used model beyond ${MAX_SAMPLERS}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-warm-lru-'));
    const copies = Array.from({ length: MAX_SAMPLERS + 1 }, (_, i) => {
      const f = path.join(dir, `m${i}.ckpt`);
      fs.copyFileSync(ckpt, f);
      return f;
    });
    for (const f of copies) expect(model((await run(request(f, 1, 1))).msgs).warm).toBe(false);
    expect(model((await run(request(copies[MAX_SAMPLERS]!, 1, 1))).msgs).warm).toBe(true);
    expect(model((await run(request(copies[0]!, 1, 1))).msgs).warm).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the copy check after every image was posted, then attaches it', async () => {
    const settings = getDatasetSettings(service.ctx.db, datasetId);
    const guard = { dataDir, cacheDir: path.join(dataDir, 'cache'), items: listTrainingItems(service.ctx.db, datasetId), prepare: settings.prepare, size: 32 };
    const { msgs, outcome } = await run(request(ckpt, 3, 5, { guard }));
    expect(outcome.status).toBe('done');
    const lastImages = msgs.map((m) => m.type).lastIndexOf('images');
    const nearestAt = msgs.findIndex((m) => m.type === 'nearest');
    expect(nearestAt).toBeGreaterThan(lastImages);
    expect(images(msgs).every((im) => im.nearest === null)).toBe(true);
    const near = msgs[nearestAt] as Extract<GenerateMessage, { type: 'nearest' }>;
    expect(near.items.map((x) => x.index).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const x of near.items) expect(x.nearest.distance).toBeGreaterThanOrEqual(0);
  });

  it('cancels one request and goes on serving the next, still warm', async () => {
    let asked = false;
    const cancelled = await run(request(ckpt, 50, 64, { batch: 1 }), {
      onMessage: (m, cancel) => {
        if (m.type === 'images' && !asked) {
          asked = true;
          cancel();
        }
      },
    });
    expect(cancelled.outcome.status).toBe('cancelled');
    expect(images(cancelled.msgs).length).toBeLessThan(64);
    const next = await run(request(ckpt, 1, 2));
    expect(next.outcome.status).toBe('done');
    expect(model(next.msgs).warm).toBe(true);
  });

  it('through generate.start: images stream first, the copy check follows as generate.checked and lands in the catalog', async () => {
    const ids = await setupModel(service, 'Guarded');
    insertRun(service.ctx.db, { projectId: ids.projectId, modelId: ids.modelId, datasetId, name: 'run', params: {}, parentCheckpointId: null });
    const order: Array<['image' | 'checked', number]> = [];
    const off = service.events.onAny((e, p) => {
      if (e === 'generate.image') order.push(['image', (p as { item: { id: number } }).item.id]);
      if (e === 'generate.checked') order.push(['checked', (p as { id: number }).id]);
    });
    const started = await service.call('generate.start', { projectId: ids.projectId, modelId: ids.modelId, prompt: 'cat', seed: 4, count: 6, backend: 'wasm' });
    const r = await service.call('generate.wait', { jobId: started.jobId });
    off();
    expect(r.status).toBe('done');
    const kinds = order.map(([k]) => k);
    expect(kinds).toEqual([...Array(6).fill('image'), ...Array(6).fill('checked')]);
    expect(order.filter(([k]) => k === 'checked').map(([, id]) => id)).toEqual(r.generationIds);
    const g = await service.call('gallery.get', { id: r.generationIds[0]! });
    expect(g.nearest).toMatchObject({ distance: expect.any(Number), threshold: expect.any(Number) });
  });
});
