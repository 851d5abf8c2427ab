import { Command, CommanderError } from 'commander';
import { appVersion } from '../files/app-root';
import { registerProjectCommands } from './projects';
import { registerServeCommand } from './serve';
import { registerGenerateCommand } from './generate';
import { registerGalleryCommands } from './gallery';
import { registerTrainCommands } from './train';
import { registerBenchCommand } from './bench';
import { registerImportCommand } from './import';
import { registerDatasetCommands } from './datasets';
import { registerBackupCommands } from './backup';
import { registerExportCommands } from './export';
import type { GlobalOptions } from './output';

/**
 * `atelier`: the studio's engine from a terminal. Every command takes --data-dir, --json and --help,
 * and opens the same catalog the desktop app and the web host use.
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('atelier')
    .description('Atelier: train small generative models on your own images and text, offline.')
    .version(appVersion())
    .option('--data-dir <dir>', 'data folder (default: $ATELIER_DATA_DIR or the desktop app\'s folder)')
    .option('--json', 'print one JSON object as the last line of output')
    .showHelpAfterError()
    .exitOverride();
  // Global options are accepted before or after the command name.
  program.enablePositionalOptions(false);
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  registerServeCommand(program, globals);
  registerProjectCommands(program, globals);
  registerGenerateCommand(program, globals);
  registerGalleryCommands(program, globals);
  registerImportCommand(program, globals);
  registerDatasetCommands(program, globals);
  registerTrainCommands(program, globals);
  registerBenchCommand(program, globals);
  registerBackupCommands(program, globals);
  // After the training commands: adds export/import to their `models` command.
  registerExportCommands(program, globals);

  // Let every subcommand accept the global options after its own name too.
  for (const cmd of allCommands(program)) {
    if (cmd === program) continue;
    cmd.option('--data-dir <dir>', 'data folder').option('--json', 'print one JSON object as the last line');
    cmd.hook('preAction', (_this, actionCommand) => {
      const own = actionCommand.opts<GlobalOptions>();
      if (own.dataDir !== undefined) program.setOptionValue('dataDir', own.dataDir);
      if (own.json !== undefined) program.setOptionValue('json', own.json);
    });
    cmd.exitOverride();
  }

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors with 2.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    throw err;
  }
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}
