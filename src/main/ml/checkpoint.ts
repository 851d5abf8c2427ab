/**
 * The checkpoint container: one file with a JSON header and float32 blobs.
 *
 *   offset 0      8 bytes   magic "ATLRCKPT"
 *          8      u32 LE    container version (CHECKPOINT_VERSION)
 *          12     u32 LE    header length H in bytes
 *          16     H bytes   header, UTF-8 JSON (CheckpointHeader)
 *          16+H   0..7      zero padding so the payload starts at a multiple of 8
 *          P      N bytes   payload: float32 little-endian tensors, each at its header `offset` from P
 *          P+N    32 bytes  SHA-256 of every byte before it (catches truncation and corruption)
 *
 * The header names each tensor with its role (param/state/ema/opt/session) and shape, and carries the
 * family, config, step, vocabulary, optimizer counters and the session's JSON state (RNG, data order).
 * What the header means is the session's business; this file only guarantees that what was written is
 * what is read, and that a truncated, corrupt or foreign file fails with a plain AtelierError.
 * Writes are atomic: temp file in the same folder, fsync, rename, fsync the folder.
 */
import { writeFileAtomic as writeFileAtomicFs } from '../files/atomic';
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AtelierError } from '../../shared/errors';

export const CHECKPOINT_MAGIC = 'ATLRCKPT';
export const CHECKPOINT_VERSION = 1;
const PREFIX_BYTES = 16;
const HASH_BYTES = 32;

export interface TensorRecord {
  name: string;
  role: string;
  shape: number[];
  /** Byte offset from the start of the payload. */
  offset: number;
}

export interface CheckpointHeader {
  format: 'atelier-checkpoint';
  version: number;
  family: string;
  config: Record<string, unknown>;
  step: number;
  vocab: { labelNames: string[]; tagNames: string[]; /** Text models: the character vocabulary. */ tokens?: string[] };
  counters: Record<string, number>;
  /** Session state (RNG, data order, options); opaque to this file. */
  session: Record<string, unknown>;
  tensors: TensorRecord[];
  payloadBytes: number;
}

export interface NamedArray {
  name: string;
  role: string;
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint {
  header: CheckpointHeader;
  tensors: Map<string, NamedArray>;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  bytes: number;
}

const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new AtelierError('unsupported', 'Checkpoints need a little-endian machine.');
}

/** Serialises a checkpoint into the byte chunks of one file (last chunk = the trailing hash). */
export function encodeCheckpoint(
  header: Omit<CheckpointHeader, 'format' | 'version' | 'tensors' | 'payloadBytes'>,
  arrays: NamedArray[],
): Uint8Array[] {
  assertLittleEndian();
  const tensors: TensorRecord[] = [];
  let offset = 0;
  for (const a of arrays) {
    if (a.data.length !== elements(a.shape)) throw new Error(`tensor ${a.name}: ${a.data.length} values for shape ${a.shape}`);
    tensors.push({ name: a.name, role: a.role, shape: a.shape, offset });
    offset += a.data.byteLength;
  }
  const full: CheckpointHeader = { format: 'atelier-checkpoint', version: CHECKPOINT_VERSION, ...header, tensors, payloadBytes: offset };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(CHECKPOINT_MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(CHECKPOINT_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  const pad = Buffer.alloc((8 - ((PREFIX_BYTES + json.length) % 8)) % 8);
  const chunks: Uint8Array[] = [prefix, json, pad, ...arrays.map((a) => new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))];
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  chunks.push(hash.digest());
  return chunks;
}

function corrupt(path: string, why: string): AtelierError {
  return new AtelierError('invalid_input', `${basename(path)} is not a usable Atelier checkpoint: ${why}.`, { path, reason: why });
}

/** Parses and validates a checkpoint file's bytes. */
export function decodeCheckpoint(buf: Buffer, path = 'checkpoint'): Checkpoint {
  assertLittleEndian();
  if (buf.length < PREFIX_BYTES || buf.toString('ascii', 0, 8) !== CHECKPOINT_MAGIC) {
    throw corrupt(path, buf.length < PREFIX_BYTES ? 'the file is empty or truncated' : 'it is not a checkpoint file');
  }
  const version = buf.readUInt32LE(8);
  if (version > CHECKPOINT_VERSION) throw corrupt(path, `it was written by a newer Atelier (format ${version})`);
  const headerBytes = buf.readUInt32LE(12);
  const payloadStart = PREFIX_BYTES + headerBytes + ((8 - ((PREFIX_BYTES + headerBytes) % 8)) % 8);
  if (payloadStart + HASH_BYTES > buf.length) throw corrupt(path, 'the file is truncated');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes)) as CheckpointHeader;
  } catch {
    throw corrupt(path, 'its header is damaged');
  }
  if (header?.format !== 'atelier-checkpoint' || !Array.isArray(header.tensors) || typeof header.payloadBytes !== 'number') {
    throw corrupt(path, 'its header is not a checkpoint header');
  }
  const expected = payloadStart + header.payloadBytes + HASH_BYTES;
  if (buf.length !== expected) {
    throw corrupt(path, buf.length < expected ? `the file is truncated (${buf.length} of ${expected} bytes)` : 'the file has trailing bytes');
  }
  const digest = createHash('sha256').update(buf.subarray(0, buf.length - HASH_BYTES)).digest();
  if (!digest.equals(buf.subarray(buf.length - HASH_BYTES))) throw corrupt(path, 'its checksum does not match (the file is damaged)');
  if (typeof header.family !== 'string' || typeof header.step !== 'number' || typeof header.config !== 'object') {
    throw corrupt(path, 'its header lacks family, step or config');
  }
  const tensors = new Map<string, NamedArray>();
  for (const t of header.tensors) {
    const bytes = elements(t.shape) * 4;
    if (t.offset < 0 || t.offset % 4 !== 0 || t.offset + bytes > header.payloadBytes) throw corrupt(path, `tensor ${t.name} lies outside the payload`);
    const start = buf.byteOffset + payloadStart + t.offset;
    // Copy: the file buffer's alignment is not guaranteed, and callers may keep the arrays.
    const data = new Float32Array(buf.buffer.slice(start, start + bytes));
    tensors.set(t.name, { name: t.name, role: t.role, shape: t.shape, data });
  }
  return { header, tensors, sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length };
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AtelierError('not_found', `Checkpoint ${basename(path)} does not exist.`, { path });
    throw e;
  }
  return decodeCheckpoint(buf, path);
}

/**
 * Writes `chunks` to `path` atomically (files/atomic: folder created, temp + fsync + rename, ENOSPC →
 * disk_full); returns the size and SHA-256 (hex) of the file.
 */
export async function writeFileAtomic(path: string, chunks: Uint8Array[]): Promise<{ bytes: number; sha256: string }> {
  const data = Buffer.concat(chunks);
  await writeFileAtomicFs(path, data);
  return { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}
