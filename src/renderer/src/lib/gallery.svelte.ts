import type { Board, GalleryFacets, GalleryFilterInput, GalleryItem, Generation } from '../../../shared/contract';
import { api, errorMessage } from './api';
import { toasts } from './toasts.svelte';

const PAGE = 120;

export type GalleryFilters = Omit<GalleryFilterInput, 'projectId'>;

/**
 * The gallery of one project: a filter, the total it matches, and pages of items loaded as the grid
 * scrolls to them (so 10,000 generations cost one small query per screenful). Selection is by id.
 */
class GalleryState {
  projectId = $state<number | null>(null);
  filters = $state<GalleryFilters>({});
  total = $state(0);
  /** index → item, filled page by page. */
  items = $state<Record<number, GalleryItem>>({});
  loaded = $state(false);
  error = $state<string | null>(null);
  selected = $state<Set<number>>(new Set());
  anchor = $state<number | null>(null);
  boards = $state<Board[]>([]);
  facets = $state<GalleryFacets | null>(null);
  detail = $state<Generation | null>(null);
  /** Undo for the last trash: the ids it moved. */
  lastTrashed = $state<number[] | null>(null);

  private pages = new Map<number, Promise<void>>();
  private generation = 0;

  constructor() {
    api.on('catalog.changed', (e) => {
      if (this.projectId === null || e.projectId !== this.projectId) return;
      if (e.entity === 'generation' || e.entity === 'board') this.scheduleRefresh();
    });
  }

  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, 150);
  }

  async open(projectId: number): Promise<void> {
    if (this.projectId !== projectId) {
      this.projectId = projectId;
      this.filters = {};
      this.selected = new Set();
      this.detail = null;
    }
    await this.refresh();
  }

  setFilters(patch: GalleryFilters): void {
    this.filters = { ...this.filters, ...patch };
    this.selected = new Set();
    void this.refresh();
  }

  /** Reload the count, boards, facets and the pages in view. */
  async refresh(): Promise<void> {
    if (this.projectId === null) return;
    const projectId = this.projectId;
    const gen = ++this.generation;
    try {
      const [first, boards, facets] = await Promise.all([
        api.call('gallery.list', { projectId, ...this.filters, offset: 0, limit: PAGE }),
        api.call('boards.list', { projectId }),
        api.call('gallery.facets', { projectId }),
      ]);
      if (gen !== this.generation) return;
      this.pages.clear();
      const items: Record<number, GalleryItem> = {};
      first.items.forEach((it, i) => (items[i] = it));
      this.items = items;
      this.total = first.total;
      this.pages.set(0, Promise.resolve());
      this.boards = boards;
      this.facets = facets;
      this.error = null;
      if (this.detail) {
        const id = this.detail.id;
        this.detail = await api.call('gallery.get', { id }).catch(() => null);
      }
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  /** The grid shows [start, end): make sure those pages are loaded. */
  ensureRange(start: number, end: number): void {
    if (this.projectId === null) return;
    for (let p = Math.floor(start / PAGE) * PAGE; p < end; p += PAGE) {
      if (this.pages.has(p)) continue;
      const gen = this.generation;
      const projectId = this.projectId;
      this.pages.set(
        p,
        api.call('gallery.list', { projectId, ...this.filters, offset: p, limit: PAGE }).then(
          (page) => {
            if (gen !== this.generation) return;
            const next = { ...this.items };
            page.items.forEach((it, i) => (next[p + i] = it));
            this.items = next;
            this.total = page.total;
          },
          () => void this.pages.delete(p),
        ),
      );
    }
  }

  idAt(index: number): number | undefined {
    return this.items[index]?.id;
  }

  select(index: number, how: { shift: boolean; toggle: boolean }): void {
    const id = this.idAt(index);
    if (id === undefined) return;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built then assigned whole: the state is the reference
    const next = new Set(how.toggle || how.shift ? this.selected : []);
    if (how.shift && this.anchor !== null) {
      const a = Math.min(this.anchor, index);
      const b = Math.max(this.anchor, index);
      for (let i = a; i <= b; i++) {
        const x = this.idAt(i);
        if (x !== undefined) next.add(x);
      }
    } else if (how.toggle && next.has(id)) next.delete(id);
    else next.add(id);
    if (!how.shift) this.anchor = index;
    this.selected = next;
    if (!how.shift && !how.toggle) void this.show(id);
  }

  async selectAll(): Promise<void> {
    if (this.projectId === null) return;
    const ids = await api.call('gallery.ids', { projectId: this.projectId, ...this.filters });
    this.selected = new Set(ids);
  }

  clearSelection(): void {
    this.selected = new Set();
  }

  async show(id: number): Promise<void> {
    try {
      this.detail = await api.call('gallery.get', { id });
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }

  /** The ids an action applies to: the selection, else the item in the detail panel. */
  targets(): number[] {
    if (this.selected.size) return [...this.selected];
    return this.detail ? [this.detail.id] : [];
  }

  private async act(fn: () => Promise<unknown>, message?: string): Promise<boolean> {
    try {
      await fn();
      if (message) toasts.info(message);
      await this.refresh();
      return true;
    } catch (err) {
      toasts.error(errorMessage(err));
      return false;
    }
  }

  star(ids: number[], starred: boolean): Promise<boolean> {
    return this.act(() => api.call('gallery.star', { ids, starred }));
  }

  tag(ids: number[], add: string[], remove: string[] = []): Promise<boolean> {
    return this.act(() => api.call('gallery.tag', { ids, add, remove }));
  }

  async trash(ids: number[]): Promise<void> {
    if (await this.act(() => api.call('gallery.trash', { ids }), `Moved ${ids.length} to the trash.`)) {
      this.lastTrashed = ids;
      this.selected = new Set();
      if (this.detail && ids.includes(this.detail.id) && !this.filters.trashed) this.detail = null;
    }
  }

  async undoTrash(): Promise<void> {
    const ids = this.lastTrashed;
    if (!ids) return;
    this.lastTrashed = null;
    await this.restore(ids);
  }

  async restore(ids: number[]): Promise<void> {
    if (await this.act(() => api.call('gallery.restore', { ids }), `Restored ${ids.length}.`)) {
      this.selected = new Set();
      if (this.detail && ids.includes(this.detail.id) && this.filters.trashed) this.detail = null;
    }
  }

  async emptyTrash(): Promise<void> {
    if (this.projectId === null) return;
    const projectId = this.projectId;
    let removed = 0;
    await this.act(async () => ({ removed } = await api.call('gallery.emptyTrash', { projectId })));
    toasts.info(`Deleted ${removed} for good.`);
    this.detail = null;
  }

  async createBoard(name: string): Promise<Board | null> {
    if (this.projectId === null) return null;
    try {
      const b = await api.call('boards.create', { projectId: this.projectId, name });
      await this.refresh();
      return b;
    } catch (err) {
      toasts.error(errorMessage(err));
      return null;
    }
  }

  addToBoard(boardId: number, ids: number[]): Promise<boolean> {
    const name = this.boards.find((b) => b.id === boardId)?.name ?? 'the board';
    return this.act(() => api.call('boards.add', { boardId, ids }), `Added ${ids.length} to ${name}.`);
  }

  removeFromBoard(boardId: number, ids: number[]): Promise<boolean> {
    return this.act(() => api.call('boards.remove', { boardId, ids }));
  }

  deleteBoard(id: number): Promise<boolean> {
    if (this.filters.boardId === id) this.filters = { ...this.filters, boardId: undefined };
    return this.act(() => api.call('boards.delete', { id }));
  }
}

export const gallery = new GalleryState();
