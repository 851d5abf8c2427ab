/**
 * DCGAN-32 training-step benchmark: a faithful tfjs-core port of the PyTorch peer
 * (/work/shared/bench/torch_dcgan_peer.py, the classic DCGAN: ngf = ndf = 64, BatchNorm, BCE on a
 * sigmoid output, Adam 2e-4 / β1 0.5, 32x32 RGB, conv layers without bias), timed per step.
 *
 *   npx tsx bench/kernels/dcgan-step.ts [--steps 5] [--warmup 2] [--batch 64] [--backend wasm]
 *                                       [--threads 2] [--profile] [--peer] [--repeat 1]
 *
 * --profile  one extra step under tf.profile: time per kernel (and per kernel+shape).
 * --peer     runs the PyTorch peer (same steps, batch, threads) before and after ours, in this run,
 *            and prints the ratio ours / peer.
 * --repeat   repeats the timed block (and the peer) to show run-to-run variance on a shared machine.
 *
 * One difference from the peer, forced by tfjs: a gradient tape does not outlive its call, so the
 * generator step re-runs G(z) inside its tape instead of reusing the discriminator step's `fake`
 * (one extra generator forward, ~4% of the step's arithmetic). Layout is NHWC (tfjs) instead of NCHW.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../../src/main/ml/backend';
import { Rng } from '../../src/main/ml/rng';

interface Args {
  steps: number;
  warmup: number;
  batch: number;
  backend?: BackendName;
  threads?: number;
  profile: boolean;
  peer: boolean;
  repeat: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { steps: 5, warmup: 2, batch: 64, profile: false, peer: false, repeat: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--steps') args.steps = Number(next());
    else if (a === '--warmup') args.warmup = Number(next());
    else if (a === '--batch') args.batch = Number(next());
    else if (a === '--backend') args.backend = next() as BackendName;
    else if (a === '--threads') args.threads = Number(next());
    else if (a === '--profile') args.profile = true;
    else if (a === '--peer') args.peer = true;
    else if (a === '--repeat') args.repeat = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const NZ = 100;
const NGF = 64;
const NDF = 64;
const NC = 3;
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

/** BatchNorm2d in training mode: batch statistics, plus PyTorch's running-stat update. */
class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  private readonly runningMean: tf.Variable;
  private readonly runningVar: tf.Variable;
  constructor(channels: number) {
    this.gamma = tf.variable(tf.ones([channels]));
    this.beta = tf.variable(tf.zeros([channels]));
    this.runningMean = tf.variable(tf.zeros([channels]), false);
    this.runningVar = tf.variable(tf.ones([channels]), false);
  }
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.size / x.shape[3];
    tf.tidy(() => {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      const unbiased = tf.mul(variance, n / (n - 1));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    });
    return tf.batchNorm(x, mean, variance, this.beta, this.gamma, BN_EPS) as tf.Tensor4D;
  }
}

function initWeight(rng: Rng, shape: number[]): tf.Variable {
  // The classic DCGAN init N(0, 0.02); values do not affect timing.
  const n = shape.reduce((a, b) => a * b, 1);
  const v = rng.normals(n);
  for (let i = 0; i < n; i++) v[i]! *= 0.02;
  return tf.variable(tf.tensor(v, shape));
}

class Generator {
  // conv2dTranspose filters are [kh, kw, outChannels, inChannels].
  readonly w1: tf.Variable;
  readonly w2: tf.Variable;
  readonly w3: tf.Variable;
  readonly w4: tf.Variable;
  readonly bn1 = new BatchNorm(NGF * 4);
  readonly bn2 = new BatchNorm(NGF * 2);
  readonly bn3 = new BatchNorm(NGF);
  constructor(rng: Rng) {
    this.w1 = initWeight(rng, [4, 4, NGF * 4, NZ]);
    this.w2 = initWeight(rng, [4, 4, NGF * 2, NGF * 4]);
    this.w3 = initWeight(rng, [4, 4, NGF, NGF * 2]);
    this.w4 = initWeight(rng, [4, 4, NC, NGF]);
  }
  vars(): tf.Variable[] {
    return [this.w1, this.w2, this.w3, this.w4, this.bn1.gamma, this.bn1.beta, this.bn2.gamma, this.bn2.beta, this.bn3.gamma, this.bn3.beta];
  }
  apply(z: tf.Tensor4D): tf.Tensor4D {
    const b = z.shape[0];
    // ConvTranspose2d(k4, s1, p0): 1x1 → 4x4; (k4, s2, p1) doubles the size = tfjs 'same' at stride 2.
    let x = tf.conv2dTranspose(z, this.w1 as tf.Tensor4D, [b, 4, 4, NGF * 4], 1, 'valid');
    x = tf.relu(this.bn1.apply(x));
    x = tf.conv2dTranspose(x, this.w2 as tf.Tensor4D, [b, 8, 8, NGF * 2], 2, 'same');
    x = tf.relu(this.bn2.apply(x));
    x = tf.conv2dTranspose(x, this.w3 as tf.Tensor4D, [b, 16, 16, NGF], 2, 'same');
    x = tf.relu(this.bn3.apply(x));
    x = tf.conv2dTranspose(x, this.w4 as tf.Tensor4D, [b, 32, 32, NC], 2, 'same');
    return tf.tanh(x);
  }
}

class Discriminator {
  readonly w1: tf.Variable;
  readonly w2: tf.Variable;
  readonly w3: tf.Variable;
  readonly w4: tf.Variable;
  readonly bn2 = new BatchNorm(NDF * 2);
  readonly bn3 = new BatchNorm(NDF * 4);
  constructor(rng: Rng) {
    this.w1 = initWeight(rng, [4, 4, NC, NDF]);
    this.w2 = initWeight(rng, [4, 4, NDF, NDF * 2]);
    this.w3 = initWeight(rng, [4, 4, NDF * 2, NDF * 4]);
    this.w4 = initWeight(rng, [4, 4, NDF * 4, 1]);
  }
  vars(): tf.Variable[] {
    return [this.w1, this.w2, this.w3, this.w4, this.bn2.gamma, this.bn2.beta, this.bn3.gamma, this.bn3.beta];
  }
  /** Probability that x is real, shape [batch]. */
  apply(x: tf.Tensor4D): tf.Tensor1D {
    let h = tf.leakyRelu(tf.conv2d(x, this.w1 as tf.Tensor4D, 2, 'same'), 0.2);
    h = tf.leakyRelu(this.bn2.apply(tf.conv2d(h, this.w2 as tf.Tensor4D, 2, 'same')), 0.2);
    h = tf.leakyRelu(this.bn3.apply(tf.conv2d(h, this.w3 as tf.Tensor4D, 2, 'same')), 0.2);
    const logit = tf.conv2d(h, this.w4 as tf.Tensor4D, 1, 'valid');
    return tf.reshape(tf.sigmoid(logit), [x.shape[0]]);
  }
}

/** nn.BCELoss against a constant label (1 = real, 0 = fake); PyTorch clamps log at -100. */
function bce(p: tf.Tensor1D, label: 0 | 1): tf.Scalar {
  const q = label === 1 ? p : tf.sub(1, p);
  return tf.neg(tf.mean(tf.maximum(tf.log(q), -100))) as tf.Scalar;
}

interface Trainer {
  step(): tf.Scalar[];
  dispose(): void;
}

function makeTrainer(batch: number, seed: number): Trainer {
  const rng = new Rng(seed);
  const G = new Generator(rng);
  const D = new Discriminator(rng);
  const optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
  const optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
  const real = tf.tensor4d(Float32Array.from(rng.normals(batch * 32 * 32 * NC), (v) => Math.tanh(v)), [batch, 32, 32, NC]);
  return {
    step() {
      const z = tf.tensor4d(rng.normals(batch * NZ), [batch, 1, 1, NZ]);
      const fake = tf.tidy(() => G.apply(z));
      const errD = optD.minimize(() => tf.add(bce(D.apply(real), 1), bce(D.apply(fake), 0)) as tf.Scalar, true, D.vars())!;
      const errG = optG.minimize(() => bce(D.apply(G.apply(z)), 1), true, G.vars())!;
      tf.dispose([z, fake]);
      return [errD, errG];
    },
    dispose() {
      tf.dispose([real, ...G.vars(), ...D.vars()]);
      optD.dispose();
      optG.dispose();
    },
  };
}

function stats(xs: number[]): { mean: number; median: number; min: number; max: number; sd: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]!, sd };
}

function runPeer(args: Args, threads: number): number | null {
  const script = '/work/shared/bench/torch_dcgan_peer.py';
  const r = spawnSync('/usr/bin/python3', [script, String(args.steps), String(args.batch), String(threads)], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim();
  const m = /([\d.]+) img\/s/.exec(line);
  if (r.status !== 0 || !m) {
    console.log(`peer failed: ${r.stderr?.trim().split('\n').pop() ?? r.error?.message}`);
    return null;
  }
  console.log(`peer: ${line}`);
  return Number(m[1]);
}

async function timeSteps(trainer: Trainer, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const losses = trainer.step();
    await Promise.all(losses.map((l) => l.data())); // wasm/cpu are synchronous; GPU backends are not
    times.push(performance.now() - t0);
    tf.dispose(losses);
  }
  return times;
}

async function profileStep(trainer: Trainer): Promise<void> {
  let losses: tf.Scalar[] = [];
  const info = await tf.profile(() => {
    losses = trainer.step();
    return losses;
  });
  tf.dispose(losses);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = k.kernelTimeMs as number;
    total += ms;
    const shapeKey = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    for (const [map, key] of [[byKernel, k.name], [byShape, shapeKey]] as const) {
      const e = map.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls += 1;
      map.set(key, e);
    }
  }
  const print = (title: string, map: Map<string, { ms: number; calls: number }>, top: number): void => {
    console.log(`\n${title} (kernel time ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls)`);
    for (const [key, e] of [...map].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
      console.log(`${e.ms.toFixed(1).padStart(9)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}% ${String(e.calls).padStart(4)}x  ${key}`);
    }
  };
  print('per kernel', byKernel, 25);
  print('per kernel and input shapes', byShape, 30);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const report = await initBackend(args.backend, { threads: args.threads });
  console.log(`backend: ${report.name}, threads ${report.threads}, simd ${report.simd} (${report.reason}); tfjs ${report.tfjsVersion}`);
  for (const s of report.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
  const threads = report.threads ?? args.threads ?? 2;

  const trainer = makeTrainer(args.batch, 1234);
  const t0 = performance.now();
  await timeSteps(trainer, args.warmup);
  console.log(`warm-up: ${args.warmup} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const tensorsBefore = tf.memory().numTensors;

  const ratios: number[] = [];
  for (let r = 0; r < args.repeat; r++) {
    const peerBefore = args.peer ? runPeer(args, threads) : null;
    const times = await timeSteps(trainer, args.steps);
    const s = stats(times);
    const imgPerSec = (1000 * args.batch) / s.mean;
    console.log(
      `tfjs-${report.name} DCGAN 32x32 batch ${args.batch}: ${s.mean.toFixed(0)} ms/step (median ${s.median.toFixed(0)}, ` +
        `min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}, sd ${s.sd.toFixed(0)}; ${args.steps} steps), ${imgPerSec.toFixed(1)} img/s`,
    );
    const peerAfter = args.peer ? runPeer(args, threads) : null;
    const peers = [peerBefore, peerAfter].filter((p): p is number => p !== null);
    if (peers.length > 0) {
      const peer = peers.reduce((a, b) => a + b, 0) / peers.length;
      ratios.push(imgPerSec / peer);
      console.log(`ratio vs peer (mean of ${peers.map((p) => p.toFixed(1)).join(' & ')} img/s): ${(imgPerSec / peer).toFixed(2)}`);
    }
  }
  if (ratios.length > 1) console.log(`ratios: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  console.log(`tensors: ${tensorsBefore} before timed steps, ${tf.memory().numTensors} after`);
  if (args.profile) await profileStep(trainer);
  trainer.dispose();
}

await main();
