import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { containedPath } from '../files/contain';

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
 * Serve one file from under `root`, refusing anything that escapes it. Returns false when there is no
 * such file so the caller can fall back (e.g. to index.html for client-side routes).
 */
export function serveFile(res: ServerResponse, root: string, relative: string, extraHeaders: Record<string, string> = {}): boolean {
  let file: string;
  try {
    file = containedPath(root, decodeURIComponent(relative));
  } catch {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden');
    return true;
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (!stat.isFile()) return false;
  res.writeHead(200, {
    'content-type': mimeOf(file),
    'content-length': String(stat.size),
    'x-content-type-options': 'nosniff',
    ...extraHeaders,
  });
  fs.createReadStream(file).pipe(res);
  return true;
}
