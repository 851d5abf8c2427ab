/**
 * Stored originals → training tensors for one model size: decode (sharp, pixel-limited), square them
 * (crop / pad / stretch), handle alpha, optionally grey. Used by training workers and the crop preview;
 * the originals in the data folder are never modified.
 */
import sharp from 'sharp';
import type { PrepareSettings } from '../../shared/contract/datasets';
import type { TrainingItem } from '../catalog/datasets';
import type { ImageTensorData } from '../ml/data';
import { containedPath } from '../files/contain';

export type { PrepareSettings } from '../../shared/contract/datasets';
export type { TrainingItem } from '../catalog/datasets';

/** Decoding limit for anything already in the catalog (import enforces the same). */
export const PIXEL_LIMIT = 64 * 1024 * 1024;
/** Tags used by fewer images than this are too rare to learn as a condition. */
const MIN_TAG_IMAGES = 2;
/** The conditional model's tag vocabulary is capped to the most frequent tags. */
const MAX_TAGS = 256;

/** How many channels the prepared tensors have for these settings and items. */
export function preparedChannels(items: Array<Pick<TrainingItem, 'hasAlpha'>>, prepare: PrepareSettings): 1 | 3 | 4 {
  if (prepare.grey) return 1;
  return prepare.alpha === 'keep' && items.some((i) => i.hasAlpha) ? 4 : 3;
}

function hexToRgb(hex: string): { r: number; g: number; b: number } {
  const n = Number.parseInt(hex.slice(1), 16);
  return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255 };
}

/** One image file → size×size×channels bytes (row-major, 0..255). */
export async function prepareImage(absFile: string, size: number, prepare: PrepareSettings, channels: 1 | 3 | 4): Promise<Uint8Array> {
  const bg = hexToRgb(prepare.background);
  let img = sharp(absFile, { limitInputPixels: PIXEL_LIMIT, failOn: 'error', animated: false }).rotate();
  const fit = prepare.fit === 'crop' ? 'cover' : prepare.fit === 'pad' ? 'contain' : 'fill';
  // Transparent padding keeps RGBA datasets transparent; otherwise pad with the chosen colour.
  const padColour = channels === 4 ? { ...bg, alpha: 0 } : { ...bg, alpha: 1 };
  img = img.resize(size, size, { fit, position: 'centre', background: padColour, kernel: 'lanczos3' });
  if (channels !== 4) img = img.flatten({ background: bg });
  if (channels === 1) img = img.greyscale().toColourspace('b-w');
  else img = img.toColourspace('srgb');
  if (channels === 4) img = img.ensureAlpha();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size) throw new Error(`prepared ${info.width}×${info.height}, expected ${size}×${size}`);
  if (info.channels === channels) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // sharp may hand back grey+alpha or RGB for an RGBA request: normalise channel count here.
  const out = new Uint8Array(size * size * channels);
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < channels; c++) {
      const src = info.channels === 1 || info.channels === 2 ? (c < 3 ? 0 : 1) : c;
      out[p * channels + c] = c === 3 && src >= info.channels ? 255 : data[p * info.channels + Math.min(src, info.channels - 1)]!;
    }
  }
  return out;
}

/**
 * All items of a dataset as one tensor-ready block, with label and tag indices. Items that fail to
 * decode now (a file removed behind our back) are skipped with a warning rather than failing the run.
 */
export async function loadImageTrainingData(
  dataDir: string,
  items: TrainingItem[],
  size: number,
  prepare: PrepareSettings,
  onSkip: (item: TrainingItem, reason: string) => void = () => {},
): Promise<ImageTensorData> {
  const channels = preparedChannels(items, prepare);
  const per = size * size * channels;
  const kept: TrainingItem[] = [];
  const blocks: Uint8Array[] = [];
  // A few decodes in flight keep libvips busy without holding many images at once.
  const CONCURRENCY = 4;
  let next = 0;
  const results: Array<Uint8Array | null> = new Array(items.length).fill(null);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        const item = items[i]!;
        try {
          results[i] = await prepareImage(containedPath(dataDir, item.file), size, prepare, channels);
        } catch (err) {
          onSkip(item, (err as Error).message);
        }
      }
    }),
  );
  results.forEach((r, i) => {
    if (r) {
      kept.push(items[i]!);
      blocks.push(r);
    }
  });
  if (kept.length === 0) throw new Error('None of the dataset\'s images could be read.');
  const pixels = new Uint8Array(kept.length * per);
  blocks.forEach((b, i) => pixels.set(b, i * per));

  const labelNames = [...new Set(kept.map((i) => i.label).filter((l): l is string => !!l))].sort();
  const labelIndex = new Map(labelNames.map((n, i) => [n, i]));
  const tagCounts = new Map<string, number>();
  for (const item of kept) for (const t of item.tags) tagCounts.set(t, (tagCounts.get(t) ?? 0) + 1);
  const tagNames = [...tagCounts.entries()]
    .filter(([, n]) => n >= MIN_TAG_IMAGES)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_TAGS)
    .map(([t]) => t)
    .sort();
  const tagIndex = new Map(tagNames.map((n, i) => [n, i]));

  return {
    kind: 'image',
    size,
    channels,
    count: kept.length,
    pixels,
    labels: Int32Array.from(kept, (i) => (i.label ? labelIndex.get(i.label)! : -1)),
    labelNames,
    tags: kept.map((i) => i.tags.map((t) => tagIndex.get(t)).filter((x): x is number => x !== undefined)),
    tagNames,
    itemIds: kept.map((i) => i.id),
  };
}

/** Absolute path of an item's stored file. */
export function itemPath(dataDir: string, item: Pick<TrainingItem, 'file'>): string {
  return containedPath(dataDir, item.file);
}
