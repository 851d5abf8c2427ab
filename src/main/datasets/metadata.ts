/**
 * Labels, tags and captions that travel with images: kohya-style sidecars (`cat.png` + `cat.txt`) and
 * manifests (CSV or JSON with file, label, tags, caption columns).
 */
import { parse } from 'csv-parse/sync';

export interface ItemMeta {
  label?: string | null;
  tags?: string[];
  caption?: string | null;
}

export const MAX_META_BYTES = 20 * 1024 * 1024;

function cleanTags(list: unknown): string[] {
  const raw = Array.isArray(list) ? list.map(String) : typeof list === 'string' ? list.split(/[,;|]/) : [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of raw) {
    const tag = t.trim().replace(/\s+/g, ' ').slice(0, 80);
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
  }
  return out.slice(0, 100);
}

function cleanText(v: unknown, max: number): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v).trim().slice(0, max);
  return s || null;
}

/**
 * kohya convention: one line of comma-separated tags. With several lines, the first is the caption and
 * the rest are tags. A single line without commas is a caption.
 */
export function parseSidecar(text: string): ItemMeta {
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return {};
  if (lines.length === 1) {
    const line = lines[0]!;
    return line.includes(',') ? { tags: cleanTags(line) } : { caption: cleanText(line, 2000) };
  }
  return { caption: cleanText(lines[0], 2000), tags: cleanTags(lines.slice(1).join(',')) };
}

const FILE_KEYS = ['file', 'filename', 'file_name', 'path', 'image'];
const LABEL_KEYS = ['label', 'class', 'category'];
const TAG_KEYS = ['tags', 'keywords'];
const CAPTION_KEYS = ['caption', 'text', 'description', 'prompt'];

function pick(row: Record<string, unknown>, keys: string[]): unknown {
  for (const k of Object.keys(row)) if (keys.includes(k.trim().toLowerCase())) return row[k];
  return undefined;
}

/** Entries keyed by the path the manifest names (relative to the manifest's folder); null if not a manifest. */
export function parseManifest(text: string, kind: 'csv' | 'json'): Map<string, ItemMeta> | null {
  let rows: Array<Record<string, unknown>>;
  try {
    if (kind === 'csv') {
      rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as Array<Record<string, unknown>>;
    } else {
      const json = JSON.parse(text.replace(/^\ufeff/, '')) as unknown;
      const list = Array.isArray(json) ? json : (json as { items?: unknown })?.items;
      if (!Array.isArray(list)) return null;
      rows = list.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
    }
  } catch {
    return null;
  }
  if (rows.length === 0 || pick(rows[0]!, FILE_KEYS) === undefined) return null;
  const out = new Map<string, ItemMeta>();
  for (const row of rows) {
    const file = pick(row, FILE_KEYS);
    if (typeof file !== 'string' || !file.trim()) continue;
    const meta: ItemMeta = {};
    const label = pick(row, LABEL_KEYS);
    if (label !== undefined) meta.label = cleanText(label, 120);
    const tags = pick(row, TAG_KEYS);
    if (tags !== undefined) meta.tags = cleanTags(tags);
    const caption = pick(row, CAPTION_KEYS);
    if (caption !== undefined) meta.caption = cleanText(caption, 2000);
    out.set(file.trim().replace(/\\/g, '/').replace(/^\.\//, ''), meta);
  }
  return out;
}

export function mergeMeta(...parts: Array<ItemMeta | undefined>): ItemMeta {
  const out: ItemMeta = {};
  for (const p of parts) {
    if (!p) continue;
    if (p.label !== undefined) out.label = p.label;
    if (p.caption !== undefined) out.caption = p.caption;
    if (p.tags) out.tags = cleanTags([...(out.tags ?? []), ...p.tags]);
  }
  return out;
}
