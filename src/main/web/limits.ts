/**
 * Bounds on what a call may send, checked before JSON.parse sees a byte of it: an 8 MB deeply nested
 * body blocked the event loop for seconds (and a few at once took gigabytes), so the size is bounded per
 * method and the nesting depth by a linear scan that allocates nothing.
 */
import type { MethodName } from '../../shared/contract';

/** Enough for every input of the contract: the deepest is a handful of levels. */
export const MAX_DEPTH = 32;

/** Most calls carry ids, names and settings. */
const DEFAULT_LIMIT = 256 * 1024;
/** Up to 100,000 ids (a "select all" of a large gallery or dataset). */
const BULK_LIMIT = 2 * 1024 * 1024;

const LIMITS: Partial<Record<MethodName, number>> = {
  'gallery.star': BULK_LIMIT,
  'gallery.tag': BULK_LIMIT,
  'gallery.trash': BULK_LIMIT,
  'gallery.restore': BULK_LIMIT,
  'boards.add': BULK_LIMIT,
  'boards.remove': BULK_LIMIT,
  'datasets.updateItems': BULK_LIMIT,
  'datasets.deleteItems': BULK_LIMIT,
  // Up to 1,000 paths of up to 4,096 characters.
  'datasets.import': 4 * 1024 * 1024 + 64 * 1024,
};

/** The most any call may send: larger bodies are refused before they are read whole. */
export const MAX_CALL_BYTES = Math.max(DEFAULT_LIMIT, ...Object.values(LIMITS));

export function bodyLimitOf(method: string | null): number {
  if (method !== null && Object.prototype.hasOwnProperty.call(LIMITS, method)) return LIMITS[method as MethodName]!;
  return DEFAULT_LIMIT;
}

export interface JsonScan {
  /** Deepest nesting of objects and arrays, or MAX_DEPTH + 1 once past the bound (the scan stops there). */
  depth: number;
  /** The top-level "method" string, when there is one (the last, as JSON.parse keeps the last). */
  method: string | null;
  /** The top-level "id" (socket calls), so even a refused message can be answered by id. */
  id: number | string | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const NUMBER = /-?\d{1,20}(\.\d{1,20})?([eE][+-]?\d{1,5})?/y;

/**
 * One pass over the text: nesting depth, and the top-level "method" value, so the per-method limit
 * applies before parsing. Malformed JSON is left for JSON.parse to report.
 */
export function scanJson(text: string): JsonScan {
  let depth = 0;
  let max = 0;
  let method: string | null = null;
  let id: number | string | null = null;
  let stringStart = -1;
  let lastString: { start: number; end: number; depth: number } | null = null;
  let expect: 'method' | 'id' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        if (expect === 'method') method = decodeString(text.slice(stringStart, i + 1));
        else if (expect === 'id') id = decodeString(text.slice(stringStart, i + 1));
        expect = null;
        lastString = { start: stringStart, end: i + 1, depth };
        stringStart = -1;
      }
      continue;
    }
    switch (c) {
      case QUOTE:
        stringStart = i;
        break;
      case 0x7b: // {
      case 0x5b: // [
        depth++;
        expect = null;
        if (depth > max) {
          max = depth;
          if (max > MAX_DEPTH) return { depth: max, method, id };
        }
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        expect = null;
        break;
      case COLON: {
        const key = depth === 1 && lastString !== null && lastString.depth === 1 ? text.slice(lastString.start, lastString.end) : null;
        expect = key === '"method"' ? 'method' : key === '"id"' ? 'id' : null;
        break;
      }
      default:
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
        if (expect === 'id' && (c === 0x2d || (c >= 0x30 && c <= 0x39))) {
          NUMBER.lastIndex = i;
          const m = NUMBER.exec(text);
          if (m) {
            id = Number(m[0]);
            i += m[0].length - 1;
          }
        }
        expect = null;
    }
  }
  return { depth: max, method, id };
}

function decodeString(literal: string): string | null {
  if (literal.length > 202) return null;
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}
