/**
 * Errors a user (or a hostile client) can cause. Every door (IPC, web host, CLI) turns these into the
 * same typed payload `{ code, message, details? }`, so the renderer and scripts can branch on `code`.
 */
export const ERROR_CODES = [
  'bad_request', // payload failed its schema
  'unknown_method',
  'not_found',
  'conflict', // e.g. a name already taken, a job already running
  'unauthorized',
  'forbidden',
  'unsupported', // a feature this machine cannot do (e.g. no Electron binary, no such backend)
  'invalid_input', // a file or value the engine cannot use (corrupt image, bad text encoding)
  'disk_full',
  'cancelled',
  'diverged',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class AtelierError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AtelierError';
    this.code = code;
    this.details = details;
  }

  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorPayload(value: unknown): value is ErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorPayload).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((value as ErrorPayload).code) &&
    typeof (value as ErrorPayload).message === 'string'
  );
}
