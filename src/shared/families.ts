/**
 * The model families, declared once for every side: the contract's ModelFamily, the engine's model
 * registries (ml/models/index.ts, ml/text/families.ts), the CLI and the studio all read these lists.
 * Adding a family = its name here + one model file + one registry line. Nothing here imports node or the DOM.
 */

/** Families that draw images (one file each in src/main/ml/models). */
export const IMAGE_FAMILIES = ['mlpgan', 'dcgan', 'default', 'cgan', 'vae'] as const;
/** Families that write text (one file each in src/main/ml/text). */
export const TEXT_FAMILIES = ['charlstm', 'chartransformer'] as const;

export type ImageFamily = (typeof IMAGE_FAMILIES)[number];
export type TextFamily = (typeof TEXT_FAMILIES)[number];

/** Whether a family writes text (Create switches to its text mode, Train to the text form, runs report val loss). */
export function isTextFamily(family: string): family is TextFamily {
  return (TEXT_FAMILIES as readonly string[]).includes(family);
}

export function isImageFamily(family: string): family is ImageFamily {
  return (IMAGE_FAMILIES as readonly string[]).includes(family);
}
