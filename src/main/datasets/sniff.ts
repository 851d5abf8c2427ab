/**
 * What a file really is, from its first bytes, not its name. The extension only says what the user
 * expects; a mismatch is reported ("wrong type behind the extension") rather than trusted.
 */
export type ImageType = 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'tiff' | 'svg';

export const IMAGE_EXTENSIONS: Record<string, ImageType> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jfif': 'jpeg',
  '.webp': 'webp',
  '.gif': 'gif',
  '.avif': 'avif',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.svg': 'svg',
};

export const TEXT_EXTENSIONS = new Set(['.txt', '.md', '.csv']);
export const ARCHIVE_EXTENSIONS = new Set(['.zip']);

export const MIME: Record<ImageType, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
};

export const EXT_OF: Record<ImageType, string> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  gif: '.gif',
  avif: '.avif',
  tiff: '.tif',
  svg: '.svg',
};

function startsWith(buf: Uint8Array, bytes: number[], at = 0): boolean {
  if (buf.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

function ascii(buf: Uint8Array, at: number, len: number): string {
  return Buffer.from(buf.subarray(at, at + len)).toString('latin1');
}

/** The image type the bytes say, or null when they are no image format Atelier reads. */
export function sniffImage(buf: Uint8Array): ImageType | null {
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return 'webp';
  if (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(buf, 4, 4) === 'ftyp') {
    const brands = ascii(buf, 8, Math.min(32, Math.max(0, buf.length - 8)));
    if (/avi[fs]/.test(brands)) return 'avif';
  }
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (looksLikeSvg(buf)) return 'svg';
  return null;
}

function looksLikeSvg(buf: Uint8Array): boolean {
  // An XML prolog, comments or a doctype may come first; the root element must be <svg.
  let head = Buffer.from(buf.subarray(0, 4096)).toString('utf8');
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  head = head.trimStart();
  if (!head.startsWith('<')) return false;
  return /^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(head);
}

/** A short name for what the bytes look like, for "wrong type" messages. */
export function describeBytes(buf: Uint8Array): string {
  const img = sniffImage(buf);
  if (img) return `a ${img.toUpperCase()} image`;
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive';
  if (startsWith(buf, [0x25, 0x50, 0x44, 0x46])) return 'a PDF';
  if (isProbablyText(buf)) return 'text';
  return 'unrecognised data';
}

export function isProbablyText(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 4096);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) return false;
  }
  return true;
}
