import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { runBench, type BenchOptions } from '../service';

export function registerBenchCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('bench')
    .description('Benchmark training (classic DCGAN, batch 64) and sampling, with the PyTorch peer in the same run.')
    .option('--backend <name>', 'backend to measure (default: automatic choice)')
    .option('--steps <n>', 'timed training steps (after 2 warm-up steps)', '10')
    .option('--no-peer', 'do not run the PyTorch peer')
    .option('--workers <n>', 'data-parallel workers to time next to one (default: one per core; 1 = skip)')
    .action(async (flags: { backend?: string; steps: string; peer: boolean; workers?: string }) => {
      const opts = globals();
      try {
        const result = await runBench({
          backend: flags.backend as BenchOptions['backend'],
          steps: Number(flags.steps),
          noPeer: !flags.peer,
          workers: flags.workers === undefined ? undefined : Number(flags.workers),
          log: (line) => process.stderr.write(`${line}\n`),
        });
        printResult(opts, { backend: result.backend, trainImgPerSec: result.trainImgPerSec, peerImgPerSec: result.peerImgPerSec, ratio: result.ratio, sample64Ms: result.sample64Ms, create: result.create, parallel: result.parallel, details: result.details }, () =>
          [
            `backend            ${result.backend} (${result.details.backendReport.threads === null ? 'GPU' : `${result.details.backendReport.threads} threads`})`,
            `train (DCGAN b64)  ${result.trainImgPerSec} img/s`,
            `PyTorch peer       ${result.peerImgPerSec ?? '—'} img/s${result.details.peerNote ? ` (${result.details.peerNote})` : ''}`,
            `ratio              ${result.ratio ?? '—'}`,
            ...(result.parallel
              ? [
                  `train, ${result.parallel.workers} workers  ${result.parallel.dcganImgPerSec} img/s (DCGAN b64), ratio ${result.parallel.ratio ?? '—'}`,
                  `default 64px b16   1 worker ${result.parallel.default1ImgPerSec} img/s, ${result.parallel.workers} workers ${result.parallel.defaultImgPerSec} img/s`,
                ]
              : []),
            `sample 64 @ 64px   ${result.sample64Ms} ms`,
            `create, warm       first image ${result.create.warmFirstMs} ms, 16 images ${result.create.warm16Ms} ms`,
            `create, cold       first image ${result.create.coldFirstMs} ms, 16 images ${result.create.cold16Ms} ms (one-off worker: ${result.create.oneOffFirstMs} / ${result.create.oneOff16Ms} ms)`,
          ].join('\n'),
        );
        process.exit(0);
      } catch (err) {
        fail(err, opts);
      }
    });
}
