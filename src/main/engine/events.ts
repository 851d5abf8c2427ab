import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../../shared/events';

/** The engine's push events; doors subscribe with `onAny` and forward to their clients. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open window/socket subscribes once; many tabs are legitimate.
    this.emitter.setMaxListeners(0);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }

  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
