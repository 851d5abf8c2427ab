import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { describeRun, startInput } from '../../../src/main/cli/train';
import { insertModel } from '../../../src/main/catalog/models';
import { findCheckpointBySha, insertCheckpoint } from '../../../src/main/catalog/checkpoints';
import { ensureBaseModels, readBaseModels } from '../../../src/main/jobs/train/base-models';
import type { Run } from '../../../src/shared/contract';
import { seedSampleProject } from '../support/sample-dataset';
import { tempDir } from '../support/tmp';

/**
 * `atelier train` as the README writes it: fine-tuning names a base (or a checkpoint) and takes its
 * family and size from it; --model and --size are optional then, and must agree when given.
 */
let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

function setup(): Service {
  const dataDir = tempDir();
  seedSampleProject(dataDir, { projectName: 'Pets', limit: 8 });
  service = createService({ dataDir, door: 'direct' });
  return service;
}

function baseCheckpointId(s: Service): number {
  ensureBaseModels(s.ctx);
  const entry = readBaseModels(s.ctx.resourcesDir).find((m) => m.id === 'emoji-base-32')!;
  return findCheckpointBySha(s.ctx.db, entry.sha256)!.id;
}

describe('atelier train: what a command line asks for', () => {
  it('--from a base model needs no --model: the family and size are the base’s', async () => {
    const s = setup();
    const input = await startInput(s, { project: 'Pets', dataset: 'Twemoji faces, animals & food', from: 'emoji-base-32', minutes: '5' });
    expect(input).toMatchObject({ family: 'cgan', size: 32, length: { minutes: 5 }, from: { checkpointId: baseCheckpointId(s) } });
  });

  it('accepts a --model that agrees with the base, and refuses one that does not, saying why', async () => {
    const s = setup();
    expect((await startInput(s, { project: 'Pets', from: 'emoji-base-32', model: 'cgan', steps: '10' })).family).toBe('cgan');
    const wrong = startInput(s, { project: 'Pets', from: 'emoji-base-32', model: 'dcgan', steps: '10' });
    await expect(wrong).rejects.toThrow(/Emoji base \(32 px\).*Conditional GAN \(cgan\).*DCGAN \(dcgan\).*Leave out --model/);
    await expect(startInput(s, { project: 'Pets', from: 'emoji-base-32', size: '64', steps: '10' })).rejects.toThrow(/32×32.*Leave out --size/);
    await expect(startInput(s, { project: 'Pets', from: 'emoji-base-32', model: 'nonsense', steps: '10' })).rejects.toThrow(/--model must be one of/);
  });

  it('lists the shipped bases first, in their shipped order (32 px, then 64 px)', async () => {
    const s = setup();
    const bases = (await s.call('models.list', { projectId: 1 })).filter((m) => m.source === 'base');
    expect(bases.map((m) => [m.name, m.size])).toEqual([
      ['Emoji base (32 px)', 32],
      ['Emoji base (64 px)', 64],
    ]);
  });

  it('--config passes overrides (scalars and lists) to the model, and refuses what is not a JSON object of them', async () => {
    const s = setup();
    expect((await startInput(s, { project: 'Pets', model: 'default', steps: '10', config: '{"width":16,"lr":0.0002}' })).config).toEqual({ width: 16, lr: 0.0002 });
    expect((await startInput(s, { project: 'Pets', model: 'default', steps: '10' })).config).toBeUndefined();
    await expect(startInput(s, { project: 'Pets', model: 'default', steps: '10', config: '{width:16}' })).rejects.toThrow(/--config must be a JSON object/);
    await expect(startInput(s, { project: 'Pets', model: 'default', steps: '10', config: '[16]' })).rejects.toThrow(/--config must be a JSON object/);
    expect((await startInput(s, { project: 'Pets', model: 'default', steps: '10', config: '{"diffAugment":["translation"]}' })).config).toEqual({ diffAugment: ['translation'] });
    await expect(startInput(s, { project: 'Pets', model: 'default', steps: '10', config: '{"diffAugment":{"op":"color"}}' })).rejects.toThrow(/"diffAugment" must be a number, a boolean, a string or a list of them/);
    await expect(startInput(s, { project: 'Pets', model: 'default', steps: '10', config: '{"diffAugment":[["color"]]}' })).rejects.toThrow(/"diffAugment" must be a number, a boolean, a string or a list of them/);
  });

  it('--from a checkpoint id of a trained model takes that model’s family and size', async () => {
    const s = setup();
    const modelId = insertModel(s.ctx.db, { projectId: 1, name: 'Old VAE', family: 'vae', config: { size: 64 }, source: 'trained', meta: { size: 64 } });
    const checkpointId = insertCheckpoint(s.ctx.db, { modelId, runId: null, step: 100, file: 'x.ckpt', sha256: 'a'.repeat(64), bytes: 1 });
    expect(await startInput(s, { project: 'Pets', from: String(checkpointId), steps: '10' })).toMatchObject({ family: 'vae', size: 64, from: { checkpointId } });
  });

  it('without --from and --model, proposes the Train form’s family: conditional for labelled data, else default', async () => {
    const s = setup();
    // The sample's images carry labels (animal, face, food): the conditional model, so prompts steer.
    expect(await startInput(s, { project: 'Pets', steps: '10' })).toMatchObject({ family: 'cgan', datasetId: 1 });
    s.ctx.db.prepare('UPDATE item SET label = NULL').run();
    expect((await startInput(s, { project: 'Pets', steps: '10' })).family).toBe('cgan'); // its tags still steer
    s.ctx.db.prepare('DELETE FROM item_tag').run();
    expect((await startInput(s, { project: 'Pets', steps: '10' })).family).toBe('default');
    // --model still wins.
    expect((await startInput(s, { project: 'Pets', model: 'vae', steps: '10' })).family).toBe('vae');
  });

  it('the engine refuses a config key the family does not have before any run exists, whichever door asks', async () => {
    const s = setup();
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'default', length: { steps: 1 }, config: { widht: 16 } })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/no setting "widht"; its settings are .*\bwidth\b/),
    });
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'cgan', length: { steps: 1 }, config: { condDropout: 0.2, bogus: 1 } })).rejects.toThrow(/no setting "bogus"/);
    // A value of another kind than the setting's: "16" would pass `width >= 1` and reach the layers as a string.
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'default', length: { steps: 1 }, config: { width: '16' } })).rejects.toThrow(/"width" must be a number \(its default is \d+\); got "16"/);
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'default', length: { steps: 1 }, config: { diffAugment: 'color' } })).rejects.toThrow(/"diffAugment" must be a list of strings/);
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'default', length: { steps: 1 }, config: { diffAugment: [1] } })).rejects.toThrow(/"diffAugment" must be a list of strings/);
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'mlpgan', length: { steps: 1 }, config: { gHidden: ['64'] } })).rejects.toThrow(/"gHidden" must be a list of numbers/);
    expect(await s.call('runs.list', { projectId: 1 })).toEqual([]);
  });

  it('the engine refuses a family that cannot continue the checkpoint, whichever door asks', async () => {
    const s = setup();
    const checkpointId = baseCheckpointId(s);
    await expect(s.call('runs.start', { projectId: 1, datasetId: 1, family: 'dcgan', length: { steps: 1 }, from: { checkpointId } })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/Conditional GAN \(cgan\).*DCGAN \(dcgan\)/),
    });
  });
});

describe('base models a release no longer ships', () => {
  it('are left out of the model list and named plainly when asked for; their rows stay for lineage', async () => {
    // An install that registered base A; the next release ships base B instead.
    const dataDir = tempDir();
    seedSampleProject(dataDir, { projectName: 'Pets', limit: 4 });
    const resources = tempDir();
    fs.mkdirSync(path.join(resources, 'models'));
    const entry = (id: string, sha: string) => ({ id, name: `Base ${id}`, family: 'default', file: `${id}.ckpt`, sha256: sha.repeat(64), bytes: 1, step: 1, size: 32, channels: 4, attribution: '', recipe: {}, config: { size: 32 } });
    const ship = (...ids: Array<[string, string]>) => {
      for (const f of fs.readdirSync(path.join(resources, 'models'))) fs.rmSync(path.join(resources, 'models', f));
      for (const [id] of ids) fs.writeFileSync(path.join(resources, 'models', `${id}.ckpt`), 'x');
      fs.writeFileSync(path.join(resources, 'models', 'index.json'), JSON.stringify({ models: ids.map(([id, sha]) => entry(id, sha)) }));
    };
    ship(['a', 'a']);
    service = createService({ dataDir, door: 'direct', resourcesDir: resources });
    // Found by name in a fresh data folder, before any list registered it.
    expect(await service.call('models.resolve', { ref: 'Base a' })).toMatchObject({ name: 'Base a' });
    const names = async () => ((await service!.call('models.list', { projectId: 1 })) as Array<{ name: string }>).map((m) => m.name);
    expect(await names()).toContain('Base a');
    ship(['b', 'b']);
    expect(await names()).toEqual(expect.arrayContaining(['Base b']));
    expect(await names()).not.toContain('Base a');
    await expect(startInput(service, { project: 'Pets', from: 'a', steps: '10' })).rejects.toThrow(/"Base a" is no longer shipped.*start from "b"/);
    await expect(service.call('models.resolve', { ref: 'Base a' })).rejects.toThrow(/no longer shipped/);
    expect(findCheckpointBySha(service.ctx.db, 'a'.repeat(64))).toBeDefined(); // still there for lineage
    ship(['a', 'a'], ['b', 'b']);
    expect(await names()).toEqual(expect.arrayContaining(['Base a', 'Base b']));
  });
});

describe('atelier runs list: one line per run', () => {
  const run: Run = {
    id: 3,
    projectId: 1,
    modelId: 4,
    datasetId: 1,
    name: 'Small-data GAN on Pets',
    family: 'default',
    status: 'done',
    backend: 'wasm',
    backendReport: null,
    step: 600,
    targetSteps: 600,
    targetMinutes: null,
    batchSize: 8,
    imagesSeen: 4800,
    trainMs: 60_000,
    bestMetric: 7364.4808,
    latestGrid: null,
    parent: null,
    error: null,
    createdAt: new Date(2026, 10, 23, 14, 5).getTime(),
    updatedAt: 0,
    endedAt: null,
  };

  it('tells two runs of the same model on the same data apart, and gives KID on the monitor’s scale, rounded', () => {
    const line = describeRun(run);
    expect(line).toContain('#3');
    expect(line).toContain('(Small-data GAN, started 2026-11-23 14:05)');
    expect(line).toContain('best KID×10³ 7364');
    expect(line).not.toContain('7364.4808');
    expect(describeRun({ ...run, id: 4, createdAt: run.createdAt + 3_600_000 })).not.toBe(line.replace('#3', '#4'));
  });

  it('says val loss for text runs', () => {
    expect(describeRun({ ...run, family: 'charlstm', bestMetric: 1.234567 })).toContain('best val loss 1.235');
  });
});
