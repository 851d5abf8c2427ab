/**
 * Exporting text generations: one .txt per text, or all in one .csv (RFC 4180 quoting) / .json with
 * provenance; image formats refuse texts and text formats refuse images.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/main/catalog/db';
import type { Db } from '../../../src/main/catalog/db';
import { completeGeneration, insertPendingGeneration } from '../../../src/main/catalog/generations';
import { exportGenerations } from '../../../src/main/export/exporter';

let dir: string;
let db: Db;
let ids: number[];
let imageId: number;

const row = (kind: 'image' | 'text', text: string | null, index: number) => ({
  projectId: 1,
  kind,
  modelId: null,
  runId: null,
  checkpointId: null,
  checkpointSha256: 'a'.repeat(64),
  step: 30,
  seed: 3,
  prompt: 'cat ',
  params: { mode: 'text', request: { prompt: 'cat ', temperature: 0.8, topK: 0, maxLength: 40, seed: 3, count: 2, index }, modelName: 'LSTM', family: 'charlstm' },
  backend: 'wasm',
  appVersion: '0.1.0',
  label: null,
  text,
});

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-textexport-'));
  db = openCatalog(dir);
  db.prepare("INSERT INTO project (id, name, created_at, updated_at) VALUES (1, 'P', 0, 0)").run();
  ids = ['cat face', 'cat with "quotes", commas\nand a line'].map((t, i) => {
    const id = insertPendingGeneration(db, row('text', t, i));
    fs.mkdirSync(path.join(dir, 'g'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'g', `${id}.txt`), t);
    completeGeneration(db, id, `g/${id}.txt`, null, null);
    return id;
  });
  imageId = insertPendingGeneration(db, { ...row('image', null, 0), params: {} });
  completeGeneration(db, imageId, 'g/x.png', 8, 8);
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ db, dataDir: dir, appVersion: '0.1.0' });

describe('text export', () => {
  it('writes one .txt per text', async () => {
    const out = path.join(dir, 'out-txt');
    const r = await exportGenerations(env(), out, { ids, format: 'txt' });
    expect(r.files.map((f) => path.extname(f.name))).toEqual(['.txt', '.txt']);
    expect(fs.readFileSync(path.join(out, r.files[0]!.name), 'utf8')).toBe('cat face\n');
  });

  it('writes a CSV with the text, settings and provenance, quoting what needs it', async () => {
    const out = path.join(dir, 'out-csv');
    const r = await exportGenerations(env(), out, { ids, format: 'csv' });
    const csv = fs.readFileSync(path.join(out, r.files[0]!.name), 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^id,text,prompt,seed,index,temperature,top_k,max_length,model,family,step,checkpoint_sha256,backend,created_at$/);
    expect(lines[1]).toMatch(new RegExp(`^${ids[0]},cat face,cat ,3,0,0.8,0,40,`));
    expect(csv).toContain('"cat with ""quotes"", commas\nand a line"');
  });

  it('writes a JSON file with every text and its provenance', async () => {
    const out = path.join(dir, 'out-json');
    const r = await exportGenerations(env(), out, { ids, format: 'json' });
    const body = JSON.parse(fs.readFileSync(path.join(out, r.files[0]!.name), 'utf8')) as { texts: Array<{ id: number; text: string; provenance: { kind: string; seed: number } }> };
    expect(body.texts.map((t) => t.text)).toEqual(['cat face', 'cat with "quotes", commas\nand a line']);
    expect(body.texts[0]!.provenance).toMatchObject({ kind: 'text', seed: 3 });
  });

  it('keeps images and texts apart', async () => {
    await expect(exportGenerations(env(), path.join(dir, 'x1'), { ids: [imageId], format: 'csv' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(exportGenerations(env(), path.join(dir, 'x2'), { ids, format: 'png' })).rejects.toMatchObject({ code: 'bad_request' });
  });
});
