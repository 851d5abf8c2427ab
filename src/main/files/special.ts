/**
 * Special files hang the engine: opening a FIFO blocks one of Node's four file threads until a writer
 * appears (four imports of a pipe stopped every file operation of the process), reading a device never
 * ends, and /proc or /sys files are not what their size says (`mkdir -p` under /proc even loops forever
 * in Node). So every path a user hands us is looked at with lstat first, and only regular files and
 * folders on ordinary file systems are used; opening goes through O_NONBLOCK and fstat, so a file swapped
 * for a pipe after the check still cannot block.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { AtelierError } from '../../shared/errors';

/** Kernel file systems whose files are not data (statfs f_type, Linux). */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0x65735543, 'fusectl'],
  [0x1cd1, 'devpts'],
  [0x19800202, 'mqueue'],
  [0xf97cff8c, 'selinuxfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x67596969, 'rpc_pipefs'],
  [0x6e736673, 'nsfs'],
]);

const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

export type PathKind = 'file' | 'folder';

/** What kind of special file this is, in words; null for a regular file or a folder. */
export function specialKind(st: fs.Stats): string | null {
  if (st.isFile() || st.isDirectory()) return null;
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a link';
  return 'not a regular file';
}

/** The kernel file system a path lives on, when it is one whose files are not data; null otherwise. */
export function pseudoFileSystem(p: string): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return PSEUDO_FILE_SYSTEMS.get(Number(fs.statfsSync(p).type)) ?? null;
  } catch {
    return null;
  }
}

/** Why a path cannot be used: nothing there, not readable (permissions, I/O), or a special file. */
export type PathProblem = 'missing' | 'unreadable' | 'special';

export type PathCheck = { ok: true; kind: PathKind; real: string } | { ok: false; problem: PathProblem; reason: string };

/**
 * Look at a path without opening it: lstat first; a link is followed to where it really points (checked
 * the same way); then only a regular file or a folder on an ordinary file system passes.
 */
export function checkPathSync(p: string): PathCheck {
  let st: fs.Stats;
  let real = path.resolve(p);
  try {
    st = fs.lstatSync(real);
    if (st.isSymbolicLink()) {
      real = fs.realpathSync(real);
      st = fs.lstatSync(real);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: 'missing', reason: 'there is nothing at that path (or a link points nowhere)' };
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, problem: 'unreadable', reason: 'permission denied' };
    if (code === 'ELOOP') return { ok: false, problem: 'unreadable', reason: 'a loop of links' };
    return { ok: false, problem: 'unreadable', reason: `${code ?? 'error'}: ${(err as Error).message}` };
  }
  const special = specialKind(st);
  if (special) return { ok: false, problem: 'special', reason: `${special}; Atelier reads only regular files and folders` };
  const pseudo = pseudoFileSystem(real);
  if (pseudo) return { ok: false, problem: 'special', reason: `a system file (${pseudo}), not data` };
  return { ok: true, kind: st.isDirectory() ? 'folder' : 'file', real };
}

/** An open regular file: opened without blocking, then checked on the descriptor itself. */
export async function openRegular(file: string): Promise<{ handle: fsp.FileHandle; size: number }> {
  const handle = await fsp.open(file, fs.constants.O_RDONLY | NONBLOCK);
  try {
    const st = await handle.stat();
    const special = specialKind(st);
    if (special) throw new SpecialFileError(`${special}; Atelier reads only regular files`);
    return { handle, size: st.size };
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

/** The same as a plain descriptor, for libraries that take one over (it is theirs to close). */
export async function openRegularFd(file: string): Promise<{ fd: number; size: number }> {
  const fd = await new Promise<number>((resolve, reject) => fs.open(file, fs.constants.O_RDONLY | NONBLOCK, (err, d) => (err ? reject(err) : resolve(d))));
  try {
    const st = await new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (err, x) => (err ? reject(err) : resolve(x))));
    const special = specialKind(st);
    if (special) throw new SpecialFileError(`${special}; Atelier reads only regular files`);
    return { fd, size: st.size };
  } catch (err) {
    fs.close(fd, () => {});
    throw err;
  }
}

export function openRegularSync(file: string): { fd: number; size: number } {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    const special = specialKind(st);
    if (special) throw new SpecialFileError(`${special}; Atelier reads only regular files`);
    return { fd, size: st.size };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

export class SpecialFileError extends Error {}

/**
 * Make sure `dir` is a folder we may write into, creating it (and its parents) if needed. Refused with a
 * typed reason: an existing file in the way, a special file, or a place on a kernel file system (where
 * Node's recursive mkdir never returns).
 */
export function ensureFolderSync(dir: string, what = 'That folder'): void {
  const abs = path.resolve(dir);
  // The nearest part of the path that exists decides where the folders would be made.
  let existing = abs;
  let st: fs.Stats | null = null;
  for (;;) {
    try {
      st = fs.statSync(existing);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        if (code === 'ENOTDIR') throw new AtelierError('invalid_input', `${what} (${abs}) is inside a file, not a folder.`);
        if (code === 'EACCES' || code === 'EPERM') throw new AtelierError('forbidden', `Atelier is not allowed to look at ${existing} (${code}).`);
        throw new AtelierError('invalid_input', `${what} (${abs}) cannot be used: ${(err as Error).message}`);
      }
      const parent = path.dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  const pseudo = pseudoFileSystem(existing);
  if (pseudo) throw new AtelierError('invalid_input', `${what} (${abs}) is on a system file system (${pseudo}), not a place for files.`);
  if (st && !st.isDirectory()) {
    const special = specialKind(st);
    if (existing === abs) throw new AtelierError('invalid_input', `${what} (${abs}) is ${special ?? 'a file'}, not a folder.`);
    throw new AtelierError('invalid_input', `${what} (${abs}) would be inside ${existing}, which is ${special ?? 'a file'}, not a folder.`);
  }
  if (existing === abs) return;
  try {
    fs.mkdirSync(abs, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new AtelierError('forbidden', `Atelier is not allowed to create ${abs} (${code}).`);
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new AtelierError('disk_full', `The disk is full: could not create ${abs}.`);
    throw new AtelierError('invalid_input', `${what} (${abs}) could not be created: ${(err as Error).message}`);
  }
}
