import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, initBackend, softwareAdapterReason } from '../../../src/main/ml/backend';

const notInstalled = (specifier: string): Error => Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });

/** Simulates a machine: which optional packages exist and what WebGPU adapter Dawn reports. */
function machine(adapter: 'none' | 'software' | 'hang' | 'missing' | 'gpu-without-sync-reads') {
  return async (specifier: string): Promise<unknown> => {
    if (specifier === '@tensorflow/tfjs-backend-webgpu' && adapter === 'gpu-without-sync-reads') {
      registerWebGpuWithoutSyncReads();
      return {};
    }
    if (specifier !== 'webgpu' || adapter === 'missing') throw notInstalled(specifier);
    if (adapter === 'gpu-without-sync-reads') {
      return { globals: {}, create: () => ({ requestAdapter: () => Promise.resolve({ isFallbackAdapter: false, info: { vendor: 'nvidia', device: 'NVIDIA H200' } }) }) };
    }
    return {
      globals: {},
      create: () => ({
        requestAdapter: () =>
          adapter === 'hang'
            ? new Promise(() => {})
            : Promise.resolve(adapter === 'none' ? null : { isFallbackAdapter: false, info: { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }),
      }),
    };
  };
}

/**
 * What tfjs-backend-webgpu 4.22 does under Node on a real GPU (seen on an H200): it initialises and
 * computes; ops on small inputs still in CPU memory run on the CPU (so 1 + 1 reads back fine), and any
 * read of a result that lives on the GPU throws, because it reads through OffscreenCanvas. Fill always
 * runs on the GPU; a result of an op with a GPU-resident input is GPU-resident.
 */
function registerWebGpuWithoutSyncReads(): void {
  const onGpu = new WeakSet<object>();
  class NoSyncReads extends MathBackendCPU {
    override readSync(dataId: object): never | ReturnType<MathBackendCPU['readSync']> {
      if (onGpu.has(dataId)) throw new ReferenceError('OffscreenCanvas is not defined');
      return super.readSync(dataId);
    }
  }
  tf.registerBackend('webgpu', () => new NoSyncReads());
  for (const k of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({
      ...k,
      backendName: 'webgpu',
      kernelFunc: (args) => {
        const out = k.kernelFunc(args);
        const inputs = Object.values(args.inputs) as Array<{ dataId: object } | undefined>;
        if (k.kernelName === 'Fill' || inputs.some((t) => t && onGpu.has(t.dataId))) {
          for (const t of Array.isArray(out) ? out : [out]) onGpu.add(t.dataId);
        }
        return out;
      },
    });
  }
}

describe('initBackend', () => {
  it('tries tensorflow-gpu, tensorflow, webgpu, wasm in order and reports why each was skipped', async () => {
    const report = await initBackend(undefined, { env: {}, threads: 1, importModule: machine('software') });
    expect(report.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.skipped).toEqual([
      { name: 'tensorflow-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' },
      { name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
      { name: 'webgpu', reason: expect.stringMatching(/^WebGPU adapter is a software renderer \(mesa llvmpipe/) },
    ]);
    expect(report.reason).toMatch(/first available/);
    expect(report.threads).toBeGreaterThanOrEqual(1);
    expect(report.simd).toBe(true);
    expect(report.tfjsVersion).toBe(tf.version_core);
  });

  it('bounds a WebGPU probe that never answers, and says so', async () => {
    const t0 = Date.now();
    const report = await initBackend(undefined, { env: {}, threads: 1, webgpuProbeMs: 200, importModule: machine('hang') });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(report.name).toBe('wasm');
    expect(report.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/no WebGPU adapter answered within 0.2 s/);
  });

  it('reports a missing adapter and a missing package in plain words', async () => {
    const none = await initBackend(undefined, { env: {}, threads: 1, importModule: machine('none') });
    expect(none.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/^no WebGPU adapter/);
    const missing = await initBackend(undefined, { env: {}, threads: 1, importModule: machine('missing') });
    expect(missing.skipped.find((s) => s.name === 'webgpu')?.reason).toBe('the webgpu package is not installed');
  });

  it('skips a GPU backend that cannot read results back synchronously, and says why', async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    const report = await initBackend(undefined, { env: {}, threads: 1, importModule: machine('gpu-without-sync-reads') });
    expect(report.name).toBe('wasm');
    expect(report.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/cannot read results back synchronously in Node \(OffscreenCanvas is not defined\)/);
    expect(tf.findBackend('webgpu')).toBeNull();
    await expect(initBackend('webgpu', { env: {}, importModule: machine('gpu-without-sync-reads') })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('cannot read results back synchronously'),
    });
  });

  it('honours ATELIER_BACKEND and an explicit preference (the argument wins)', async () => {
    const fromEnv = await initBackend(undefined, { env: { ATELIER_BACKEND: 'cpu' }, importModule: machine('missing') });
    expect(fromEnv.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(fromEnv.reason).toMatch(/ATELIER_BACKEND/);
    expect(fromEnv.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm']);
    const explicit = await initBackend('wasm', { env: { ATELIER_BACKEND: 'cpu' }, threads: 1, importModule: machine('missing') });
    expect(explicit.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails with a plain reason when the preferred backend is unavailable, and rejects unknown names', async () => {
    await expect(initBackend('tensorflow', { env: {}, importModule: machine('missing') })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('@tensorflow/tfjs-node is not installed'),
    });
    await expect(initBackend(undefined, { env: { ATELIER_BACKEND: 'tpu' }, importModule: machine('missing') })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(BACKEND_NAMES).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
  });

  it('classifies software WebGPU adapters', () => {
    expect(softwareAdapterReason(null)).toMatch(/no WebGPU adapter/);
    expect(softwareAdapterReason({ isFallbackAdapter: true })).toMatch(/software renderer/);
    expect(softwareAdapterReason({ info: { vendor: 'google', device: 'SwiftShader Device' } })).toMatch(/software renderer/);
    expect(softwareAdapterReason({ info: { vendor: 'nvidia', device: 'NVIDIA H100' } })).toBeNull();
  });
});
