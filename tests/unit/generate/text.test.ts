/**
 * Text generation through the service: a tiny char-LSTM checkpoint registered as a trained text model,
 * texts sampled in a worker into .txt files and kind='text' generation rows with provenance, the same
 * seed + settings giving the same texts, and the rows behaving in the gallery like images (search,
 * stars, trash). Also text.suggest and the refusals between image and text models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { initBackend } from '../../../src/main/ml/backend';
import { TextTrainingSession } from '../../../src/main/ml/text/text-session';
import { insertModel } from '../../../src/main/catalog/models';
import { insertCheckpoint } from '../../../src/main/catalog/checkpoints';
import { layout } from '../../../src/main/files/data-dir';

const SAMPLE = path.resolve(__dirname, '../../../resources/samples/twemoji-names.txt');

let service: Service;
let dataDir: string;
let projectId: number;
let modelId: number;
let checkpointId: number;
let sha256: string;
/** The texts of the first test (seed 42, count 4). */
let first: string[] = [];

beforeAll(async () => {
  await initBackend('wasm', { threads: 1 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-gentext-'));
  const documents = fs.readFileSync(SAMPLE, 'utf8').split('\n').filter((l) => l.length > 0);
  const s = await TextTrainingSession.create({
    family: 'charlstm',
    data: { kind: 'text', documents },
    seed: 5,
    config: { hiddenSize: 32, contextLength: 16, batchSize: 16, lr: 1e-2, heldOutFraction: 0.04 },
  });
  for (let i = 0; i < 5; i++) s.trainStep();
  service = createService({ dataDir, door: 'direct' });
  projectId = (await service.call('projects.create', { name: 'Names' })).id;
  const db = service.ctx.db;
  modelId = insertModel(db, {
    projectId,
    name: 'Char LSTM on emoji names',
    family: 'charlstm',
    config: {},
    source: 'trained',
    meta: { lineage: [{ checkpointId: null, sha256: 'parent', modelName: 'Parent', family: 'charlstm', step: 3, source: 'trained' }] },
  });
  const rel = layout.checkpointFile(projectId, 999, 5);
  fs.mkdirSync(path.dirname(path.join(dataDir, rel)), { recursive: true });
  const saved = await s.saveCheckpoint(path.join(dataDir, rel));
  s.dispose();
  sha256 = saved.sha256;
  checkpointId = insertCheckpoint(db, { modelId, runId: null, step: 5, file: rel, sha256, bytes: saved.bytes });
}, 120_000);

afterAll(async () => {
  await service?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const text = (input: Record<string, unknown>) =>
  service.call('generate.text', { projectId, modelId, backend: 'wasm', prompt: 'cat ', temperature: 0.9, topK: 0, maxLength: 24, seed: 42, count: 4, ...input });

describe('generate.text', () => {
  it('stores each text as a text generation with its .txt file and provenance, and streams it', async () => {
    const streamed: Array<{ kind?: string; text?: string | null }> = [];
    const off = service.events.onAny((e, p) => {
      if (e === 'generate.image') streamed.push((p as { item: { kind?: string; text?: string | null } }).item);
    });
    const r = await text({});
    off();
    first = r.texts;
    expect(r.status).toBe('done');
    expect(r.error).toBeNull();
    expect(r.backend).toBe('wasm');
    expect(r.step).toBe(5);
    expect(r.checkpointSha256).toBe(sha256);
    expect(r.texts).toHaveLength(4);
    expect(r.generationIds).toHaveLength(4);
    for (const t of r.texts) expect(t.startsWith('cat ')).toBe(true);
    expect(streamed.map((i) => i.kind)).toEqual(['text', 'text', 'text', 'text']);
    expect(streamed.map((i) => i.text)).toEqual(r.texts);

    const g = await service.call('gallery.get', { id: r.generationIds[2]! });
    expect(g).toMatchObject({ kind: 'text', modelId, checkpointId, checkpointSha256: sha256, step: 5, seed: 42, prompt: 'cat ', backend: 'wasm', text: r.texts[2], width: null, height: null });
    expect(g.appVersion).toMatch(/\d+\.\d+/);
    expect(g.params).toMatchObject({ mode: 'text', family: 'charlstm', request: { prompt: 'cat ', temperature: 0.9, topK: 0, maxLength: 24, seed: 42, count: 4, index: 2 } });
    expect((g.params.lineage as unknown[]).length).toBe(1);
    expect(g.file).toMatch(/\.txt$/);
    expect(fs.readFileSync(path.join(dataDir, g.file!), 'utf8')).toBe(r.texts[2]);
    // The prefix is remembered like an image prompt.
    expect((await service.call('prompts.history', { projectId, query: 'cat' })).map((h) => h.prompt)).toContain('cat ');
  });

  it('is reproducible: the same seed and settings give the same texts; another seed does not', async () => {
    const a = await text({ seed: 7, count: 6 });
    const b = await text({ seed: 7, count: 6 });
    expect(b.texts).toEqual(a.texts);
    expect(b.generationIds).not.toEqual(a.generationIds);
    // Text i does not depend on how many were asked for; another seed gives other texts.
    const c = await text({ seed: 42, count: 6 });
    expect(c.texts.slice(0, 4)).toEqual(first);
    expect(c.texts).not.toEqual(a.texts);
  });

  it('puts text cards in the gallery: listed with their text, searchable by it, starred and trashed like images', async () => {
    const r = await text({ prompt: 'zebra ', seed: 3, count: 2 });
    const page = await service.call('gallery.list', { projectId, query: 'zebra' });
    expect(page.items.map((i) => i.id).sort()).toEqual([...r.generationIds].sort());
    expect(page.items.every((i) => i.kind === 'text' && i.text !== null && i.text!.startsWith('zebra '))).toBe(true);
    // The generated part (not only the prefix) is searchable too.
    const word = r.texts[0]!.slice('zebra '.length).match(/[\p{L}\p{N}]{2,}/u)?.[0];
    if (word) expect((await service.call('gallery.list', { projectId, query: `zebra ${word}` })).items.map((i) => i.id)).toContain(r.generationIds[0]);

    await service.call('gallery.star', { ids: [r.generationIds[0]!], starred: true });
    expect((await service.call('gallery.list', { projectId, starred: true })).items.map((i) => i.id)).toEqual([r.generationIds[0]]);
    await service.call('gallery.trash', { ids: [r.generationIds[1]!] });
    expect((await service.call('gallery.list', { projectId, query: 'zebra' })).items.map((i) => i.id)).toEqual([r.generationIds[0]]);
    expect((await service.call('gallery.list', { projectId, trashed: true })).items.map((i) => i.id)).toContain(r.generationIds[1]);
  });

  it('suggests distinct completions of a prefix from the project text model, storing nothing', async () => {
    const before = (await service.call('gallery.list', { projectId })).total;
    const s = await service.call('text.suggest', { projectId, prefix: 'smiling ', count: 3, seed: 1, backend: 'wasm' });
    expect(s.modelId).toBe(modelId);
    expect(s.step).toBe(5);
    expect(s.suggestions.length).toBeGreaterThan(0);
    expect(s.suggestions.length).toBeLessThanOrEqual(3);
    expect(new Set(s.suggestions).size).toBe(s.suggestions.length);
    for (const t of s.suggestions) expect(t.startsWith('smiling')).toBe(true);
    expect((await service.call('gallery.list', { projectId })).total).toBe(before);
    // A project without a text model gets no suggestions, not an error.
    const other = await service.call('projects.create', { name: 'Empty' });
    expect(await service.call('text.suggest', { projectId: other.id, prefix: 'a' })).toEqual({ modelId: null, modelName: null, step: null, suggestions: [] });
  });

  it('refuses image models for text and text models for images', async () => {
    const imageModel = insertModel(service.ctx.db, { projectId, name: 'GAN', family: 'dcgan', config: {}, source: 'trained', meta: {} });
    await expect(text({ modelId: imageModel })).rejects.toMatchObject({ code: 'unsupported' });
    await expect(service.call('generate.start', { projectId, modelId, seed: 1 })).rejects.toMatchObject({ code: 'unsupported' });
  });
});
