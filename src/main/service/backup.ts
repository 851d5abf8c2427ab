import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { AtelierError } from '../../shared/errors';
import { backupCatalog } from '../catalog/backup';

export function backupHandlers(ctx: ServiceContext): Pick<Handlers, 'catalog.backup'> {
  return {
    'catalog.backup': ({ outFile }) => {
      if (ctx.door === 'web') throw new AtelierError('forbidden', 'The browser studio chooses no files on this machine; back up with the desktop app or `atelier backup`.');
      return backupCatalog(ctx.db, outFile);
    },
  };
}
