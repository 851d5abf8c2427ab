import path from 'node:path';
import { createService, type Service } from '../service';
import { defaultDataDir } from '../files/data-dir';
import type { GlobalOptions } from './output';

/** Each command opens the same service the studio uses, on the chosen data folder. */
export function openService(opts: GlobalOptions): Service {
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : defaultDataDir();
  return createService({ dataDir, door: 'cli' });
}

export async function withService<T>(opts: GlobalOptions, fn: (service: Service) => Promise<T>): Promise<T> {
  const service = openService(opts);
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}
