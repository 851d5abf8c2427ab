/**
 * Child processes for the quality benchmark: each run is timed, its output kept in a log file, and the
 * Atelier CLI's `--json` answer (the last line on stdout) parsed.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
});
// Stopped from outside: stop what we started too (atelier train saves a checkpoint and exits), then leave.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    process.stderr.write(`\n${path.basename(process.argv[1] ?? 'bench', '.mjs')}: ${signal}, stopping ${children.size} child process(es)\n`);
    process.exit(code);
  });
}

/** Run a command to completion; stdout/stderr go to `log` (appended) and come back as strings. */
export function run(cmd, args, { log, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    if (log) fs.mkdirSync(path.dirname(log), { recursive: true });
    const sink = log ? fs.createWriteStream(log, { flags: 'a' }) : null;
    sink?.write(`$ ${cmd} ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      sink?.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      sink?.write(d);
    });
    child.once('error', (err) => {
      children.delete(child);
      sink?.end();
      reject(err);
    });
    child.once('close', (code, signal) => {
      children.delete(child);
      const ms = Date.now() - t0;
      sink?.end(`[exit ${code ?? signal} after ${(ms / 1000).toFixed(1)} s]\n\n`);
      resolve({ code: code ?? 1, signal, stdout, stderr, ms });
    });
  });
}

/** The last stdout line that is JSON: an object (most commands) or an array (`atelier models list`). */
function lastJson(text) {
  const lines = text.trim().split('\n').filter((l) => /^\s*[{[]/.test(l));
  for (const line of lines.reverse()) {
    try {
      return JSON.parse(line);
    } catch {
      // a line that only looks like JSON ("[note] …"): try the one before
    }
  }
  return null;
}

/** Run a command whose last stdout line is a JSON object (or array); fail with the tail of its stderr otherwise. */
export async function runJson(cmd, args, opts = {}) {
  const r = await run(cmd, args, opts);
  const value = lastJson(r.stdout);
  if (r.code !== 0 || value === null) {
    const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
    throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} … failed (exit ${r.code})${opts.log ? `; log: ${opts.log}` : ''}\n${why}`);
  }
  return { value, ms: r.ms };
}

/** The Python that has torch: $ATELIER_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
export function findPython() {
  const candidates = process.env.ATELIER_PYTHON ? [process.env.ATELIER_PYTHON] : ['/usr/bin/python3', 'python3'];
  for (const py of candidates) {
    if (py.startsWith('/') && !fs.existsSync(py)) continue;
    const probe = spawnSync(py, ['-c', 'import torch, PIL, numpy; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python: py, torch: probe.stdout.trim() };
  }
  return { python: null, tried: candidates };
}
