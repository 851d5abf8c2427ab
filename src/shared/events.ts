/**
 * Push events from the engine to every open client. Payloads are plain JSON; the engine is the only
 * producer, so they are typed here but not re-validated on receipt.
 */
export interface EventMap {
  /** Something in the catalog changed; views holding that entity refetch. */
  'catalog.changed': { entity: 'project' | 'dataset' | 'item' | 'run' | 'model' | 'generation' | 'board' | 'export'; projectId?: number; id?: number };
  /** Progress of any long job (import, training, sampling, export). */
  'job.progress': {
    jobId: number;
    kind: string;
    projectId: number | null;
    status: string;
    done: number;
    total: number | null;
    message?: string;
  };
}

export type EventName = keyof EventMap;
export type EventPayload<E extends EventName> = EventMap[E];
export const EVENT_NAMES: readonly EventName[] = ['catalog.changed', 'job.progress'];
