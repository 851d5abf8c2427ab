import type { Input, MethodName, Output } from './contract';
import type { EventName, EventPayload } from './events';

/**
 * What the renderer sees as `window.atelier`: the preload bridge in Electron, a WebSocket client in the
 * browser. Errors reject with an `AtelierError`-shaped payload (`{ code, message }`).
 */
export interface AtelierApi {
  call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>>;
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
  /** A URL this door serves for a media path (see MediaPath). */
  mediaUrl(mediaPath: string): string;
  readonly door: 'electron' | 'web';
  /**
   * Desktop only: the file-system path of a dropped or picked File, so the engine imports it in place
   * (the browser door uploads instead). Undefined in the browser; '' for files with no path.
   */
  pathForFile?(file: File): string;
}
