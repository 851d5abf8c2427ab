import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import yazl from 'yazl';
import type { Service } from '../../../src/main/service';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI_SOURCE = path.join(ROOT, 'src', 'main', 'cli', 'main.ts');

/** The CLI from sources (through tsx), so unit tests need no build. */
export function cliArgs(args: string[], dataDir: string): string[] {
  return ['--import', 'tsx/esm', CLI_SOURCE, ...args, '--data-dir', dataDir];
}

export function runCli(args: string[], dataDir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(args, dataDir), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Deterministic noise, so every generated image is different and not a near-duplicate of another. */
export function noise(seed: number, n: number): Buffer {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 255;
  }
  return out;
}

export async function noisePng(seed: number, size: number, channels: 3 | 4 = 3): Promise<Buffer> {
  return sharp(noise(seed, size * size * channels), { raw: { width: size, height: size, channels } }).png({ compressionLevel: 1 }).toBuffer();
}

/** Write `count` distinct valid PNGs into `labels` subfolders. Returns their relative paths. */
export async function writeNoiseImages(dir: string, count: number, size: number, labels = ['a', 'b', 'c', 'd'], seed0 = 1): Promise<string[]> {
  const rels: string[] = [];
  for (const l of labels) fs.mkdirSync(path.join(dir, l), { recursive: true });
  for (let i = 0; i < count; i++) {
    const rel = `${labels[i % labels.length]}/img-${String(i).padStart(4, '0')}.png`;
    fs.writeFileSync(path.join(dir, rel), await noisePng(seed0 + i, size));
    rels.push(rel);
  }
  return rels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A small PNG whose header declares width×height (a decompression bomb's header). */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(64 * 1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A zip with the given entries; names may contain "../" (patched in after yazl, which refuses them). */
export async function makeZip(entries: Array<{ name: string; data: Buffer }>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const patches: Array<[string, string]> = [];
  entries.forEach((e, i) => {
    let safe = e.name;
    if (e.name.includes('..')) {
      safe = e.name.replace(/\.\./g, () => String(i % 10).repeat(2));
      patches.push([safe, e.name]);
    }
    zip.addBuffer(e.data, safe);
  });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  for (const [from, to] of patches) {
    const a = Buffer.from(from);
    const b = Buffer.from(to);
    let at = buf.indexOf(a);
    while (at >= 0) {
      b.copy(buf, at);
      at = buf.indexOf(a, at + 1);
    }
  }
  return buf;
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Items committed in the catalog file so far, read from outside the process that writes it (0 until it exists). */
export function itemCount(dbFile: string): number {
  if (!fs.existsSync(dbFile)) return 0;
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM item').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or busy: try again
  }
}

/** Imports through the service, waits for the job, and returns the dataset and its import report. */
export async function importAndWait(s: Service, input: Parameters<Service['call']>[1]) {
  const { jobId, datasetId } = await s.call('datasets.import', input);
  await s.ctx.jobs.get(jobId)?.done;
  const report = (await s.call('datasets.importReport', { jobId }))!;
  const dataset = await s.call('datasets.get', { id: datasetId });
  return { datasetId, dataset, report };
}
