import fs from 'node:fs';
import path from 'node:path';
import { createService, type Service } from '../../../src/main/service';
import { startWebHost, type WebHost } from '../../../src/main/web/host';
import { closeAfterTest } from './close';
import { tempDir } from './tmp';

export interface TestHost {
  service: Service;
  host: WebHost;
  /** http://127.0.0.1:<port> */
  base: string;
  rendererDir: string;
}

/**
 * The browser door as `atelier serve` starts it, on a fresh data folder and a stub renderer page: a
 * web-door service and its host, both closed after the test (the host first). `readRoots` are the
 * folders `--allow-path` names.
 */
export async function startTestHost(opts: { html?: string; readRoots?: string[] } = {}): Promise<TestHost> {
  const rendererDir = tempDir('renderer-');
  fs.writeFileSync(path.join(rendererDir, 'index.html'), opts.html ?? '<!doctype html><title>Atelier</title>');
  const service = closeAfterTest(createService({ dataDir: tempDir(), door: 'web', webReadRoots: opts.readRoots }));
  const host = closeAfterTest(await startWebHost({ service, rendererDir, port: 0 }));
  return { service, host, base: `http://127.0.0.1:${host.port}`, rendererDir };
}
