import type { AtelierApi } from '../../../shared/api';
import type { ErrorPayload } from '../../../shared/errors';
import { WebSocketClient } from './ws-client';
import { connection } from './connection.svelte';

/** The one client the views use: the preload bridge in Electron, the WebSocket in a browser. */
function createApi(): AtelierApi {
  if (window.atelier) {
    connection.status = 'open';
    return window.atelier;
  }
  const client = new WebSocketClient();
  client.onStatus = (s) => (connection.status = s);
  return client;
}

export const api: AtelierApi = createApi();

export function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as ErrorPayload).message === 'string') return (err as ErrorPayload).message;
  return String(err);
}
