#!/usr/bin/env node
// The long reliability variant (issue: "Reliability and security"). Not part of `npm test`:
//   npm run build && npm run test:long [-- --kills 20 --fuzz 1000]
// It prints a table of figures: kills survived, payloads rejected, files rejected, rows lost.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'atelier.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const KILLS = opt('kills', 20);
const FUZZ = opt('fuzz', 1000);
const rows = [];

function cli(dataDir, ...a) {
  const r = spawnSync(process.execPath, [BIN, ...a, '--json', '--data-dir', dataDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`atelier ${a.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function readCatalog(dataDir, fn) {
  const db = new Database(path.join(dataDir, 'catalog.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every row that names a file must find it whole; integrity_check must pass. */
function audit(dataDir) {
  return readCatalog(dataDir, (db) => {
    const integrity = db.pragma('integrity_check', { simple: true });
    let missing = 0;
    for (const t of ['item', 'checkpoint', 'sample_grid', 'generation']) {
      for (const { file } of db.prepare(`SELECT file FROM ${t} WHERE file IS NOT NULL AND file NOT LIKE 'resources:%'`).all()) {
        if (!fs.existsSync(path.join(dataDir, file))) missing++;
      }
    }
    for (const c of db.prepare('SELECT file, bytes FROM checkpoint').all()) {
      if (!c.file.startsWith('resources:') && fs.existsSync(path.join(dataDir, c.file)) && fs.statSync(path.join(dataDir, c.file)).size !== c.bytes) missing++;
    }
    return { integrity, missing };
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function killTraining() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-long-'));
  const project = cli(dataDir, 'projects', 'create', 'Long');
  cli(dataDir, 'datasets', 'add-sample', '--project', String(project.id));
  let survived = 0;
  let lostCommitted = 0;
  let runId = null;
  let committedSteps = 0;
  for (let k = 0; k < KILLS; k++) {
    const a = runId === null
      ? ['train', '--project', String(project.id), '--model', 'default', '--size', '32', '--batch', '8', '--steps', '100000', '--checkpoint-every', '5', '--sample-every', '5', '--seed', '1']
      : ['train', '--resume', String(runId), '--steps', '100000'];
    const child = spawn(process.execPath, [BIN, ...a, '--json', '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.once('exit', r));
    // Kill at a random moment: some during start-up, most mid-training.
    await Promise.race([sleep(3000 + crypto.randomInt(12000)), exited]);
    if (child.exitCode !== null) process.stdout.write(`  (the command ended by itself: ${stderr.trim().split('\n').at(-1)})\n`);
    child.kill('SIGKILL');
    await exited;
    const { integrity, missing } = audit(dataDir);
    const state = readCatalog(dataDir, (db) => db.prepare('SELECT r.id, max(c.step) AS ckpt FROM run r LEFT JOIN checkpoint c ON c.run_id = r.id GROUP BY r.id').get());
    if (state) runId = state.id;
    const ckpt = state?.ckpt ?? 0;
    if (ckpt < committedSteps) lostCommitted += committedSteps - ckpt;
    committedSteps = Math.max(committedSteps, ckpt);
    if (integrity === 'ok' && missing === 0) survived++;
    process.stdout.write(`  kill ${k + 1}/${KILLS}: integrity ${integrity}, missing files ${missing}, last checkpoint step ${ckpt}\n`);
  }
  rows.push(['kill -9 during training', `${survived}/${KILLS} survived`, `${lostCommitted} committed steps lost`]);
  await killExport(dataDir, runId);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** Exports are written temp + rename: a kill leaves whole files or none, never a partial one. */
async function killExport(dataDir, runId) {
  const gen = cli(dataDir, 'generate', '--run', String(runId), '--seed', '1', '--count', '48', '--out', path.join(dataDir, 'gen'));
  const ids = gen.generationIds.join(',');
  let clean = 0;
  const n = Math.max(3, Math.round(KILLS / 2));
  for (let k = 0; k < n; k++) {
    const out = path.join(dataDir, `export-${k}`);
    const format = ['zip', 'sheet', 'png', 'gif'][k % 4];
    const child = spawn(process.execPath, [BIN, 'export', '--ids', ids, '--format', format, '--scale', '4', '--out', out, '--json', '--data-dir', dataDir], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([sleep(400 + crypto.randomInt(1500)), exited]);
    child.kill('SIGKILL');
    await exited;
    const files = fs.existsSync(out) ? fs.readdirSync(out, { recursive: true }).map(String) : [];
    const partial = files.filter((f) => /tmp|\.part/i.test(f));
    const { integrity } = audit(dataDir);
    if (partial.length === 0 && integrity === 'ok') clean++;
  }
  rows.push(['kill -9 during export', `${clean}/${n} left no partial file`, 'catalog integrity ok each time']);
}

async function killImport() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-long-'));
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-long-src-'));
  const sharp = (await import('sharp')).default;
  for (let i = 0; i < 600; i++) {
    const px = Buffer.alloc(16 * 16 * 3, i % 256);
    px[0] = i >> 8;
    px[1] = i & 255;
    await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path.join(src, `img-${i}.png`));
  }
  const project = cli(dataDir, 'projects', 'create', 'Long');
  let survived = 0;
  const n = Math.max(3, Math.round(KILLS / 2));
  for (let k = 0; k < n; k++) {
    const child = spawn(process.execPath, [BIN, 'import', src, '--project', String(project.id), '--dataset', 'Imported', '--json', '--data-dir', dataDir], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([sleep(500 + crypto.randomInt(3000)), exited]);
    child.kill('SIGKILL');
    await exited;
    const { integrity, missing } = audit(dataDir);
    if (integrity === 'ok' && missing === 0) survived++;
  }
  const final = cli(dataDir, 'import', src, '--project', String(project.id), '--dataset', 'Imported');
  const count = readCatalog(dataDir, (db) => db.prepare('SELECT count(*) AS n FROM item').get().n);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(src, { recursive: true, force: true });
  rows.push(['kill -9 during import', `${survived}/${n} survived`, `${600 - count} items lost after re-run (imported ${final.imported} on the last run)`]);
}

function fuzz() {
  const report = path.join(os.tmpdir(), `atelier-fuzz-${process.pid}.json`);
  const r = spawnSync('npx', ['vitest', 'run', 'tests/unit/reliability/contract-fuzz.test.ts'], {
    cwd: ROOT,
    env: { ...process.env, ATELIER_FUZZ_CASES: String(FUZZ), ATELIER_FUZZ_REPORT: report },
    encoding: 'utf8',
  });
  const passed = r.status === 0;
  rows.push(['contract fuzzing', `${FUZZ} cases per method, direct + web host`, passed ? 'all rejected with typed errors, catalog unchanged' : 'FAILED (see output)']);
  // The doors of the web host: what was varied, how often, and what was refused.
  const c = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : null;
  fs.rmSync(report, { force: true });
  if (c) {
    rows.push([
      'web host door fuzzing',
      `${c.requests} requests: Host ${c.host ?? 0}, Origin ${c.origin ?? 0}, cookies ${c.cookie ?? 0}, credentials ${c.authorization ?? 0}, launch key ${c.launch ?? 0}, ` +
        `content types ${c.contentType ?? 0}, body shapes ${c.body ?? 0}, methods ${c.method ?? 0}, routes ${c.path ?? 0}; ${c.upgrades} socket upgrades; ${c.malformedHttp} malformed HTTP`,
      `${c.forgeriesRefused} forgeries and ${c.upgradesRefused} upgrades refused, ${c.admitted} admitted; no 5xx, host up, catalog unchanged`,
    ]);
  } else if (passed) rows.push(['web host door fuzzing', 'no report written', 'FAILED (see output)']);
  if (!passed) process.stdout.write(r.stdout + r.stderr);
}

function hostileFiles() {
  const r = spawnSync('npx', ['vitest', 'run', 'tests/unit/datasets'], { cwd: ROOT, encoding: 'utf8' });
  rows.push(['hostile import fixtures', r.status === 0 ? 'all bad files reported, valid ones imported' : 'FAILED', '']);
}

const t0 = Date.now();
for (const [name, fn] of [['training kills', killTraining], ['import kills', killImport], ['fuzz', fuzz], ['hostile files', hostileFiles]]) {
  process.stdout.write(`${name}…\n`);
  try {
    await fn();
  } catch (err) {
    rows.push([name, 'ERROR', String(err.message).slice(0, 200)]);
  }
}
const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => String(r[i]).length), 8));
process.stdout.write(`\n${rows.map((r) => r.map((c, i) => String(c).padEnd(w[i])).join('  |  ')).join('\n')}\n\n(${Math.round((Date.now() - t0) / 1000)} s)\n`);
process.exit(rows.some((r) => /ERROR|FAILED/.test(r.join(' '))) ? 1 : 0);
