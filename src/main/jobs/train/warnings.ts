/**
 * The warnings a practitioner would give while watching a GAN train, in plain language. Each fires once
 * per run (until the condition clears and returns) so the monitor is not flooded.
 */
export interface Warning {
  code: 'd_collapse' | 'mode_collapse';
  message: string;
}

/** Discriminator losses below this (moving average) mean D wins outright and G gets no signal. */
const D_COLLAPSE = { bce: 0.05, hinge: 0.02, window: 60 };
/** Grid diversity below this fraction of the data's own diversity suggests mode collapse. */
const MODE_COLLAPSE_FRACTION = 0.25;

export class TrainingWatch {
  private dLosses: number[] = [];
  private fired = new Set<Warning['code']>();

  constructor(
    private readonly family: string,
    private readonly dataDiversity: number | null,
  ) {}

  /** Feed each step's losses; returns a warning when D has collapsed. */
  onStep(losses: Record<string, number>): Warning | null {
    const d = losses.d ?? losses.dLoss ?? losses.D;
    if (d === undefined) return null;
    this.dLosses.push(d);
    if (this.dLosses.length > D_COLLAPSE.window) this.dLosses.shift();
    if (this.dLosses.length < D_COLLAPSE.window) return null;
    const mean = this.dLosses.reduce((a, b) => a + b, 0) / this.dLosses.length;
    const limit = this.family === 'default' || this.family === 'cgan' ? D_COLLAPSE.hinge : D_COLLAPSE.bce;
    if (mean < limit) return this.once('d_collapse', `The discriminator's loss has fallen to ${mean.toFixed(3)}: it tells real from fake perfectly, so the generator stops learning. More augmentation, a smaller learning rate for D, or more data usually helps.`);
    this.fired.delete('d_collapse');
    return null;
  }

  /** Feed each grid's diversity (mean pairwise distance of its images, 0..1). */
  onGrid(diversity: number | null, step: number): Warning | null {
    if (diversity === null || this.dataDiversity === null || this.dataDiversity <= 0 || step === 0) return null;
    const ratio = diversity / this.dataDiversity;
    if (ratio < MODE_COLLAPSE_FRACTION) {
      return this.once('mode_collapse', `The samples are becoming alike (diversity ${(ratio * 100).toFixed(0)}% of your data's): the generator may be collapsing onto a few outputs. Try more augmentation, a lower learning rate, or resuming from an earlier checkpoint.`);
    }
    this.fired.delete('mode_collapse');
    return null;
  }

  private once(code: Warning['code'], message: string): Warning | null {
    if (this.fired.has(code)) return null;
    this.fired.add(code);
    return { code, message };
  }
}

/** Mean pairwise RMS distance between images (pixels 0..255 → 0..1), a cheap diversity measure. */
export function imageDiversity(images: Array<{ pixels: Uint8Array }>, maxPairs = 300): number | null {
  if (images.length < 2) return null;
  let total = 0;
  let pairs = 0;
  outer: for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const a = images[i]!.pixels;
      const b = images[j]!.pixels;
      let sum = 0;
      for (let k = 0; k < a.length; k++) {
        const d = (a[k]! - b[k]!) / 255;
        sum += d * d;
      }
      total += Math.sqrt(sum / a.length);
      if (++pairs >= maxPairs) break outer;
    }
  }
  return total / pairs;
}
