/**
 * What every forward pass receives: where its weights come from, and whether it is training.
 *
 * Forward passes are plain functions of (Fwd, input). Swapping `w` is how one generator function serves
 * training (raw weights), sampling (EMA weights) and a spectrally normalised discriminator.
 */
import type { ParamStore, Weights } from './params';

export interface Fwd {
  /** Weight lookup by logical name. */
  w: Weights;
  /** Batch statistics (true) or running statistics (false) in batch norm. */
  train: boolean;
  /** Where batch norm writes its running statistics; absent = leave them alone. */
  stats?: ParamStore;
  /** Prefix of the statistics entries written (e.g. 'ema/' for the sampling weights' own statistics). */
  statsPrefix?: string;
  /** Momentum of that write; 1 = replace with this batch's statistics (standing statistics). */
  statsMomentum?: number;
}

/** How a layer's weights start. */
export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'he'; slope?: number }
  | { kind: 'xavier' }
  /** PyTorch's default for the layer type (kaiming_uniform with a = √5: U(±1/√fanIn), fanIn as PyTorch counts it). */
  | { kind: 'torch' };
