import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { AtelierError } from '../../shared/errors';

/**
 * Write a file so that readers see either the old content or the whole new content, never a part:
 * temp file in the same folder, fsync, rename over the target, fsync the folder. On any failure the
 * temp file is removed, and ENOSPC becomes a clear `disk_full` error.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(target);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = tempName(target);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, target);
    await syncDir(dir);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw translateFsError(err, target);
  }
}

export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = tempName(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw translateFsError(err, target);
  }
}

/** Temp names carry a marker so the orphan sweep can recognise leftovers of a killed process. */
export const TEMP_MARKER = '.atelier-tmp-';

function tempName(target: string): string {
  return `${target}${TEMP_MARKER}${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable on Linux; not supported on Windows, where it is skipped.
  if (process.platform === 'win32') return;
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export function translateFsError(err: unknown, target: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AtelierError('disk_full', `The disk is full: could not write ${path.basename(target)}. Nothing was half-written; free some space and try again.`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new AtelierError('forbidden', `Atelier is not allowed to write ${target} (${code}).`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
