/**
 * Diversity of generated text: distinct-n (Li et al. 2016), the number of distinct n-grams divided by
 * the number of n-grams, over all texts together. 1 = no n-gram repeats; near 0 = the same few
 * n-grams again and again (low temperature, mode collapse).
 *
 * Units: characters by default (our models write short names, where word bigrams are too few to
 * count), or whitespace-separated words as in the paper. Texts shorter than n contribute nothing;
 * with no n-grams at all the result is 0.
 */
export function distinctN(texts: readonly string[], n: number, unit: 'char' | 'word' = 'char'): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`n must be a positive integer, got ${n}`);
  const seen = new Set<string>();
  let total = 0;
  for (const text of texts) {
    const units = unit === 'char' ? Array.from(text) : text.split(/\s+/).filter(Boolean);
    for (let i = 0; i + n <= units.length; i++) {
      seen.add(units.slice(i, i + n).join(unit === 'char' ? '' : ' '));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}
