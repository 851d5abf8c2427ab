/**
 * Multithreaded tfjs wasm backend in Node (and so in Electron's main process and in worker_threads).
 *
 * Why this exists: tfjs-backend-wasm ships an emscripten threaded+SIMD build whose JavaScript glue
 * supports Node's worker_threads, but tfjs never uses it in Node:
 *  1. the WASM_HAS_MULTITHREAD_SUPPORT flag returns false when IS_NODE (tfjs issue #3830);
 *  2. even with the flag forced on, tfjs hands emscripten the worker script and the main script as
 *     Blob URLs, which Node's Worker cannot load (the pthread workers fail to start);
 *  3. the C++ side caps the pool at emscripten_num_logical_cores() / 2 ("assume hyper-threading"),
 *     which in Node is os.cpus().length / 2: one thread on a 2-core machine whatever you ask for;
 *  4. running pthread workers are ref'ed, so a process that used the backend never exits by itself.
 *
 * So we instantiate the threaded module ourselves and register it as the 'wasm' backend:
 *  - the worker script (tfjs exports it as a string) and the main script are written to real files
 *    in a per-version cache folder (atomically), and handed to emscripten as plain paths;
 *  - os.cpus is widened for the moment the module's static initialisers run, so the cap is
 *    2 x the requested threads (the pool itself is still sized by setThreadsCount);
 *  - once the pool is running, its workers are unref'ed (the process and a worker_thread running
 *    training can exit normally) and the pre-spawned spare workers are terminated (emscripten keeps
 *    8 idle ones, each a V8 isolate with its own wasm instance: memory for nothing);
 *  - the process-wide 'uncaughtException'/'unhandledRejection' listeners emscripten adds (they
 *    rethrow, overriding the app's own handlers) are removed again.
 * Everything else (kernels, memory management) is tfjs' own BackendWasm.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { findBackendFactory, registerBackend, removeBackend } from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

// Not named `require`: electron-vite's ESM shim declares a module-level `require` in any chunk whose code
// calls `require(`, and two declarations in one chunk are a SyntaxError at load.
const requireCjs = createRequire(import.meta.url);

/** The emscripten module surface we touch. */
interface ThreadedModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread: {
    runningWorkers: { unref(): void }[];
    unusedWorkers: { terminate(): Promise<number> }[];
    pthreads: Record<string, unknown>;
  };
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

export interface ThreadedWasmStatus {
  /** Threads in XNNPACK's pool once initialised (the calling thread counts as one). */
  threads: number;
  /** Why the threaded build is not in use, if it is not. */
  fallbackReason: string | null;
}

const WASM_PRIORITY = 2; // the priority tfjs-backend-wasm registers itself with

let status: ThreadedWasmStatus | null = null;
let installedThreads: number | null = null;

/** Files emscripten's pthread workers load, written once per tfjs version + content. */
function materialiseScripts(): { mainScript: string; workerScript: string; wasmBinary: string; factoryPath: string } {
  const factoryPath = requireCjs.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const wasmBinary = factoryPath.replace(/\.js$/, '.wasm');
  const { wasmWorkerContents } = requireCjs('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
    wasmWorkerContents: string;
  };
  // The exported string holds literal newlines inside JS string literals ("\n" in the template
  // literal); tfjs escapes them the same way before making its Blob.
  const worker = wasmWorkerContents.replace(/\n/g, '\\n');
  const main = readFileSync(factoryPath, 'utf8');
  const hash = createHash('sha256').update(worker).update(main).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `atelier-tfjs-wasm-${hash}`);
  mkdirSync(dir, { recursive: true });
  // .cjs: the worker script uses require(), and a package.json "type": "module" above the folder
  // must not turn it into ESM.
  const workerScript = path.join(dir, 'pthread-worker.cjs');
  const mainScript = path.join(dir, 'threaded-simd.cjs');
  writeAtomically(workerScript, worker);
  writeAtomically(mainScript, main);
  return { mainScript, workerScript, wasmBinary, factoryPath };
}

let tmpCounter = 0;
function writeAtomically(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  // A temp name unique per process and call (not randomness that affects results).
  const tmp = `${file}.tmp-${process.pid}-${(tmpCounter++).toString(36)}-${Date.now().toString(36)}`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

/** Runs `f` while os.cpus() reports at least `n` entries (see point 3 above). */
async function withLogicalCores<T>(n: number, f: () => Promise<T>): Promise<T> {
  const real = os.cpus;
  const widened = (): os.CpuInfo[] => {
    const cpus = real();
    const out: os.CpuInfo[] = [];
    while (out.length < Math.max(n, cpus.length)) out.push(cpus[out.length % cpus.length]!);
    return out;
  };
  (os as { cpus: typeof os.cpus }).cpus = widened;
  try {
    return await f();
  } finally {
    (os as { cpus: typeof os.cpus }).cpus = real;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function createThreadedBackend(threads: number): Promise<BackendWasm> {
  if (typeof SharedArrayBuffer !== 'function') throw new Error('SharedArrayBuffer is not available');
  const files = materialiseScripts();
  const factory = requireCjs(files.factoryPath) as Factory;
  const listenersBefore = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const module = await withLogicalCores(2 * threads, () =>
    withTimeout(
      factory({
        locateFile: (p: string) => (p.endsWith('.worker.js') ? files.workerScript : p.endsWith('.wasm') ? files.wasmBinary : p),
        mainScriptUrlOrBlob: files.mainScript,
      }),
      60_000,
      'threaded wasm start-up',
    ),
  );
  for (const l of process.listeners('uncaughtException')) {
    if (!listenersBefore.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
  }
  for (const l of process.listeners('unhandledRejection')) {
    if (!listenersBefore.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
  }
  // The same bridge tfjs' own init() builds.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  for (const w of module.PThread.runningWorkers) w.unref();
  for (const w of module.PThread.unusedWorkers) void w.terminate();
  module.PThread.unusedWorkers.length = 0;
  return backend;
}

/**
 * Registers the threaded build as tfjs' 'wasm' backend (replacing the stock registration); the
 * module is instantiated when 'wasm' is first selected. If the threaded build cannot start, the
 * stock single-threaded SIMD build is used instead and `threadedWasmStatus().fallbackReason` says why.
 * Calling it again with another thread count has no effect once the backend has been created.
 */
export function installThreadedWasm(threads: number): void {
  if (installedThreads !== null) return;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  installedThreads = threads;
  // One thread: the stock SIMD build is the same engine without the pthread pool's overhead.
  if (threads === 1) {
    status = { threads: 1, fallbackReason: null };
    return;
  }
  const stockFactory = findBackendFactory('wasm');
  removeBackend('wasm');
  registerBackend(
    'wasm',
    async () => {
      try {
        const backend = await createThreadedBackend(threads);
        status = { threads: backend.wasm.tfjs.getThreadsCount(), fallbackReason: null };
        return backend;
      } catch (err) {
        if (stockFactory === null) throw err;
        const reason = `threaded wasm failed to start (${err instanceof Error ? err.message : String(err)}); using single-threaded wasm`;
        const backend = (await stockFactory()) as BackendWasm;
        status = { threads: backend.wasm.tfjs.getThreadsCount(), fallbackReason: reason };
        return backend;
      }
    },
    WASM_PRIORITY,
  );
}

/** Null until the wasm backend has been created. */
export function threadedWasmStatus(): ThreadedWasmStatus | null {
  return status;
}
