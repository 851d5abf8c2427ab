/**
 * SVGs are rasterised by librsvg (through sharp), which would follow external references: <image href>
 * to files or URLs, <use> of other documents, CSS @import and url(). Importing a file must never make
 * Atelier read other files or touch the network, so everything that points outside the document is
 * removed first, along with scripts and event handlers (librsvg ignores them, but the stored copy is
 * served back to the browser).
 */
export interface SanitizedSvg {
  svg: string;
  /** What was removed, for the import report. */
  removed: string[];
}

const MAX_SVG_BYTES = 10 * 1024 * 1024;

function isLocalRef(value: string): boolean {
  const v = value.trim().replace(/^['"]|['"]$/g, '').trim();
  return v.startsWith('#') || /^data:image\/(png|jpeg|gif|webp);base64,/i.test(v);
}

export function sanitizeSvg(input: Uint8Array): SanitizedSvg {
  if (input.length > MAX_SVG_BYTES) throw new Error(`SVG larger than ${MAX_SVG_BYTES} bytes`);
  let svg = Buffer.from(input).toString('utf8');
  const removed = new Set<string>();
  const drop = (re: RegExp, what: string) => {
    svg = svg.replace(re, () => {
      removed.add(what);
      return '';
    });
  };
  // DOCTYPE can declare external entities (XXE); no SVG needs one.
  drop(/<!DOCTYPE[\s\S]*?(\[[\s\S]*?\]\s*)?>/gi, 'doctype');
  drop(/<!ENTITY[\s\S]*?>/gi, 'entity');
  drop(/<\?xml-stylesheet[\s\S]*?\?>/gi, 'stylesheet');
  drop(/<script\b[\s\S]*?<\/script\s*>/gi, 'script');
  drop(/<script\b[^>]*\/>/gi, 'script');
  drop(/<foreignObject\b[\s\S]*?<\/foreignObject\s*>/gi, 'foreignObject');
  drop(/<foreignObject\b[^>]*\/>/gi, 'foreignObject');
  // Event handler attributes (onload=…).
  drop(/\s+on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, 'event handler');
  // href / xlink:href / src that is not a fragment or an inline raster image.
  svg = svg.replace(/\s+((?:xlink:)?href|src)\s*=\s*("[^"]*"|'[^']*')/gi, (all, _name: string, value: string) => {
    if (isLocalRef(value)) return all;
    removed.add('external reference');
    return '';
  });
  // CSS: @import and url(...) that is not a fragment or inline image.
  drop(/@import[^;]*;?/gi, 'css import');
  svg = svg.replace(/url\(\s*([^)]*)\)/gi, (all, value: string) => {
    if (isLocalRef(value)) return all;
    removed.add('external reference');
    return 'none';
  });
  return { svg, removed: [...removed] };
}
