/**
 * A scrubber over a list that grows while it is shown (a run's sample grids, a text run's samples): it
 * follows the newest entry until the user picks an earlier one, and picking the last one follows again.
 */
export class FollowNewest {
  /** The picked index; null: follow the newest. */
  picked = $state<number | null>(null);
  private readonly count: () => number;

  /** `count` is read reactively (e.g. `() => grids.length` from a component's props). */
  constructor(count: () => number) {
    this.count = count;
  }

  get last(): number {
    return Math.max(0, this.count() - 1);
  }

  /** The index shown: the picked one (clamped to the list), or the newest. */
  get index(): number {
    return this.picked === null ? this.last : Math.min(this.picked, this.last);
  }

  pick(i: number): void {
    this.picked = i >= this.last ? null : i;
  }

  /** `oninput` of a range input over the list's indices. */
  readonly scrub = (e: Event): void => {
    this.pick(Number((e.currentTarget as HTMLInputElement).value));
  };
}
