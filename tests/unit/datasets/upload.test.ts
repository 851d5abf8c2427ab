/** The web host's upload route: token-protected, same-origin, path-checked, size-limited, then importable. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { startWebHost, type WebHost } from '../../../src/main/web/host';
import { UPLOAD_LIMITS, cleanUploadPath } from '../../../src/main/web/upload';
import { closeAfterTest } from '../support/close';
import { tempDir } from '../support/tmp';
import { noisePng } from './support';

let service: Service | undefined;
let host: WebHost | undefined;

describe('upload route', () => {
  it('accepts files behind the token, refuses bad paths, other origins and oversize files, and imports the upload', async () => {
    const rendererDir = tempDir('renderer-');
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>');
    service = closeAfterTest(createService({ dataDir: tempDir(), door: 'web' }));
    host = closeAfterTest(await startWebHost({ service, rendererDir, port: 0 }));
    const base = `http://127.0.0.1:${host.port}/api/upload`;
    const auth = { authorization: `Bearer ${host.token}`, 'content-type': 'application/octet-stream' };
    const id = 'test-upload-0001';
    const png = Uint8Array.from(await noisePng(3, 16));

    expect((await fetch(`${base}?id=${id}&path=a.png`, { method: 'POST', body: png })).status).toBe(401);
    expect((await fetch(`${base}?id=${id}&path=a.png`, { method: 'POST', body: png, headers: { ...auth, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(`${base}?id=${id}&path=../a.png`, { method: 'POST', body: png, headers: auth })).status).toBe(400);
    expect((await fetch(`${base}?id=x&path=a.png`, { method: 'POST', body: png, headers: auth })).status).toBe(400);
    const big = await fetch(`${base}?id=${id}&path=big.png`, { method: 'POST', body: png, headers: { ...auth, 'content-length': String(UPLOAD_LIMITS.fileBytes + 1) } }).catch(() => null);
    expect(big === null || big.status === 413).toBe(true);

    for (const name of ['pets/cat/a.png', 'pets/dog/b.png']) {
      const r = await fetch(`${base}?id=${id}&path=${encodeURIComponent(name)}`, { method: 'POST', body: name.includes('a') ? png : Uint8Array.from(await noisePng(4, 16)), headers: auth });
      expect(r.status).toBe(200);
      // A sized answer, read to the end here as the studio does (issue 18: unread answers stayed pending).
      const text = await r.text();
      expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      expect(JSON.parse(text)).toMatchObject({ ok: true });
    }
    const p = await service.call('projects.create', { name: 'U' });
    const { jobId, datasetId } = await service.call('datasets.import', { projectId: p.id, uploadId: id });
    await service.ctx.jobs.get(jobId)?.done;
    const d = await service.call('datasets.get', { id: datasetId });
    expect(d.name).toBe('pets');
    expect(d.labels.map((l) => l.name)).toEqual(['cat', 'dog']);
    // The staging folder is gone once imported.
    expect(fs.existsSync(path.join(service.ctx.dataDir, 'staging', 'uploads', id))).toBe(false);

    // Uploaded text files (picked or dropped, no folder) make a text dataset without being told.
    const textId = 'test-upload-0002';
    for (const name of ['cats.txt', 'dogs.txt']) {
      const r = await fetch(`${base}?id=${textId}&path=${name}`, { method: 'POST', body: `${name}\nTom\nRex\n`, headers: auth });
      expect(r.status).toBe(200);
      await r.text();
    }
    const t = await service.call('datasets.import', { projectId: p.id, uploadId: textId });
    await service.ctx.jobs.get(t.jobId)?.done;
    expect(await service.call('datasets.get', { id: t.datasetId })).toMatchObject({ kind: 'text', itemCount: 2 });
  });

  it('checks upload paths segment by segment', () => {
    expect(cleanUploadPath('a/b.png')).toBe('a/b.png');
    expect(cleanUploadPath('/a/b.png')).toBe('a/b.png');
    for (const bad of [null, '', '..', 'a/../b', 'a\\b', 'C:/x', 'a\u0000b', 'x/'.repeat(20) + 'y']) expect(cleanUploadPath(bad)).toBeNull();
  });
});
