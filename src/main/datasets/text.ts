/** Text for the text generators: UTF-8 only, bounded size, stored as text/plain. */
import { SkipError } from './decode';

/** Per text file. A character model trains on a few MB at most; larger files are probably not what was meant. */
export const MAX_TEXT_BYTES = 20 * 1024 * 1024;

export function checkText(buf: Buffer): { text: string; bytes: Buffer } {
  if (buf.length === 0) throw new SkipError('empty', 'zero bytes');
  if (buf.length > MAX_TEXT_BYTES) throw new SkipError('too_large', `${buf.length} bytes; text files are limited to 20 MB`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new SkipError('invalid_utf8', 'not valid UTF-8 text (save it as UTF-8 and import again)');
  }
  if (text.includes('\0')) throw new SkipError('wrong_type', 'contains NUL bytes: binary data, not text');
  if (text.trim().length === 0) throw new SkipError('empty', 'only whitespace');
  return { text, bytes: buf };
}
