import type { Project } from '../../../shared/contract';
import { api, errorMessage } from './api';
import { toasts } from './toasts.svelte';

/** The projects list and the open project, shared by the sidebar and every view. */
class ProjectsState {
  list = $state<Project[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);

  constructor() {
    api.on('catalog.changed', (e) => {
      if (e.entity === 'project' || e.entity === 'dataset' || e.entity === 'run' || e.entity === 'generation') void this.refresh();
    });
  }

  byId(id: number | null): Project | undefined {
    return id === null ? undefined : this.list.find((p) => p.id === id);
  }

  async refresh(): Promise<void> {
    try {
      this.list = await api.call('projects.list', {});
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  async create(name: string): Promise<Project | null> {
    try {
      const p = await api.call('projects.create', { name });
      await this.refresh();
      toasts.info(`Created "${p.name}".`);
      return p;
    } catch (err) {
      toasts.error(errorMessage(err));
      return null;
    }
  }

  async rename(id: number, name: string): Promise<boolean> {
    try {
      await api.call('projects.rename', { id, name });
      await this.refresh();
      return true;
    } catch (err) {
      toasts.error(errorMessage(err));
      return false;
    }
  }

  async remove(id: number, confirmName: string): Promise<boolean> {
    try {
      await api.call('projects.delete', { id, confirmName });
      await this.refresh();
      toasts.info(`Deleted "${confirmName}".`);
      return true;
    } catch (err) {
      toasts.error(errorMessage(err));
      return false;
    }
  }

  async open(id: number): Promise<void> {
    try {
      await api.call('projects.open', { id });
      await this.refresh();
    } catch (err) {
      toasts.error(errorMessage(err));
    }
  }
}

export const projects = new ProjectsState();
