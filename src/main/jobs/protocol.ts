/**
 * Messages between the engine (main thread) and a job's worker thread. Each job kind adds its own
 * messages (training sends 'step', 'checkpoint', 'grid'…); these are the ones every job shares.
 */
export type ControlAction = 'pause' | 'resume' | 'cancel' | 'stop';

/** Main → worker. 'stop' means "the app is closing: save what you can and end, resumable". */
export interface ControlMessage {
  type: 'control';
  action: ControlAction;
}

/** Worker → main. */
export type CommonWorkerMessage =
  | { type: 'progress'; done: number; total: number | null; message?: string }
  | { type: 'status'; status: 'running' | 'paused' }
  | { type: 'result'; value: unknown }
  | { type: 'error'; code: string; message: string; status?: 'failed' | 'diverged' | 'cancelled' | 'interrupted' };

export type WorkerMessage = CommonWorkerMessage | ({ type: string } & Record<string, unknown>);
