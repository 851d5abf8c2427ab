import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCatalog } from '../../../src/main/catalog/db';
import { insertDataset } from '../../../src/main/catalog/datasets';
import { layout } from '../../../src/main/files/data-dir';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Test fixture: a project holding (a slice of) a built-in sample dataset, written straight into the
 * catalog the way the importer stores items (content-addressed copies, labels, tags). Tests of training
 * use it so they do not depend on the importer.
 */
export function seedSampleProject(dataDir: string, opts: { sampleId?: string; limit?: number; projectName?: string } = {}): { projectId: number; datasetId: number } {
  const sampleId = opts.sampleId ?? 'twemoji-faces-animals-food';
  const db = openCatalog(dataDir);
  try {
    const now = Date.now();
    const projectId = Number(db.prepare('INSERT INTO project (name, created_at, updated_at) VALUES (?, ?, ?)').run(opts.projectName ?? 'Test', now, now).lastInsertRowid);
    const root = path.join(ROOT, 'resources', 'samples', sampleId);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as {
      name: string;
      attribution: string;
      items: Array<{ file: string; label: string; tags: string[] }>;
    };
    const datasetId = insertDataset(db, { projectId, name: manifest.name, kind: 'image', source: `sample:${sampleId}`, attribution: manifest.attribution });
    const items = opts.limit ? manifest.items.filter((_, i) => i % Math.ceil(manifest.items.length / opts.limit!) === 0) : manifest.items;
    const insertItem = db.prepare(
      'INSERT INTO item (dataset_id, hash, file, original_name, mime, bytes, width, height, has_alpha, label, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
    );
    db.transaction(() => {
      for (const it of items) {
        const buf = fs.readFileSync(path.join(root, it.file));
        const hash = crypto.createHash('sha256').update(buf).digest('hex');
        const file = layout.itemFile(projectId, hash, '.png');
        fs.mkdirSync(path.dirname(path.join(dataDir, file)), { recursive: true });
        fs.writeFileSync(path.join(dataDir, file), buf);
        const id = Number(insertItem.run(datasetId, hash, file, it.file, 'image/png', buf.length, 64, 64, 1, it.label, now).lastInsertRowid);
        for (const t of it.tags) {
          db.prepare('INSERT OR IGNORE INTO tag (name) VALUES (?)').run(t);
          const tagId = (db.prepare('SELECT id FROM tag WHERE name = ? COLLATE NOCASE').get(t) as { id: number }).id;
          db.prepare('INSERT OR IGNORE INTO item_tag (item_id, tag_id) VALUES (?, ?)').run(id, tagId);
        }
      }
    })();
    return { projectId, datasetId };
  } finally {
    db.close();
  }
}
