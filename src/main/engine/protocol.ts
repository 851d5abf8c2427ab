/**
 * Messages between the engine (main thread) and a job's worker thread. Each job kind adds its own
 * messages (training sends 'step', 'checkpoint', 'grid'…); these are the ones every job shares.
 */
export type ControlAction = 'pause' | 'resume' | 'cancel' | 'stop' | 'finish';

/**
 * Main → worker. 'stop': the app is closing, save what you can and end (resumable). 'finish': the user
 * wants the result now, save and end as done. 'cancel': end without saving more.
 */
export interface ControlMessage {
  type: 'control';
  action: ControlAction;
}

/** Worker → main. */
export type CommonWorkerMessage =
  | { type: 'progress'; done: number; total: number | null; message?: string }
  | { type: 'status'; status: 'running' | 'paused' }
  /** The job's end. `status` says how it ended when that is not simply 'done' (e.g. stopped → interrupted). */
  | { type: 'result'; value: unknown; status?: 'done' | 'interrupted' | 'cancelled' }
  | { type: 'error'; code: string; message: string; status?: 'failed' | 'diverged' | 'cancelled' | 'interrupted' };

export type WorkerMessage = CommonWorkerMessage | ({ type: string } & Record<string, unknown>);
