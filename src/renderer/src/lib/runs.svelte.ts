import type { CheckpointInfo, Run, RunDetail, RunPhase, StartTraining } from '../../../shared/contract';
import type { EventPayload } from '../../../shared/events';
import { api, errorMessage } from './api';
import { toasts } from './toasts.svelte';
import { appendPoint, type Point } from './runs-helpers';

export interface LiveNumbers {
  step: number;
  imgPerSec: number | null;
  etaMs: number | null;
  memory: { tensors: number; rssMb: number } | null;
  at: number;
}

export interface RunWarning {
  code: string;
  message: string | null;
  step: number;
}

/**
 * One run as the monitor sees it: the catalog's detail plus what arrived live since. The curves are
 * plain arrays (`$state.raw`) appended in place, with `tick` bumped so charts redraw without Svelte
 * proxying thousands of points.
 */
export class LiveRun {
  run = $state.raw<Run | null>(null);
  params = $state.raw<Record<string, unknown>>({});
  config = $state.raw<Record<string, unknown>>({});
  scalars = $state.raw<Record<string, Point[]>>({});
  grids = $state.raw<Array<{ step: number; file: string }>>([]);
  checkpoints = $state.raw<CheckpointInfo[]>([]);
  live = $state.raw<LiveNumbers | null>(null);
  warnings = $state.raw<RunWarning[]>([]);
  /** Status as the monitor knows it (pause/resume are not catalog statuses of the run). */
  status = $state<string>('queued');
  /** What the run is doing between steps (start-up, quality probe, final save), or null while stepping. */
  phase = $state.raw<RunPhase | null>(null);
  /** Finish was asked here: the final save is under way until the run's status changes. */
  finishing = $state(false);
  tick = $state(0);
  loaded = $state(false);
  error = $state<string | null>(null);

  constructor(readonly id: number) {}

  apply(detail: RunDetail): void {
    this.run = detail.run;
    this.params = detail.params;
    this.config = detail.config;
    // Copy: live points are appended to these arrays.
    this.scalars = Object.fromEntries(Object.entries(detail.scalars).map(([k, v]) => [k, v.map((p) => [p[0], p[1]] as Point)]));
    this.grids = detail.grids;
    this.checkpoints = detail.checkpoints;
    const byCode: Record<string, RunWarning> = Object.fromEntries(this.warnings.map((w) => [w.code, w]));
    for (const [name, pts] of Object.entries(detail.scalars)) {
      if (!name.startsWith('warning/') || pts.length === 0) continue;
      const code = name.slice('warning/'.length);
      byCode[code] ??= { code, message: null, step: pts[0]![0] };
    }
    this.warnings = Object.values(byCode).sort((a, b) => a.step - b.step);
    // Keep a local "paused" while the catalog still says running (the job, not the run, is paused).
    if (!(this.status === 'paused' && detail.run.status === 'running')) this.status = detail.run.status;
    this.phase = detail.run.status === 'running' ? (detail.run.phase ?? null) : null;
    if (detail.run.status !== 'running') this.finishing = false;
    if (this.live && this.live.step > detail.run.step && detail.run.status === 'running') {
      // Live events can be ahead of the row we just read; keep the newer numbers.
    } else if (this.live) {
      this.live = { ...this.live, step: detail.run.step };
    }
    this.loaded = true;
    this.error = null;
    this.tick++;
  }

  /** A newer row from runs.list: counters and status, keeping the live step if it is ahead. */
  applyRow(r: Run): void {
    if (!this.run || r.updatedAt < this.run.updatedAt) return;
    this.run = { ...r, step: Math.max(r.step, r.status === 'running' ? this.run.step : r.step) };
  }

  onStep(e: EventPayload<'run.step'>): void {
    const s = this.scalars;
    for (const [name, value] of Object.entries(e.losses)) appendPoint((s[`loss/${name}`] ??= []), e.step, value);
    appendPoint((s.imgPerSec ??= []), e.step, e.imgPerSec);
    this.live = { step: e.step, imgPerSec: e.imgPerSec, etaMs: e.etaMs, memory: e.memory, at: Date.now() };
    // A step in flight when pausing still lands: it does not mean the run resumed.
    if (this.status !== 'running' && this.status !== 'paused') this.status = 'running';
    this.phase = null;
    if (this.run && (e.step > this.run.step || (e.trainMs !== undefined && e.trainMs > this.run.trainMs))) {
      this.run = { ...this.run, step: Math.max(e.step, this.run.step), trainMs: Math.max(e.trainMs ?? 0, this.run.trainMs) };
    }
    this.tick++;
  }

  onUpdate(e: EventPayload<'run.update'>): boolean {
    let refetch = false;
    if (e.status) {
      this.status = e.status;
      if (e.status !== 'running' && e.status !== 'paused') {
        this.phase = null;
        this.finishing = false;
      }
      refetch = true;
    }
    if (e.phase !== undefined) this.phase = e.phase;
    if (e.grid) {
      const grid = e.grid;
      this.grids = [...this.grids.filter((g) => g.step < grid.step), grid];
      if (this.run) this.run = { ...this.run, latestGrid: grid.file };
    }
    if (e.checkpoint) refetch = true;
    if (e.warning) {
      const w = e.warning;
      this.warnings = [...this.warnings.filter((x) => x.code !== w.code), { code: w.code, message: w.message, step: w.step }].sort((a, b) => a.step - b.step);
      appendPoint((this.scalars[`warning/${w.code}`] ??= []), w.step, 1);
    }
    this.tick++;
    return refetch;
  }
}

/** A project's runs and the live state of the runs being watched. */
class RunsState {
  projectId = $state<number | null>(null);
  list = $state.raw<Run[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  private readonly watched = new Map<number, LiveRun>();
  private refetching = new Set<number>();
  /** Runs asked for again while a fetch was in flight (a quality measure landing mid-fetch must not be lost). */
  private refetchAgain = new Set<number>();

  constructor() {
    api.on('run.step', (e) => {
      this.watched.get(e.runId)?.onStep(e);
      this.patchListed(e.runId, { step: e.step, status: 'running', ...(e.trainMs !== undefined ? { trainMs: e.trainMs } : {}) });
    });
    api.on('run.update', (e) => {
      const live = this.watched.get(e.runId);
      if (live?.onUpdate(e)) void this.fetch(e.runId);
      // The row's counters (training time, best metric) move on; a grid is a cheap moment to reread them.
      if ((e.status || e.grid || e.checkpoint) && e.projectId === this.projectId) void this.refresh();
    });
    api.on('catalog.changed', (e) => {
      if ((e.entity === 'run' || e.entity === 'model') && (e.projectId === undefined || e.projectId === this.projectId)) {
        void this.refresh();
        if (e.id !== undefined && this.watched.has(e.id)) void this.fetch(e.id);
      }
    });
  }

  private patchListed(id: number, patch: Partial<Run>): void {
    const i = this.list.findIndex((r) => r.id === id);
    if (i < 0) return;
    const r = this.list[i]!;
    if (patch.step !== undefined && patch.step <= r.step && patch.status === r.status) return;
    // Live steps land after a pause too; they do not unpause the row.
    if (patch.step !== undefined && r.status === 'paused') patch = { ...patch, status: 'paused' };
    const copy = this.list.slice();
    copy[i] = { ...r, ...patch };
    this.list = copy;
  }

  async load(projectId: number): Promise<void> {
    if (this.projectId !== projectId) {
      this.projectId = projectId;
      this.list = [];
      this.loaded = false;
    }
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const projectId = this.projectId;
    if (projectId === null) return;
    try {
      const list = await api.call('runs.list', { projectId });
      if (projectId !== this.projectId) return;
      // A paused run is still 'running' in the catalog (its job is what pauses): show what the monitor knows.
      this.list = list.map((r) => (r.status === 'running' && this.watched.get(r.id)?.status === 'paused' ? { ...r, status: 'paused' as const } : r));
      for (const r of list) this.watched.get(r.id)?.applyRow(r);
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  /** The live state of one run, fetched on first use and kept current by events. */
  watch(id: number): LiveRun {
    let live = this.watched.get(id);
    if (!live) {
      live = new LiveRun(id);
      this.watched.set(id, live);
      void this.fetch(id);
    }
    return live;
  }

  async fetch(id: number): Promise<void> {
    const live = this.watched.get(id);
    if (!live) return;
    if (this.refetching.has(id)) {
      this.refetchAgain.add(id);
      return;
    }
    this.refetching.add(id);
    try {
      do {
        this.refetchAgain.delete(id);
        live.apply(await api.call('runs.get', { id }));
      } while (this.refetchAgain.has(id));
    } catch (err) {
      live.error = errorMessage(err);
    } finally {
      this.refetching.delete(id);
      this.refetchAgain.delete(id);
    }
  }

  async start(input: StartTraining): Promise<Run | null> {
    try {
      const run = await api.call('runs.start', input);
      await this.refresh();
      return run;
    } catch (err) {
      toasts.error(errorMessage(err));
      return null;
    }
  }

  async control(id: number, action: 'pause' | 'resume' | 'finish' | 'cancel'): Promise<boolean> {
    try {
      await api.call('runs.control', { id, action });
      const live = this.watched.get(id);
      if (live && action === 'finish') live.finishing = true;
      if (live && action === 'pause') live.status = 'paused';
      if (live && action === 'resume') live.status = 'running';
      if (action === 'pause' || action === 'resume') this.patchListed(id, { status: action === 'pause' ? 'paused' : 'running' });
      return true;
    } catch (err) {
      toasts.error(errorMessage(err));
      return false;
    }
  }

  /** Continue an interrupted (or finished) run from its last good checkpoint. */
  async resume(id: number, length?: { steps: number } | { minutes: number }): Promise<boolean> {
    try {
      const run = await api.call('runs.resume', length ? { id, length } : { id });
      const live = this.watched.get(id);
      if (live) {
        live.status = run.status;
        await this.fetch(id);
      }
      await this.refresh();
      return true;
    } catch (err) {
      toasts.error(errorMessage(err));
      return false;
    }
  }
}

export const runs = new RunsState();
