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
export function imageConfigKeys(family: ImageFamily): string[] {
  const m = familyModule(family);
  return [...new Set([...Object.keys(m.defaults({ size: 32, channels: 3 })), ...Object.keys(m.legacy ?? {}), ...(m.optional ?? [])])];
}

/** A family name from outside the library (a run's settings, a checkpoint's header), checked. */
export function imageFamily(name: string): ImageFamily {
  if (!isImageFamily(name)) throw new AtelierError('bad_request', `Unknown image model family "${name}".`);
  return name;
}
