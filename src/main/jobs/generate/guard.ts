/**
 * The memorisation guard for Create: each generated image's nearest training image in the quality
 * metric's feature space (ml/metrics/nearest.ts), flagged when closer than the dataset's threshold.
 * The feature space and training features are the ones training cached; they are fitted here if not.
 */
import { loadImageTrainingData } from '../../datasets/prepare';
import { loadOrFitFeatureSpace, type FeatureSpace } from '../../ml/metrics/feature-space';
import { loadTrainingFeatures, memorisationThreshold, nearestItems, saveTrainingFeatures, type TrainingFeatures } from '../../ml/metrics/nearest';
import type { GenerateWorkerData } from './messages';

export interface Guard {
  check(images: Array<{ pixels: Uint8Array; width: number; channels: number }>): Array<{ itemId: number | null; distance: number; memorised: boolean; threshold: number }>;
}

export async function createGuard(g: NonNullable<GenerateWorkerData['guard']>): Promise<Guard> {
  const data = await loadImageTrainingData(g.dataDir, g.items, g.size, g.prepare);
  const { space, key } = await loadOrFitFeatureSpace(data, g.cacheDir);
  let train: TrainingFeatures | null = await loadTrainingFeatures(g.cacheDir, key).catch(() => null);
  if (!train) {
    const features = space.embed(data.pixels, data.count, data.size, data.channels);
    const itemIds = data.itemIds ?? Array.from({ length: data.count }, () => -1);
    train = { key, dim: space.dim, features, itemIds, threshold: memorisationThreshold(features, space.dim) };
    await saveTrainingFeatures(g.cacheDir, train).catch(() => undefined);
  }
  return makeGuard(space, train);
}

function makeGuard(space: FeatureSpace, train: TrainingFeatures): Guard {
  return {
    check(images) {
      if (images.length === 0) return [];
      const { width, channels } = images[0]!;
      const per = width * width * channels;
      const pixels = new Uint8Array(images.length * per);
      images.forEach((im, i) => pixels.set(im.pixels, i * per));
      const q = space.embed(pixels, images.length, width, channels);
      return nearestItems(train, q).map((n) => ({
        itemId: n.itemId >= 0 ? n.itemId : null,
        distance: n.distance,
        memorised: n.memorised,
        threshold: train.threshold,
      }));
    },
  };
}
