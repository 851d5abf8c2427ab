import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { runBench } from '../jobs/bench';
import type { BackendName } from '../ml/backend';

export function registerBenchCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('bench')
    .description('Benchmark training (classic DCGAN, batch 64) and sampling, with the PyTorch peer in the same run.')
    .option('--backend <name>', 'backend to measure (default: automatic choice)')
    .option('--steps <n>', 'timed training steps (after 2 warm-up steps)', '10')
    .option('--no-peer', 'do not run the PyTorch peer')
    .action(async (flags: { backend?: string; steps: string; peer: boolean }) => {
      const opts = globals();
      try {
        const result = await runBench({
          backend: flags.backend as BackendName | undefined,
          steps: Number(flags.steps),
          noPeer: !flags.peer,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        printResult(opts, { backend: result.backend, trainImgPerSec: result.trainImgPerSec, peerImgPerSec: result.peerImgPerSec, ratio: result.ratio, sample64Ms: result.sample64Ms, details: result.details }, () =>
          [
            `backend            ${result.backend} (${result.details.backendReport.threads ?? '?'} threads)`,
            `train (DCGAN b64)  ${result.trainImgPerSec} img/s`,
            `PyTorch peer       ${result.peerImgPerSec ?? '—'} img/s${result.details.peerNote ? ` (${result.details.peerNote})` : ''}`,
            `ratio              ${result.ratio ?? '—'}`,
            `sample 64 @ 64px   ${result.sample64Ms} ms`,
          ].join('\n'),
        );
        process.exit(0);
      } catch (err) {
        fail(err, opts);
      }
    });
}
