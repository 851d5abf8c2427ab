/**
 * The engine side of an import, shaped like training's and sampling's: turns a `datasets.import` request
 * into a dataset row and a worker (workers/import.ts runs datasets/import.ts), and the worker's chunks of
 * finished items into catalog rows. The main thread is the catalog's only writer; every item a message
 * names already has its file. Which paths a door may read is the service's check, made before this.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { EngineContext } from '../../engine/context';
import type { JobHandle } from '../../engine/runner';
import type { WorkerMessage } from '../../engine/protocol';
import { AtelierError } from '../../../shared/errors';
import { getProject } from '../../catalog/projects';
import { getJob } from '../../catalog/jobs';
import { freeDatasetName, getDataset, insertDataset, insertItems, itemFingerprints } from '../../catalog/datasets';
import { uploadDir } from '../../datasets/staging';
import { inferDatasetKind } from '../../datasets/kind';
import type { ItemMeta } from '../../datasets/metadata';
import type { ImportMessage, ImportWorkerData } from './messages';

export interface ImportRequest {
  projectId: number;
  /** Folders, files and archives to import (the service has checked that this door may read them). */
  paths?: string[];
  /** Files the browser door uploaded into the staging area (web/upload.ts). */
  uploadId?: string;
  /** Add to this dataset; without it a new one is made, named `name` or after the first path. */
  datasetId?: number;
  name?: string;
  kind?: 'image' | 'text';
}

/** What the built-in samples add: per-file labels and tags, and where the dataset came from. */
export interface ImportExtras {
  meta?: Record<string, ItemMeta>;
  source?: string;
  attribution?: string | null;
}

export interface StartedImport {
  jobId: number;
  datasetId: number;
  handle: JobHandle;
}

/** Stored in job.params_json; `datasetId` is how a dataset finds its latest report. */
export interface ImportJobParams {
  datasetId: number;
  paths: string[];
  uploadId?: string;
}

function nameOfPath(p: string): string {
  const base = path.basename(p) || p;
  const isFile = (() => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  })();
  const dot = base.lastIndexOf('.');
  return isFile && dot > 0 ? base.slice(0, dot) : base;
}

/** Whether an import into this dataset is running in this process. */
export function isImporting(ctx: EngineContext, datasetId: number): boolean {
  return ctx.jobs.running().some((j) => j.kind === 'import' && (getJob(ctx.db, j.id)?.params as ImportJobParams | undefined)?.datasetId === datasetId);
}

export function startImport(ctx: EngineContext, input: ImportRequest, extra: ImportExtras = {}): StartedImport {
  const { db } = ctx;
  const project = getProject(db, input.projectId);
  const paths = (input.paths ?? []).map((p) => path.resolve(p));
  const sourceNames: Array<string | null> = paths.map(() => null);
  if (input.uploadId) {
    const dir = uploadDir(ctx.dataDir, input.uploadId);
    if (!fs.existsSync(dir)) throw new AtelierError('not_found', 'Nothing was uploaded under that id (or it was already imported).');
    // One dropped folder is that folder (its subfolders are labels); loose files are "upload".
    const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    if (entries.length === 1 && entries[0]!.isDirectory()) {
      paths.push(path.join(dir, entries[0]!.name));
      sourceNames.push(entries[0]!.name);
    } else {
      paths.push(dir);
      sourceNames.push('upload');
    }
  }
  let datasetId: number;
  if (input.datasetId !== undefined) {
    const d = getDataset(db, input.datasetId);
    if (d.projectId !== project.id) throw new AtelierError('bad_request', `Dataset ${d.id} does not belong to project ${project.id}.`);
    if (input.kind && input.kind !== d.kind) throw new AtelierError('bad_request', `"${d.name}" is a${d.kind === 'image' ? 'n image' : ' text'} dataset.`);
    datasetId = d.id;
  } else {
    const first = input.paths?.[0];
    // Named after the first path, without a file's extension ("pet-names.txt" → "pet-names").
    const wanted = input.name ?? (first ? nameOfPath(path.resolve(first)) : (sourceNames.find((n) => n && n !== 'upload') ?? 'Uploaded files'));
    datasetId = insertDataset(db, {
      projectId: project.id,
      name: freeDatasetName(db, project.id, wanted),
      // Text files (and no images) make a text dataset without being told; anything else an image one.
      kind: input.kind ?? inferDatasetKind(paths),
      source: extra.source,
      attribution: extra.attribution,
    });
    ctx.events.emit('catalog.changed', { entity: 'dataset', projectId: project.id, id: datasetId });
  }
  if (isImporting(ctx, datasetId)) throw new AtelierError('conflict', 'This dataset is already importing; wait for that import to finish.');
  const dataset = getDataset(db, datasetId);
  const workerData: ImportWorkerData = {
    dataDir: ctx.dataDir,
    projectId: project.id,
    datasetId,
    kind: dataset.kind,
    sources: paths,
    sourceNames,
    existing: itemFingerprints(db, datasetId),
    meta: extra.meta,
  };
  const params: ImportJobParams = { datasetId, paths, ...(input.uploadId ? { uploadId: input.uploadId } : {}) };
  let lastEmit = 0;
  const handle = ctx.jobs.start({
    kind: 'import',
    projectId: project.id,
    params,
    worker: 'import',
    workerData,
    onMessage: (msg: WorkerMessage) => {
      const m = msg as ImportMessage;
      if (m.type !== 'items') return;
      insertItems(db, datasetId, m.items);
      const now = Date.now();
      if (now - lastEmit > 500) {
        lastEmit = now;
        ctx.events.emit('catalog.changed', { entity: 'dataset', projectId: project.id, id: datasetId });
      }
    },
    onEnd: async () => {
      if (input.uploadId) await fsp.rm(uploadDir(ctx.dataDir, input.uploadId), { recursive: true, force: true }).catch(() => {});
      ctx.events.emit('catalog.changed', { entity: 'dataset', projectId: project.id, id: datasetId });
    },
  });
  return { jobId: handle.id, datasetId, handle };
}
