/**
 * What only a terminal does, outside the contract, because neither is a call on a running studio:
 * restoring replaces the catalog file, so no service may have it open; the benchmark times the engine
 * on random data for minutes and touches no catalog. The CLI reaches both through the service's entry
 * (index.ts), like everything else it does.
 */
import type { BenchOptions, BenchResult } from '../jobs/bench';

export { restoreCatalog } from '../catalog/backup';
export type { BenchOptions, BenchResult };

/** Loaded on demand: the benchmark pulls in the training stack, which no other door needs at start-up. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const bench = await import('../jobs/bench');
  return bench.runBench(options);
}
