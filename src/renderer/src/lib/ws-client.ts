import type { AtelierApi } from '../../../shared/api';
import type { EventName } from '../../../shared/events';
import type { ErrorPayload } from '../../../shared/errors';
import { socketProtocols } from './launch-key';

type Pending = { resolve: (v: unknown) => void; reject: (e: ErrorPayload) => void };

/**
 * The browser door: the same contract over the web host's WebSocket. The token travels as the
 * HttpOnly cookie the host set at first visit, so this code never sees it; the page's launch key goes
 * as a subprotocol (launch-key.ts), which proves the socket is the studio's own. Reconnects with backoff;
 * calls made while disconnected wait for the socket rather than failing at once.
 */
export class WebSocketClient implements AtelierApi {
  readonly door = 'web' as const;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<(p: unknown) => void>>();
  private readonly queue: string[] = [];
  private retry = 0;
  /** Connection state, for a banner. */
  onStatus: (status: 'connecting' | 'open' | 'closed') => void = () => {};

  constructor(private readonly url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`) {
    this.connect();
  }

  private connect(): void {
    this.onStatus('connecting');
    const ws = new WebSocket(this.url, socketProtocols());
    this.socket = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.onStatus('open');
      for (const msg of this.queue.splice(0)) ws.send(msg);
    };
    ws.onmessage = (e) => this.receive(String(e.data));
    ws.onclose = () => {
      this.onStatus('closed');
      // Calls in flight are lost with the socket; fail them clearly rather than hang.
      for (const [id, p] of this.pending) {
        p.reject({ code: 'internal', message: 'The connection to Atelier was lost. Is it still running?' });
        this.pending.delete(id);
      }
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    };
  }

  private receive(text: string): void {
    let msg: { id?: number | null; ok?: boolean; value?: unknown; error?: ErrorPayload; event?: string; payload?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      this.handlers.get(msg.event)?.forEach((h) => h(msg.payload));
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(msg.error ?? { code: 'internal', message: 'Unknown error' });
  }

  call: AtelierApi['call'] = (method, input) =>
    new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const msg = JSON.stringify({ id, method, input });
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(msg);
      else this.queue.push(msg);
    });

  on<E extends EventName>(event: E, handler: (payload: never) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    const h = handler as (p: unknown) => void;
    set.add(h);
    return () => set.delete(h);
  }

  mediaUrl(mediaPath: string): string {
    return `/media/${mediaPath.split('/').map(encodeURIComponent).join('/')}`;
  }
}
