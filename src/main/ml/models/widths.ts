/**
 * The width ladder the small GAN and the VAE share: `width` channels at full resolution, doubling per
 * halving, capped at `maxWidth`.
 */

export interface ScaledWidthDefaults {
  size: number;
  channels: 1 | 3 | 4;
  latentDim: number;
  width: number;
  maxWidth: number;
}

/**
 * The head of such a model's default config: the data's size when the model supports it (else 64), and
 * width · size = 1024 (at least 8 channels), which reaches maxWidth exactly at 4×4. The latent length
 * is passed in only so the fields keep their order (configs are written into checkpoints and runs).
 */
export function scaledWidthDefaults(data: { size: number; channels: 1 | 3 | 4 }, sizes: readonly number[], latentDim: number): ScaledWidthDefaults {
  const size = sizes.includes(data.size) ? data.size : 64;
  return { size, channels: data.channels, latentDim, width: Math.max(8, 1024 / size), maxWidth: 256 };
}
