/**
 * Completing the prompt as it is typed, from the words a conditional model knows (its labels and
 * tags). Pure functions of the text and the caret, for the prompt editor and its unit tests.
 */
import { normalizeTerm, type PromptVocab } from '../../../shared/prompt';

export interface Completion {
  name: string;
  kind: 'label' | 'tag';
}

/** The stretch of the prompt a completion replaces: [start, end) of the original text. */
export interface TypedWord {
  start: number;
  end: number;
  text: string;
}

const SEPARATORS = /[,\n;]/;

/**
 * What is being typed at `caret`: the term's text from its start up to the caret (the whole term may
 * name a label, "cat fa|"), and the last word alone (free text, "a smiling ca|"). Null when the caret
 * is in a weight (after ':') or at the start of an empty term.
 */
export function typedAt(prompt: string, caret: number): { term: TypedWord; word: TypedWord } | null {
  let start = caret;
  while (start > 0 && !SEPARATORS.test(prompt[start - 1]!)) start--;
  const before = prompt.slice(start, caret);
  if (before.includes(':')) return null;
  const lead = before.length - before.replace(/^[\s(]+/, '').length;
  const termText = before.slice(lead);
  if (!termText.trim() || /\s$/.test(termText)) return null;
  const m = /[\p{L}\p{N}_'-]+$/u.exec(termText);
  if (!m) return null;
  const term = { start: start + lead, end: caret, text: termText };
  const word = { start: caret - m[0].length, end: caret, text: m[0] };
  return { term, word };
}

/**
 * Names that complete `typed` (labels first, then tags; a name starting with it before one where only
 * a later word does; then shorter, then alphabetical). A name typed out in full is not offered again.
 */
export function completions(typed: string, vocab: PromptVocab, limit = 8): Completion[] {
  const q = normalizeTerm(typed);
  if (!q) return [];
  const scored: Array<{ c: Completion; rank: number }> = [];
  const seen = new Set<string>();
  const consider = (name: string, kind: 'label' | 'tag') => {
    const n = normalizeTerm(name);
    if (n === q || seen.has(n)) return;
    let rank: number;
    if (n.startsWith(q)) rank = 0;
    else if (n.split(' ').some((w) => w.startsWith(q))) rank = 1;
    else return;
    seen.add(n);
    scored.push({ c: { name, kind }, rank: rank + (kind === 'tag' ? 2 : 0) });
  };
  for (const l of vocab.labels) consider(l, 'label');
  for (const t of vocab.tags) consider(t, 'tag');
  return scored
    .sort((a, b) => a.rank - b.rank || a.c.name.length - b.c.name.length || a.c.name.localeCompare(b.c.name))
    .slice(0, limit)
    .map((x) => x.c);
}

/** Completions for the caret: for the whole term first, else for its last word. */
export function completionsAt(prompt: string, caret: number, vocab: PromptVocab, limit = 8): { replace: TypedWord; items: Completion[] } | null {
  const at = typedAt(prompt, caret);
  if (!at) return null;
  const whole = completions(at.term.text, vocab, limit);
  if (whole.length) return { replace: at.term, items: whole };
  if (at.word.start === at.term.start) return null;
  const last = completions(at.word.text, vocab, limit);
  return last.length ? { replace: at.word, items: last } : null;
}

/** The prompt with `replace` swapped for `name`, and where the caret goes (after it). */
export function applyCompletion(prompt: string, replace: TypedWord, name: string): { value: string; caret: number } {
  // Finish the word the caret was in ("ca|t" → the whole "cat" is replaced).
  let end = replace.end;
  while (end < prompt.length && /[\p{L}\p{N}_'-]/u.test(prompt[end]!)) end++;
  const value = prompt.slice(0, replace.start) + name + prompt.slice(end);
  return { value, caret: replace.start + name.length };
}
