/// <reference lib="dom" />
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { test, expect } from './support/studio';

/**
 * Issue 16's cross-port attack, exactly as reported, in Chromium: the studio is open (its cookie is set),
 * and a page served from another port of 127.0.0.1 (the same site, so SameSite=Strict still sends the
 * cookie) tries to trash and then permanently delete every generation, to open the studio's socket,
 * and to crash the host with a malformed cookie. Nothing may change, and the studio must stay usable.
 */
const GENERATIONS = 200;

function catalog<T>(dataDir: string, fn: (db: import('better-sqlite3').Database) => T): T {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(dataDir, 'catalog.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('a page on another local port cannot change data, open the socket, or crash the host', async ({ studio }) => {
  test.skip(studio.door !== 'web', 'The attack targets the web host.');
  test.setTimeout(180_000);
  const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop()!) as T;
  const { id: projectId } = lastJson<{ id: number }>(await studio.cli('projects', 'create', 'Victim', '--json'));

  // 200 generations, each with its own file, written straight into the catalog (sampling them would
  // need a trained model and minutes).
  await studio.stop();
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(studio.dataDir, 'catalog.db'));
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
  const insert = db.prepare(
    `INSERT INTO generation (project_id, kind, checkpoint_sha256, step, seed, prompt, params_json, backend, app_version, file, width, height, created_at)
     VALUES (?, 'image', 'x', 1, ?, 'victim', '{}', 'wasm', '0.1.0', ?, 2, 2, ?)`,
  );
  db.transaction(() => {
    for (let i = 1; i <= GENERATIONS; i++) {
      const rel = `projects/${projectId}/generations/0/${i}.png`;
      fs.mkdirSync(path.dirname(path.join(studio.dataDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(studio.dataDir, rel), png);
      insert.run(projectId, i, rel, 1_700_000_000_000 + i);
    }
  })();
  db.close();
  await studio.start();
  const studioOrigin = studio.baseUrl!;
  // The studio is open in this browser: its cookie is set.
  await expect(studio.page.getByRole('navigation')).toBeVisible();

  // The attacker: any other program serving a page on 127.0.0.1.
  const evil = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other app</title><p>hello</p>'));
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  const evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
  // The same browser (the same cookie jar) visits the other app.
  const attacker = studio.page;
  try {
    await attacker.goto(`${evilOrigin}/`);
    const ids = Array.from({ length: GENERATIONS }, (_, i) => i + 1);
    const forgery = await attacker.evaluate(
      async ({ target, ids, projectId }) => {
        const post = async (body: unknown, init: RequestInit) => {
          try {
            const r = await fetch(`${target}/api/call`, { method: 'POST', credentials: 'include', body: JSON.stringify(body), ...init });
            return r.type === 'opaque' ? 'opaque' : String(r.status);
          } catch {
            return 'blocked';
          }
        };
        // 1. A "simple" request (no preflight): text/plain body, the cookie rides along.
        const simpleTrash = await post({ method: 'gallery.trash', input: { ids } }, { mode: 'no-cors', headers: { 'content-type': 'text/plain' } });
        const simpleEmpty = await post({ method: 'gallery.emptyTrash', input: { projectId } }, { mode: 'no-cors', headers: { 'content-type': 'text/plain' } });
        // 2. The same as JSON: needs a preflight, which the host must refuse.
        const jsonTrash = await post({ method: 'gallery.trash', input: { ids } }, { mode: 'cors', headers: { 'content-type': 'application/json' } });
        // 3. An HTML form post (urlencoded), the oldest forgery of all.
        const formTrash = await post({ method: 'gallery.trash', input: { ids } }, { mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        // 4. The socket: the cookie rides along on the upgrade too.
        const socket = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${target.replace('http', 'ws')}/ws`);
          ws.onopen = () => {
            ws.send(JSON.stringify({ id: 1, method: 'gallery.trash', input: { ids } }));
            setTimeout(() => resolve('open'), 500);
          };
          ws.onerror = () => resolve('refused');
        });
        return { simpleTrash, simpleEmpty, jsonTrash, formTrash, socket };
      },
      { target: studioOrigin, ids, projectId },
    );
    // Give any accepted call time to land before counting.
    await new Promise((r) => setTimeout(r, 500));
    const afterForgery = catalog(studio.dataDir, (d) => ({
      generations: (d.prepare('SELECT count(*) AS n FROM generation WHERE project_id = ?').get(projectId) as { n: number }).n,
      trashed: (d.prepare('SELECT count(*) AS n FROM generation WHERE trashed_at IS NOT NULL').get() as { n: number }).n,
    }));
    const filesLeft = ids.filter((i) => fs.existsSync(path.join(studio.dataDir, 'projects', String(projectId), 'generations', '0', `${i}.png`))).length;

    // 5. The crash: a malformed cookie set by the other port (cookies ignore ports), then a socket.
    const crash = await attacker.evaluate(async (target) => {
      document.cookie = 'junk=%E0%A4%A; path=/';
      return new Promise<string>((resolve) => {
        const ws = new WebSocket(`${target.replace('http', 'ws')}/ws`);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      });
    }, studioOrigin);
    await new Promise((r) => setTimeout(r, 500));
    const hostAlive = await fetch(`${studioOrigin}/api/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${studio.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'projects.list', input: {} }),
    })
      .then((r) => r.status)
      .catch(() => 'down');

    const observed = { forgery, afterForgery, filesLeft, crash, hostAlive };
    // One comparison, so a failing run prints everything it saw.
    expect(observed).toEqual({
      // The page never sees an answer (the host's Cross-Origin-Resource-Policy hides it either way);
      // what matters is that nothing changed on the server.
      forgery: { simpleTrash: 'blocked', simpleEmpty: 'blocked', jsonTrash: 'blocked', formTrash: 'blocked', socket: 'refused' },
      afterForgery: { generations: GENERATIONS, trashed: 0 },
      filesLeft: GENERATIONS,
      crash: 'refused',
      hostAlive: 200,
    });

    // The studio itself still works with the junk cookie in the jar: it loads, connects and lists.
    await studio.page.goto(`${studioOrigin}/`);
    await expect(studio.page.getByTestId('project-name')).toHaveText(['Victim']);
    await studio.page.goto(`${studioOrigin}/#/p/${projectId}/gallery`);
    await expect(studio.page.getByTestId('gallery-count')).toHaveText(`${GENERATIONS} images`);
  } finally {
    await new Promise((r) => evil.close(r));
  }
});
