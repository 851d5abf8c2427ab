/**
 * Trained models travel between installs as one `.atelier-model` file (a zip):
 *
 *   atelier-model.json   what Atelier needs to list and use it: name, family, config, vocabulary, step,
 *                        checkpoint hash, training-data attribution and lineage (BundleMeta)
 *   checkpoint.ckpt      the checkpoint, byte for byte (its SHA-256 is the model's identity)
 *   tfjs/model.json      a TensorFlow.js weights manifest (tf.io.decodeWeights / loadWeights) for the
 *   tfjs/weights.bin     model's parameters, EMA weights and layer state (no optimizer moments), so the
 *                        weights are usable outside Atelier too
 *
 * Import checks the bundle (sizes, JSON schema, the checkpoint's own checksum and the declared hash),
 * copies the checkpoint into the data folder atomically, then writes the model and checkpoint rows with
 * source 'imported'. Importing the same checkpoint twice returns the model already there.
 */
import { z } from 'zod';
import { AtelierError } from '../../shared/errors';
import { decodeCheckpoint, type Checkpoint } from '../ml/checkpoint';
import { unzipEntries, zipEntries } from './pack';
import type { LineageEntry } from './png-metadata';

export const BUNDLE_FORMAT = 'atelier-model-bundle';
export const BUNDLE_VERSION = 1;
export const BUNDLE_EXTENSION = '.atelier-model';
const MAX_CHECKPOINT_BYTES = 1024 * 1024 * 1024;

const LineageSchema = z.object({
  checkpointSha256: z.string(),
  step: z.number(),
  modelName: z.string().nullable(),
  family: z.string().nullable(),
  runId: z.number().nullable(),
  datasetName: z.string().nullable(),
  attribution: z.string().nullable(),
});

export const BundleMetaSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.number().int().min(1),
  app: z.literal('Atelier'),
  appVersion: z.string(),
  exportedAt: z.string(),
  model: z.object({
    name: z.string().min(1).max(200),
    family: z.string().min(1).max(64),
    config: z.record(z.string(), z.unknown()),
    source: z.string(),
    meta: z.record(z.string(), z.unknown()),
  }),
  checkpoint: z.object({
    file: z.literal('checkpoint.ckpt'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    step: z.number().int().nonnegative(),
    metric: z.number().nullable(),
  }),
  dataset: z.object({ name: z.string().nullable(), source: z.string().nullable(), attribution: z.string().nullable() }).nullable(),
  lineage: z.array(LineageSchema),
  tfjs: z.object({ modelJson: z.string() }).nullable(),
});
export type BundleMeta = z.infer<typeof BundleMetaSchema>;

export interface BundleSource {
  appVersion: string;
  model: { name: string; family: string; config: Record<string, unknown>; source: string; meta: Record<string, unknown> };
  checkpoint: { bytes: Buffer; step: number; metric: number | null };
  dataset: { name: string | null; source: string | null; attribution: string | null } | null;
  lineage: LineageEntry[];
}

/** The tfjs weights manifest + one shard for a checkpoint's weights. */
export function tfjsWeights(ckpt: Checkpoint, family: string, appVersion: string): { modelJson: string; weights: Buffer } {
  const kept = [...ckpt.tensors.values()].filter((t) => t.role === 'param' || t.role === 'ema' || t.role === 'state');
  const weights = Buffer.concat(kept.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  const manifest = {
    format: 'atelier-weights',
    generatedBy: `Atelier ${appVersion}`,
    convertedBy: null,
    modelTopology: null,
    userDefinedMetadata: { family, config: ckpt.header.config, step: ckpt.header.step, vocab: ckpt.header.vocab, roles: Object.fromEntries(kept.map((t) => [t.name, t.role])) },
    weightsManifest: [{ paths: ['weights.bin'], weights: kept.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })) }],
  };
  return { modelJson: JSON.stringify(manifest, null, 1), weights };
}

/** Build the bundle's bytes (the caller writes them atomically). */
export async function buildModelBundle(src: BundleSource, now = new Date()): Promise<{ bytes: Buffer; meta: BundleMeta }> {
  const ckpt = decodeCheckpoint(src.checkpoint.bytes, 'checkpoint');
  const tf = tfjsWeights(ckpt, src.model.family, src.appVersion);
  const meta: BundleMeta = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    app: 'Atelier',
    appVersion: src.appVersion,
    exportedAt: now.toISOString(),
    model: src.model,
    checkpoint: { file: 'checkpoint.ckpt', sha256: ckpt.sha256, bytes: ckpt.bytes, step: src.checkpoint.step, metric: src.checkpoint.metric },
    dataset: src.dataset,
    lineage: src.lineage,
    tfjs: { modelJson: 'tfjs/model.json' },
  };
  const bytes = await zipEntries([
    { name: 'atelier-model.json', data: JSON.stringify(meta, null, 2) },
    { name: 'checkpoint.ckpt', data: src.checkpoint.bytes },
    { name: 'tfjs/model.json', data: tf.modelJson },
    { name: 'tfjs/weights.bin', data: tf.weights },
  ]);
  return { bytes, meta };
}

/** Read and verify a bundle: metadata schema, checkpoint checksum, declared hash and family. */
export async function readModelBundle(data: Buffer): Promise<{ meta: BundleMeta; checkpoint: Buffer; decoded: Checkpoint }> {
  const entries = await unzipEntries(data, { maxEntries: 16, maxEntryBytes: MAX_CHECKPOINT_BYTES, maxTotalBytes: 2 * MAX_CHECKPOINT_BYTES + 1024 * 1024 });
  const metaBytes = entries.get('atelier-model.json');
  const checkpoint = entries.get('checkpoint.ckpt');
  if (!metaBytes || !checkpoint) throw new AtelierError('invalid_input', 'This file is not an Atelier model (atelier-model.json or checkpoint.ckpt is missing).');
  let raw: unknown;
  try {
    raw = JSON.parse(metaBytes.toString('utf8'));
  } catch {
    throw new AtelierError('invalid_input', 'The model description (atelier-model.json) is not valid JSON.');
  }
  const parsed = BundleMetaSchema.safeParse(raw);
  if (!parsed.success) throw new AtelierError('invalid_input', `The model description is not one Atelier understands: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
  const meta = parsed.data;
  if (meta.version > BUNDLE_VERSION) throw new AtelierError('unsupported', `This model was exported by a newer Atelier (bundle format ${meta.version}). Update Atelier to import it.`);
  const decoded = decodeCheckpoint(checkpoint, 'checkpoint.ckpt');
  if (decoded.sha256 !== meta.checkpoint.sha256) throw new AtelierError('invalid_input', 'The checkpoint inside the model file does not match its description (hash differs); the file is damaged.');
  if (decoded.header.family !== meta.model.family) throw new AtelierError('invalid_input', `The checkpoint is a ${decoded.header.family} model, but the description says ${meta.model.family}.`);
  return { meta, checkpoint, decoded };
}
