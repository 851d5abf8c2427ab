/**
 * The fine-tuning benchmark's results as Markdown: per target set, a reference row for the target's own
 * images and for the untrained base, then one row per arm (scratch, each fine-tuning setting) with the
 * ruler against the target, the memorised rate, the ruler against the base's own data, and whether the
 * arm beats training from scratch.
 */
import { runsAndAttribution } from '../bench-quality/cli.mjs';
const f = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

/**
 * Does a fine-tuned arm beat scratch on the external ruler (against the target): lower KID in the learned
 * and the random-conv spaces (random-conv alone when the ruler has no learned space)? null when either
 * side has no score.
 */
export function beatsScratch(arm, scratch) {
  const a = arm?.vsTarget;
  const s = scratch?.vsTarget;
  if (!a || !s) return null;
  if (a.kid_learned === undefined || s.kid_learned === undefined) return a.kid_randconv < s.kid_randconv;
  return a.kid_learned < s.kid_learned && a.kid_randconv < s.kid_randconv;
}

const yesNo = (v) => (v === null || v === undefined ? '—' : v ? 'yes' : 'no');

function row(set, label, steps, t, b, beats, err = '') {
  const target = t ? `${f(t.kid_pixels)} / ${f(t.kid_randconv)} / ${f(t.kid_learned)}` : '—';
  const mem = t ? f(t.memorised, 3) : '—';
  const base = b ? `${f(b.kid_randconv)} / ${f(b.kid_learned)}` : '—';
  return `| ${set} | ${label} | ${steps ?? '—'} | ${target} | ${mem} | ${base} | ${beats}${err} |`;
}

/** One table for every target: `targets` as the benchmark keeps them (see bench-finetune.mjs). */
export function resultsTable(targets) {
  const lines = [
    '| set | arm | steps | KID vs target: pixels / random-conv / learned | memorised | KID vs base data: random-conv / learned | beats scratch? |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const t of targets) {
    const name = `${t.set} (${t.variant})`;
    if (t.error) {
      lines.push(`| ${name} | ⚠ ${t.error.split('\n')[0].slice(0, 100)} | | | | | |`);
      continue;
    }
    lines.push(row(name, 'target images (reference)', null, null, t.realVsBase, '—'));
    lines.push(row(name, 'base, untrained (reference)', t.base?.step, t.base?.vsTarget, t.base?.vsBase, '—'));
    const scratch = t.arms.find((a) => a.kind === 'scratch');
    for (const a of t.arms) {
      const err = a.error ? ` ⚠ ${a.error.split('\n')[0].slice(0, 80)}` : '';
      lines.push(row(name, a.label, a.steps, a.vsTarget, a.vsBase, a.kind === 'scratch' ? '—' : yesNo(beatsScratch(a, scratch)), err));
    }
  }
  return lines.join('\n');
}

/** Per fine-tuning arm: on how many sets it beats scratch. */
export function summaryLines(targets, armSpecs, minutes, learned) {
  const lines = [];
  if (!armSpecs.some((a) => a.kind === 'scratch')) return ['No scratch arm: nothing to compare the fine-tuned arms with.'];
  for (const spec of armSpecs.filter((a) => a.kind === 'finetune')) {
    const judged = [];
    for (const t of targets) {
      const arm = t.arms?.find((a) => a.key === spec.key);
      const verdict = beatsScratch(arm, t.arms?.find((a) => a.kind === 'scratch'));
      if (verdict !== null) judged.push([t.set, verdict]);
    }
    const won = judged.filter(([, v]) => v).map(([s]) => s);
    lines.push(
      `**${spec.label}** beats scratch at ${minutes} min on ${won.length} of ${judged.length} set(s)${won.length ? ` (${won.join(', ')})` : ''} ` +
        `(lower KID against the target in ${learned ? 'the learned and the random-conv spaces' : 'the random-conv space (no learned space: featnet.pt missing)'}).`,
    );
  }
  return lines;
}

export function markdown({ targets, armSpecs, minutes, learned, settings, notes, attributions }) {
  return [
    '# Fine-tuning from the base vs training from scratch',
    '',
    settings,
    '',
    resultsTable(targets),
    '',
    ...summaryLines(targets, armSpecs, minutes, learned).map((l) => `- ${l}`),
    '',
    'How to read it: KID ×10³, lower is closer. "vs target" is the external ruler against the target set\'s images; ' +
      '"memorised" is the share of samples nearer to a target image than half the median real-to-real nearest distance. ' +
      '"vs base data" is the same ruler against 400 of the base\'s own training images: samples that look like the new data ' +
      'score near the "target images" row there, samples that still look like the base score near the "base, untrained" row.',
    '',
    ...runsAndAttribution(notes, attributions),
  ].join('\n');
}
