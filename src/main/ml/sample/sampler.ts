/**
 * Sampling from a checkpoint file: `loadSampler(path)` → a Sampler that draws images.
 *
 *   const g = await loadSampler(ckptPath);
 *   const { images, latents } = g.sample({ seed: 42, count: 8, truncation: 0.8,
 *                                          condition: { labels: { 'cat face': 0.7, 'dog face': 0.3 } } });
 *   const again = g.decodeLatents(latents);          // same pixels (variations, interpolation)
 *   const dirs = g.principalDirections(5);           // 5 unit vectors in latent space, for sliders
 *   if (g.canEncode) g.encode([image]);              // VAE: image → latent, for variations
 *   g.dispose();
 *
 * Determinism: same checkpoint + seed + request + backend ⇒ same bytes. Latents come from our Rng
 * (`seed`), the generator has no batch-dependent layers in sampling mode (EMA weights; DCGAN's batch
 * norm uses its running statistics), and images are generated in fixed chunks of CHUNK.
 *
 * - truncation ψ ∈ (0, 1]: drawn latents move towards the model's truncation centre along the latent
 *   shell (truncation.ts: the fidelity-for-variety trade without leaving the data; 1 = off); a thin
 *   image is drawn again closer to the centre. The returned `latents` are the ones actually decoded.
 * - condition: label/tag weights by name (see condition.ts); ignored by unconditional families.
 * - truncationAnchor(): that centre (and the content floor), computed on first use and kept.
 * - principalDirections(k): the top-k right singular vectors of the generator's first linear map
 *   restricted to z (the latent directions that move its first-layer response most, GANSpace-style
 *   without the sampling), unit length, deterministic sign. k·latentDim values.
 * - encode(images) (VAE only, `canEncode`): posterior means μ(x); images are centre-cropped to a square,
 *   resized and converted to the model's channels first, exactly as training data is.
 * Only the generator's tensors are loaded (EMA copies where the checkpoint has them), plus the VAE's encoder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import type { ImageConfigs } from '../models';
import { familyModule } from '../models';
import type { ImageFamily, ImageModel } from '../models/model';
import { convertChannels, fromBytes, resizeTo } from '../image';
import { gram, topEigenvectors } from '../nn/linalg';
import { Rng } from '../rng';
import { readCheckpoint } from '../checkpoint';
import { restoreStore } from '../restore';
import { conditionTensors, type ConditionRequest } from './condition';
import { toPixelImages, type PixelImage } from './images';
import { decodeTruncated, findTruncationAnchor, type TruncationAnchor } from './truncation';

export type { ConditionRequest } from './condition';
export type { PixelImage } from './images';

/** Images generated per forward pass (fixed, so results never depend on the request size). */
export const CHUNK = 16;
export const MAX_SAMPLES = 1024;

export interface SampleRequest {
  seed: number;
  count: number;
  /** ψ ∈ (0, 1]; 1 or absent = no truncation. */
  truncation?: number;
  condition?: ConditionRequest;
  /** count × latentDim latents to decode instead of drawing from `seed` (truncation still applies). */
  latents?: Float32Array;
}

export interface SampleResult {
  images: PixelImage[];
  /** The latents decoded, count × latentDim. */
  latents: Float32Array;
  /** The ψ each image was drawn at (a thin image is drawn again at a lower ψ). */
  psis: number[];
  /** Images that came out near-empty all the same. */
  empty: boolean[];
}

export interface Sampler {
  readonly family: ImageFamily;
  readonly config: ImageConfigs[ImageFamily];
  readonly labelNames: string[];
  readonly tagNames: string[];
  readonly latentDim: number;
  readonly size: number;
  readonly channels: number;
  /** Training step the checkpoint was saved at. */
  readonly step: number;
  /** SHA-256 of the checkpoint file. */
  readonly sha256: string;
  sample(req: SampleRequest): SampleResult;
  decodeLatents(latents: Float32Array, condition?: ConditionRequest): PixelImage[];
  principalDirections(k: number): Float32Array;
  /** Where ψ < 1 pulls latents (computed once per loaded sampler). */
  truncationAnchor(): TruncationAnchor;
  /** Whether `encode` is available (families with an encoder: VAE). */
  readonly canEncode: boolean;
  /** Images (any square-ish size, 1/3/4 channels) → latents, images.length × latentDim. */
  encode(images: PixelImage[]): Float32Array;
  dispose(): void;
}

export async function loadSampler(checkpointPath: string): Promise<Sampler> {
  const ckpt = await readCheckpoint(checkpointPath);
  const h = ckpt.header;
  const family = h.family as ImageFamily;
  const module = familyModule(family);
  const config = h.config as unknown as ImageConfigs[ImageFamily];
  module.validate(config, h.vocab);
  const model = module.build(config, new Rng(0), h.vocab, { generatorOnly: true });
  restoreStore(model.store, ckpt, { prefer: 'ema/', counters: true, missing: (name) => `${checkpointPath} lacks generator tensor ${name}.` });
  return new CheckpointSampler(family, config, h.vocab.labelNames, h.vocab.tagNames, h.step, ckpt.sha256, model);
}

class CheckpointSampler implements Sampler {
  private disposed = false;
  private anchor: TruncationAnchor | null = null;

  constructor(
    readonly family: ImageFamily,
    readonly config: ImageConfigs[ImageFamily],
    readonly labelNames: string[],
    readonly tagNames: string[],
    readonly step: number,
    readonly sha256: string,
    private readonly model: ImageModel,
  ) {}

  get latentDim(): number {
    return this.model.latentDim;
  }

  get size(): number {
    return this.config.size;
  }

  get channels(): number {
    return this.config.channels;
  }

  sample(req: SampleRequest): SampleResult {
    const { count } = req;
    if (!(Number.isInteger(count) && count >= 1 && count <= MAX_SAMPLES)) {
      throw new AtelierError('bad_request', `count must be an integer from 1 to ${MAX_SAMPLES}.`);
    }
    const psi = req.truncation ?? 1;
    if (!(psi > 0 && psi <= 1)) throw new AtelierError('bad_request', 'truncation must be in (0, 1].');
    const d = this.latentDim;
    const raw = req.latents ? Float32Array.from(req.latents) : new Rng(req.seed).normals(count * d);
    if (raw.length !== count * d) throw new AtelierError('bad_request', `latents must hold count × ${d} values.`);
    const sources = Array.from({ length: count }, (_, i) => ({ z: raw.subarray(i * d, (i + 1) * d), drawn: true }));
    return decodeTruncated(sources, d, psi, () => this.truncationAnchor(), (z) => this.decodeLatents(z, req.condition));
  }

  truncationAnchor(): TruncationAnchor {
    if (this.disposed) throw new Error('this sampler was disposed');
    this.anchor ??= findTruncationAnchor((z) => this.decodeLatents(z), this.latentDim);
    return this.anchor;
  }

  decodeLatents(latents: Float32Array, condition?: ConditionRequest): PixelImage[] {
    if (this.disposed) throw new Error('this sampler was disposed');
    const d = this.latentDim;
    if (latents.length === 0 || latents.length % d !== 0) throw new AtelierError('bad_request', `latents must be a multiple of ${d} values.`);
    const n = latents.length / d;
    const out: PixelImage[] = [];
    for (let i = 0; i < n; i += CHUNK) {
      const m = Math.min(CHUNK, n - i);
      const images = tf.tidy(() => {
        const z = tf.tensor2d(latents.subarray(i * d, (i + m) * d), [m, d]);
        return this.model.generate(z, conditionTensors(condition, { labelNames: this.labelNames, tagNames: this.tagNames }, m));
      });
      out.push(...toPixelImages(images));
      images.dispose();
    }
    return out;
  }

  get canEncode(): boolean {
    return typeof this.model.encodeMean === 'function';
  }

  encode(images: PixelImage[]): Float32Array {
    if (this.disposed) throw new Error('this sampler was disposed');
    const model = this.model;
    if (!model.encodeMean) throw new AtelierError('bad_request', `A ${this.family} model cannot encode images (only VAE models can).`);
    if (images.length === 0 || images.length > MAX_SAMPLES) throw new AtelierError('bad_request', `Give 1 to ${MAX_SAMPLES} images to encode.`);
    const d = this.latentDim;
    const out = new Float32Array(images.length * d);
    for (let i = 0; i < images.length; i += CHUNK) {
      const chunk = images.slice(i, i + CHUNK);
      const z = tf.tidy(() => model.encodeMean!(tf.concat(chunk.map((img) => this.toModelInput(img)))));
      out.set(z.dataSync(), i * d);
      z.dispose();
    }
    return out;
  }

  /** One image → [1, size, size, channels] in [-1, 1], prepared like training data. */
  private toModelInput(img: PixelImage): tf.Tensor4D {
    const { width: w, height: h, channels: c, pixels } = img;
    if (![1, 3, 4].includes(c) || !(w > 0 && h > 0) || pixels.length !== w * h * c) {
      throw new AtelierError('bad_request', 'Each image needs width × height × channels bytes, with 1, 3 or 4 channels.');
    }
    return tf.tidy(() => {
      let x = fromBytes(pixels, [1, h, w, c]);
      const side = Math.min(w, h);
      if (w !== h) x = tf.slice(x, [0, Math.floor((h - side) / 2), Math.floor((w - side) / 2), 0], [1, side, side, c]);
      x = convertChannels(resizeTo(x, this.size), this.channels as 1 | 3 | 4);
      return tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D;
    });
  }

  principalDirections(k: number): Float32Array {
    if (this.disposed) throw new Error('this sampler was disposed');
    const d = this.latentDim;
    if (!(Number.isInteger(k) && k >= 1 && k <= d)) throw new AtelierError('bad_request', `k must be an integer from 1 to ${d}.`);
    const w = this.model.latentResponse();
    const cols = w.shape[1];
    const values = w.dataSync() as Float32Array;
    w.dispose();
    return topEigenvectors(gram(values, d, cols), d, k);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.store.dispose();
  }
}
