import type { ImportParams, NewItem } from '../../datasets/import';

/** What the engine hands the import worker: everything it needs; it never opens the catalog. */
export type ImportWorkerData = ImportParams;

/** Worker → engine, beyond the common job messages: a chunk of finished items (their files exist). */
export type ImportMessage = { type: 'items'; items: NewItem[] };
