import { AtelierError } from '../../shared/errors';
import { toErrorPayload } from '../service';

/**
 * How every command speaks. With --json the LAST line on stdout is one JSON object (scripts read it);
 * human output goes to stdout, progress and errors to stderr, and a failure exits non-zero.
 */
export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

export function printResult(opts: GlobalOptions, value: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Exit codes: 1 = the engine refused or failed, 2 = the command line was wrong. */
export function fail(err: unknown, opts: GlobalOptions = {}): never {
  const payload = toErrorPayload(err);
  if (opts.json) process.stderr.write(`${JSON.stringify({ error: payload })}\n`);
  else process.stderr.write(`atelier: ${payload.message}\n`);
  process.exit(err instanceof AtelierError && err.code === 'bad_request' ? 2 : 1);
}

/** A one-line progress bar on a terminal; silent when stderr is not a TTY or --json is set. */
export function progressBar(opts: GlobalOptions): (done: number, total: number | null, note?: string) => void {
  const tty = process.stderr.isTTY && !opts.json;
  let last = 0;
  return (done, total, note = '') => {
    if (!tty) return;
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    const width = 28;
    const frac = total ? Math.min(1, done / total) : 0;
    const bar = total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '…'.padEnd(width, ' ');
    const count = total ? `${done}/${total}` : `${done}`;
    process.stderr.write(`\r${bar} ${count} ${note}`.slice(0, (process.stderr.columns ?? 100) - 1).padEnd(20));
    if (total !== null && done >= total) process.stderr.write('\n');
  };
}
