import { z } from 'zod';

/** Catalog row ids: positive integers that fit in a double exactly. */
export const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** User-visible names: trimmed, non-empty, bounded, no control characters. */
export const Name = z
  .string()
  .trim()
  .min(1, 'A name cannot be empty.')
  .max(120, 'Names are limited to 120 characters.')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'Names cannot contain control characters.');

/** Milliseconds since the epoch. */
export const Timestamp = z.number().int().nonnegative();

export const Empty = z.strictObject({});
export const Ok = z.strictObject({ ok: z.literal(true) });

/**
 * A file the engine stores, as a path relative to the data folder ("media path"). Each door turns it
 * into a URL it can serve (custom protocol in Electron, /media/ on the web host); neither lets it
 * escape the data folder.
 */
export const MediaPath = z.string().min(1).max(1024);

/** Page through long lists without loading them whole. */
export const Page = z.strictObject({
  offset: z.number().int().nonnegative().max(10_000_000).default(0),
  limit: z.number().int().positive().max(1000).default(200),
});
