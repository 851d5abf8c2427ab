/**
 * Which local paths a call may make the engine read, by door.
 *
 * The desktop app and the CLI act for the person at this machine: they read any path they are given.
 * The browser door is a page on 127.0.0.1: what it imports becomes readable back through /media/, so it
 * must not be a way to read the machine's files. It reads only what the user handed it (uploads of
 * files they picked or dropped), the built-in samples, and folders that the person who started the host
 * named (`atelier serve --allow-path DIR`, e.g. a dataset folder on a remote GPU box). This matches the
 * door refusing to write anywhere but the data folder (outDir, outFile).
 *
 * Every path, from any door, must also be a regular file or a folder on an ordinary file system: a pipe,
 * a socket, a device or a /proc file would hang the job that opens it (files/special.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AtelierError } from '../../shared/errors';
import { isInside } from '../files/contain';
import { checkPathSync } from '../files/special';
import type { ServiceContext } from './context';

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Refuse (typed) a path this door may not read, or one that is not a regular file or folder. */
export function checkReadablePath(ctx: ServiceContext, p: string, what = 'That path'): void {
  const abs = path.resolve(p);
  if (ctx.door === 'web') {
    const real = realOrResolved(abs);
    const allowed = ctx.webReadRoots.some((root) => isInside(realOrResolved(root), real));
    if (!allowed) {
      throw new AtelierError(
        'forbidden',
        ctx.webReadRoots.length
          ? `The browser studio reads files you pick or drop, and folders under ${ctx.webReadRoots.join(', ')}. ${what} is elsewhere.`
          : 'The browser studio reads files you pick or drop; it does not open paths on this machine. Use "choose a folder…", the desktop app, or "atelier import". ' +
              'To let it import by path, start it with "atelier serve --allow-path DIR".',
      );
    }
  }
  const check = checkPathSync(abs);
  // A missing or unreadable path is the import report's business, as before; a special file is refused
  // here, before any job could open it.
  if (!check.ok && check.problem === 'special') throw new AtelierError('invalid_input', `${abs} cannot be imported: ${check.reason}.`);
}
