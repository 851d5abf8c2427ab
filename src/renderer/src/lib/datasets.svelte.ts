import type { AugmentSettings, Dataset, DatasetItem, ImportReport, Input, PrepareSettings, SampleInfo } from '../../../shared/contract';
import { api, errorMessage } from './api';
import { toasts } from './toasts.svelte';
import { launchHeaders } from './launch-key';

const PAGE = 200;
const TERMINAL = new Set(['done', 'failed', 'cancelled', 'interrupted', 'diverged']);

export interface ImportProgress {
  jobId: number | null;
  datasetId: number | null;
  phase: 'uploading' | 'importing';
  done: number;
  total: number | null;
  message: string;
}

/** The first lines of a text item and how many it holds (null: too large to count). */
export interface TextLines {
  lines: string[];
  lineCount: number | null;
}

/** Text files the text models learn from (the engine decides the same way, by name). */
export const isTextFileName = (name: string): boolean => /\.(txt|md|csv)$/i.test(name);

/** A file from a drop or a picker, with the path it had inside the dropped folder. */
export interface PickedFile {
  file: File;
  path: string;
}

/** The Datasets view's state: the project's datasets, the open one's items (paged), imports. */
class DatasetsState {
  projectId = $state<number | null>(null);
  list = $state.raw<Dataset[]>([]);
  loaded = $state(false);
  selectedId = $state<number | null>(null);
  total = $state(0);
  /** Sparse: index → item, filled a page at a time as the grid scrolls. */
  items = $state.raw<Array<DatasetItem | undefined>>([]);
  report = $state.raw<ImportReport | null>(null);
  progress = $state<ImportProgress | null>(null);
  samples = $state.raw<SampleInfo[]>([]);
  addingSample = $state(false);
  /** Text datasets: the first lines of each loaded item, by item id (the grid's text tiles). */
  textLines = $state.raw<Record<number, TextLines>>({});
  /** Pages fetched or in flight (callers that need the items wait on the same promise). */
  private pages = new Map<number, Promise<void>>();
  private generation = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    api.on('catalog.changed', (e) => {
      if (e.projectId !== this.projectId || (e.entity !== 'dataset' && e.entity !== 'item')) return;
      // Imports send many changes; coalesce them.
      if (this.refreshTimer) return;
      this.refreshTimer = setTimeout(() => {
        this.refreshTimer = null;
        void this.refresh(true);
      }, 300);
    });
    api.on('job.progress', (e) => {
      const p = this.progress;
      if (p && p.jobId === null && this.addingSample && e.kind === 'import' && !TERMINAL.has(e.status)) {
        this.progress = { ...p, done: e.done, total: e.total };
        return;
      }
      if (!p || e.jobId !== p.jobId) return;
      if (TERMINAL.has(e.status)) void this.finishImport(e.jobId, e.status);
      else this.progress = { ...p, done: e.done, total: e.total, message: e.message ?? '' };
    });
  }

  get selected(): Dataset | undefined {
    return this.list.find((d) => d.id === this.selectedId);
  }

  async open(projectId: number): Promise<void> {
    if (this.projectId !== projectId) {
      this.projectId = projectId;
      this.list = [];
      this.loaded = false;
      this.selectedId = null;
      this.report = null;
      this.resetItems();
    }
    if (this.samples.length === 0) void api.call('datasets.samples', {}).then((s) => (this.samples = s)).catch(() => {});
    await this.refresh(false);
  }

  private resetItems(): void {
    this.generation++;
    this.pages.clear();
    this.items = [];
    this.total = 0;
    this.textLines = {};
  }

  async refresh(keepItems: boolean): Promise<void> {
    const pid = this.projectId;
    if (pid === null) return;
    try {
      const list = await api.call('datasets.list', { projectId: pid });
      if (pid !== this.projectId) return;
      this.list = list;
      if (this.selectedId === null || !list.some((d) => d.id === this.selectedId)) {
        await this.select(list[list.length - 1]?.id ?? null);
      } else if (keepItems) {
        await this.reloadItems();
      }
    } catch (err) {
      toasts.error(errorMessage(err));
    } finally {
      this.loaded = true;
    }
  }

  async select(id: number | null): Promise<void> {
    this.selectedId = id;
    this.resetItems();
    this.report = null;
    if (id === null) return;
    await this.loadPage(0);
    try {
      this.report = await api.call('datasets.importReport', { datasetId: id });
    } catch {
      this.report = null;
    }
  }

  /** Refetch the pages already shown (after edits or while an import adds items). */
  async reloadItems(): Promise<void> {
    // Keep showing what we have until the fresh pages arrive: clearing would unmount the grid and the
    // editor (losing focus and half-typed input) for a moment.
    const shown = [...this.pages.keys()];
    this.generation++;
    this.pages.clear();
    for (const p of shown.length ? shown : [0]) await this.loadPage(p);
  }

  loadPage(page: number): Promise<void> {
    const id = this.selectedId;
    if (id === null) return Promise.resolve();
    const known = this.pages.get(page);
    if (known) return known;
    const gen = this.generation;
    const p = (async () => {
      try {
        const r = await api.call('datasets.items', { datasetId: id, offset: page * PAGE, limit: PAGE });
        if (gen !== this.generation) return;
        const next = this.items.slice();
        next.length = r.total;
        r.items.forEach((it, i) => (next[page * PAGE + i] = it));
        this.items = next;
        this.total = r.total;
        if (this.selected?.kind === 'text' && r.items.length > 0) void this.loadTextLines(id, r.items.map((it) => it.id), gen);
      } catch (err) {
        if (gen === this.generation) this.pages.delete(page);
        toasts.error(errorMessage(err));
      }
    })();
    this.pages.set(page, p);
    return p;
  }

  private async loadTextLines(datasetId: number, itemIds: number[], gen: number): Promise<void> {
    try {
      const r = await api.call('datasets.textLines', { datasetId, itemIds, lines: 6 });
      if (gen !== this.generation) return;
      const next = { ...this.textLines };
      for (const it of r.items) next[it.itemId] = { lines: it.lines, lineCount: it.lineCount };
      this.textLines = next;
    } catch {
      // Tiles fall back to the file name.
    }
  }

  /** The grid calls this with the visible index range. */
  ensure(start: number, end: number): void {
    for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end - 1) / PAGE); p++) void this.loadPage(p);
  }

  async ensureAll(indices: number[]): Promise<void> {
    const pages = new Set(indices.map((i) => Math.floor(i / PAGE)));
    // A reload may start while we wait; wait for the pages of the newest generation.
    for (let tries = 0; tries < 5; tries++) {
      const gen = this.generation;
      await Promise.all([...pages].map((p) => this.loadPage(p)));
      if (gen === this.generation) return;
    }
  }

  async importPaths(paths: string[], datasetId?: number): Promise<void> {
    if (this.projectId === null) return;
    await this.startImport({ paths, ...(datasetId !== undefined ? { datasetId } : {}) });
  }

  /**
   * Start an import job from `source` (paths on the engine's machine, or an upload that `stage` sends
   * first) and open its dataset; from then on the job's progress events drive the bar. A failure on the
   * way clears the bar and says why.
   */
  private async startImport(source: Omit<Input<'datasets.import'>, 'projectId'>, stage?: () => Promise<void>): Promise<void> {
    try {
      await stage?.();
      this.progress = { jobId: null, datasetId: null, phase: 'importing', done: 0, total: null, message: 'Starting…' };
      const r = await api.call('datasets.import', { projectId: this.projectId!, ...source });
      this.progress = { ...this.progress, jobId: r.jobId, datasetId: r.datasetId };
      await this.refresh(false);
      await this.select(r.datasetId);
    } catch (err) {
      this.progress = null;
      toasts.error(errorMessage(err));
    }
  }

  /**
   * Where picked or dropped files go: loose files into the selected dataset when it is of their kind
   * (text files into a text dataset, images into an image one); a folder, or files of the other kind,
   * into a new dataset.
   */
  targetFor(files: Array<{ path: string }>, folder?: string): Dataset | undefined {
    const d = this.selected;
    if (folder || !d || files.length === 0) return undefined;
    const text = files.every((f) => isTextFileName(f.path));
    return (d.kind === 'text') === text ? d : undefined;
  }

  /** Browser door: stream each file to the web host's staging area, then import that upload. */
  async importFiles(files: PickedFile[], name?: string): Promise<void> {
    if (this.projectId === null || files.length === 0) return;
    const into = this.targetFor(files, name);
    const textOnly = files.every((f) => isTextFileName(f.path));
    if (!into && !name && this.selected) {
      toasts.info(textOnly ? 'Text files make a text dataset of their own: they go into a new one.' : 'Images go into an image dataset: they go into a new one.');
    }
    // A single file names its dataset (without the extension); a dropped folder gives its own name.
    const single = files.length === 1 ? files[0]!.path.split('/').pop()!.replace(/\.[^.]+$/, '') : undefined;
    const newName = name ?? single;
    // Desktop: the engine reads dropped files where they are (folders keep their label subfolders).
    const pathOf = window.atelier?.pathForFile;
    if (pathOf && !name) {
      const paths = files.map((f) => pathOf(f.file));
      if (paths.every(Boolean)) {
        const roots = [...new Set(files.map((f, i) => (f.path.includes('/') ? paths[i]!.slice(0, paths[i]!.length - f.path.length) + f.path.split('/')[0] : paths[i]!)))];
        return this.importPaths(roots, into?.id);
      }
    }
    const uploadId = crypto.randomUUID().replace(/-/g, '');
    this.progress = { jobId: null, datasetId: null, phase: 'uploading', done: 0, total: files.length, message: 'Uploading…' };
    const target = into ? { datasetId: into.id } : { ...(newName ? { name: newName } : {}), ...(textOnly ? { kind: 'text' as const } : {}) };
    await this.startImport({ uploadId, ...target }, () => this.upload(files, uploadId));
  }

  /** Stream each file to the web host's staging area under `uploadId`, three at a time. */
  private async upload(files: PickedFile[], uploadId: string): Promise<void> {
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < files.length) {
        const f = files[next++]!;
        const res = await fetch(`/api/upload?id=${uploadId}&path=${encodeURIComponent(f.path)}`, {
          method: 'POST',
          body: f.file,
          credentials: 'same-origin',
          headers: launchHeaders('application/octet-stream'),
        });
        // Read every answer to the end, the good ones too: a fetch whose body is never read stays
        // open in the browser (pending in DevTools long after the import) until it is collected.
        const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        if (!res.ok) throw new Error(`${f.path}: ${body?.error?.message ?? res.statusText}`);
        done++;
        if (this.progress) this.progress = { ...this.progress, done, message: f.path };
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  private async finishImport(jobId: number, status: string): Promise<void> {
    const datasetId = this.progress?.datasetId ?? null;
    this.progress = null;
    try {
      const report = await api.call('datasets.importReport', { jobId });
      await this.refresh(false);
      if (datasetId !== null) await this.select(datasetId);
      this.report = report;
      if (report) toasts.info(`Imported ${report.imported} file${report.imported === 1 ? '' : 's'}${report.skipped.length ? `; ${report.skipped.length} skipped` : ''}.`);
      else if (status !== 'done') toasts.error(`The import ${status}.`);
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }

  async addSample(sampleId?: string): Promise<void> {
    if (this.projectId === null) return;
    this.addingSample = true;
    this.progress = { jobId: null, datasetId: null, phase: 'importing', done: 0, total: null, message: 'Adding the sample…' };
    const before = this.selectedId;
    try {
      const d = await api.call('datasets.addSample', { projectId: this.projectId, ...(sampleId ? { sampleId } : {}) });
      await this.refresh(false);
      // The new dataset shows as soon as it exists; only take the user to it if they have not moved on.
      if (this.selectedId === null || this.selectedId === d.id || this.selectedId === before) await this.select(d.id);
      toasts.info(d.kind === 'text' ? `Added "${d.name}": text for the text models.` : `Added "${d.name}" (${d.itemCount} images).`);
    } catch (err) {
      toasts.error(errorMessage(err));
    } finally {
      this.addingSample = false;
      if (this.progress?.jobId === null && this.progress.message === 'Adding the sample…') this.progress = null;
    }
  }

  async updateItems(itemIds: number[], patch: { label?: string | null; addTags?: string[]; removeTags?: string[]; caption?: string | null }): Promise<boolean> {
    const id = this.selectedId;
    if (id === null || itemIds.length === 0) return false;
    try {
      await api.call('datasets.updateItems', { datasetId: id, itemIds, ...patch });
      await this.reloadItems();
      this.list = await api.call('datasets.list', { projectId: this.projectId! });
      return true;
    } catch (err) {
      toasts.error(errorMessage(err));
      return false;
    }
  }

  async deleteItems(itemIds: number[]): Promise<void> {
    const id = this.selectedId;
    if (id === null || itemIds.length === 0) return;
    try {
      const r = await api.call('datasets.deleteItems', { datasetId: id, itemIds });
      toasts.info(`Removed ${r.deleted} item${r.deleted === 1 ? '' : 's'}.`);
      await this.refresh(true);
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }

  async rename(id: number, name: string): Promise<void> {
    try {
      await api.call('datasets.rename', { id, name });
      await this.refresh(false);
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }

  async remove(id: number): Promise<void> {
    try {
      await api.call('datasets.delete', { id });
      if (this.selectedId === id) this.selectedId = null;
      await this.refresh(false);
      toasts.info('Dataset deleted.');
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }

  async saveSettings(id: number, prepare: Partial<PrepareSettings>, augment: Partial<AugmentSettings>): Promise<void> {
    try {
      const d = await api.call('datasets.setSettings', { id, prepare, augment });
      this.list = this.list.map((x) => (x.id === d.id ? d : x));
      toasts.info('Settings saved.');
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }
}

export const datasets = new DatasetsState();

/** Files from a drop, folders walked (webkitGetAsEntry), keeping their relative paths. */
export async function filesFromDrop(dt: DataTransfer): Promise<{ files: PickedFile[]; folderName: string | null }> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  const out: PickedFile[] = [];
  const readAll = (reader: FileSystemDirectoryReader) =>
    new Promise<FileSystemEntry[]>((resolve, reject) => {
      const acc: FileSystemEntry[] = [];
      const step = () =>
        reader.readEntries((batch) => {
          if (batch.length === 0) resolve(acc);
          else {
            acc.push(...batch);
            step();
          }
        }, reject);
      step();
    });
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: prefix + entry.name });
    } else if (entry.isDirectory) {
      for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  if (entries.length === 0) {
    for (const f of [...dt.files]) out.push({ file: f, path: f.name });
    return { files: out, folderName: null };
  }
  for (const e of entries) await walk(e, '');
  const folderName = entries.length === 1 && entries[0]!.isDirectory ? entries[0]!.name : null;
  return { files: out, folderName };
}
