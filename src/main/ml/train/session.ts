/**
 * TrainingSession: the one object the jobs system drives to train an image model.
 *
 *   const s = await TrainingSession.create({ family: 'default', data, seed: 7 });
 *   for (;;) {
 *     const { step, losses, images } = s.trainStep();      // throws DivergedError on NaN/Inf
 *     if (step % 200 === 0) grid = s.sampleGrid();          // fixed latents, EMA weights
 *     if (step % 1000 === 0) await s.saveCheckpoint(path);  // atomic; returns { bytes, sha256 }
 *   }
 *   const again = await TrainingSession.resume(path, data); // continues bit-exactly
 *
 * - create(opts): a new run. `config` overrides the family's defaults for this data; `batchSize` is a
 *   shortcut for config.batchSize; `augment` is the dataset's user augmentation; `seed` fixes weight init,
 *   the sample-grid latents, data order and every per-step draw. `init` fine-tunes from a checkpoint:
 *   tensors whose names and shapes match are copied (dense weights whose input grew keep their leading
 *   rows; label/tag tables are re-mapped by name, so new labels and tags can be added); the optimizer
 *   state comes along only when family, config and vocabulary are unchanged; `freezeDiscriminatorLayers`
 *   (FreezeD) and `lrScale` apply to the new run.
 * - resume(path, data): rebuilds the run from a checkpoint: step, RNG, data order, optimizer, EMA,
 *   spectral-norm vectors, BN statistics. Given the same data and backend, the following steps are
 *   bit-identical to an uninterrupted run. (If the data's image count changed, the data order and held-out
 *   split are drawn afresh: training continues, but not bit-exactly.)
 * - trainStep(): one optimisation step (for a GAN: one D update and one G update). Losses are read back
 *   once per step; on NaN/Inf it throws DivergedError and the session refuses further steps and saves,
 *   so the last good checkpoint is never overwritten.
 * - sampleGrid(): a side×side grid (default 6×6) from latents drawn at creation and saved in the
 *   checkpoint, with the sampling weights (EMA where the family keeps one). Conditional models show one
 *   label (or tag) per row.
 * - evaluateLosses(): held-out metrics where the family has them (VAE: heldOutMse, heldOutKl); {} otherwise.
 *   heldOutReconstructionMse() is the first of those, or null.
 * - saveCheckpoint(path): snapshot taken synchronously at call time, written atomically (see ../checkpoint.ts).
 * - useParallel(runner): data-parallel training (ml/parallel/step.ts): from then on each step is split
 *   across worker threads holding copies of the model (replicaState()), which compute the step one
 *   worker would on the whole batch; every checkpoint first checks that they all hold the same weights.
 *
 * The session is family-agnostic: data order, user augmentation, the sample grid, data-parallel steps
 * and fine-tuning live here; the step count, the RNG, the divergence guard and the checkpoint write are
 * ../model-session.ts's (shared with the text session); architectures and their optimisation steps live
 * in ../models (one file per family, registered in ../models/index.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import type { AugmentSettings, ImageTensorData } from '../data';
import { NO_AUGMENT } from '../data';
import type { ImageConfigs } from '../models';
import { familyModule, imageConfigShape } from '../models';
import type { ImageFamily, ImageModel, Vocab } from '../models/model';
import { assignValues, type Role } from '../nn/params';
import { Rng } from '../rng';
import type { ReplicaState, StepRunner } from '../parallel/step';
import { gridConditioning } from '../sample/condition';
import { tileGrid, toPixelImages, type PixelImage } from '../sample/images';
import { BatchOrder, ImageSource, disposeBatch, mergeVocab, splitHeldOut, validateImageData } from './batches';
import { readCheckpoint, type Checkpoint, type CheckpointHeader, type NamedArray } from '../checkpoint';
import { ModelSession, checkOverrides, restoreRun, type BaseSessionState, type ConfigOverrides } from '../model-session';

export interface FineTuneOptions {
  /** Checkpoint to start from. */
  checkpoint: string;
  /** FreezeD: the first n discriminator layers (from the image side) are not updated. */
  freezeDiscriminatorLayers?: number;
  /** Multiplies the learning rate(s) of the config. */
  lrScale?: number;
  /** Carry the optimizer state over when family, config and vocabulary match (default true). */
  keepOptimizer?: boolean;
}

export interface SessionOptions<F extends ImageFamily = ImageFamily> {
  family: F;
  /** Overrides of the family's defaults for this data. */
  config?: Partial<ImageConfigs[F]> | ConfigOverrides;
  data: ImageTensorData;
  augment?: AugmentSettings;
  seed: number;
  batchSize?: number;
  /** The sample grid is gridSide × gridSide images (default 6). */
  gridSide?: number;
  init?: FineTuneOptions;
}

export interface StepResult {
  step: number;
  losses: Record<string, number>;
  /** Training images consumed by this step. */
  images: number;
}

/** What the checkpoint header's `session` field holds. */
interface SessionState extends BaseSessionState {
  gridSide: number;
  augment: AugmentSettings;
  lrScale: number;
  frozenDLayers: number;
  order: { perm: number[]; cursor: number };
}

const FIXED_LATENTS = 'session/fixedLatents';
/** Latents per estimate of the sampling weights' batch-norm statistics, and their fixed seed. */
const SAMPLING_STATS_N = 256;
const SAMPLING_STATS_SEED = 0x5eed;

export class TrainingSession extends ModelSession<ImageFamily, ImageConfigs[ImageFamily], ImageModel> {
  /** The step the sampling weights' batch-norm statistics were last estimated at. */
  private samplingStatsStep = -1;
  /** Data-parallel workers the steps are split across (ml/parallel); null = this thread alone. */
  private parallel: StepRunner | null = null;

  private constructor(
    family: ImageFamily,
    config: ImageConfigs[ImageFamily],
    readonly vocab: Vocab,
    model: ImageModel,
    private readonly source: ImageSource,
    private readonly order: BatchOrder,
    rng: Rng,
    private readonly state: Omit<SessionState, 'rng' | 'order' | 'dataCount' | 'backend'>,
    private readonly fixedLatents: Float32Array,
    step: number,
  ) {
    super(family, config, model, rng, step);
  }

  get latentDim(): number {
    return this.model.latentDim;
  }

  static async create<F extends ImageFamily>(opts: SessionOptions<F>): Promise<TrainingSession> {
    validateImageData(opts.data);
    const module = familyModule(opts.family);
    const base = opts.init ? await readCheckpoint(opts.init.checkpoint) : null;
    const sameFamily = base?.header.family === opts.family;
    // A same-family base's own config, its missing fields read as the design it was written with.
    const baseConfig = sameFamily ? { ...(module.legacy ?? {}), ...base!.header.config } : {};
    checkOverrides(opts.family, opts.config, imageConfigShape(opts.family));
    const config = {
      ...module.defaults({ size: opts.data.size, channels: opts.data.channels }),
      ...baseConfig,
      ...(opts.config ?? {}),
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    } as ImageConfigs[F];
    const vocab = mergeVocab(opts.data, base?.header.vocab);
    module.validate(config, vocab);

    const rng = new Rng(opts.seed);
    const model = module.build(config, rng, vocab);
    const gridSide = opts.gridSide ?? 6;
    const fixedLatents = rng.normals(gridSide * gridSide * model.latentDim);
    const heldOut = splitHeldOut(opts.data.count, config.heldOutFraction, rng);
    const held = new Set(heldOut);
    const pool = Array.from({ length: opts.data.count }, (_, i) => i).filter((i) => !held.has(i));
    if (base) {
      const keepOpt =
        (opts.init!.keepOptimizer ?? true) &&
        sameFamily &&
        sameConfig(baseConfig, config) &&
        JSON.stringify(base.header.vocab) === JSON.stringify(vocab);
      adoptWeights(model, base, vocab, { keepOptimizer: keepOpt, sameFamily });
    }
    const session = new TrainingSession(
      opts.family,
      config,
      vocab,
      model,
      new ImageSource(opts.data, config, vocab),
      new BatchOrder(pool),
      rng,
      {
        seed: opts.seed,
        gridSide,
        augment: opts.augment ?? NO_AUGMENT,
        lrScale: opts.init?.lrScale ?? 1,
        frozenDLayers: opts.init?.freezeDiscriminatorLayers ?? 0,
        heldOut,
      },
      fixedLatents,
      0,
    );
    return session;
  }

  static async resume(checkpointPath: string, data: ImageTensorData): Promise<TrainingSession> {
    validateImageData(data);
    const ckpt = await readCheckpoint(checkpointPath);
    const h = ckpt.header;
    const module = familyModule(h.family as ImageFamily);
    const config = h.config as unknown as ImageConfigs[ImageFamily];
    const vocab = h.vocab;
    module.validate(config, vocab);
    const s = h.session as unknown as SessionState;
    // Initial values are overwritten by the checkpoint; the throwaway Rng only shapes them.
    const model = module.build(config, new Rng(0), vocab);
    restoreRun(model.store, ckpt, checkpointPath);
    const latents = ckpt.tensors.get(FIXED_LATENTS);
    if (!latents) throw new AtelierError('invalid_input', `${checkpointPath} has no sample latents.`);
    const rng = Rng.fromState(s.rng);
    const sameData = s.dataCount === data.count;
    const heldOut = sameData ? s.heldOut : splitHeldOut(data.count, config.heldOutFraction, rng);
    const held = new Set(heldOut);
    const pool = Array.from({ length: data.count }, (_, i) => i).filter((i) => !held.has(i));
    const order = sameData ? new BatchOrder(pool, s.order.perm, s.order.cursor) : new BatchOrder(pool);
    return new TrainingSession(
      h.family as ImageFamily,
      config,
      vocab,
      model,
      new ImageSource(data, config, vocab),
      order,
      rng,
      { seed: s.seed, gridSide: s.gridSide, augment: s.augment, lrScale: s.lrScale, frozenDLayers: s.frozenDLayers, heldOut },
      latents.data,
      h.step,
    );
  }

  trainStep(): StepResult {
    this.assertUsable();
    const bs = this.config.batchSize;
    const batch = this.source.batch(this.order.next(bs, this.rng), this.state.augment, this.rng);
    let lossTensors: Record<string, tf.Scalar>;
    try {
      const ctx = { step: this.step, rng: this.rng, lrScale: this.state.lrScale, frozenDLayers: this.state.frozenDLayers };
      lossTensors = this.parallel ? this.parallel.trainStep(this.model, batch, ctx) : this.model.trainStep(batch, ctx);
    } finally {
      disposeBatch(batch);
    }
    const names = Object.keys(lossTensors);
    const values = tf.tidy(() => tf.stack(names.map((n) => lossTensors[n]!)).dataSync());
    tf.dispose(Object.values(lossTensors));
    const losses: Record<string, number> = {};
    names.forEach((n, i) => (losses[n] = values[i]!));
    return { step: this.countStep(losses), losses, images: bs };
  }

  /**
   * Splits every following step across data-parallel workers (ml/parallel/step.ts) that hold this
   * session's model (see replicaState); null: back to this thread alone.
   */
  useParallel(runner: StepRunner | null): void {
    if (runner) this.assertUsable();
    this.parallel = runner;
  }

  /** What a data-parallel replica needs to hold this session's model exactly (tensors copied). */
  replicaState(): ReplicaState {
    this.assertUsable();
    return {
      family: this.family,
      config: this.config as unknown as Record<string, unknown>,
      vocab: this.vocab,
      counters: { ...this.model.store.counters },
      tensors: this.model.store.list().map((e) => ({ name: e.name, shape: e.variable.shape, data: (e.variable.dataSync() as Float32Array).slice() })),
    };
  }

  sampleGrid(): PixelImage {
    this.assertUsable();
    this.refreshSamplingStats();
    const side = this.state.gridSide;
    const images = tf.tidy(() => {
      const cond = gridConditioning(this.vocab, side);
      return this.model.generate(tf.tensor2d(this.fixedLatents, [side * side, this.model.latentDim]), cond);
    });
    const pixels = toPixelImages(images);
    images.dispose();
    return tileGrid(pixels, side);
  }

  /**
   * Re-estimates the sampling weights' batch-norm statistics where the family keeps them, on latents
   * (and, for conditional models, the conditions of training images) drawn from a fixed seed: they are
   * a function of the weights alone, so a resumed run samples as an uninterrupted one would.
   */
  private refreshSamplingStats(): void {
    // The weights change only with a step: a grid and a checkpoint at the same step share one estimate.
    if (!this.model.refreshSamplingStats || this.samplingStatsStep === this.step) return;
    this.samplingStatsStep = this.step;
    const rng = new Rng(SAMPLING_STATS_SEED);
    const pool = this.order.pool;
    const indices = Array.from({ length: SAMPLING_STATS_N }, () => pool[rng.int(pool.length)]!);
    const z = tf.tensor2d(rng.normals(SAMPLING_STATS_N * this.model.latentDim), [SAMPLING_STATS_N, this.model.latentDim]);
    const cond = this.source.conditions(indices);
    this.model.refreshSamplingStats(z, cond);
    tf.dispose([z, cond.labels, cond.tags] as tf.Tensor[]);
  }

  evaluateLosses(): Record<string, number> {
    this.assertUsable();
    const held = this.state.heldOut;
    if (!this.model.evaluate || held.length === 0) return {};
    const sums = new Map<string, tf.Tensor>();
    const bs = this.config.batchSize;
    for (let i = 0; i < held.length; i += bs) {
      const idx = held.slice(i, i + bs);
      const batch = this.source.batch(idx, null, this.rng);
      tf.tidy(() => {
        for (const [name, value] of Object.entries(this.model.evaluate!(batch.x))) {
          const weighted = tf.mul(value, idx.length);
          const prev = sums.get(name);
          sums.set(name, tf.keep(prev ? tf.add(prev, weighted) : weighted));
          prev?.dispose();
        }
      });
      disposeBatch(batch);
    }
    const names = [...sums.keys()];
    const values = tf.tidy(() => tf.stack(names.map((n) => sums.get(n)!)).dataSync());
    tf.dispose([...sums.values()]);
    return Object.fromEntries(names.map((n, i) => [n, values[i]! / held.length]));
  }

  /** The VAE's held-out reconstruction MSE (per value, images in [-1, 1]); null for families without one. */
  heldOutReconstructionMse(): number | null {
    return this.evaluateLosses().heldOutMse ?? null;
  }

  protected override beforeSave(): void {
    // Data-parallel: every worker must still hold these very weights (throws otherwise).
    this.parallel?.verify(this.model.store);
    this.refreshSamplingStats();
  }

  protected override sessionArrays(): NamedArray[] {
    const side = this.state.gridSide;
    return [{ name: FIXED_LATENTS, role: 'session', shape: [side * side, this.model.latentDim], data: this.fixedLatents.slice() }];
  }

  protected vocabHeader(): CheckpointHeader['vocab'] {
    return this.vocab;
  }

  protected sessionState(): SessionState {
    return {
      ...this.state,
      rng: this.rng.state(),
      order: this.order.state(),
      dataCount: this.source.data.count,
      backend: tf.getBackend(),
    };
  }
}

/** Config equality regardless of key order (a base's config may predate fields that now come first). */
function sameConfig(a: object, b: object): boolean {
  const canonical = (o: object) => JSON.stringify(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));
  return canonical(a) === canonical(b);
}

/**
 * Fine-tuning: copy what fits from `base` into a freshly initialised model.
 * Same name and shape → copied. Vocabulary tables (and their EMA copies / Adam moments) → rows copied by
 * label/tag name, new rows keep their fresh init. Other rank-2 weights whose first dimension changed
 * (a dense layer whose input grew, e.g. z plus a condition) → leading rows copied. EMA entries missing
 * from the checkpoint start from the adopted live weights. Optimizer entries and Adam counters only when
 * `keepOptimizer`; other counters (e.g. the conditioning ramp) when the family is the same.
 */
function adoptWeights(model: ImageModel, base: Checkpoint, vocab: Vocab, opts: { keepOptimizer: boolean; sameFamily: boolean }): void {
  const old = base.header.vocab;
  const roles: Role[] = opts.keepOptimizer ? ['param', 'state', 'ema', 'opt'] : ['param', 'state', 'ema'];
  const entries = model.store.list();
  for (const e of entries) {
    if (!roles.includes(e.role)) continue;
    const src = base.tensors.get(e.name);
    if (!src) continue;
    const shape = e.variable.shape;
    if (src.shape.join() === shape.join()) {
      if (!isVocabTable(model, e.name) || JSON.stringify(old) === JSON.stringify(vocab)) {
        assignValues(e.variable, src.data, src.shape);
        continue;
      }
    }
    if (shape.length !== 2 || src.shape.length !== 2 || src.shape[1] !== shape[1]) continue;
    const cols = shape[1]!;
    const current = (e.variable.dataSync() as Float32Array).slice();
    const table = isVocabTable(model, e.name);
    if (table) {
      const oldNames = table === 'label' ? old.labelNames : old.tagNames;
      const newNames = table === 'label' ? vocab.labelNames : vocab.tagNames;
      newNames.forEach((name, row) => {
        const from = oldNames.indexOf(name);
        if (from >= 0 && from < src.shape[0]!) current.set(src.data.subarray(from * cols, (from + 1) * cols), row * cols);
      });
    } else {
      const rows = Math.min(src.shape[0]!, shape[0]!);
      current.set(src.data.subarray(0, rows * cols));
    }
    assignValues(e.variable, current, shape);
  }
  for (const e of entries) {
    if (e.role === 'ema' && !base.tensors.has(e.name)) e.variable.assign(model.store.get(e.name.slice('ema/'.length)));
  }
  for (const [k, v] of Object.entries(base.header.counters)) {
    if (k.startsWith('adam/') ? opts.keepOptimizer : opts.sameFamily) model.store.counters[k] = v;
  }
}

/** Whether an entry (or its EMA copy / Adam moment) is a vocabulary table, and which. */
function isVocabTable(model: ImageModel, name: string): 'label' | 'tag' | undefined {
  const baseName = name.replace(/^ema\//, '').replace(/^opt\/[^/]+\/[mv]\//, '');
  return model.vocabTables[baseName];
}
