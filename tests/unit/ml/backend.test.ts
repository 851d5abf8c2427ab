import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, initBackend, softwareAdapterReason } from '../../../src/main/ml/backend';

const notInstalled = (specifier: string): Error => Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });

/** Simulates a machine: which optional packages exist and what WebGPU adapter Dawn reports. */
function machine(adapter: 'none' | 'software' | 'hang' | 'missing') {
  return async (specifier: string): Promise<unknown> => {
    if (specifier !== 'webgpu' || adapter === 'missing') throw notInstalled(specifier);
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
