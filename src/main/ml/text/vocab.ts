/**
 * Character vocabulary for the text models, built from the training documents.
 *
 * Tokens are Unicode code points (after NFC normalisation, so "é" typed either way is one token), plus
 * three specials at fixed ids: <bos> starts every document, <eos> ends it (generation stops there),
 * <unk> stands for characters the vocabulary does not have (a prompt with a new letter still works).
 * The vocabulary is saved in the checkpoint as its token list; ids are list positions.
 */
import { AtelierError } from '../../../shared/errors';
import type { CheckpointHeader } from '../checkpoint';

export const BOS = '<bos>';
export const EOS = '<eos>';
export const UNK = '<unk>';
export const SPECIALS = [BOS, EOS, UNK] as const;

/** How a text checkpoint's header carries the vocabulary: the token list (no labels or tags). */
export type TextVocabHeader = CheckpointHeader['vocab'] & { tokens: string[] };

/** At most this many characters (the most frequent) get their own token; the rest become <unk>. */
export const MAX_CHARS = 1024;

export class CharVocab {
  readonly bos = 0;
  readonly eos = 1;
  readonly unk = 2;
  private readonly index: Map<string, number>;

  private constructor(readonly tokens: readonly string[]) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  /** Every character of `documents`, ordered by code point (most frequent MAX_CHARS if more). */
  static fromDocuments(documents: readonly string[], maxChars = MAX_CHARS): CharVocab {
    const counts = new Map<string, number>();
    for (const doc of documents) for (const ch of chars(doc)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    let kept = [...counts.keys()];
    if (kept.length > maxChars) {
      kept = kept.sort((a, b) => counts.get(b)! - counts.get(a)! || cmp(a, b)).slice(0, maxChars);
    }
    return new CharVocab([...SPECIALS, ...kept.sort(cmp)]);
  }

  /** The vocabulary saved in a checkpoint. */
  static fromTokens(tokens: readonly string[]): CharVocab {
    if (!Array.isArray(tokens) || SPECIALS.some((s, i) => tokens[i] !== s) || new Set(tokens).size !== tokens.length) {
      throw new AtelierError('invalid_input', 'The checkpoint has no usable character vocabulary.');
    }
    return new CharVocab([...tokens]);
  }

  /** The vocabulary of a checkpoint header (see header()). */
  static fromHeader(vocab: CheckpointHeader['vocab']): CharVocab {
    return CharVocab.fromTokens(vocab.tokens ?? []);
  }

  /** What a checkpoint header's `vocab` holds for this vocabulary. */
  header(): TextVocabHeader {
    return { labelNames: [], tagNames: [], tokens: [...this.tokens] };
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Ids of `text`'s characters (no <bos>/<eos>); unknown characters → <unk>. */
  encode(text: string): number[] {
    return chars(text).map((ch) => this.index.get(ch) ?? this.unk);
  }

  /** A document as the models see it: <bos> chars <eos>. */
  encodeDocument(text: string): number[] {
    return [this.bos, ...this.encode(text), this.eos];
  }

  /** Text of `ids`; <bos>/<eos> are dropped, <unk> shows as U+FFFD. */
  decode(ids: readonly number[]): string {
    let out = '';
    for (const id of ids) {
      if (id === this.bos || id === this.eos) continue;
      out += id === this.unk ? '\uFFFD' : (this.tokens[id] ?? '\uFFFD');
    }
    return out;
  }
}

function chars(text: string): string[] {
  return Array.from(text.normalize('NFC'));
}

function cmp(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}
