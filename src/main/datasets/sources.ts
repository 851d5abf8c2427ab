/**
 * Where import candidates come from: a folder (walked recursively, links checked), a single file, or a
 * zip archive (entries listed from the central directory, sizes and names checked before any byte is
 * inflated). Each source yields files with a path relative to its root, which is what labels
 * (ImageFolder: first-level subfolder = label), sidecars and manifests are matched against.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import type { SkipReason } from '../../shared/contract/datasets';
import { isInside } from '../files/contain';
import { checkPathSync, openRegular, openRegularFd, pseudoFileSystem, SpecialFileError, specialKind } from '../files/special';

export interface SourceFile {
  /** What the report shows: the source's name, then the path inside it. */
  display: string;
  /** Path relative to the source root, '/'-separated. */
  rel: string;
  /** Lower-case extension with the dot ('' when none). */
  ext: string;
  /** Size as listed (declared, for zip entries). */
  size: number;
  /** Read at most `limit` bytes; more than that rejects with LimitError. */
  read(limit: number): Promise<Buffer>;
  /** A zip on disk found inside a folder: opened as a source of its own. */
  zipPath?: string;
}

export interface SourceProblem {
  display: string;
  reason: SkipReason;
  detail: string;
  /** The system's own words, when the plain detail leaves them out. */
  technical?: string;
}

export interface OpenedSource {
  name: string;
  /** 'folder' sources give labels from their first-level subfolders. */
  kind: 'folder' | 'file' | 'zip';
  files: SourceFile[];
  problems: SourceProblem[];
  close(): Promise<void>;
}

export class LimitError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/** Zip guards against decompression bombs: entry count, per-entry and total sizes, ratio. */
export const ZIP_LIMITS = {
  maxEntries: 100_000,
  maxEntryBytes: 200 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
  /** A tiny compressed entry that claims to be huge is a bomb, not an image. */
  maxRatio: 200,
  ratioAppliesAbove: 8 * 1024 * 1024,
};
const MAX_FOLDER_FILES = 1_000_000;

export function extOf(name: string): string {
  const base = name.split('/').pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

function ioReason(err: unknown): { reason: SkipReason; detail: string; technical?: string } {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'unreadable', detail: 'permission denied' };
  if (code === 'ENOENT') return { reason: 'unreadable', detail: 'the file vanished or a link points nowhere' };
  if (code === 'EISDIR') return { reason: 'unreadable', detail: 'a folder, not a file' };
  return { reason: 'unreadable', detail: 'the file could not be read', technical: (err as Error)?.message ?? String(err) };
}

async function readFileLimited(file: string, limit: number): Promise<Buffer> {
  // Non-blocking open + fstat: a file swapped for a pipe after the walk still cannot block a thread.
  const { handle: h, size } = await openRegular(file);
  try {
    if (size > limit) throw new LimitError(limit);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await h.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    await h.close();
  }
}

/** Open whatever the user pointed at. Problems with the path itself come back as the source's problems. */
export async function openSource(p: string, displayName?: string): Promise<OpenedSource> {
  const abs = path.resolve(p);
  const name = displayName ?? (path.basename(abs) || abs);
  const none = (problem: SourceProblem): OpenedSource => ({ name, kind: 'file', files: [], problems: [problem], close: async () => {} });
  // lstat first (links followed to where they point): only regular files and folders are opened.
  const check = checkPathSync(abs);
  if (!check.ok) {
    if (check.problem === 'missing') return none({ display: p, reason: 'unreadable', detail: 'the file vanished or a link points nowhere' });
    return none({ display: p, reason: check.problem === 'special' ? 'special_file' : 'unreadable', detail: check.reason });
  }
  let st: fs.Stats;
  try {
    st = await fsp.stat(abs);
  } catch (err) {
    return none({ display: p, ...ioReason(err) });
  }
  if (st.isDirectory()) return openFolder(abs, name);
  if (extOf(abs) === '.zip') return openZip(abs, name);
  return {
    name,
    kind: 'file',
    files: [{ display: name, rel: name, ext: extOf(name), size: st.size, read: (limit) => readFileLimited(abs, limit) }],
    problems: [],
    close: async () => {},
  };
}

async function openFolder(root: string, name: string): Promise<OpenedSource> {
  const realRoot = await fsp.realpath(root);
  const files: SourceFile[] = [];
  const problems: SourceProblem[] = [];
  const visited = new Set<string>([realRoot]);
  const display = (rel: string) => `${name}/${rel}`;

  async function walk(dirAbs: string, relDir: string): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dirAbs, { withFileTypes: true });
    } catch (err) {
      problems.push({ display: relDir ? display(relDir) : name, ...ioReason(err) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (files.length >= MAX_FOLDER_FILES) {
        problems.push({ display: display(relDir || '.'), reason: 'archive_limit', detail: `more than ${MAX_FOLDER_FILES} files; the rest were not looked at` });
        return;
      }
      // Hidden files and folders (.DS_Store, .git) are never data.
      if (e.name.startsWith('.')) continue;
      const abs = path.join(dirAbs, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      let target = abs;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        let real: string;
        try {
          real = await fsp.realpath(abs);
        } catch {
          problems.push({ display: display(rel), reason: 'unreadable', detail: 'a link that points nowhere' });
          continue;
        }
        if (!isInside(realRoot, real)) {
          problems.push({ display: display(rel), reason: 'escapes_root', detail: 'a link pointing outside the chosen folder (not followed)' });
          continue;
        }
        const st = await fsp.lstat(real).catch(() => null);
        if (!st) continue;
        target = real;
        isDir = st.isDirectory();
        isFile = st.isFile();
        if (!isDir && !isFile) {
          problems.push({ display: display(rel), reason: 'special_file', detail: `a link to ${specialKind(st)}; Atelier reads only regular files and folders` });
          continue;
        }
      }
      if (isDir) {
        const real = await fsp.realpath(target).catch(() => target);
        if (visited.has(real)) continue; // a link loop, or a folder already walked through another link
        visited.add(real);
        const pseudo = pseudoFileSystem(real);
        if (pseudo) {
          problems.push({ display: display(rel), reason: 'special_file', detail: `a system folder (${pseudo}), not data` });
          continue;
        }
        await walk(target, rel);
      } else if (isFile) {
        let size = 0;
        try {
          size = (await fsp.stat(target)).size;
        } catch (err) {
          problems.push({ display: display(rel), ...ioReason(err) });
          continue;
        }
        const ext = extOf(e.name);
        files.push({
          display: display(rel),
          rel,
          ext,
          size,
          read: (limit) => readFileLimited(target, limit),
          zipPath: ext === '.zip' ? target : undefined,
        });
      } else {
        const st = await fsp.lstat(abs).catch(() => null);
        const what = st ? specialKind(st) : null;
        problems.push({ display: display(rel), reason: 'special_file', detail: `${what ?? 'not a regular file'}; Atelier reads only regular files and folders` });
      }
    }
  }
  await walk(root, '');
  return { name, kind: 'folder', files, problems, close: async () => {} };
}

async function openZipFile(file: string): Promise<yauzl.ZipFile> {
  // Opened here without blocking and checked on the descriptor (yauzl.open would block on a pipe);
  // from then on the descriptor is yauzl's, closed by zip.close().
  const { fd } = await openRegularFd(file);
  return new Promise((resolve, reject) => {
    yauzl.fromFd(fd, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) {
        fs.close(fd, () => {});
        reject(err ?? new Error('could not open the archive'));
      } else resolve(zip);
    });
  });
}

/** Normalise a zip entry name; null when it would land outside the archive's root. */
export function safeEntryName(raw: string): string | null {
  if (raw.includes('\0')) return null;
  const name = raw.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return null;
  const parts: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return null;
    parts.push(seg);
  }
  return parts.join('/');
}

export async function openZip(file: string, name = path.basename(file), displayPrefix = name): Promise<OpenedSource> {
  const problems: SourceProblem[] = [];
  let zip: yauzl.ZipFile;
  try {
    zip = await openZipFile(file);
  } catch (err) {
    const msg = (err as Error).message;
    const io =
      err instanceof SpecialFileError
        ? { reason: 'special_file' as SkipReason, detail: msg }
        : (err as NodeJS.ErrnoException).code
          ? ioReason(err)
          : { reason: 'corrupt' as SkipReason, detail: 'not a readable zip archive: it is damaged or not a zip', technical: msg };
    return { name, kind: 'zip', files: [], problems: [{ display: displayPrefix, ...io }], close: async () => {} };
  }
  const display = (rel: string) => `${displayPrefix}:${rel}`;
  if (zip.entryCount > ZIP_LIMITS.maxEntries) {
    zip.close();
    return {
      name,
      kind: 'zip',
      files: [],
      problems: [{ display: displayPrefix, reason: 'archive_limit', detail: `${zip.entryCount} entries; archives are limited to ${ZIP_LIMITS.maxEntries}` }],
      close: async () => {},
    };
  }
  const entries: Array<{ entry: yauzl.Entry; rel: string }> = [];
  let declaredTotal = 0;
  await new Promise<void>((resolve) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const rawName = entry.fileName as unknown as Buffer;
      // Bit 11: UTF-8 names; older tools wrote CP437, whose ASCII range is what matters here.
      const decoded = Buffer.isBuffer(rawName) ? rawName.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1') : String(rawName);
      const isDir = decoded.endsWith('/') || decoded.endsWith('\\');
      const rel = safeEntryName(decoded);
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      if (rel === null) {
        problems.push({ display: display(decoded), reason: 'escapes_root', detail: 'a zip entry whose path leaves the archive (../ or absolute); not extracted' });
      } else if (isDir || rel === '') {
        // folders carry no data
      } else if (mode === 0o120000) {
        problems.push({ display: display(rel), reason: 'escapes_root', detail: 'a link stored in the archive (links are never followed)' });
      } else if (rel.split('/').some((s) => s.startsWith('.')) || rel.startsWith('__MACOSX/')) {
        // hidden files and macOS resource forks are never data
      } else if (entry.uncompressedSize > ZIP_LIMITS.maxEntryBytes) {
        problems.push({ display: display(rel), reason: 'archive_limit', detail: `declares ${entry.uncompressedSize} bytes uncompressed; entries are limited to ${ZIP_LIMITS.maxEntryBytes}` });
      } else if (
        entry.uncompressedSize > ZIP_LIMITS.ratioAppliesAbove &&
        entry.uncompressedSize / Math.max(1, entry.compressedSize) > ZIP_LIMITS.maxRatio
      ) {
        problems.push({ display: display(rel), reason: 'archive_limit', detail: `compressed ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}:1 — a decompression bomb` });
      } else if (declaredTotal + entry.uncompressedSize > ZIP_LIMITS.maxTotalBytes) {
        problems.push({ display: display(rel), reason: 'archive_limit', detail: 'the archive would unpack to more than the total limit' });
      } else {
        declaredTotal += entry.uncompressedSize;
        entries.push({ entry, rel });
      }
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (err: Error) => {
      problems.push({ display: displayPrefix, reason: 'corrupt', detail: 'the archive is damaged; entries after the damage were not read', technical: err.message });
      resolve();
    });
    zip.readEntry();
  });

  // Archives made by zipping a folder wrap everything in that folder: labels start one level down.
  const tops = new Set(entries.map((e) => e.rel.split('/')[0]));
  const wrapped = tops.size === 1 && entries.every((e) => e.rel.includes('/'));
  const files: SourceFile[] = entries.map(({ entry, rel }) => {
    const inner = wrapped ? rel.slice(rel.indexOf('/') + 1) : rel;
    return {
      display: display(rel),
      rel: inner,
      ext: extOf(rel),
      size: entry.uncompressedSize,
      read: (limit: number) => readEntry(zip, entry, limit),
    };
  });
  return { name, kind: 'zip', files, problems, close: async () => zip.close() };
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  if (entry.uncompressedSize > limit) return Promise.reject(new LimitError(limit));
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err: Error | null, stream: Readable) => {
      if (err || !stream) return reject(err ?? new Error('could not read the entry'));
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        // validateEntrySizes already stops at the declared size; this also bounds a lying header.
        if (size > limit || size > entry.uncompressedSize) {
          stream.destroy(new LimitError(limit));
          return;
        }
        chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks, size)));
    });
  });
}
