/**
 * What a result in Create is captioned with. The seed says where a new image or a variation came from;
 * an interpolation frame has no seed of its own (every frame of one request shares the form's), so it
 * says which two images it lies between and where: "#7 → #9 · 3/8". Pure, for unit tests.
 */

/** How the current results were asked for. */
export type ResultOrigin =
  | { mode: 'sample' }
  | { mode: 'variation'; of: number }
  | { mode: 'interpolate'; from: { id: number; seed: number }; to: { id: number; seed: number } };

export interface Caption {
  /** Short, under the thumbnail. */
  text: string;
  /** Longer, for the tooltip and the image's alt text. */
  title: string;
}

export function resultCaption(origin: ResultOrigin, item: { id: number; seed: number }, index: number, total: number): Caption {
  if (origin.mode === 'interpolate') {
    const { from, to } = origin;
    const frame = index + 1;
    const t = total > 1 ? index / (total - 1) : 0;
    return {
      text: `#${from.id} → #${to.id} · ${frame}/${total}`,
      title: `Frame ${frame} of ${total} between #${from.id} (seed ${from.seed}) and #${to.id} (seed ${to.seed}), ${Math.round(t * 100)}% of the way`,
    };
  }
  if (origin.mode === 'variation') {
    return { text: `seed ${item.seed} · of #${origin.of}`, title: `Variation of #${origin.of}, seed ${item.seed}` };
  }
  return { text: `seed ${item.seed}`, title: `Generation #${item.id}, seed ${item.seed}` };
}
