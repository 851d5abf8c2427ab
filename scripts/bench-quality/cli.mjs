/**
 * Command-line plumbing the benchmark scripts share (bench-quality, bench-finetune): `--name value`,
 * `--name=value` and boolean flags, `-h`, and number checks that explain themselves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPython, runJson } from './run.mjs';

/** The script's name for messages, e.g. "bench-quality". */
const SCRIPT = path.basename(process.argv[1] ?? 'bench', '.mjs');

/** Print the message and the help, exit 2 (a usage error). */
export function usageError(help, msg) {
  process.stderr.write(`${SCRIPT}: ${msg}\n\n${help}\n`);
  process.exit(2);
}

/** Print the message, exit 1 (a requirement is missing or a step failed). */
export function die(msg) {
  process.stderr.write(`${SCRIPT}: ${msg}\n`);
  process.exit(1);
}

/**
 * Flags by name → raw strings (value flags) or true (boolean flags). `--help`/`-h` prints the help and
 * exits 0. Returns the raw map and `num(name, default, { min, int })`, which checks a numeric flag.
 */
export function parseFlags(argv, { valueFlags, boolFlags, help }) {
  const usage = (msg) => usageError(help, msg);
  const values = new Set(valueFlags);
  const bools = new Set([...boolFlags, 'help']);
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '-h') a = '--help';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) usage(`unexpected argument "${a}"`);
    const [, name, inline] = m;
    if (bools.has(name)) o[name] = true;
    else if (values.has(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`--${name} needs a value`);
      o[name] = v;
    } else usage(`unknown option --${name}`);
  }
  if (o.help) {
    console.log(help);
    process.exit(0);
  }
  const num = (name, dflt, { min = 0, int = false } = {}) => {
    if (o[name] === undefined) return dflt;
    const n = Number(o[name]);
    if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) usage(`--${name} must be ${int ? 'an integer' : 'a number'} ≥ ${min}, got "${o[name]}"`);
    return n;
  };
  return { o, num, usage };
}

/** The closing sections of a benchmark report: how it ran, and whose data it used. */
export function runsAndAttribution(notes, attributions) {
  return ['## Runs', '', ...notes.map((n) => `- ${n}`), '', '## Data and attribution', '', ...attributions.map((a) => `- ${a}`), ''];
}

/** The first fields of a benchmark's results.json: which benchmark, when, how it was asked for, and on what. */
export function resultsHead(benchmark, { final, startedAt, options, shared, python }) {
  return {
    benchmark,
    complete: final,
    startedAt: startedAt.toISOString(),
    finishedAt: final ? new Date().toISOString() : null,
    command: `node scripts/${SCRIPT}.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    options,
    shared,
    python,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? null, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  };
}

/** The report's machine line: cores, memory, OS, Node and the ruler's torch. */
export function machineLine(py) {
  const cpus = os.cpus();
  return `Machine: ${cpus.length} × ${cpus[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}; torch ${py.torch} (${py.python}).`;
}

/** A timestamped progress line on stderr (stdout keeps the final table). */
export const log = (msg) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
export const fmtMin = (ms) => `${(ms / 60000).toFixed(1)} min`;
export const fmtEstimate = (min) => (min >= 90 ? `${(min / 60).toFixed(1)} h` : `${min < 10 ? min.toFixed(1) : Math.round(min)} min`);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'atelier.js');

/** Atelier's public CLI on one data folder (`--json`), its output appended to `logFile`. */
export function atelierCli(dataDir, logFile) {
  const cli = (...args) => runJson(process.execPath, [BIN, ...args.map(String), '--json', '--data-dir', dataDir], { log: logFile });
  cli.logFile = logFile;
  return cli;
}

/**
 * Preflight for a benchmark scored by the external ruler: the shared folder (kid.py, plus `extra` files
 * such as the peer), Python with torch, and (when `needCli`) the built CLI. Exits with a plain message
 * when one is missing. `score(realDir, genDir, logFile)` runs the ruler and returns its JSON.
 */
export function preflightRuler({ extra = [], needCli = true } = {}) {
  const shared = path.resolve(process.env.ATELIER_SHARED ?? path.join(ROOT, '..', 'shared'));
  const kid = path.join(shared, 'eval', 'kid.py');
  const featnet = process.env.KID_FEATNET ?? path.join(shared, 'eval', 'featnet.pt');
  for (const [what, rel] of [...extra, ['the ruler', 'eval/kid.py']]) {
    const file = path.join(shared, rel);
    if (!fs.existsSync(file)) die(`${what} is missing: ${file}. The benchmark needs the shared folder beside the repo (${path.join(ROOT, '..', 'shared')}) or ATELIER_SHARED pointing at one.`);
  }
  const py = findPython();
  if (!py.python) die(`no Python with torch, PIL and numpy (tried ${py.tried.join(', ')}). Install Debian's python3-torch python3-pil python3-numpy (apt-get install -y python3-torch python3-pil python3-numpy) or set ATELIER_PYTHON.`);
  if (needCli && !fs.existsSync(path.join(ROOT, 'out', 'main', 'cli.js'))) die('the Atelier CLI is not built: run "npm run build" first.');
  const score = async (realDir, genDir, logFile) => (await runJson(py.python, [kid, realDir, genDir], { log: logFile })).value;
  return { shared, kid, featnet, py, hasLearned: fs.existsSync(featnet), score };
}
