/**
 * Shared-memory collectives for the N worker threads of one data-parallel training run: a barrier, an
 * all-reduce of Float32 vectors, and a small header + payload the leader (rank 0) publishes to the others.
 *
 * Everything lives in one SharedArrayBuffer, so there is no message passing on the hot path: a worker
 * writes its vector into its own slot, meets the others at a barrier (Atomics.wait / notify, which
 * worker threads — and Node's main thread — may block in), reduces its 1/N share of the elements for
 * everyone (reduce-scatter), meets them again, and reads the result (all-gather). Vectors longer than a
 * slot go through in chunks.
 *
 * Determinism: element j of the result is always summed in rank order 0, 1, …, N−1 in float64 and then
 * rounded once to float32, whichever worker computes it, so every worker gets the same bits and a run
 * with a fixed worker count is reproducible bit for bit.
 *
 * Failure: a worker that fails calls `abort(message)`; every worker waiting in (or later entering) a
 * barrier then throws ParallelAbort with that message, instead of waiting forever for the failed one.
 *
 * Layout (bytes): control Int32[16] · header Float64[16] · message Uint8[512] · info Int32[16·N] ·
 * slots Float32[N·chunk] · result Float32[chunk] · payload Float32[payloadFloats].
 */

export interface CollectiveLayout {
  /** Worker threads in the group (rank 0 is the leader). */
  workers: number;
  /** Floats per slot: vectors are reduced in chunks of this many. */
  chunk: number;
  /** Floats of the leader's payload area (a training batch). */
  payloadFloats: number;
}

/** Thrown in every worker of a group once one of them has aborted it. */
export class ParallelAbort extends Error {}

const CONTROL_INTS = 16;
const HEADER_DOUBLES = 16;
const MESSAGE_BYTES = 512;
const INFO_INTS = 16;

// Control words.
const COUNT = 0;
const GENERATION = 1;
const ABORTED = 2;

/** How long a worker waits at a barrier inside a step before it declares the group stuck. */
export const STEP_TIMEOUT_MS = 10 * 60_000;
/** Slice of one Atomics.wait, so an abort is seen even if its notify was missed. */
const WAIT_SLICE_MS = 1_000;

function offsets(l: CollectiveLayout) {
  const header = CONTROL_INTS * 4;
  const message = header + HEADER_DOUBLES * 8;
  const info = message + MESSAGE_BYTES;
  // Float64 views (allReduce64) need 8-byte-aligned slots.
  const align8 = (n: number) => Math.ceil(n / 8) * 8;
  const slots = info + INFO_INTS * 4 * l.workers;
  const result = slots + align8(l.chunk * 4 * l.workers);
  const payload = result + align8(l.chunk * 4);
  return { header, message, info, slots, result, payload, bytes: payload + l.payloadFloats * 4 };
}

export class Collective {
  readonly size: number;
  private readonly control: Int32Array;
  /** Leader → workers: a command and its arguments (see ml/parallel/step.ts). */
  readonly header: Float64Array;
  private readonly message: Uint8Array;
  /** Per-worker integers (state hashes, tensor counts): `info(rank)`. */
  private readonly infoAll: Int32Array;
  private readonly slots: Float32Array;
  private readonly result: Float32Array;
  /** Leader → workers: the training batch. */
  readonly payload: Float32Array;
  private readonly chunk: number;

  /** The shared memory for a group; hand it to every worker with its rank. */
  static allocate(layout: CollectiveLayout): SharedArrayBuffer {
    if (!(Number.isInteger(layout.workers) && layout.workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${layout.workers}`);
    return new SharedArrayBuffer(offsets(layout).bytes);
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly layout: CollectiveLayout,
    readonly rank: number,
  ) {
    const o = offsets(layout);
    if (buffer.byteLength !== o.bytes) throw new Error(`collective buffer is ${buffer.byteLength} bytes, the layout needs ${o.bytes}`);
    if (!(rank >= 0 && rank < layout.workers)) throw new RangeError(`rank ${rank} is outside a group of ${layout.workers}`);
    this.size = layout.workers;
    this.chunk = layout.chunk;
    this.control = new Int32Array(buffer, 0, CONTROL_INTS);
    this.header = new Float64Array(buffer, o.header, HEADER_DOUBLES);
    this.message = new Uint8Array(buffer, o.message, MESSAGE_BYTES);
    this.infoAll = new Int32Array(buffer, o.info, INFO_INTS * layout.workers);
    this.slots = new Float32Array(buffer, o.slots, layout.chunk * layout.workers);
    this.result = new Float32Array(buffer, o.result, layout.chunk);
    this.payload = new Float32Array(buffer, o.payload, layout.payloadFloats);
  }

  /** 16 integers this worker may write and every worker may read after the next barrier. */
  info(rank: number): Int32Array {
    return this.infoAll.subarray(rank * INFO_INTS, (rank + 1) * INFO_INTS);
  }

  get aborted(): boolean {
    return Atomics.load(this.control, ABORTED) !== 0;
  }

  /**
   * Waits until every worker of the group has called barrier() as often as this one. `timeoutMs`
   * bounds the wait (Infinity: a replica waiting for the leader's next command, which may be paused).
   */
  barrier(timeoutMs = STEP_TIMEOUT_MS): void {
    const c = this.control;
    this.throwIfAborted();
    if (this.size === 1) return;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, COUNT, 1) === this.size - 1) {
      // Last to arrive: reset the count for the next barrier, then release everyone.
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(c, GENERATION) === generation) {
      this.throwIfAborted();
      const left = deadline - Date.now();
      if (left <= 0) {
        this.abort(`worker ${this.rank} waited ${Math.round(timeoutMs / 1000)} s for the others at a barrier`);
        this.throwIfAborted();
      }
      Atomics.wait(c, GENERATION, generation, Math.min(WAIT_SLICE_MS, left));
    }
    // Released: this barrier completed, even if a worker aborted just after; the next one throws.
  }

  /**
   * In place: `data` becomes the element-wise sum (or mean) of every worker's `data`. All workers must
   * call it with vectors of the same length, in the same order relative to other collectives.
   */
  allReduce(data: Float32Array, op: 'sum' | 'mean'): void {
    if (this.size === 1) return;
    this.reduceChunks(data, this.slots, this.result, this.chunk, op);
  }

  /**
   * allReduce for float64 vectors (small statistics that must not lose precision in transit, e.g. sums
   * of squares for batch norm): the same slots, read as half as many doubles.
   */
  allReduce64(data: Float64Array, op: 'sum' | 'mean'): void {
    if (this.size === 1) return;
    const C = this.chunk >> 1;
    const slots = new Float64Array(this.slots.buffer, this.slots.byteOffset, C * this.size);
    const result = new Float64Array(this.result.buffer, this.result.byteOffset, C);
    this.reduceChunks(data, slots, result, C, op);
  }

  /** The chunked all-reduce behind both widths: `slots` holds C elements per worker, `result` C. */
  private reduceChunks<T extends Float32Array | Float64Array>(data: T, slots: T, result: T, C: number, op: 'sum' | 'mean'): void {
    const n = this.size;
    for (let offset = 0; offset < data.length; offset += C) {
      const len = Math.min(C, data.length - offset);
      slots.set(data.subarray(offset, offset + len), this.rank * C);
      this.barrier();
      // Reduce-scatter: this worker sums elements [from, to) of the chunk for everyone.
      const share = Math.ceil(len / n);
      const from = Math.min(len, this.rank * share);
      const to = Math.min(len, from + share);
      for (let j = from; j < to; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += slots[r * C + j]!;
        result[j] = op === 'mean' ? s / n : s;
      }
      this.barrier();
      data.set(result.subarray(0, len), offset);
      // The result area is next overwritten only after the next chunk's first barrier, which every
      // worker reaches after this copy, so no third barrier is needed.
    }
  }


  /** Marks the group failed (first message wins) and wakes every waiting worker. */
  abort(reason: string): void {
    const c = this.control;
    if (Atomics.compareExchange(c, ABORTED, 0, -1) === 0) {
      const bytes = new TextEncoder().encode(reason).subarray(0, MESSAGE_BYTES - 1);
      this.message.fill(0);
      this.message.set(bytes);
      Atomics.store(c, ABORTED, 1);
    }
    Atomics.notify(c, GENERATION);
  }

  /** Why the group was aborted ('' while it was not). */
  abortReason(): string {
    if (!this.aborted) return '';
    // -1: the aborting worker is still writing its message (a few microseconds).
    while (Atomics.load(this.control, ABORTED) === -1) Atomics.wait(this.control, ABORTED, -1, 1);
    const end = this.message.indexOf(0);
    return new TextDecoder().decode(this.message.slice(0, end < 0 ? MESSAGE_BYTES : end));
  }

  private throwIfAborted(): void {
    if (Atomics.load(this.control, ABORTED) !== 0) throw new ParallelAbort(this.abortReason());
  }
}
