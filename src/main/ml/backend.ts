/**
 * Chooses and reports the tfjs backend that training and sampling run on.
 *
 * Order (first that works wins): TensorFlow with CUDA (@tensorflow/tfjs-node-gpu) → TensorFlow on CPU
 * (@tensorflow/tfjs-node) → WebGPU through Dawn (`webgpu` package) → wasm (threaded XNNPACK plus our
 * training kernels) → plain JS cpu. The first three are optional packages and may be absent; a
 * missing or broken one is skipped with a reason, never an exception. An explicit preference (the
 * argument, else env ATELIER_BACKEND) tries only that backend and fails with an AtelierError saying why.
 *
 * The report says which backend runs and why the others did not, so the CLI, the UI and each run
 * record can show it.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../shared/errors';
import { registerWasmTrainingKernels } from './kernels/index';
import { ensureGradientsRegistered } from './kernels/register-gradients';
import { installThreadedWasm, threadedWasmStatus } from './kernels/wasm-threaded-backend';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendReport {
  /** The backend now active in tfjs. */
  name: BackendName;
  /** CPU threads it computes with (wasm: XNNPACK pool incl. the calling thread); null on a GPU. */
  threads: number | null;
  /** Whether it uses SIMD (wasm: the SIMD build; native TensorFlow: always). */
  simd: boolean;
  /** Why this one: the preference that asked for it, or that the ones before it were skipped. */
  reason: string;
  /** Backends tried (or not tried) before it, each with the reason. */
  skipped: { name: BackendName; reason: string }[];
  /** Version of the tfjs-core the app computes with. */
  tfjsVersion: string;
  /** Data-parallel training workers of the run this report belongs to (absent: one; see jobs/train/parallel.ts). */
  workers?: number;
}

export interface InitBackendOptions {
  /** Threads for the wasm backend's pool (default: the machine's logical cores, at most 8). */
  threads?: number;
  /** Where ATELIER_BACKEND is read from (default process.env). */
  env?: Record<string, string | undefined>;
  /** How long the WebGPU probe may take before it is skipped (default 10 s). */
  webgpuProbeMs?: number;
  /** Loads an optional package; tests replace it to simulate packages that are not installed here. */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** A backend could not be used; the message is the reason shown to the user. */
class Unavailable extends Error {}

interface Attempt {
  name: BackendName;
  /** Makes the backend active or throws Unavailable (or anything else) with the reason. */
  activate(opts: Required<Pick<InitBackendOptions, 'importModule'>> & InitBackendOptions): Promise<Omit<BackendReport, 'reason' | 'skipped' | 'tfjsVersion' | 'name'>>;
}

const defaultImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}

async function select(name: string): Promise<void> {
  // setBackend swallows the factory's error (it logs a warning) and returns false.
  if (!(await tf.setBackend(name))) throw new Unavailable(`tfjs could not initialise the '${name}' backend`);
}

/**
 * tfjs-node registers its 'tensorflow' backend in the tfjs-core it depends on. When npm could not
 * dedupe that copy with ours (a different version), the backend exists only in the other copy and our
 * ops cannot use it: say so instead of silently computing elsewhere.
 */
async function activateTensorflow(pkg: string, importModule: (s: string) => Promise<unknown>): Promise<void> {
  let mod: { version?: Record<string, string> };
  try {
    mod = (await importModule(pkg)) as typeof mod;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Unavailable(`${pkg} is not installed`);
    throw new Unavailable(`${pkg} failed to load: ${firstLine(err)}`);
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    const theirs = mod.version?.['tfjs-core'];
    throw new Unavailable(
      `${pkg} registered its backend in another copy of @tensorflow/tfjs-core` +
        `${theirs ? ` (${theirs})` : ''} than the app's (${tf.version_core}); install a matching version`,
    );
  }
  await select('tensorflow');
}

/** Software rasterisers that expose WebGPU on the CPU: slower than wasm for training. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|software|cpu/i;

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

/** Describes why a WebGPU adapter is unsuitable, or returns null if it is a real GPU. */
export function softwareAdapterReason(adapter: GpuAdapterLike | null): string | null {
  if (adapter === null) return 'no WebGPU adapter (no GPU driver Dawn can use, e.g. no Vulkan)';
  const info = adapter.info ?? {};
  const label = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  if (adapter.isFallbackAdapter || SOFTWARE_ADAPTER.test(label)) {
    return `WebGPU adapter is a software renderer (${label || 'fallback adapter'}); wasm is faster`;
  }
  return null;
}

/**
 * On Linux Dawn reaches GPUs only through Vulkan. Without the Vulkan loader there can be no adapter,
 * and loading Dawn just to learn that prints a native warning on stderr at every start.
 */
export function vulkanLoaderMissing(platform: string = process.platform, env: Record<string, string | undefined> = process.env): boolean {
  if (platform !== 'linux') return false;
  const dirs = [
    ...(env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib64',
    '/usr/local/lib',
  ];
  return !dirs.some((d) => existsSync(path.join(d, 'libvulkan.so.1')));
}

/** Dawn can stall on a broken driver; the probe gives up after this long and the next backend is tried. */
const WEBGPU_PROBE_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
    timer.unref(); // a pending probe must not keep the process alive
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function activateWebGpu(
  importModule: (s: string) => Promise<unknown>,
  env: Record<string, string | undefined>,
  probeMs: number = WEBGPU_PROBE_MS,
): Promise<void> {
  if (importModule === defaultImport && vulkanLoaderMissing(process.platform, env)) {
    throw new Unavailable('no Vulkan loader (libvulkan.so.1), so no GPU WebGPU can use');
  }
  let dawn: { create: (flags: string[]) => { requestAdapter(): Promise<GpuAdapterLike | null> }; globals: object };
  try {
    dawn = (await withTimeout(importModule('webgpu'), probeMs, 'loading the webgpu package hung')) as typeof dawn;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Unavailable('the webgpu package is not installed');
    throw new Unavailable(`the webgpu package is not usable: ${firstLine(err)}`);
  }
  let gpu: ReturnType<typeof dawn.create>;
  let adapter: GpuAdapterLike | null;
  try {
    gpu = dawn.create([]);
    adapter = await withTimeout(gpu.requestAdapter(), probeMs, 'no WebGPU adapter answered');
  } catch (err) {
    throw new Unavailable(`WebGPU probe failed: ${firstLine(err)}`);
  }
  const bad = softwareAdapterReason(adapter);
  if (bad !== null) throw new Unavailable(bad);
  // tfjs-backend-webgpu looks for the browser globals (GPUBufferUsage, navigator.gpu, ...).
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true, writable: true });
  try {
    await importModule('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new Unavailable(`@tensorflow/tfjs-backend-webgpu failed to load: ${firstLine(err)}`);
  }
  if (tf.findBackendFactory('webgpu') === null) throw new Unavailable('@tensorflow/tfjs-backend-webgpu did not register a backend');
  await select('webgpu');
  probeSyncReadBack('webgpu');
}

/**
 * The engine reads results back synchronously (each step's losses, the weights at a checkpoint, the
 * sampled pixels). tfjs-backend-webgpu 4.22 reads GPU memory synchronously through OffscreenCanvas,
 * which browsers have and Node does not. Seen on an NVIDIA H200 (Vulkan, Dawn through the `webgpu` package): the backend
 * initialised and was chosen, then the first read threw "OffscreenCanvas is not defined", so every
 * training run failed at step 0 and `bench` stopped. A backend that cannot read back is therefore
 * skipped (the next one is tried), and dropped so it holds no GPU device.
 */
function probeSyncReadBack(name: string): void {
  try {
    // A result that lives on the GPU: Fill always runs there, and so does a sum over its output. (The
    // first probe, 1 + 1 on two scalars, passed on the H200 and training still failed: tfjs-webgpu runs
    // ops on small inputs that are still in CPU memory on the CPU, so nothing was read from the GPU.)
    const t = tf.tidy(() => tf.sum(tf.fill([1024], 1)));
    try {
      if (t.dataSync()[0] !== 1024) throw new Error('a sum of 1024 ones did not read back as 1024');
    } finally {
      t.dispose();
    }
  } catch (err) {
    tf.removeBackend(name);
    throw new Unavailable(`tfjs' ${name} backend cannot read results back synchronously in Node (${firstLine(err)}), and training and sampling need that`);
  }
}

/**
 * wasm threads per training worker. Measured on the 2-core reference machine (DCGAN-32, batch 64):
 * 1 thread 26.6 img/s, 2 threads 15.4 img/s — XNNPACK's pool wakes and waits on every small kernel,
 * and the second core is better spent on the engine's main thread, sampling, metrics and import.
 * Bigger machines (≥ 8 cores) get a pool; ATELIER_WASM_THREADS overrides either way.
 */
function defaultThreads(): number {
  const fromEnv = Number(process.env.ATELIER_WASM_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return Math.min(fromEnv, 64);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cores >= 8 ? Math.min(8, Math.floor(cores / 2)) : 1;
}

/**
 * wasm threads for each of a run's `workers` data-parallel training workers. One worker: the default
 * above. More: one thread each. Measured on the 2-core reference machine (img/s, workers × threads):
 * default model 64 px batch 16: 1×1 16.2, 1×2 20.5, 2×1 25.6; 128 px: 1×1 9.6, 1×2 11.9, 2×1 15.6,
 * 2×2 12.8. Workers beat threads at every size, and combining them oversubscribes the cores. Machines
 * with more cores were not measured, so the two are not combined there either. ATELIER_WASM_THREADS
 * overrides.
 */
export function wasmThreadsPerWorker(workers: number): number | undefined {
  if (workers <= 1) return undefined;
  const fromEnv = Number(process.env.ATELIER_WASM_THREADS);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? Math.min(fromEnv, 64) : 1;
}

const ATTEMPTS: Attempt[] = [
  {
    name: 'tensorflow-gpu',
    async activate({ importModule }) {
      await activateTensorflow('@tensorflow/tfjs-node-gpu', importModule);
      return { threads: null, simd: true };
    },
  },
  {
    name: 'tensorflow',
    async activate({ importModule }) {
      await activateTensorflow('@tensorflow/tfjs-node', importModule);
      return { threads: defaultThreads(), simd: true };
    },
  },
  {
    name: 'webgpu',
    async activate({ importModule, env, webgpuProbeMs }) {
      await activateWebGpu(importModule, env ?? process.env, webgpuProbeMs);
      return { threads: null, simd: false };
    },
  },
  {
    name: 'wasm',
    async activate({ threads }) {
      registerWasmTrainingKernels();
      installThreadedWasm(threads ?? defaultThreads());
      await select('wasm');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const status = threadedWasmStatus();
      return { threads: status?.threads ?? 1, simd: Boolean(simd), note: status?.fallbackReason ?? undefined };
    },
  },
  {
    name: 'cpu',
    async activate() {
      await import('@tensorflow/tfjs-backend-cpu');
      await select('cpu');
      return { threads: 1, simd: false };
    },
  },
];

function parsePreference(value: string | undefined, source: string): BackendName | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new AtelierError('invalid_input', `Unknown backend "${value}" in ${source}; use one of ${BACKEND_NAMES.join(', ')} or auto.`);
}

/**
 * Makes a backend active and reports it. With a preference (argument, else ATELIER_BACKEND) only that
 * backend is tried; if it is unavailable this throws AtelierError('unsupported') with the reason.
 */
export async function initBackend(preference?: BackendName, options: InitBackendOptions = {}): Promise<BackendReport> {
  const env = options.env ?? process.env;
  const opts = { ...options, env, importModule: options.importModule ?? defaultImport };
  const wanted = preference !== undefined ? parsePreference(preference, 'the backend preference') : parsePreference(env['ATELIER_BACKEND'], 'ATELIER_BACKEND');
  const source = preference !== undefined ? 'requested' : 'requested by ATELIER_BACKEND';
  const skipped: BackendReport['skipped'] = [];
  await ensureGradientsRegistered();

  for (const attempt of ATTEMPTS) {
    if (wanted !== undefined && attempt.name !== wanted) {
      skipped.push({ name: attempt.name, reason: `not tried: ${wanted} was ${source}` });
      continue;
    }
    try {
      const { note, ...result } = (await attempt.activate(opts)) as Awaited<ReturnType<Attempt['activate']>> & { note?: string };
      const why = wanted !== undefined ? `${source}` : skipped.length === 0 ? 'first choice' : `first available (${skipped.map((s) => s.name).join(', ')} skipped)`;
      return {
        name: attempt.name,
        ...result,
        reason: note ? `${why}; ${note}` : why,
        skipped: skipped.filter((s) => s.name !== attempt.name),
        tfjsVersion: tf.version_core,
      };
    } catch (err) {
      const reason = err instanceof Unavailable ? err.message : `failed: ${firstLine(err)}`;
      if (wanted !== undefined) {
        throw new AtelierError('unsupported', `The ${wanted} backend is not available on this machine: ${reason}.`, { skipped: [...skipped, { name: attempt.name, reason }] });
      }
      skipped.push({ name: attempt.name, reason });
    }
  }
  // cpu is pure JavaScript and cannot be unavailable; this is only reachable if tfjs itself is broken.
  throw new AtelierError('internal', 'No tfjs backend could be initialised.', { skipped });
}

/** initBackend for a choice as jobs carry it: a backend's name, or 'auto' / absent for the usual order. */
export function initChosenBackend(choice: string | undefined, options: InitBackendOptions = {}): Promise<BackendReport> {
  return initBackend(choice && choice !== 'auto' ? (choice as BackendName) : undefined, options);
}
