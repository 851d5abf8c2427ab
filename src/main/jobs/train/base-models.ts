import fs from 'node:fs';
import path from 'node:path';
import type { EngineContext } from '../../engine/context';
import { insertModelWithCheckpoint, listModels, updateModelConfig, type ModelRow } from '../../catalog/models';
import { findCheckpointBySha, listModelCheckpoints } from '../../catalog/checkpoints';

/**
 * Base models ship in resources/models/ (see its README for the recipe that produced each one). They
 * are registered in the catalog on first use, with their checkpoint file pointing into resources
 * ("resources:models/<file>") rather than being copied into every data folder.
 */
export interface BaseModelEntry {
  id: string;
  name: string;
  family: string;
  file: string; // relative to resources/models
  sha256: string;
  bytes: number;
  step: number;
  size: number;
  channels: number;
  labels?: string[];
  tags?: string[];
  attribution: string;
  recipe: Record<string, unknown>;
  config: Record<string, unknown>;
}

export function readBaseModels(resourcesDir: string): BaseModelEntry[] {
  const index = path.join(resourcesDir, 'models', 'index.json');
  if (!fs.existsSync(index)) return [];
  return (JSON.parse(fs.readFileSync(index, 'utf8')) as { models: BaseModelEntry[] }).models;
}

export function ensureBaseModels(ctx: EngineContext): void {
  const entries = readBaseModels(ctx.resourcesDir);
  retireUnshippedBaseModels(ctx, entries);
  for (const entry of entries) {
    if (findCheckpointBySha(ctx.db, entry.sha256)) continue;
    if (!fs.existsSync(path.join(ctx.resourcesDir, 'models', entry.file))) continue;
    insertModelWithCheckpoint(
      ctx.db,
      {
        projectId: null,
        name: entry.name,
        family: entry.family,
        config: entry.config,
        source: 'base',
        meta: { baseId: entry.id, labels: entry.labels ?? [], tags: entry.tags ?? [], size: entry.size, channels: entry.channels, attribution: entry.attribution, recipe: entry.recipe, lineage: [] },
      },
      { runId: null, step: entry.step, file: `resources:models/${entry.file}`, sha256: entry.sha256, bytes: entry.bytes },
    );
  }
}

/**
 * A base model registered by an earlier version whose file no longer ships (a release replaced it, as
 * the conditional emoji base replaced the Twemoji one) is marked retired: the model lists leave it out,
 * so nobody picks a model that cannot load. Its rows stay, so the lineage of what was made from it
 * (fine-tuned runs, generations, exported PNGs) still names it. A file that ships again un-retires it.
 */
function retireUnshippedBaseModels(ctx: EngineContext, entries: BaseModelEntry[]): void {
  // Shipped = listed in index.json with its file present (what ensureBaseModels registers).
  const shipped = new Set(entries.filter((e) => fs.existsSync(path.join(ctx.resourcesDir, 'models', e.file))).map((e) => e.sha256));
  for (const m of listModels(ctx.db, null)) {
    if (m.source !== 'base') continue;
    const available = listModelCheckpoints(ctx.db, m.id).some((c) => shipped.has(c.sha256));
    if (available === !isRetired(m)) continue;
    updateModelConfig(ctx.db, m.id, m.config, { ...m.meta, retired: !available });
  }
}

/** Whether a base model's file no longer ships (see retireUnshippedBaseModels). */
export function isRetired(m: ModelRow): boolean {
  return m.source === 'base' && m.meta['retired'] === true;
}
