import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { dataDirOf, withService } from './context';
import { restoreCatalog } from '../service';

export function registerBackupCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('backup')
    .description('Copy the catalog to FILE while the studio may be running (checked before it is kept).')
    .requiredOption('--out <file>', 'where to write the backup')
    .action(async (flags: { out: string }) => {
      const opts = globals();
      try {
        const report = await withService(opts, (s) => s.call('catalog.backup', { outFile: flags.out }));
        printResult(opts, report, () => `Backed up the catalog to ${report.file} (${report.bytes} bytes, integrity ${report.integrity}).`);
      } catch (err) {
        fail(err, opts);
      }
    });

  program
    .command('restore')
    .argument('<file>', 'a backup made by `atelier backup`')
    .description('Replace the catalog with a backup (close the studio first; the current catalog is kept beside it).')
    .action(async (file: string) => {
      const opts = globals();
      try {
        // Outside the contract: the catalog is replaced, so no service may have it open.
        const report = restoreCatalog(dataDirOf(opts), file);
        printResult(opts, report, () => `Restored ${file}${report.previous ? `; the previous catalog is kept at ${report.previous}` : ''}.`);
      } catch (err) {
        fail(err, opts);
      }
    });
}
