/**
 * Issue 16, special files: a FIFO handed to an import blocked one of Node's four file threads for good
 * (four of them stopped every file operation of the engine), `atelier import FIFO` never returned, and
 * `--out /proc/sys/x` or `--data-dir /proc/x` spun forever in mkdir. Each is now refused, with a typed
 * reason, before anything is opened; the rest of the work goes on.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { tempDir } from '../support/tmp';
import { cliArgs, lastJson, noisePng, ROOT, writeNoiseImages } from './support';

const linux = process.platform === 'linux';
let service: Service | undefined;
const fifos: string[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  // Should a pipe ever be opened, give its reader a writer so the blocked thread comes back.
  for (const f of fifos.splice(0)) {
    try {
      fs.closeSync(fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // no reader waiting: nothing to release
    }
  }
  for (const s of servers.splice(0)) s.close();
  await service?.close();
  service = undefined;
});

function mkfifo(p: string): string {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
  fifos.push(p);
  return p;
}

async function unixSocket(p: string): Promise<string> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(p, () => r()));
  return p;
}

/** Run the CLI (from sources); a hang is a failure, not a stuck test run. */
function cli(args: string[], dataDir: string, limitMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(args, dataDir), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

function errorOf(stderr: string): { code: string; message: string } | null {
  const line = stderr.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as { error: { code: string; message: string } }).error : null;
}

describe.skipIf(!linux)('special files', () => {
  it('datasets.import refuses pipes, sockets, devices and /proc files with a typed reason, and the engine keeps working', async () => {
    const dir = tempDir('special-');
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'Special' });
    // Four pipes: as many as Node has file threads.
    const pipes = [1, 2, 3, 4].map((i) => mkfifo(path.join(dir, `pipe-${i}.png`)));
    const sock = await unixSocket(path.join(dir, 'sock.png'));
    fs.symlinkSync(pipes[0]!, path.join(dir, 'link-to-pipe.png'));
    for (const bad of [...pipes, sock, path.join(dir, 'link-to-pipe.png'), '/dev/zero', '/proc/self/status']) {
      await expect(s.call('datasets.import', { projectId: p.id, paths: [bad] }), bad).rejects.toMatchObject({ code: 'invalid_input' });
    }
    // Nothing was created for the refused calls.
    expect(await s.call('datasets.list', { projectId: p.id })).toEqual([]);
    // File operations still run: a real import completes.
    const src = path.join(dir, 'real');
    await writeNoiseImages(src, 4, 16, ['a']);
    const { jobId } = await s.call('datasets.import', { projectId: p.id, paths: [src] });
    const outcome = await s.ctx.jobs.get(jobId)?.done;
    expect(outcome?.status).toBe('done');
    expect((await s.call('datasets.importReport', { jobId }))?.imported).toBe(4);
  });

  it('a folder holding special files imports the rest and reports each one as special_file', async () => {
    const dir = tempDir('special-');
    const src = path.join(dir, 'mixed');
    fs.mkdirSync(path.join(src, 'cat'), { recursive: true });
    fs.writeFileSync(path.join(src, 'cat', 'ok.png'), await noisePng(1, 16));
    mkfifo(path.join(src, 'cat', 'pipe.png'));
    await unixSocket(path.join(src, 'cat', 'sock.png'));
    fs.symlinkSync(path.join(src, 'cat', 'pipe.png'), path.join(src, 'cat', 'link.png'));
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'Mixed' });
    const { jobId } = await s.call('datasets.import', { projectId: p.id, paths: [src] });
    expect((await s.ctx.jobs.get(jobId)?.done)?.status).toBe('done');
    const report = (await s.call('datasets.importReport', { jobId }))!;
    expect(report.imported).toBe(1);
    expect(report.skipped.map((x) => [x.path, x.reason]).sort()).toEqual([
      ['mixed/cat/link.png', 'special_file'],
      ['mixed/cat/pipe.png', 'special_file'],
      ['mixed/cat/sock.png', 'special_file'],
    ]);
  });

  it('`atelier import FIFO` ends with a typed error instead of hanging', async () => {
    const dir = tempDir('special-cli-');
    const data = path.join(dir, 'data');
    expect((await cli(['projects', 'create', 'P', '--json'], data)).code).toBe(0);
    const pipe = mkfifo(path.join(dir, 'pictures.zip'));
    const r = await cli(['import', pipe, '--project', 'P', '--json'], data);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(1);
    expect(errorOf(r.stderr)).toMatchObject({ code: 'invalid_input' });
    expect(errorOf(r.stderr)!.message).toContain('named pipe');
  });

  it('export and the data folder refuse /proc, /sys and existing files with typed errors', async () => {
    const dir = tempDir('special-export-');
    const data = path.join(dir, 'data');
    expect((await cli(['projects', 'create', 'P', '--json'], data)).code).toBe(0);
    // One generation with its file (sampling one would need a trained model).
    const db = new Database(path.join(data, 'catalog.db'));
    const rel = 'projects/1/generations/0/1.png';
    fs.mkdirSync(path.dirname(path.join(data, rel)), { recursive: true });
    fs.writeFileSync(path.join(data, rel), await noisePng(3, 16));
    db.prepare(
      `INSERT INTO generation (project_id, kind, checkpoint_sha256, step, seed, prompt, params_json, backend, app_version, file, width, height, created_at)
       VALUES (1, 'image', 'x', 1, 1, 'p', '{}', 'wasm', '0.1.0', ?, 16, 16, 1)`,
    ).run(rel);
    db.close();
    const existing = path.join(dir, 'existing.txt');
    fs.writeFileSync(existing, 'keep me');

    for (const out of ['/proc/sys/x', '/proc/x', '/sys/x', existing, path.join(existing, 'inside')]) {
      const r = await cli(['export', '--ids', '1', '--format', 'png', '--out', out, '--json'], data);
      expect(r.hung, out).toBe(false);
      expect(r.code, out).toBe(1);
      expect(errorOf(r.stderr), `${out}: ${r.stderr}`).toMatchObject({ code: 'invalid_input' });
    }
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    for (const bad of ['/proc/x', '/proc', existing]) {
      const r = await cli(['projects', 'list', '--json'], bad);
      expect(r.hung, bad).toBe(false);
      expect(r.code, bad).toBe(1);
      expect(errorOf(r.stderr), `${bad}: ${r.stderr}`).toMatchObject({ code: 'invalid_input' });
    }
    // A normal export still works.
    const ok = await cli(['export', '--ids', '1', '--format', 'png', '--out', path.join(dir, 'out'), '--json'], data);
    expect(ok.code, ok.stderr).toBe(0);
    expect(lastJson<{ files: string[] }>(ok.stdout).files).toHaveLength(1);
  });
});
