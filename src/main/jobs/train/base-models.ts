import fs from 'node:fs';
import path from 'node:path';
import type { EngineContext } from '../../engine/context';
import { insertModelWithCheckpoint } from '../../catalog/models';
import { findCheckpointBySha } from '../../catalog/checkpoints';

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
  for (const entry of readBaseModels(ctx.resourcesDir)) {
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
