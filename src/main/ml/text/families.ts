/** The text model families by name (one file each), like ../models/index.ts for images. */
import { AtelierError } from '../../../shared/errors';
import { charLstm, type CharLstmConfig } from './char-lstm';
import { charTransformer, type CharTransformerConfig } from './char-transformer';
import { TEXT_FAMILIES, isTextFamily, type TextFamily } from '../../../shared/families';
import type { TextFamilyModule } from './model';

export interface TextConfigs {
  charlstm: CharLstmConfig;
  chartransformer: CharTransformerConfig;
}

const MODULES: { [F in TextFamily]: TextFamilyModule<TextConfigs[F]> } = {
  charlstm: charLstm,
  chartransformer: charTransformer,
};

export function textFamilyModule<F extends TextFamily>(family: F): TextFamilyModule<TextConfigs[F]> {
  if (!isTextFamily(family)) throw new AtelierError('bad_request', `Unknown text model family "${family}"; use one of ${TEXT_FAMILIES.join(', ')}.`);
  return MODULES[family] as TextFamilyModule<TextConfigs[F]>;
}

/** Every config field the text family knows (its defaults'); overrides outside it are refused. */
export function textConfigShape(family: TextFamily): Record<string, unknown> {
  return { ...textFamilyModule(family).defaults() };
}
