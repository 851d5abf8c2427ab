/** The image model families by id. Adding a family = one model file + one line here. */
import { AtelierError } from '../../../shared/errors';
import { isImageFamily } from '../../../shared/families';
import { cgan, type CganConfig } from './cgan';
import { dcgan, type DcganConfig } from './dcgan';
import { mlpGan, type MlpGanConfig } from './mlp-gan';
import type { BaseImageConfig, ImageFamily, ImageFamilyModule } from './model';
import { smallGan, type SmallGanConfig } from './small-gan';
import { vae, type VaeConfig } from './vae';

export type { ImageFamily } from './model';

/** Config type per family id. */
export interface ImageConfigs {
  mlpgan: MlpGanConfig;
  dcgan: DcganConfig;
  default: SmallGanConfig;
  cgan: CganConfig;
  vae: VaeConfig;
}

const FAMILIES: { [F in ImageFamily]: ImageFamilyModule<ImageConfigs[F]> } = {
  mlpgan: mlpGan,
  dcgan,
  default: smallGan,
  cgan,
  vae,
};

export function familyModule(family: ImageFamily): ImageFamilyModule<BaseImageConfig> {
  return FAMILIES[imageFamily(family)] as unknown as ImageFamilyModule<BaseImageConfig>;
}

/**
 * Every config field the family knows: its defaults' fields, those old checkpoints may lack (legacy) and
 * the optional ones. Overrides outside it are refused (model-session's checkOverrides).
 */
/**
 * Every setting a family's config may hold, with its default (what its type is checked against;
 * undefined for optional fields and ones only old checkpoints have).
 */
export function imageConfigShape(family: ImageFamily): Record<string, unknown> {
  const m = familyModule(family);
  const shape: Record<string, unknown> = Object.fromEntries((m.optional ?? []).map((k) => [k, undefined]));
  return { ...shape, ...(m.legacy ?? {}), ...m.defaults({ size: 32, channels: 3 }) };
}

/** A family name from outside the library (a run's settings, a checkpoint's header), checked. */
export function imageFamily(name: string): ImageFamily {
  if (!isImageFamily(name)) throw new AtelierError('bad_request', `Unknown image model family "${name}".`);
  return name;
}
