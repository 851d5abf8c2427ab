import path from 'node:path';
import { createService, type Service, type ServiceOptions } from '../service';
import { defaultDataDir } from '../files/data-dir';
import type { GlobalOptions } from './output';

/** The data folder the command works on: --data-dir, or the default the desktop app uses. */
export function dataDirOf(opts: GlobalOptions): string {
  return opts.dataDir ? path.resolve(opts.dataDir) : defaultDataDir();
}

/**
 * Each command opens the same service the studio uses, on the chosen data folder, and speaks to it
 * only through the contract (`service.call`) and its events, like the other two doors.
 */
export function openService(opts: GlobalOptions, door: Pick<ServiceOptions, 'door' | 'webReadRoots'> = { door: 'cli' }): Service {
  return createService({ dataDir: dataDirOf(opts), ...door });
}

export async function withService<T>(opts: GlobalOptions, fn: (service: Service) => Promise<T>): Promise<T> {
  const service = openService(opts);
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}
