/**
 * Which models a prompt steers, which model to propose for a dataset, and which checkpoints a run may
 * start from: one rule for the Train form, the CLI (`atelier train`), the engine and Create. Nothing here
 * imports node or the DOM.
 */

/** Families whose generator takes labels and tags as input. The others ignore any prompt. */
export const CONDITIONAL_FAMILIES: readonly string[] = ['cgan'];

export function isConditionalFamily(family: string): boolean {
  return CONDITIONAL_FAMILIES.includes(family);
}

/** What the proposal looks at: a dataset's labels (with their image counts) and its usable tags. */
export interface ConditioningSignal {
  labels: ReadonlyArray<{ count: number }>;
  /** Tags found on at least two images (dataset.tagCount). Captions are no model input (training reads labels and tags), so they do not count. */
  tagCount?: number;
}

/**
 * The image family proposed for a dataset: the conditional model ('cgan') when it has something to
 * condition on — at least two labels that have images (subfolders), or a tag on at least two images —
 * so that the prompt steers; otherwise the small-data GAN ('default'). One label alone steers nothing.
 */
export function proposedImageFamily(d: ConditioningSignal): 'cgan' | 'default' {
  const labels = d.labels.filter((l) => l.count > 0).length;
  return labels >= 2 || (d.tagCount ?? 0) > 0 ? 'cgan' : 'default';
}

/**
 * Whether a `family` run can start from a `parent` family's checkpoint: the same family, or the
 * small-data GAN and its conditional twin (the session copies what fits and grows the condition
 * tables). Any other pair would share almost no weights: a fresh model mislabelled as fine-tuned.
 */
export function canFineTune(parent: string, family: string): boolean {
  if (parent === family) return true;
  const twins = new Set(['default', 'cgan']);
  return twins.has(parent) && twins.has(family);
}
