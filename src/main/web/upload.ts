/**
 * POST /api/upload?id=<uploadId>&path=<relative path>: one dropped or picked file, streamed (never held
 * in memory) into the data folder's staging area; `datasets.import({ uploadId })` then imports the
 * folder like any other and removes it. Behind the same token and the same proof of origin as every
 * route that changes data (Content-Type application/octet-stream, the launch key), and
 * bounded: per file, per upload, in file count, and in path shape.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type http from 'node:http';
import { containedPath } from '../files/contain';
import { uploadDir } from '../datasets/staging';

export const UPLOAD_LIMITS = {
  fileBytes: 256 * 1024 * 1024,
  uploadBytes: 4 * 1024 * 1024 * 1024,
  files: 50_000,
};

const usage = new Map<string, { bytes: number; files: number }>();

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  // A sized answer (not chunked): the browser knows the moment it has all of it.
  const text = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(text.length), ...headers });
  res.end(text);
}

/** A relative path as a browser gives it (webkitRelativePath or a plain name), checked segment by segment. */
export function cleanUploadPath(p: string | null): string | null {
  if (!p || p.length > 1024 || p.includes('\0') || p.includes('\\')) return null;
  const segs = p.split('/').filter((s) => s !== '');
  if (segs.length === 0 || segs.length > 16) return null;
  for (const s of segs) {
    if (s === '.' || s === '..' || s.length > 255 || /^[a-zA-Z]:/.test(s)) return null;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f]/.test(s)) return null;
  }
  return segs.join('/');
}

export async function handleUpload(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  dataDir: string,
  headers: Record<string, string>,
): Promise<void> {
  const fail = (status: number, code: string, message: string) => {
    send(res, status, { ok: false, error: { code, message } }, headers);
    req.resume();
  };
  // Method, origin, content type and launch key were checked by the host (auth.ts: checkStateChange).
  const id = url.searchParams.get('id') ?? '';
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(id)) return fail(400, 'bad_request', 'An upload id of 8–64 letters, digits, - or _ is required.');
  const rel = cleanUploadPath(url.searchParams.get('path'));
  if (!rel) return fail(400, 'bad_request', 'The file path is missing or not allowed.');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > UPLOAD_LIMITS.fileBytes) {
    return fail(413, 'invalid_input', `That file is larger than ${UPLOAD_LIMITS.fileBytes / 1024 / 1024} MB.`);
  }
  const u = usage.get(id) ?? { bytes: 0, files: 0 };
  if (u.files >= UPLOAD_LIMITS.files) return fail(413, 'invalid_input', `An upload holds at most ${UPLOAD_LIMITS.files} files.`);
  usage.set(id, u);

  const root = uploadDir(dataDir, id);
  await fsp.mkdir(root, { recursive: true });
  let target: string;
  try {
    target = containedPath(root, rel);
  } catch {
    return fail(400, 'bad_request', 'That file path leaves the upload folder.');
  }
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.upload-${crypto.randomBytes(4).toString('hex')}`;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      if (received > UPLOAD_LIMITS.fileBytes || u.bytes + received > UPLOAD_LIMITS.uploadBytes) cb(new Error('too large'));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, fs.createWriteStream(tmp, { flags: 'wx' }));
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    if ((err as Error).message === 'too large') return fail(413, 'invalid_input', 'The upload is over its size limit.');
    return fail(500, 'internal', `The file could not be stored: ${(err as Error).message}`);
  }
  u.bytes += received;
  u.files += 1;
  send(res, 200, { ok: true, bytes: received }, headers);
}
