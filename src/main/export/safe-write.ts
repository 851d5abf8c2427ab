/**
 * Every exporter writes through an ExportWriter, so an export either lands whole in the folder the user
 * chose or leaves nothing behind:
 *
 * - names are sanitised (no separators, no `..`, no control characters, no Windows device names, bounded
 *   length) and the result must still resolve inside the chosen folder (containedPath, symlinks included);
 * - each file is written as `<name>.atelier-tmp-…`, fsynced and renamed, so no reader sees half a file;
 * - names never overwrite: a clash becomes `name-2.png`, `name-3.png`…;
 * - if any write of a multi-file export fails, `rollback()` removes the files this export already
 *   renamed into place; a full disk (ENOSPC/EDQUOT) is reported as AtelierError('disk_full').
 *
 * The low-level file operations are injectable (`io`) so tests can simulate a disk that fills mid-write.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { AtelierError } from '../../shared/errors';
import { containedPath } from '../files/contain';
import { TEMP_MARKER, translateFsError } from '../files/atomic';
import { ensureFolderSync } from '../files/special';

export interface WriterIo {
  /** Create `file` exclusively, write all of `data`, fsync, close. */
  writeTemp(file: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string): Promise<void>;
}

export const nodeIo: WriterIo = {
  async writeTemp(file, data) {
    const handle = await fsp.open(file, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  rm: (file) => fsp.rm(file, { force: true }),
};

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const MAX_NAME_BYTES = 120;

/**
 * A file name safe on Windows, macOS and Linux from any user text (prompts make names): path separators,
 * reserved characters and control characters become `_`; leading dots and trailing dots/spaces go;
 * device names get a `_` prefix; the stem is cut to fit MAX_NAME_BYTES with the extension kept.
 */
export function sanitizeFileName(name: string, fallback = 'export'): string {
  // Path segments are joined, never followed: "../../x.png" is "x.png", "a/b.png" is "a_b.png".
  let s = String(name ?? '')
    .normalize('NFC')
    .split(/[/\\]+/)
    .filter((seg) => seg !== '' && seg !== '.' && seg !== '..')
    .join('_');
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_');
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  s = s.replace(/\.{2,}/g, '.');
  if (s === '' || /^_+$/.test(s)) s = fallback;
  const ext = path.extname(s);
  let stem = ext ? s.slice(0, -ext.length) : s;
  if (WINDOWS_RESERVED.test(stem)) stem = `_${stem}`;
  const budget = MAX_NAME_BYTES - Buffer.byteLength(ext);
  while (Buffer.byteLength(stem) > budget) stem = Array.from(stem).slice(0, -1).join('');
  stem = stem.replace(/[.\s]+$/, '') || fallback;
  return stem + ext;
}

/** A short, readable slug from a prompt for file names ("a red fox, pixel art" → "a-red-fox-pixel-art"). */
export function slug(text: string, max = 40): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.slice(0, max).replace(/-+$/, '');
}

function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

export interface WrittenFile {
  /** The final name inside the export folder. */
  name: string;
  /** Absolute path. */
  path: string;
  bytes: number;
}

export class ExportWriter {
  readonly dir: string;
  private readonly written: WrittenFile[] = [];
  private readonly reserved = new Set<string>();

  constructor(
    dir: string,
    private readonly io: WriterIo = nodeIo,
  ) {
    if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0')) throw new AtelierError('forbidden', 'That export folder is not allowed.');
    this.dir = path.resolve(dir);
  }

  get files(): readonly WrittenFile[] {
    return this.written;
  }

  /**
   * Make sure the folder exists and is a folder. An existing file in the way, a special file, or a place
   * on a kernel file system (/proc, /sys: where a recursive mkdir never returns) is refused, typed.
   */
  async prepare(): Promise<void> {
    ensureFolderSync(this.dir, 'The export folder');
  }

  /** The name a file will get: sanitised, contained, and not clashing with files already there. */
  claim(requested: string): { name: string; path: string } {
    const clean = sanitizeFileName(requested);
    const ext = path.extname(clean);
    const stem = ext ? clean.slice(0, -ext.length) : clean;
    for (let n = 1; n < 10_000; n++) {
      const name = n === 1 ? clean : `${stem}-${n}${ext}`;
      const key = name.toLowerCase();
      if (this.reserved.has(key)) continue;
      // lstat, not exists: a dangling or outward symlink is taken as "name in use", never written through.
      if (lexists(path.join(this.dir, name))) continue;
      const target = containedPath(this.dir, name);
      if (path.dirname(target) !== this.dir) throw new AtelierError('forbidden', 'Export files must stay in the chosen folder.');
      this.reserved.add(key);
      return { name, path: target };
    }
    throw new AtelierError('conflict', `Too many files called ${clean} in ${this.dir}.`);
  }

  /** Write one file atomically under a sanitised, unique name; returns what was written. */
  async write(requested: string, data: Uint8Array | string): Promise<WrittenFile> {
    return this.writeClaimed(this.claim(requested), data);
  }

  /** Write to a name obtained from claim() (when a file must know its final name before it is written). */
  async writeClaimed(claimed: { name: string; path: string }, data: Uint8Array | string): Promise<WrittenFile> {
    const { name, path: target } = claimed;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const tmp = `${target}${TEMP_MARKER}${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      await this.io.writeTemp(tmp, bytes);
      await this.io.rename(tmp, target);
    } catch (err) {
      await this.io.rm(tmp).catch(() => {});
      throw translateFsError(err, target);
    }
    const file = { name, path: target, bytes: bytes.byteLength };
    this.written.push(file);
    return file;
  }

  /** Remove every file this export wrote (after a failure part-way through a multi-file export). */
  async rollback(): Promise<void> {
    for (const f of this.written.splice(0)) await this.io.rm(f.path).catch(() => {});
    this.reserved.clear();
  }
}

/**
 * Run a multi-file export: on any failure every file already written is removed, and a folder this
 * export created is removed again if it ends up empty.
 */
export async function withExportWriter<T>(dir: string, fn: (w: ExportWriter) => Promise<T>, io?: WriterIo): Promise<{ value: T; files: WrittenFile[] }> {
  const existed = fs.existsSync(dir);
  const writer = new ExportWriter(dir, io);
  try {
    await writer.prepare();
    const value = await fn(writer);
    return { value, files: [...writer.files] };
  } catch (err) {
    await writer.rollback();
    if (!existed) await fsp.rmdir(writer.dir).catch(() => {});
    throw err;
  }
}
