/**
 * What the training engine eats. The datasets capability prepares these (decode, crop/pad, resize,
 * alpha handling) and hands them to `ml` as plain typed arrays, so `ml` never touches files or the catalog.
 */

/** N images of one size, row-major NHWC, 0..255. */
export interface ImageTensorData {
  kind: 'image';
  size: number; // width = height (32, 64 or 128)
  channels: 1 | 3 | 4; // grey, RGB, RGBA
  count: number;
  pixels: Uint8Array; // length = count * size * size * channels
  /** Class index per image (-1 = unlabelled), indexes `labelNames`. */
  labels?: Int32Array;
  labelNames?: string[];
  /** Tag indices per image, indexes `tagNames`. */
  tags?: number[][];
  tagNames?: string[];
  /** Catalog item ids in the same order, so metrics can point back at training images. */
  itemIds?: number[];
}

/** A text corpus for the character/byte-level text models. */
export interface TextCorpusData {
  kind: 'text';
  /** The documents (lines of a name list, paragraphs, captions...), already UTF-8 checked. */
  documents: string[];
}

export type TrainingData = ImageTensorData | TextCorpusData;

/** Augmentation the datasets capability lets the user configure; training applies it per batch. */
export interface AugmentSettings {
  flip: boolean; // horizontal flip with p = 0.5
  rotationDeg: number; // max absolute rotation, 0 = off
  cropFraction: number; // random crop keeping at least this fraction of the side, 1 = off
  colorJitter: number; // 0..1 strength of brightness/contrast/saturation jitter, 0 = off
}

export const NO_AUGMENT: AugmentSettings = { flip: false, rotationDeg: 0, cropFraction: 1, colorJitter: 0 };
