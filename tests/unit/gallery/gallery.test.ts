import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { completeGeneration, insertPendingGeneration, sweepPendingGenerations } from '../../../src/main/catalog/generations';
import { insertModel } from '../../../src/main/catalog/models';
import { layout } from '../../../src/main/files/data-dir';
import { tempDir } from '../support/tmp';

let service: Service;
beforeEach(() => {
  service = createService({ dataDir: tempDir('atelier-gallery-'), door: 'direct' });
});
afterEach(async () => {
  await service.close();
});

const PROMPTS = ['cat face:0.7, dog face:0.3', 'frog smiling', 'red hat', 'dog face', 'blue bird'];

/** n generations as Create would store them (rows only; `withFiles` also writes small files). */
function seed(projectId: number, n: number, opts: { withFiles?: boolean; modelId?: number } = {}): number[] {
  const db = service.ctx.db;
  const ids: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = insertPendingGeneration(
        db,
        {
          projectId,
          kind: 'image',
          modelId: opts.modelId ?? null,
          runId: null,
          checkpointId: null,
          checkpointSha256: 'ab'.repeat(32),
          step: (i % 4) * 100,
          seed: i,
          prompt: PROMPTS[i % PROMPTS.length]!,
          params: { mode: 'sample' },
          backend: 'wasm',
          appVersion: '0.1.0',
          label: i % 2 ? 'cat face' : 'dog face',
        },
        1_700_000_000_000 + i * 1000,
      );
      const file = layout.generationFile(projectId, id);
      if (opts.withFiles) {
        fs.mkdirSync(path.dirname(path.join(service.ctx.dataDir, file)), { recursive: true });
        fs.writeFileSync(path.join(service.ctx.dataDir, file), 'png');
      }
      completeGeneration(db, id, file, 32, 32);
      ids.push(id);
    }
  })();
  return ids;
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

describe('gallery at 10,000 generations', () => {
  it('pages, counts, searches and filters', async () => {
    const { id: projectId } = await service.call('projects.create', { name: 'Big' });
    const modelId = insertModel(service.ctx.db, { projectId, name: 'Sprite model', family: 'cgan', config: {}, source: 'trained', meta: {} });
    const [, seedMs] = time(() => seed(projectId, 10_000, { modelId }));

    const t0 = performance.now();
    const first = await service.call('gallery.list', { projectId, limit: 120 });
    const firstMs = performance.now() - t0;
    expect(first.total).toBe(10_000);
    expect(first.items).toHaveLength(120);
    expect(first.items[0]!.id).toBe(10_000); // newest first

    const t1 = performance.now();
    const deep = await service.call('gallery.list', { projectId, offset: 9_000, limit: 120 });
    const deepMs = performance.now() - t1;
    expect(deep.items[0]!.id).toBe(1_000);

    const t2 = performance.now();
    const frogs = await service.call('gallery.list', { projectId, query: 'frog', limit: 120 });
    const searchMs = performance.now() - t2;
    expect(frogs.total).toBe(2_000);
    expect((await service.call('gallery.list', { projectId, query: 'smil' })).total).toBe(2_000); // prefix
    // Prompts and labels are both searched: "dog face" is in 2 of 5 prompts and is the label of even seeds.
    const dogs = Array.from({ length: 10_000 }, (_, i) => PROMPTS[i % 5]!.includes('dog face') || i % 2 === 0).filter(Boolean).length;
    expect((await service.call('gallery.list', { projectId, query: 'dog face' })).total).toBe(dogs);
    expect((await service.call('gallery.list', { projectId, query: 'sprite' })).total).toBe(10_000); // model name
    expect((await service.call('gallery.list', { projectId, query: '"(' })).total).toBe(0); // punctuation is harmless

    const t3 = performance.now();
    const filtered = await service.call('gallery.list', { projectId, query: 'cat', stepMin: 100, stepMax: 200, label: 'cat face', limit: 50 });
    const filterMs = performance.now() - t3;
    expect(filtered.items.every((i) => i.step >= 100 && i.step <= 200)).toBe(true);
    expect((await service.call('gallery.list', { projectId, seed: 42 })).items.map((i) => i.seed)).toEqual([42]);
    expect((await service.call('gallery.list', { projectId, from: 1_700_000_000_000, to: 1_700_000_009_000 })).total).toBe(10);
    expect((await service.call('gallery.list', { projectId, modelId })).total).toBe(10_000);
    const facets = await service.call('gallery.facets', { projectId });
    expect(facets).toMatchObject({ models: [{ id: modelId, count: 10_000 }], labels: ['cat face', 'dog face'], steps: [0, 100, 200, 300], trashed: 0 });

    const t4 = performance.now();
    await service.call('gallery.tag', { ids: [5], add: ['chosen'] });
    const tagMs = performance.now() - t4;
    expect((await service.call('gallery.list', { projectId, query: 'chosen' })).items.map((i) => i.id)).toEqual([5]);
    const t5 = performance.now();
    await service.call('gallery.tag', { ids: Array.from({ length: 2000 }, (_, i) => i + 1), add: ['bulk'] });
    const bulkMs = performance.now() - t5;
    expect((await service.call('gallery.list', { projectId, query: 'bulk' })).total).toBe(2000);

    console.log(
      `[figure] gallery at 10k: insert ${Math.round(seedMs)} ms; first page ${firstMs.toFixed(1)} ms; offset 9000 ${deepMs.toFixed(1)} ms; ` +
        `search ${searchMs.toFixed(1)} ms; search+filters ${filterMs.toFixed(1)} ms; tag 1 ${tagMs.toFixed(1)} ms; tag 2000 ${Math.round(bulkMs)} ms`,
    );
  });
});

describe('curation', () => {
  it('stars, tags (searchable), boards, trash with restore, and empty trash removing files', async () => {
    const { id: projectId } = await service.call('projects.create', { name: 'Small' });
    const ids = seed(projectId, 6, { withFiles: true });
    const [a, b, c] = ids as [number, number, number];

    await service.call('gallery.star', { ids: [a, b], starred: true });
    expect((await service.call('gallery.list', { projectId, starred: true })).items.map((i) => i.id).sort()).toEqual([a, b]);
    await service.call('gallery.star', { ids: [b], starred: false });
    expect((await service.call('gallery.get', { id: b })).starred).toBe(false);

    await service.call('gallery.tag', { ids: [a, c], add: ['Keeper', 'hero'] });
    await service.call('gallery.tag', { ids: [c], remove: ['hero'] });
    expect((await service.call('gallery.get', { id: a })).tags).toEqual(['hero', 'Keeper']);
    expect((await service.call('gallery.get', { id: c })).tags).toEqual(['Keeper']);
    expect((await service.call('gallery.list', { projectId, query: 'keeper' })).items.map((i) => i.id).sort()).toEqual([a, c]);
    expect((await service.call('gallery.list', { projectId, tag: 'HERO' })).items.map((i) => i.id)).toEqual([a]);

    const board = await service.call('boards.create', { projectId, name: 'Favourites' });
    await expect(service.call('boards.create', { projectId, name: 'favourites' })).rejects.toMatchObject({ code: 'conflict' });
    await service.call('boards.add', { boardId: board.id, ids: [a, b] });
    expect((await service.call('boards.list', { projectId }))[0]).toMatchObject({ name: 'Favourites', count: 2 });
    expect((await service.call('gallery.list', { projectId, boardId: board.id })).total).toBe(2);
    expect((await service.call('gallery.get', { id: a })).boards).toEqual([{ id: board.id, name: 'Favourites' }]);
    await service.call('boards.remove', { boardId: board.id, ids: [b] });
    await service.call('boards.rename', { id: board.id, name: 'Best' });
    expect((await service.call('boards.list', { projectId }))[0]).toMatchObject({ name: 'Best', count: 1 });

    await service.call('gallery.trash', { ids: [a, b] });
    expect((await service.call('gallery.list', { projectId })).total).toBe(4);
    expect((await service.call('gallery.list', { projectId, trashed: true })).items.map((i) => i.id).sort()).toEqual([a, b]);
    expect((await service.call('boards.list', { projectId }))[0]!.count).toBe(0); // trashed items leave boards' counts
    await service.call('gallery.restore', { ids: [a] });
    expect((await service.call('gallery.list', { projectId })).total).toBe(5);

    const fileB = (await service.call('gallery.get', { id: b })).file!;
    expect(fs.existsSync(path.join(service.ctx.dataDir, fileB))).toBe(true);
    expect(await service.call('gallery.emptyTrash', { projectId })).toEqual({ removed: 1 });
    expect(fs.existsSync(path.join(service.ctx.dataDir, fileB))).toBe(false);
    await expect(service.call('gallery.get', { id: b })).rejects.toMatchObject({ code: 'not_found' });
    expect((await service.call('gallery.list', { projectId, query: 'red' })).items.every((i) => i.id !== b)).toBe(true);
    await expect(service.call('gallery.star', { ids: [b], starred: true })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('hides pending rows (no file yet) and sweeps old ones', async () => {
    const { id: projectId } = await service.call('projects.create', { name: 'Pending' });
    const db = service.ctx.db;
    insertPendingGeneration(
      db,
      { projectId, kind: 'image', modelId: null, runId: null, checkpointId: null, checkpointSha256: 'x', step: 0, seed: 0, prompt: 'ghost', params: {}, backend: 'cpu', appVersion: '0', label: null },
      Date.now() - 3_600_000,
    );
    expect((await service.call('gallery.list', { projectId })).total).toBe(0);
    expect((await service.call('gallery.list', { projectId, query: 'ghost' })).total).toBe(0);
    expect(sweepPendingGenerations(db)).toBe(1);
  });
});
