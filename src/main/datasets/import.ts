/**
 * The import engine (runs in the import worker): walk the sources, check every file, copy the good ones
 * into the data folder content-addressed, and hand finished items to the catalog in chunks. Nothing here
 * writes the catalog: `sink.commit` does (on the main thread), after the files exist, so a process
 * killed at any point leaves only whole items, and running the same import again adds only what is
 * missing (an item's identity is its sha256).
 */
import crypto from 'node:crypto';
import type { ItemInsert } from '../catalog/datasets';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ImportReport, SkipReason } from '../../shared/contract/datasets';
import { writeFileAtomic } from '../files/atomic';
import { containedPath } from '../files/contain';
import { layout } from '../files/data-dir';
import { cleanImage, decodeImage, MAX_IMAGE_BYTES, removedWarning, SkipError, type CleanedImage } from './decode';
import { mergeMeta, MAX_META_BYTES, parseManifest, parseSidecar, type ItemMeta } from './metadata';
import { colourDistance, colourOf, hamming, hashWords, NEAR_DUPLICATE_COLOUR, NEAR_DUPLICATE_DISTANCE } from './phash';
import { TEXT_EXTENSIONS } from './sniff';
import { LimitError, openSource, openZip, type OpenedSource, type SourceFile, type SourceProblem } from './sources';
import { checkText, MAX_TEXT_BYTES } from './text';

export interface ImportParams {
  dataDir: string;
  projectId: number;
  datasetId: number;
  kind: 'image' | 'text';
  /** Absolute paths: folders, files, zip archives. */
  sources: string[];
  /** Names the report shows for each source's root (default: its base name). */
  sourceNames?: Array<string | null>;
  /** What the dataset already holds, so a re-run skips those files without decoding them. */
  existing: Array<{ hash: string; phash: string | null; name: string }>;
  /** Extra metadata by path relative to a source root (the built-in samples use it). */
  meta?: Record<string, ItemMeta>;
  /** Items per catalog transaction. */
  chunkSize?: number;
}

/** One finished item: its files exist; the catalog row is the sink's job. */
export type NewItem = ItemInsert;

export interface ImportSink {
  commit(items: NewItem[]): void | Promise<void>;
  progress(done: number, total: number | null, message?: string): void;
  /** Called between files: yields to control messages; a non-null answer ends the import early. */
  shouldStop(): Promise<'cancel' | 'stop' | 'finish' | null>;
}

export type ImportOutcome = Omit<ImportReport, 'datasetId' | 'jobId' | 'status'> & { ended: 'done' | 'cancelled' | 'interrupted' };

const MAX_LISTED = 5_000;
const MAX_NEAR_PAIRS = 1_000;

/**
 * Near-duplicate search: with distance ≤ 4, two 64-bit hashes agree exactly on one of 5 bit blocks. A pair
 * whose shapes match must also match in colour (phash.ts), so recoloured copies of one drawing are not reported.
 */
class NearIndex {
  private readonly blocks: Array<Map<number, number[]>> = Array.from({ length: 5 }, () => new Map());
  private readonly words: Array<[number, number]> = [];
  private readonly colours: Array<Uint8Array | null> = [];
  readonly names: string[] = [];

  private keys(w: [number, number]): number[] {
    const hi = w[0];
    const lo = w[1];
    return [hi >>> 19, (hi >>> 6) & 0x1fff, ((hi & 0x3f) << 7) | (lo >>> 25), (lo >>> 12) & 0x1fff, lo & 0xfff];
  }

  /** Indices of earlier entries within the distance; then adds this one. */
  addAndFind(hex: string, name: string, limit: number): Array<{ index: number; distance: number }> {
    const w = hashWords(hex);
    const colour = colourOf(hex);
    const keys = this.keys(w);
    const found = new Map<number, number>();
    for (let b = 0; b < 5; b++) {
      const bucket = this.blocks[b]!.get(keys[b]!);
      if (!bucket) continue;
      for (const i of bucket) {
        if (found.has(i) || found.size >= limit) continue;
        const d = hamming(w, this.words[i]!);
        if (d > NEAR_DUPLICATE_DISTANCE) continue;
        const other = this.colours[i];
        if (colour && other && colourDistance(colour, other) > NEAR_DUPLICATE_COLOUR) continue;
        found.set(i, d);
      }
    }
    const index = this.words.length;
    this.words.push(w);
    this.colours.push(colour);
    this.names.push(name);
    for (let b = 0; b < 5; b++) {
      const m = this.blocks[b]!;
      const list = m.get(keys[b]!);
      if (list) list.push(index);
      else m.set(keys[b]!, [index]);
    }
    return [...found].map(([i, d]) => ({ index: i, distance: d }));
  }
}

interface Candidate {
  file: SourceFile;
  label: string | null;
  meta: ItemMeta;
  sidecar: SourceFile | null;
}

function stemOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  const dot = rel.lastIndexOf('.');
  return dot > slash + 1 ? rel.slice(0, dot) : rel;
}

function dirOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** What the report collects while an import runs; its lists are capped so a huge import stays small. */
class ImportTally {
  readonly skipped: ImportOutcome['skipped'] = [];
  readonly duplicateOf: ImportOutcome['duplicateOf'] = [];
  readonly nearDuplicates: ImportOutcome['nearDuplicates'] = [];
  readonly warnings: ImportOutcome['warnings'] = [];
  skippedMore = 0;
  imported = 0;
  duplicates = 0;
  alreadyPresent = 0;
  /** Files of the other kind (text files in an image import, images in a text one): said once more in a note. */
  otherKind = 0;

  skip(display: string, reason: SkipReason, detail: string, technical?: string): void {
    if (this.skipped.length < MAX_LISTED) this.skipped.push({ path: display, reason, detail, ...(technical ? { technical } : {}) });
    else this.skippedMore++;
  }

  problem(p: SourceProblem): void {
    this.skip(p.display, p.reason, p.detail, p.technical);
  }

  outcome(kind: ImportParams['kind'], ended: ImportOutcome['ended'], total: number, started: number): ImportOutcome {
    const { imported, otherKind, skipped, warnings } = this;
    if (this.skippedMore > 0) warnings.push({ path: '', message: `${this.skippedMore} more skipped files are not listed` });
    if (otherKind > 0) {
      const n = otherKind === 1 ? 'One text file was' : `${otherKind} text files were`;
      warnings.unshift({
        path: '',
        message:
          kind === 'image'
            ? `${n} not imported: this is an image dataset (${imported} image${imported === 1 ? '' : 's'} imported). Import the text files on their own and they become a text dataset for the text models.`
            : `${otherKind === 1 ? 'One file was' : `${otherKind} files were`} not imported: this is a text dataset (${imported} text file${imported === 1 ? '' : 's'} imported). Import images on their own and they become an image dataset.`,
      });
    }
    return {
      ended,
      seen: total + skipped.filter((s) => s.reason === 'escapes_root' || s.reason === 'archive_limit').length,
      imported,
      duplicates: this.duplicates,
      alreadyPresent: this.alreadyPresent,
      skipped,
      duplicateOf: this.duplicateOf,
      nearDuplicates: this.nearDuplicates,
      warnings,
      elapsedMs: Date.now() - started,
    };
  }
}

/**
 * An import in three parts: collect (open the sources, sort their files into candidates), prepare
 * (read, check and store each candidate, several at once) and commit (take the results in order,
 * merge duplicates, hand new items to the catalog in chunks).
 */
export async function runImport(params: ImportParams, sink: ImportSink): Promise<ImportOutcome> {
  const started = Date.now();
  const tally = new ImportTally();
  const { opened, candidates } = await collect(params, tally);
  const existing = new Map(params.existing.map((e) => [e.hash, e.name]));
  const committer = new Committer(params, sink, tally);
  const total = candidates.length;
  let done = 0;
  let lastProgress = 0;
  sink.progress(0, total, 'Looking at files');
  let ended: ImportOutcome['ended'] = 'done';
  // Up to WINDOW files are read, decoded and stored at once (decode threads and fsyncs overlap), but
  // results are taken in order, so the same import always gives the same item order and the same report.
  const WINDOW = 8;
  const WINDOW_BYTES = 64 * 1024 * 1024;
  const inFlight: Array<{ c: Candidate; size: number; result: Promise<Prepared> }> = [];
  let inFlightBytes = 0;
  let next = 0;
  let stopping = false;
  while (next < candidates.length || inFlight.length > 0) {
    while (!stopping && next < candidates.length && inFlight.length < WINDOW && (inFlight.length === 0 || inFlightBytes + candidates[next]!.file.size <= WINDOW_BYTES)) {
      const c = candidates[next++]!;
      const size = c.file.size;
      inFlightBytes += size;
      // Errors are values here; the catch only keeps an early rejection from being "unhandled".
      const result = prepare(params, c, existing, committer.seen);
      result.catch(() => {});
      inFlight.push({ c, size, result });
    }
    const head = inFlight.shift();
    if (!head) break;
    const r = await head.result;
    inFlightBytes -= head.size;
    const f = head.c.file;
    await committer.accept(r, f.display);
    done++;
    const now = Date.now();
    if (now - lastProgress > 200 || done === total) {
      lastProgress = now;
      sink.progress(done, total, f.display);
    }
    if (!stopping) {
      const stop = await sink.shouldStop();
      if (stop) {
        // Finish what is in flight (its files are written), commit it, then end.
        stopping = true;
        ended = stop === 'cancel' ? 'cancelled' : stop === 'stop' ? 'interrupted' : 'done';
      }
    }
  }
  await committer.flush();
  for (const s of opened) await s.close().catch(() => {});
  return tally.outcome(params.kind, ended, total, started);
}

/** 1. Open the sources (zips found inside folders become sources of their own); 2. sort each one's files into candidates, sidecars and manifests. */
async function collect(params: ImportParams, tally: ImportTally): Promise<{ opened: OpenedSource[]; candidates: Candidate[] }> {
  const opened: OpenedSource[] = [];
  for (const [i, src] of params.sources.entries()) {
    const s = await openSource(src, params.sourceNames?.[i] ?? undefined);
    opened.push(s);
    s.problems.forEach((p) => tally.problem(p));
    if (s.kind === 'folder') {
      for (const f of s.files.filter((x) => x.zipPath)) {
        const z = await openZip(f.zipPath!, path.basename(f.zipPath!), f.display);
        opened.push(z);
        z.problems.forEach((p) => tally.problem(p));
      }
      s.files = s.files.filter((x) => !x.zipPath);
    }
  }

  const candidates: Candidate[] = [];
  for (const s of opened) {
    const byStem = new Map<string, SourceFile[]>();
    for (const f of s.files) {
      const k = stemOf(f.rel);
      const list = byStem.get(k);
      if (list) list.push(f);
      else byStem.set(k, [f]);
    }
    const manifestMeta = new Map<string, ItemMeta>();
    const used = new Set<SourceFile>();
    if (params.kind === 'image') {
      for (const f of s.files) {
        if (f.ext !== '.csv' && f.ext !== '.json') continue;
        used.add(f);
        let parsed: Map<string, ItemMeta> | null = null;
        try {
          parsed = parseManifest((await f.read(MAX_META_BYTES)).toString('utf8'), f.ext === '.csv' ? 'csv' : 'json');
        } catch (err) {
          if (err instanceof LimitError) tally.skip(f.display, 'too_large', 'a manifest larger than 20 MB');
          else tally.skip(f.display, 'unreadable', 'the manifest could not be read (is it valid CSV or JSON?)', (err as Error).message);
          continue;
        }
        if (!parsed) {
          tally.skip(f.display, 'unsupported', 'a CSV/JSON file that is not a manifest (needs a "file" column)');
          continue;
        }
        const base = dirOf(f.rel);
        for (const [file, meta] of parsed) manifestMeta.set(base ? `${base}/${file}` : file, meta);
      }
    }
    for (const f of s.files) {
      if (used.has(f)) continue;
      const isText = TEXT_EXTENSIONS.has(f.ext);
      if (params.kind === 'image' && isText) {
        // A .txt next to an image of the same name is that image's sidecar.
        const siblings = byStem.get(stemOf(f.rel)) ?? [];
        if (f.ext === '.txt' && siblings.some((x) => x !== f && !TEXT_EXTENSIONS.has(x.ext))) continue;
        tally.otherKind++;
        tally.skip(f.display, 'other_kind', 'a text file, and this is an image dataset: import text files on their own to make a text dataset');
        continue;
      }
      if (params.kind === 'text' && !isText) {
        tally.otherKind++;
        tally.skip(f.display, 'other_kind', 'not a .txt, .md or .csv file, and this is a text dataset: import images on their own to make an image dataset');
        continue;
      }
      if (f.ext === '.zip') {
        tally.skip(f.display, 'unsupported', 'archives inside archives are not opened');
        continue;
      }
      const parts = f.rel.split('/');
      const label = (s.kind === 'folder' || s.kind === 'zip') && parts.length >= 2 ? parts[0]!.slice(0, 120) : null;
      const sidecar = params.kind === 'image' ? ((byStem.get(stemOf(f.rel)) ?? []).find((x) => x.ext === '.txt' && x !== f) ?? null) : null;
      candidates.push({ file: f, label, meta: mergeMeta(manifestMeta.get(f.rel), params.meta?.[f.rel]), sidecar });
    }
  }
  return { opened, candidates };
}

/** One candidate once prepared: skipped, already in the dataset, the same bytes as an earlier file, or a new item whose files exist. */
type Prepared =
  | { kind: 'skip'; reason: SkipReason; detail: string; technical?: string; warnings: string[] }
  | { kind: 'present' | 'dup'; hash: string; meta: ItemMeta; warnings: string[] }
  | { kind: 'item'; item: NewItem; warnings: string[] };

/**
 * 3. Read, check and store one candidate (memory stays bounded by one file). `existing`: what the dataset
 * holds (hash → name); `seen`: what this import has taken so far. A failure is a value, never a throw
 * (except a full disk, which ends the import).
 */
async function prepare(params: ImportParams, c: Candidate, existing: ReadonlyMap<string, string>, seen: ReadonlyMap<string, string>): Promise<Prepared> {
  const f = c.file;
  const notes: string[] = [];
  try {
    const limit = params.kind === 'image' ? MAX_IMAGE_BYTES : MAX_TEXT_BYTES;
    let buf: Buffer;
    try {
      buf = await f.read(limit);
    } catch (err) {
      if (err instanceof LimitError) throw new SkipError('too_large', `${f.size} bytes; files are limited to ${limit / 1024 / 1024} MB`);
      const code = (err as NodeJS.ErrnoException).code;
      if (code) throw new SkipError('unreadable', code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'the file could not be read', `${code}: ${(err as Error).message}`);
      throw new SkipError('corrupt', 'could not be unpacked from the archive: the archive is damaged', (err as Error).message);
    }
    if (buf.length === 0) throw new SkipError('empty', 'zero bytes');
    // SVGs are stored cleaned, and identified by the cleaned bytes, so a stored file always matches its hash.
    const image = params.kind === 'image' ? cleanImage(buf) : null;
    if (image?.removed.length) notes.push(removedWarning(image.removed));
    if (image) buf = image.bytes;
    const hash = crypto.createHash('sha256').update(buf).digest('hex');
    let sidecarMeta: ItemMeta | undefined;
    if (c.sidecar) {
      try {
        sidecarMeta = parseSidecar((await c.sidecar.read(1024 * 1024)).toString('utf8'));
      } catch (err) {
        notes.push(`its caption file ${c.sidecar.display} could not be read${err instanceof LimitError ? ' (larger than 1 MB)' : ''}, so its caption and tags were not used`);
      }
    }
    const meta = mergeMeta({ label: c.label }, sidecarMeta, c.meta);
    if (existing.has(hash)) return { kind: 'present', hash, meta, warnings: notes };
    if (seen.has(hash)) return { kind: 'dup', hash, meta, warnings: notes };
    const item = image ? await storeImage(params, f, image, hash, meta, notes) : await storeText(params, f, buf, hash, meta);
    return { kind: 'item', item, warnings: notes };
  } catch (err) {
    if (err instanceof SkipError) return { kind: 'skip', reason: err.reason, detail: err.detail, technical: err.technical, warnings: notes };
    if ((err as { code?: string }).code === 'disk_full') throw err;
    return { kind: 'skip', reason: 'corrupt', detail: 'Atelier could not read this file', technical: (err as Error).message.slice(0, 300), warnings: notes };
  }
}

/** 4. The prepared files in order: the report's counts, duplicates merged, new items to the catalog in chunks. */
class Committer {
  /** hash → display of the first file with these bytes. */
  readonly seen = new Map<string, string>();
  private readonly pending: NewItem[] = [];
  private readonly pendingByHash = new Map<string, NewItem>();
  private readonly near = new NearIndex();

  constructor(
    private readonly params: ImportParams,
    private readonly sink: ImportSink,
    private readonly tally: ImportTally,
  ) {
    if (params.kind === 'image') for (const e of params.existing) if (e.phash) this.near.addAndFind(e.phash, e.name, 0);
  }

  async accept(r: Prepared, display: string): Promise<void> {
    const { tally } = this;
    for (const w of r.warnings) tally.warnings.push({ path: display, message: w });
    if (r.kind === 'skip') tally.skip(display, r.reason, r.detail, r.technical);
    else if (r.kind === 'present') tally.alreadyPresent++;
    else {
      const hash = r.kind === 'item' ? r.item.hash : r.hash;
      if (this.seen.has(hash)) {
        // Same bytes as an earlier file (maybe stored twice by the window: same content, same path).
        tally.duplicates++;
        if (tally.duplicateOf.length < MAX_LISTED) tally.duplicateOf.push({ path: display, of: this.seen.get(hash)! });
        const first = this.pendingByHash.get(hash);
        const tags = r.kind === 'item' ? r.item.tags : r.meta.tags;
        if (first && tags?.length) first.tags = mergeMeta({ tags: first.tags }, { tags }).tags ?? first.tags;
      } else if (r.kind === 'item') {
        const item = r.item;
        this.seen.set(hash, display);
        this.pending.push(item);
        this.pendingByHash.set(hash, item);
        tally.imported++;
        if (item.phash) {
          for (const m of this.near.addAndFind(item.phash, display, 8)) {
            if (tally.nearDuplicates.length < MAX_NEAR_PAIRS) tally.nearDuplicates.push({ a: display, b: this.near.names[m.index]!, distance: m.distance });
          }
        }
        if (this.pending.length >= (this.params.chunkSize ?? 64)) await this.flush();
      }
    }
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.splice(0);
    this.pendingByHash.clear();
    await this.sink.commit(chunk);
  }
}

/** Write a content-addressed file unless the same bytes are already there (another dataset, an earlier run). */
async function storeOnce(dataDir: string, rel: string, bytes: Uint8Array): Promise<void> {
  const abs = containedPath(dataDir, rel);
  const st = await fsp.stat(abs).catch(() => null);
  if (st && st.size === bytes.length) return;
  await writeFileAtomic(abs, bytes);
}

async function storeImage(params: ImportParams, f: SourceFile, image: CleanedImage, hash: string, meta: ItemMeta, notes: string[]): Promise<NewItem> {
  const img = await decodeImage(image, f.ext);
  notes.push(...img.warnings);
  const file = layout.itemFile(params.projectId, hash, img.ext);
  const thumb = layout.thumbFile(params.projectId, hash);
  await storeOnce(params.dataDir, file, img.bytes);
  await storeOnce(params.dataDir, thumb, img.thumb);
  return {
    hash,
    file,
    thumb,
    originalName: f.display,
    mime: img.mime,
    bytes: img.bytes.length,
    width: img.width,
    height: img.height,
    hasAlpha: img.hasAlpha,
    phash: img.phash,
    label: meta.label ?? null,
    caption: meta.caption ?? null,
    tags: meta.tags ?? [],
  };
}

async function storeText(params: ImportParams, f: SourceFile, buf: Buffer, hash: string, meta: ItemMeta): Promise<NewItem> {
  checkText(buf);
  const ext = TEXT_EXTENSIONS.has(f.ext) ? f.ext : '.txt';
  const file = layout.itemFile(params.projectId, hash, ext);
  await storeOnce(params.dataDir, file, buf);
  return {
    hash,
    file,
    thumb: null,
    originalName: f.display,
    mime: 'text/plain',
    bytes: buf.length,
    width: null,
    height: null,
    hasAlpha: false,
    phash: null,
    label: meta.label ?? null,
    caption: meta.caption ?? null,
    tags: meta.tags ?? [],
  };
}

