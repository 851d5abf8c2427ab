import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { setupModel } from './helpers';
import type { GenerateResult } from '../../../src/shared/contract';
import { decodeLatent } from '../../../src/main/ml/sample/latents';
import { ensureBaseModels } from '../../../src/main/jobs/train/base-models';

let service: Service;
let ids: { projectId: number; modelId: number; checkpointId: number };
let dataDir: string;

beforeAll(async () => {
  // One data folder for the whole file (support/tmp's tempDir is removed after each test).
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-generate-'));
  service = createService({ dataDir, door: 'direct' });
  ids = await setupModel(service);
});
afterAll(async () => {
  await service?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function generate(input: Record<string, unknown>): Promise<GenerateResult> {
  const started = await service.call('generate.start', { projectId: ids.projectId, modelId: ids.modelId, backend: 'wasm', ...input });
  const r = await service.call('generate.wait', { jobId: started.jobId });
  expect(r.error).toBeNull();
  expect(r.status).toBe('done');
  return r;
}

const bytes = (file: string) => fs.readFileSync(path.join(dataDir, file));

describe('generate', () => {
  it('samples images into PNG files with full provenance, streaming each one', async () => {
    const streamed: number[] = [];
    const off = service.events.onAny((e, p) => {
      if (e === 'generate.image') streamed.push((p as { item: { id: number } }).item.id);
    });
    const t0 = performance.now();
    const r = await generate({ prompt: 'cat:0.7, dog:0.3, fluffy', seed: 7, count: 16, batch: 8 });
    console.log(`[figure] sample 16 images (cgan 32px, wasm, incl. worker start): ${Math.round(performance.now() - t0)} ms`);
    off();
    expect(r.generationIds).toHaveLength(16);
    expect(streamed).toEqual(r.generationIds);
    expect(r.backend).toBe('wasm');
    for (const f of r.files) expect(bytes(f).subarray(1, 4).toString()).toBe('PNG');

    const g = await service.call('gallery.get', { id: r.generationIds[3]! });
    expect(g).toMatchObject({ modelId: ids.modelId, checkpointId: ids.checkpointId, step: 1, seed: 10, prompt: 'cat:0.7, dog:0.3, fluffy', backend: 'wasm', width: 32, height: 32, label: 'cat' });
    expect(g.appVersion).toMatch(/\d+\.\d+/);
    expect(g.checkpointSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(g.params).toMatchObject({ mode: 'sample', condition: { labels: { cat: 0.7, dog: 0.3 } }, unknownWords: ['fluffy'], request: { seed: 7, count: 16, index: 3, truncation: 1 } });
    expect((g.params.lineage as unknown[]).length).toBe(1);
    expect(decodeLatent(g.params.latent as string)).toHaveLength(g.params.latentDim as number);

    const history = await service.call('prompts.history', { projectId: ids.projectId, query: 'dog' });
    expect(history.map((h) => h.prompt)).toEqual(['cat:0.7, dog:0.3, fluffy']);
    expect(await service.call('prompts.history', { projectId: ids.projectId, query: 'zebra' })).toEqual([]);
  });

  it('is deterministic: the same seed and settings give byte-identical files; a seed names its image', async () => {
    const a = await generate({ prompt: 'dog', seed: 100, count: 5, truncation: 0.8, batch: 5 });
    const b = await generate({ prompt: 'dog', seed: 100, count: 5, truncation: 0.8, batch: 2 });
    a.files.forEach((f, i) => expect(bytes(f).equals(bytes(b.files[i]!))).toBe(true));
    // "use seed": image 3 of that batch was drawn from seed 103.
    const one = await generate({ prompt: 'dog', seed: 103, count: 1, truncation: 0.8 });
    expect(bytes(one.files[0]!).equals(bytes(a.files[3]!))).toBe(true);
    // And a different seed gives different pixels.
    expect(bytes(a.files[0]!).equals(bytes(a.files[1]!))).toBe(false);
  });

  it('an unconditional model (the shipped base) takes no condition from a prompt: same seed, same image, no label', async () => {
    ensureBaseModels(service.ctx);
    const base = (await service.call('models.list', { projectId: ids.projectId })).find((m) => m.source === 'base' && m.family !== 'cgan');
    if (!base) return; // no unconditional base shipped
    const run = (prompt: string) => generate({ modelId: base.id, prompt, seed: 7, count: 2 });
    const a = await run('smileys-emotion');
    const b = await run('animals-nature');
    a.files.forEach((f, i) => expect(bytes(f).equals(bytes(b.files[i]!))).toBe(true));
    const g = await service.call('gallery.get', { id: a.generationIds[0]! });
    expect(g.label).toBeNull();
    expect(g.params).toMatchObject({ condition: {}, unknownWords: ['smileys-emotion'] });
  });

  it('regenerates a gallery item from its stored metadata alone, bit-exactly', async () => {
    const r = await generate({ prompt: 'cat', seed: 5, count: 3, directions: [1.5, -1] });
    for (const id of [r.generationIds[0]!, r.generationIds[2]!]) {
      const check = await service.call('generate.reproduce', { id });
      expect(check).toMatchObject({ identical: true, differingBytes: 0, backend: 'wasm', originalBackend: 'wasm' });
    }
  });

  it('makes variations and interpolations from stored latents', async () => {
    const base = await generate({ prompt: 'cat', seed: 1, count: 2 });
    const [a, b] = base.generationIds as [number, number];
    const same = await generate({ seed: 50, count: 2, variation: { generationId: a, strength: 0 } });
    same.files.forEach((f) => expect(bytes(f).equals(bytes(base.files[0]!))).toBe(true));
    const varied = await generate({ seed: 50, count: 2, variation: { generationId: a, strength: 0.5 } });
    expect(bytes(varied.files[0]!).equals(bytes(base.files[0]!))).toBe(false);
    const v = await service.call('gallery.get', { id: varied.generationIds[0]! });
    expect(v.params).toMatchObject({ mode: 'variation', condition: { labels: { cat: 1 } } });

    const frames = await generate({ seed: 0, interpolate: { fromId: a, toId: b, frames: 4 } });
    expect(frames.generationIds).toHaveLength(4);
    expect(bytes(frames.files[0]!).equals(bytes(base.files[0]!))).toBe(true);
    const last = await service.call('generate.reproduce', { id: frames.generationIds[3]! });
    expect(last.identical).toBe(true);
  });

  it('refuses what it cannot do, clearly', async () => {
    await expect(service.call('generate.start', { projectId: ids.projectId, modelId: 9999, seed: 1 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.call('generate.start', { projectId: ids.projectId, modelId: ids.modelId, seed: -1 })).rejects.toMatchObject({ code: 'bad_request' });
  });
});
