/**
 * A catalog with one project, a dataset with attribution, a trained model + checkpoint + run (fine-tuned
 * from a base model, for lineage) and image generations whose PNGs are written straight into the data
 * folder: exports read rows and files only, so no training or sampling is needed.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { openCatalog, type Db } from '../../../src/main/catalog/db';

export interface Fixture {
  db: Db;
  dataDir: string;
  projectId: number;
  runId: number;
  generationIds: number[];
}

/** A 32×32 icon-like sprite: a filled shape on transparency, a different colour per index. */
export async function spritePng(i: number, size = 32): Promise<Buffer> {
  const hue = ['#e74c3c', '#27ae60', '#2980b9', '#f1c40f', '#8e44ad', '#16a085'][i % 6];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <rect x="${4 + (i % 3)}" y="6" width="${size - 12}" height="${size - 14}" fill="${hue}"/>
    <rect x="${size / 2 - 3}" y="${size / 2 - 3}" width="6" height="6" fill="#111111"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function makeFixture(dataDir: string, count = 4): Promise<Fixture> {
  const db = openCatalog(dataDir);
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);
  const projectId = Number(db.prepare('INSERT INTO project (name, created_at, updated_at) VALUES (?, ?, ?)').run('Export test', now, now).lastInsertRowid);
  const datasetId = Number(
    db
      .prepare("INSERT INTO dataset (project_id, name, kind, source, attribution, created_at, updated_at) VALUES (?, 'Emoji faces', 'image', 'sample:twemoji', ?, ?, ?)")
      .run(projectId, 'Twemoji by Twitter, Inc and other contributors, CC-BY 4.0', now, now).lastInsertRowid,
  );
  const baseModel = Number(
    db
      .prepare("INSERT INTO model (project_id, name, family, config_json, source, meta_json, created_at) VALUES (NULL, 'Base faces', 'default', '{}', 'base', ?, ?)")
      .run(JSON.stringify({ attribution: 'Base model trained on Twemoji (CC-BY 4.0)' }), now).lastInsertRowid,
  );
  const baseCkpt = Number(
    db.prepare("INSERT INTO checkpoint (model_id, run_id, step, file, sha256, bytes, created_at) VALUES (?, NULL, 5000, 'resources:models/base.ckpt', ?, 10, ?)").run(baseModel, 'b'.repeat(64), now).lastInsertRowid,
  );
  const modelId = Number(
    db.prepare("INSERT INTO model (project_id, name, family, config_json, source, meta_json, created_at) VALUES (?, 'Pixel pets v1', 'default', '{}', 'trained', '{}', ?)").run(projectId, now).lastInsertRowid,
  );
  const runId = Number(
    db
      .prepare("INSERT INTO run (project_id, model_id, dataset_id, name, status, params_json, step, parent_checkpoint_id, created_at, updated_at) VALUES (?, ?, ?, 'pets run', 'done', '{}', 1200, ?, ?, ?)")
      .run(projectId, modelId, datasetId, baseCkpt, now, now).lastInsertRowid,
  );
  const sha = 'a1b2c3d4'.padEnd(64, 'e');
  const checkpointId = Number(
    db.prepare('INSERT INTO checkpoint (model_id, run_id, step, file, sha256, bytes, created_at) VALUES (?, ?, 1200, ?, ?, 10, ?)').run(modelId, runId, 'projects/1/runs/1/checkpoints/x.ckpt', sha, now).lastInsertRowid,
  );
  const generationIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const png = await spritePng(i);
    const info = db
      .prepare(
        `INSERT INTO generation (project_id, kind, model_id, run_id, checkpoint_id, checkpoint_sha256, step, seed, prompt, params_json, backend, app_version, width, height, created_at)
         VALUES (?, 'image', ?, ?, ?, ?, 1200, ?, ?, ?, 'cpu', '0.1.0', 32, 32, ?)`,
      )
      .run(projectId, modelId, runId, checkpointId, sha, 100 + i, i === 1 ? 'chat souriant — ünïcode ✨' : `red fox ${i}, pixel art`, JSON.stringify({ truncation: 0.8 }), now + i);
    const id = Number(info.lastInsertRowid);
    const media = `projects/${projectId}/generations/0/${id}.png`;
    fs.mkdirSync(path.join(dataDir, path.dirname(media)), { recursive: true });
    fs.writeFileSync(path.join(dataDir, media), png);
    db.prepare('UPDATE generation SET file = ? WHERE id = ?').run(media, id);
    generationIds.push(id);
  }
  // Sample grids of the run, for the training timeline.
  for (const step of [200, 400, 600]) {
    const media = `projects/${projectId}/runs/${runId}/grids/step-${step}.png`;
    fs.mkdirSync(path.join(dataDir, path.dirname(media)), { recursive: true });
    fs.writeFileSync(path.join(dataDir, media), await spritePng(step / 200, 48));
    db.prepare('INSERT INTO sample_grid (run_id, step, file, created_at) VALUES (?, ?, ?, ?)').run(runId, step, media, now);
  }
  return { db, dataDir, projectId, runId, generationIds };
}

/** Every file under a folder (relative paths), for "nothing left behind" checks. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}
