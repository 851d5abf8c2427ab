/**
 * Command-line plumbing the benchmark scripts share (bench-quality, bench-finetune): `--name value`,
 * `--name=value` and boolean flags, `-h`, and number checks that explain themselves.
 */
import os from 'node:os';
import path from 'node:path';

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
