/**
 * The prompt language of Create, shared by the editor (live feedback as you type), the engine and the
 * CLI, so all three read a prompt the same way.
 *
 *   cat face:0.7, dog face:0.3, smiling
 *
 * A prompt is comma- (or newline-) separated terms; each term is text with an optional `:weight`
 * (default 1). A term that names one of the model's labels or tags (case, spaces, `_` and `-` don't
 * matter) is used as is. Free text ("a smiling cat face") is matched word by word against the model's
 * vocabulary, longest phrase first; words that match nothing are flagged as unknown (small words like
 * "a" and "the" are ignored). Nothing here imports node or the DOM.
 */

export interface PromptVocab {
  labels: readonly string[];
  tags: readonly string[];
}

export type MatchKind = 'label' | 'tag';

/** A stretch of the prompt text and what it became. `start`/`end` index the original string. */
export interface PromptSpan {
  text: string;
  start: number;
  end: number;
  weight: number;
  /** exact: the whole term names a label/tag; phrase: found inside free text; unknown: matched nothing; ignored: a stop word. */
  status: 'exact' | 'phrase' | 'unknown' | 'ignored';
  match: { kind: MatchKind; name: string } | null;
}

export interface ParsedPrompt {
  spans: PromptSpan[];
  /** Weights by label / tag name, ready for the sampler's condition. */
  labels: Record<string, number>;
  tags: Record<string, number>;
  /** Words that matched nothing, in order, without duplicates. */
  unknown: string[];
  /** Problems with the syntax itself (e.g. a weight that is not a number). */
  errors: string[];
}

export const MAX_PROMPT_LENGTH = 2000;
export const MAX_WEIGHT = 10;

const STOP_WORDS = new Set(['a', 'an', 'the', 'of', 'with', 'and', 'in', 'on', 'at', 'to', 'some', 'very', 'is', 'that', 'this', 'by', 'for', 'from']);

/** Lower-case, `_`/`-` as spaces, single spaces: the form names are compared in. */
export function normalizeTerm(s: string): string {
  return s
    .toLowerCase()
    .replace(/[_-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

interface Entry {
  kind: MatchKind;
  name: string;
  words: string[];
}

function vocabIndex(vocab: PromptVocab): Map<string, Entry> {
  const index = new Map<string, Entry>();
  // Labels win over tags of the same name: a label is what a conditional model was trained to draw.
  for (const name of vocab.tags) index.set(normalizeTerm(name), { kind: 'tag', name, words: normalizeTerm(name).split(' ') });
  for (const name of vocab.labels) index.set(normalizeTerm(name), { kind: 'label', name, words: normalizeTerm(name).split(' ') });
  // Plural-insensitive lookups ("cats" → "cat"), only where they don't collide with a real name.
  for (const [key, e] of [...index]) {
    for (const alt of [`${key}s`, `${key}es`, key.replace(/s$/, '')]) if (alt && !index.has(alt)) index.set(alt, e);
  }
  return index;
}

/** Split on commas/newlines (keeping offsets), then `text:weight`. */
function splitTerms(prompt: string): Array<{ text: string; start: number; weight: number; weightError: string | null }> {
  const out: Array<{ text: string; start: number; weight: number; weightError: string | null }> = [];
  const re = /[^,\n;]+/g;
  for (let m = re.exec(prompt); m; m = re.exec(prompt)) {
    let raw = m[0];
    let start = m.index;
    // Trim, keeping the offset of the first kept character.
    const lead = raw.length - raw.trimStart().length;
    start += lead;
    raw = raw.trim();
    if (!raw) continue;
    let weight = 1;
    let weightError: string | null = null;
    // Optional parentheses: (cat face:1.2)
    let body = raw;
    let bodyStart = start;
    if (body.startsWith('(') && body.endsWith(')')) {
      body = body.slice(1, -1).trim();
      bodyStart += raw.indexOf(body);
    }
    const colon = body.lastIndexOf(':');
    if (colon >= 0) {
      const w = body.slice(colon + 1).trim();
      const n = Number(w);
      if (w === '' || !Number.isFinite(n)) weightError = `"${w}" is not a weight (use a number, e.g. cat face:0.7).`;
      else if (Math.abs(n) > MAX_WEIGHT) weightError = `Weights are limited to ±${MAX_WEIGHT}; "${body}" was clamped.`;
      weight = Number.isFinite(n) && w !== '' ? Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, n)) : 1;
      body = body.slice(0, colon).trimEnd();
    }
    if (body) out.push({ text: body, start: bodyStart, weight, weightError });
    else if (weightError) out.push({ text: '', start: bodyStart, weight, weightError });
  }
  return out;
}

function add(target: Record<string, number>, name: string, w: number): void {
  target[name] = Math.round(((target[name] ?? 0) + w) * 1e6) / 1e6;
}

export function parsePrompt(prompt: string, vocab: PromptVocab): ParsedPrompt {
  const text = prompt.slice(0, MAX_PROMPT_LENGTH);
  const index = vocabIndex(vocab);
  const maxWords = Math.max(1, ...[...index.values()].map((e) => e.words.length));
  const result: ParsedPrompt = { spans: [], labels: {}, tags: {}, unknown: [], errors: [] };
  const unknown = new Set<string>();

  for (const term of splitTerms(text)) {
    if (term.weightError) result.errors.push(term.weightError);
    if (!term.text) continue;
    const whole = index.get(normalizeTerm(term.text));
    if (whole) {
      result.spans.push({ text: term.text, start: term.start, end: term.start + term.text.length, weight: term.weight, status: 'exact', match: { kind: whole.kind, name: whole.name } });
      add(whole.kind === 'label' ? result.labels : result.tags, whole.name, term.weight);
      continue;
    }
    // Free text: words with their offsets, then greedy longest-phrase matching.
    const words: Array<{ w: string; start: number; end: number }> = [];
    const wre = /[\p{L}\p{N}_'-]+/gu;
    for (let m = wre.exec(term.text); m; m = wre.exec(term.text)) words.push({ w: m[0], start: term.start + m.index, end: term.start + m.index + m[0].length });
    let i = 0;
    while (i < words.length) {
      let matched = false;
      for (let n = Math.min(maxWords, words.length - i); n >= 1; n--) {
        const phrase = normalizeTerm(words.slice(i, i + n).map((x) => x.w).join(' '));
        const e = index.get(phrase);
        if (!e) continue;
        const start = words[i]!.start;
        const end = words[i + n - 1]!.end;
        result.spans.push({ text: text.slice(start, end), start, end, weight: term.weight, status: 'phrase', match: { kind: e.kind, name: e.name } });
        add(e.kind === 'label' ? result.labels : result.tags, e.name, term.weight);
        i += n;
        matched = true;
        break;
      }
      if (matched) continue;
      const word = words[i]!;
      const stop = STOP_WORDS.has(word.w.toLowerCase());
      result.spans.push({ text: word.w, start: word.start, end: word.end, weight: term.weight, status: stop ? 'ignored' : 'unknown', match: null });
      if (!stop) unknown.add(word.w.toLowerCase());
      i++;
    }
  }
  result.unknown = [...unknown];
  return result;
}

/** The condition part of a parse, as the sampler wants it (empty maps dropped). */
export function promptCondition(parsed: ParsedPrompt): { labels?: Record<string, number>; tags?: Record<string, number> } {
  const out: { labels?: Record<string, number>; tags?: Record<string, number> } = {};
  if (Object.keys(parsed.labels).length) out.labels = parsed.labels;
  if (Object.keys(parsed.tags).length) out.tags = parsed.tags;
  return out;
}
