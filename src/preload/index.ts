import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AtelierApi } from '../shared/api';
import type { EventName } from '../shared/events';

/**
 * The renderer's only way into the engine: a narrow bridge that forwards contract calls and events.
 * No Node or Electron object crosses it; the main process validates the sender and every payload.
 */
type Handler = (payload: unknown) => void;
const handlers = new Map<string, Set<Handler>>();

ipcRenderer.on('atelier:event', (_e: IpcRendererEvent, event: string, payload: unknown) => {
  handlers.get(event)?.forEach((h) => h(payload));
});

const api: AtelierApi = {
  door: 'electron',
  async call(method, input) {
    const result = (await ipcRenderer.invoke('atelier:call', method, input)) as { ok: boolean; value?: unknown; error?: unknown };
    if (result.ok) return result.value as never;
    throw result.error;
  },
  on(event: EventName, handler) {
    let set = handlers.get(event);
    if (!set) handlers.set(event, (set = new Set()));
    set.add(handler as Handler);
    return () => set.delete(handler as Handler);
  },
  pathForFile(file: File) {
    return webUtils.getPathForFile(file);
  },
  mediaUrl(mediaPath: string) {
    return `atelier://app/media/${mediaPath.split('/').map(encodeURIComponent).join('/')}`;
  },
};

contextBridge.exposeInMainWorld('atelier', api);
