import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { containedPath } from '../files/contain';
import { openRegularSync } from '../files/special';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function mimeOf(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Open a URL path under `root`: the open file, 'forbidden' when it would escape, null when there is no
 * regular file there (a pipe or a device would block the read, and is never media).
 */
function openFile(root: string, relative: string): { file: string; fd: number; size: number } | 'forbidden' | null {
  let file: string;
  try {
    file = containedPath(root, decodeURIComponent(relative));
  } catch {
    return 'forbidden';
  }
  try {
    return { file, ...openRegularSync(file) };
  } catch {
    return null;
  }
}

/**
 * Serve one file from under `root`, refusing anything that escapes it. Returns false when there is no
 * such file so the caller can fall back (e.g. to index.html for client-side routes). `headers` go on
 * every answer, the refusal included.
 */
export function serveFile(res: ServerResponse, root: string, relative: string, headers: Record<string, string> = {}): boolean {
  const found = openFile(root, relative);
  if (found === 'forbidden') {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers }).end('Forbidden');
    return true;
  }
  if (!found) return false;
  res.writeHead(200, {
    'content-type': mimeOf(found.file),
    'content-length': String(found.size),
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  const stream = fs.createReadStream('', { fd: found.fd });
  // A file removed or unreadable between stat and read ends this answer, not the host.
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  return true;
}
