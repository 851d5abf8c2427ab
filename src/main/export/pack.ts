/**
 * ZIP asset packs: the chosen images (each with its metadata), optionally a sprite sheet + atlas, and
 * `manifest.json` listing every file with its prompt, seed, model and checkpoint, the attribution of the
 * training data where the dataset (or a base model) carries one, and the model's lineage.
 * Zips are built in memory (exports are small images) and written atomically by the caller.
 */
import yazl from 'yazl';
import yauzl from 'yauzl';
import { AtelierError } from '../../shared/errors';
import type { LineageEntry, Provenance } from './png-metadata';

export interface ManifestFile {
  file: string;
  generationId: number | null;
  prompt: string | null;
  seed: number | null;
  width: number | null;
  height: number | null;
  model: string | null;
  checkpointSha256: string | null;
  step: number | null;
}

export interface PackManifest {
  format: 'atelier-asset-pack';
  version: 1;
  app: 'Atelier';
  appVersion: string;
  createdAt: string;
  files: ManifestFile[];
  models: Array<{ name: string; family: string; source: string | null; checkpointSha256: string; step: number; lineage: LineageEntry[] }>;
  attribution: Array<{ for: string; text: string }>;
  provenance: Provenance[];
}

export function buildManifest(entries: Array<{ file: string; provenance: Provenance | null }>, appVersion: string, now = new Date()): PackManifest {
  const models = new Map<string, PackManifest['models'][number]>();
  const attribution = new Map<string, { for: string; text: string }>();
  for (const { provenance: p } of entries) {
    if (!p) continue;
    if (!models.has(p.checkpoint.sha256)) {
      models.set(p.checkpoint.sha256, {
        name: p.model.name,
        family: p.model.family,
        source: p.model.source,
        checkpointSha256: p.checkpoint.sha256,
        step: p.checkpoint.step,
        lineage: p.lineage,
      });
    }
    if (p.dataset.attribution) attribution.set(`dataset:${p.dataset.attribution}`, { for: `dataset ${p.dataset.name ?? p.dataset.id ?? ''}`.trim(), text: p.dataset.attribution });
    for (const a of p.attribution) attribution.set(`model:${a}`, { for: `model ${p.model.name}`, text: a });
    for (const l of p.lineage) if (l.attribution) attribution.set(`lineage:${l.attribution}`, { for: `base ${l.modelName ?? l.checkpointSha256.slice(0, 8)}`, text: l.attribution });
  }
  return {
    format: 'atelier-asset-pack',
    version: 1,
    app: 'Atelier',
    appVersion,
    createdAt: now.toISOString(),
    files: entries.map(({ file, provenance: p }) => ({
      file,
      generationId: p?.generationId ?? null,
      prompt: p?.prompt ?? null,
      seed: p?.seed ?? null,
      width: p?.width ?? null,
      height: p?.height ?? null,
      model: p?.model.name ?? null,
      checkpointSha256: p?.checkpoint.sha256 ?? null,
      step: p?.checkpoint.step ?? null,
    })),
    models: [...models.values()],
    attribution: [...attribution.values()],
    provenance: entries.map((e) => e.provenance).filter((p): p is Provenance => p !== null),
  };
}

/** Zip entry names: forward slashes, no absolute paths, no `..`. */
function assertEntryName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((s) => s === '..' || s === '' || s === '.')) {
    throw new Error(`unsafe zip entry name ${JSON.stringify(name)}`);
  }
}

/** A zip of `entries` (name → bytes), deterministic timestamps so the same input gives the same bytes. */
export function zipEntries(entries: Array<{ name: string; data: Uint8Array | string }>, mtime = new Date(Date.UTC(2020, 0, 1))): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const seen = new Set<string>();
  for (const e of entries) {
    assertEntryName(e.name);
    if (seen.has(e.name)) throw new Error(`duplicate zip entry ${e.name}`);
    seen.add(e.name);
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : Buffer.from(e.data);
    // Images are already compressed; storing them avoids wasted effort.
    const compress = !/\.(png|jpe?g|webp|gif|ckpt|bin)$/i.test(e.name);
    zip.addBuffer(data, e.name, { mtime, mode: 0o100644, compress });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (d: Buffer) => parts.push(d));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
  });
}

export interface UnzipLimits {
  /** Largest single entry, uncompressed. */
  maxEntryBytes: number;
  /** Largest total, uncompressed. */
  maxTotalBytes: number;
  maxEntries: number;
}

/**
 * Read a zip's entries into memory with limits (a zip bomb or a hostile name fails cleanly). Entry names
 * are returned as stored; callers look up only names they expect.
 */
export function unzipEntries(data: Buffer, limits: UnzipLimits): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(data, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) return reject(new AtelierError('invalid_input', `This is not a readable zip file: ${err?.message ?? 'unknown error'}`));
      const out = new Map<string, Buffer>();
      let total = 0;
      let count = 0;
      const fail = (e: Error) => {
        zip.close();
        reject(e instanceof AtelierError ? e : new AtelierError('invalid_input', `The zip file is damaged: ${e.message}`));
      };
      zip.on('error', fail);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        count++;
        if (count > limits.maxEntries) return fail(new AtelierError('invalid_input', 'The zip file has too many entries.'));
        if (/\/$/.test(entry.fileName)) return zip.readEntry();
        if (entry.uncompressedSize > limits.maxEntryBytes || total + entry.uncompressedSize > limits.maxTotalBytes) {
          return fail(new AtelierError('invalid_input', `The zip entry ${entry.fileName} is too large.`));
        }
        total += entry.uncompressedSize;
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e ?? new Error('no stream'));
          const parts: Buffer[] = [];
          let got = 0;
          stream.on('data', (d: Buffer) => {
            got += d.length;
            if (got > limits.maxEntryBytes) stream.destroy(new AtelierError('invalid_input', `The zip entry ${entry.fileName} is too large.`));
            else parts.push(d);
          });
          stream.on('error', fail);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(parts));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
