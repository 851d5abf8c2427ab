import type { Command } from 'commander';
import fs from 'node:fs';
import { fail, type GlobalOptions } from './output';
import { dataDirOf, openService } from './context';
import { startWebHost } from '../web/host';
import { rendererDir } from '../files/app-root';
import { AtelierError } from '../../shared/errors';
import { checkPathSync } from '../files/special';

export const DEFAULT_PORT = 4477;

export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('Serve the studio to a browser on this machine (127.0.0.1 only, with a per-launch token).')
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT}, or a free one if it is taken)`)
    .option(
      '--allow-path <dir>',
      'a folder the browser studio may import from by path (repeatable). Without it the browser imports only files you pick or drop',
      (dir: string, all: string[]) => [...all, dir],
      [] as string[],
    )
    .action(async (cmd: { port?: string; allowPath: string[] }) => {
      const opts = globals();
      try {
        await serve(opts, cmd.port === undefined ? undefined : parsePort(cmd.port), readRoots(cmd.allowPath));
      } catch (err) {
        fail(err, opts);
      }
    });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AtelierError('bad_request', `--port must be 0..65535, got "${text}".`);
  return port;
}

function readRoots(dirs: string[]): string[] {
  return dirs.map((d) => {
    const check = checkPathSync(d);
    if (!check.ok || check.kind !== 'folder') throw new AtelierError('invalid_input', `--allow-path ${d}: ${check.ok ? 'not a folder' : check.reason}.`);
    return check.real;
  });
}

export async function serve(opts: GlobalOptions, port: number | undefined, allowPaths: string[] = []): Promise<void> {
  const dir = rendererDir();
  if (!fs.existsSync(`${dir}/index.html`)) {
    throw new AtelierError('not_found', `The studio's interface is not built (${dir} is missing). Run "npm run build" first.`);
  }
  const service = openService(opts, { door: 'web', webReadRoots: allowPaths });
  let host;
  try {
    host = await startWebHost({ service, rendererDir: dir, port: port ?? DEFAULT_PORT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && port === undefined) {
      host = await startWebHost({ service, rendererDir: dir, port: 0 });
    } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      await service.close();
      throw new AtelierError('conflict', `Port ${port} is already in use. Choose another with --port, or 0 for any free port.`);
    } else {
      await service.close();
      throw err;
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ url: host.url, port: host.port, token: host.token, dataDir: dataDirOf(opts) })}\n`);
  else process.stdout.write(`Atelier is serving at ${host.url}\n`);
  const stop = async () => {
    await host.close();
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
