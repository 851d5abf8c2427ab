/**
 * Issue 16: `datasets.deleteItems {itemIds:[2,2,2,2,2]}` reported 5 deleted when one was removed, and
 * `updateItems` skipped ids that do not exist while gallery methods refuse the whole call. Dataset item
 * calls now count distinct items and refuse a call naming a missing item, changing nothing, as the
 * gallery does.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { catalogDigest } from '../reliability/fuzz-support';
import { tempDir } from '../support/tmp';
import { writeNoiseImages } from '../datasets/support';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function withItems(): Promise<{ s: Service; datasetId: number; ids: number[] }> {
  const dir = tempDir('ids-');
  await writeNoiseImages(path.join(dir, 'src'), 3, 16, ['a']);
  service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
  const s = service;
  const p = await s.call('projects.create', { name: 'Ids' });
  const { jobId, datasetId } = await s.call('datasets.import', { projectId: p.id, paths: [path.join(dir, 'src')] });
  await s.ctx.jobs.get(jobId)?.done;
  const ids = (await s.call('datasets.items', { datasetId })).items.map((i) => i.id);
  expect(ids).toHaveLength(3);
  return { s, datasetId, ids };
}

describe('dataset item ids', () => {
  it('counts each item once, however often a call names it', async () => {
    const { s, datasetId, ids } = await withItems();
    const id = ids[1]!;
    expect(await s.call('datasets.updateItems', { datasetId, itemIds: [id, id, id], label: 'twice' })).toEqual({ updated: 1 });
    expect(await s.call('datasets.deleteItems', { datasetId, itemIds: [id, id, id, id, id] })).toEqual({ deleted: 1 });
    expect((await s.call('datasets.items', { datasetId })).total).toBe(2);
  });

  it('refuses a call naming a missing item, whole, as the gallery does', async () => {
    const { s, datasetId, ids } = await withItems();
    const before = catalogDigest(s.ctx.db);
    await expect(s.call('datasets.updateItems', { datasetId, itemIds: [ids[0]!, 999_999], label: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(s.call('datasets.deleteItems', { datasetId, itemIds: [ids[0]!, 999_999] })).rejects.toMatchObject({ code: 'not_found' });
    await expect(s.call('gallery.trash', { ids: [999_999] })).rejects.toMatchObject({ code: 'not_found' });
    expect(catalogDigest(s.ctx.db)).toBe(before);
    // An item of another dataset is missing from this one.
    const other = await s.call('datasets.create', { projectId: 1, name: 'Other', kind: 'image' });
    const withOther = catalogDigest(s.ctx.db);
    await expect(s.call('datasets.deleteItems', { datasetId: other.id, itemIds: [ids[0]!] })).rejects.toMatchObject({ code: 'not_found' });
    expect(catalogDigest(s.ctx.db)).toBe(withOther);
    expect((await s.call('datasets.items', { datasetId })).items.map((i) => i.label)).toEqual(['a', 'a', 'a']);
  });
});
