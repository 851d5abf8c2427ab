import { main } from './index';

// Entry point of the built CLI (out/main/cli.js), started by bin/atelier.js.
main(process.argv).catch((err: unknown) => {
  process.stderr.write(`atelier: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
