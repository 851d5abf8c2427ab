/// <reference types="svelte" />
import type { AtelierApi } from '../../shared/api';

declare global {
  interface Window {
    /** Present in Electron (preload bridge); absent in a browser, where the WebSocket client is used. */
    atelier?: AtelierApi;
  }
}
export {};
