/**
 * The text side of the Train form: the text model families and the run proposed for a text dataset.
 * Pure (no Svelte, no DOM), so unit tests import it directly.
 */
import { FAMILY_LABELS } from '../../../shared/run-format';
import type { TextFamily } from '../../../shared/families';

export const TEXT_FAMILY_INFO: Record<TextFamily, { label: string; hint: string }> = {
  charlstm: {
    label: FAMILY_LABELS.charlstm,
    hint: 'Learns the spelling of names and short phrases quickly; the classic character model.',
  },
  chartransformer: {
    label: FAMILY_LABELS.chartransformer,
    hint: 'A small GPT over characters: needs more text and time, and keeps longer phrases together.',
  },
};

export interface TextRunDefaults {
  family: TextFamily;
  minutes: number;
  /** One sentence for the form. */
  why: string;
}

/** Below this many lines a long run only learns the lines by heart. */
export const FEW_LINES = 300;

/**
 * The run proposed for `lines` examples (null: not counted yet): a time box of about ten minutes on a
 * 2-core machine, shorter for a handful of lines, always the char LSTM (it gets names right soonest).
 */
export function textRunDefaults(lines: number | null): TextRunDefaults {
  if (lines !== null && lines < FEW_LINES) {
    return { family: 'charlstm', minutes: 3, why: 'With this few lines, a short run: a longer one learns them by heart.' };
  }
  return { family: 'charlstm', minutes: 10, why: 'About ten minutes gives a model that writes new names to try in Create.' };
}
