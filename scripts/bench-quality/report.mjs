/**
 * The quality benchmark's results as Markdown: one row per set × variant (the peer's and Atelier's KID
 * in the ruler's spaces, their ratios, the minutes Atelier needs to reach the peer's final score), then
 * Atelier's curve per checkpoint, the run notes and the data attributions.
 */
import { runsAndAttribution } from './cli.mjs';
export const GOAL_RATIO = 1 / 3;

const f = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const mins = (v) => (v === null || v === undefined ? '—' : `${Number(v.toFixed(2))}`);

/** Atelier / peer; null when the peer's KID is not positive (the ratio would say nothing). */
export function ratio(atelier, peer) {
  if (atelier === null || atelier === undefined || peer === null || peer === undefined || !(peer > 0)) return null;
  return atelier / peer;
}

/**
 * Does this row meet the goal (ratio ≤ ⅓ in the learned and the random-conv spaces)? null when it cannot
 * be judged (no peer, or no score). Without the learned space (featnet.pt absent) it is judged on
 * random-conv alone, and the row says so.
 */
export function meetsGoal(row) {
  if (!row.peer?.score || !row.atelier?.final?.score) return null;
  const r = row.ratios;
  if (r.randconv === null) return null;
  if (row.peer.score.kid_learned === undefined) return r.randconv <= GOAL_RATIO;
  if (r.learned === null) return null;
  return r.learned <= GOAL_RATIO && r.randconv <= GOAL_RATIO;
}

function pair(peer, atelier, r) {
  return `${f(peer)} → ${f(atelier)}${r === null || r === undefined ? '' : ` (${f(r, 2)})`}`;
}

export function resultsTable(rows, minutes) {
  // --adherence: a column with the conditional rows' prompt adherence beside their KID.
  const withAdherence = rows.some((r) => r.atelier?.final?.adherence);
  const lines = [
    `| set | variant | KID learned: peer → Atelier (ratio) | KID randconv: peer → Atelier (ratio) | KID pixels: peer → Atelier | memorised peer / Atelier | Atelier min to peer's ${mins(minutes)}-min score | steps (images) peer / Atelier | ≤ ⅓ |${withAdherence ? ' Atelier adherence (real / chance) |' : ''}`,
    `|---|---|---|---|---|---|---|---|---|${withAdherence ? '---|' : ''}`,
  ];
  for (const row of rows) {
    const p = row.peer?.score ?? {};
    const a = row.atelier?.final?.score ?? {};
    const goal = row.goal === null ? 'n/a' : row.goal ? 'yes' : 'no';
    const toPeer = row.minutesToPeer === undefined ? '—' : row.minutesToPeer === null ? `> ${mins(row.atelier?.final?.minutes ?? minutes)}` : mins(row.minutesToPeer);
    const steps = `${row.peer?.steps ?? '—'} (${row.peer?.imagesSeen ?? '—'}) / ${row.atelier?.steps ?? '—'} (${row.atelier?.imagesSeen ?? '—'})`;
    const err = row.error ? ` ⚠ ${row.error.split('\n')[0].slice(0, 80)}` : '';
    lines.push(
      `| ${row.set} | ${row.variant} | ${pair(p.kid_learned, a.kid_learned, row.ratios?.learned)} | ${pair(p.kid_randconv, a.kid_randconv, row.ratios?.randconv)} | ${f(p.kid_pixels)} → ${f(a.kid_pixels)} | ${f(p.memorised, 3)} / ${f(a.memorised, 3)} | ${toPeer} | ${steps} | ${goal}${err} |` +
        (withAdherence ? ` ${adherenceCell(row.atelier?.final?.adherence)} |` : ''),
    );
  }
  return lines.join('\n');
}

/** Atelier's KID (learned / randconv) at each checkpoint, one line per row. */
export function curveTable(rows) {
  const withCurve = rows.filter((r) => r.atelier?.marks?.length);
  if (withCurve.length === 0) return '';
  const lines = ['| set | variant | Atelier KID learned / randconv at each checkpoint (training minutes) |', '|---|---|---|'];
  for (const row of withCurve) {
    const cells = row.atelier.marks.map((m) => `${mins(m.minutes)}′: ${f(m.score?.kid_learned)} / ${f(m.score?.kid_randconv)}`);
    lines.push(`| ${row.set} | ${row.variant} | ${cells.join(' · ')} |`);
  }
  return lines.join('\n');
}

export function goalLine(rows) {
  const judged = rows.filter((r) => r.goal !== null);
  const met = judged.filter((r) => r.goal).length;
  const learnedMissing = judged.some((r) => r.peer?.score && r.peer.score.kid_learned === undefined);
  return `${met} of ${judged.length} sets meet the ≤ ⅓ goal (Atelier's KID at most a third of the peer's, learned and random-conv spaces)${learnedMissing ? ' [learned space unavailable: judged on random-conv alone]' : ''}${judged.length < rows.length ? `; ${rows.length - judged.length} row(s) could not be judged` : ''}.`;
}

export function markdown({ rows, settings, notes, attributions }) {
  return [
    `# Atelier vs the PyTorch DCGAN peer: sample quality`,
    '',
    `${settings}`,
    '',
    resultsTable(rows, rowsMinutes(rows)),
    '',
    goalLine(rows),
    '',
    curveTable(rows) ? `## Atelier's curve\n\n${curveTable(rows)}\n` : '',
    adherenceTable(rows) ? `## Prompt adherence (conditional rows)\n\n${adherenceTable(rows)}\n` : '',
    ...runsAndAttribution(notes, attributions),
  ].join('\n');
}

function rowsMinutes(rows) {
  return rows.find((r) => r.minutes !== undefined)?.minutes ?? null;
}

// ------------------------------------------------------------------------------------ prompt adherence

/** Adherence goal (issue 15): samples classified right at least 5× chance, within 20 points of real images. */
export const ADHERENCE_GOAL = { timesChance: 5, withinReal: 0.2 };

/**
 * The quality probe's prompt adherence at `step`, from a run's curves (`runs show --json`'s scalars):
 * { mean, real, chance, perLabel: { label: { samples, real } }, goal }, or null when that checkpoint has
 * none (an unconditional model, or data without two labels of enough images).
 */
export function adherenceFrom(scalars, step) {
  const at = (name) => {
    const p = (scalars[name] ?? []).find(([s]) => s === step);
    return p ? p[1] : null;
  };
  const mean = at('metric/adherence');
  if (mean === null) return null;
  const perLabel = {};
  for (const name of Object.keys(scalars).sort()) {
    if (!name.startsWith('metric/adherence/')) continue;
    const label = name.slice('metric/adherence/'.length);
    const samples = at(name);
    if (samples !== null) perLabel[label] = { samples, real: at(`metric/adherenceReal/${label}`) };
  }
  const real = at('metric/adherenceReal');
  const chance = at('metric/adherenceChance');
  const goal = real === null || chance === null ? null : mean >= ADHERENCE_GOAL.timesChance * chance && mean >= real - ADHERENCE_GOAL.withinReal;
  return { mean, real, chance, perLabel, goal };
}

const pct = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${Math.round(v * 100)} %`);

function adherenceCell(a) {
  if (!a) return '—';
  return `${pct(a.mean)} (${pct(a.real)} / ${pct(a.chance)})${a.goal === null ? '' : a.goal ? ' ✓' : ' ✗'}`;
}

/**
 * Per-label adherence of the conditional rows' final checkpoints: the share of samples prompted with each
 * label that the probe's classifier assigns to it, beside the classifier's accuracy on held-out real
 * images of that label; '' when no row has any.
 */
export function adherenceTable(rows) {
  const withA = rows.filter((r) => r.atelier?.final?.adherence);
  if (withA.length === 0) return '';
  const lines = [
    `| set | variant | label | samples classified as the label | real held-out images |`,
    '|---|---|---|---|---|',
  ];
  for (const row of withA) {
    const a = row.atelier.final.adherence;
    for (const [label, v] of Object.entries(a.perLabel)) lines.push(`| ${row.set} | ${row.variant} | ${label} | ${pct(v.samples)} | ${pct(v.real)} |`);
    lines.push(`| ${row.set} | ${row.variant} | **mean** (chance ${pct(a.chance)}) | **${pct(a.mean)}** | **${pct(a.real)}** |`);
  }
  const judged = withA.filter((r) => r.atelier.final.adherence.goal !== null);
  const met = judged.filter((r) => r.atelier.final.adherence.goal).length;
  lines.push(
    '',
    `${met} of ${judged.length} conditional rows meet the adherence goal (samples classified right at least ${ADHERENCE_GOAL.timesChance}× chance and within ${Math.round(ADHERENCE_GOAL.withinReal * 100)} points of the classifier on real held-out images).`,
  );
  return lines.join('\n');
}
