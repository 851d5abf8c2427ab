/**
 * Divergence guard. Losses are read back once per step (one sync); a NaN or ±Inf in any of them throws
 * DivergedError. The session is then poisoned (its weights may already hold the bad update), so it
 * refuses further steps and checkpoints: the last good checkpoint on disk is never overwritten.
 */
import { AtelierError } from '../../shared/errors';

export class DivergedError extends AtelierError {
  constructor(
    readonly step: number,
    readonly losses: Record<string, number>,
  ) {
    const bad = Object.entries(losses)
      .filter(([, v]) => !Number.isFinite(v))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super(
      'diverged',
      `Training diverged at step ${step} (${bad}). Resume from an earlier checkpoint, perhaps with a lower learning rate.`,
      { step, losses },
    );
    this.name = 'DivergedError';
  }
}

/** Throws DivergedError when any value is NaN or infinite. */
export function assertFinite(step: number, losses: Record<string, number>): void {
  for (const v of Object.values(losses)) if (!Number.isFinite(v)) throw new DivergedError(step, losses);
}
