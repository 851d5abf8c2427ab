/** GAN and VAE losses on logits/scores (all return scalar means over the batch). */
import * as tf from '@tensorflow/tfjs-core';

/** Binary cross-entropy of sigmoid(logits) against an all-`target` label, in the stable softplus form. */
export function bceWithLogits(logits: tf.Tensor, target: 0 | 1): tf.Scalar {
  return tf.mean(tf.softplus(target === 1 ? tf.neg(logits) : logits)) as tf.Scalar;
}

/** Hinge loss for D (Lim & Ye 2017; SAGAN, BigGAN): E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]. */
export function hingeD(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake)))) as tf.Scalar;
}

/** Hinge loss for G: -E[D(G(z))]. */
export function hingeG(fake: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(fake)) as tf.Scalar;
}

/** KL(N(mu, exp(logvar)) || N(0, 1)), summed over latent dims, mean over the batch (nats per image). */
export function gaussianKl(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Scalar {
  const perDim = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)));
  return tf.mean(tf.sum(perDim, 1)) as tf.Scalar;
}
