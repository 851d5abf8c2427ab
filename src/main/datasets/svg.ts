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
  // The work of drawing it is bounded too (throws like the size check: the caller reports too_large).
  checkSvgWork(svg);
  return { svg, removed: [...removed] };
}

/**
 * What rendering an SVG may cost. A 2 KB file of nested <use> (each level using the one below ten
 * times) asks librsvg for millions of elements, and a 1 KB one with a blurred rectangle used 4,096
 * times rendered for minutes: neither the byte limit nor sharp's timeout stops that, since the work is
 * inside one native call. So the document is measured before it is rasterised: every element counts
 * once per time it is drawn (through <use>, or a url(#…) paint, mask, clip or marker), and drawing is
 * bounded in elements, path data, composited layers and filter runs.
 */
export const SVG_LIMITS = {
  /** Element instances drawn. */
  elements: 50_000,
  /** Numbers of path data (d, points) drawn, over all instances. */
  pathNumbers: 20_000_000,
  /** Instances drawn through an offscreen layer (opacity, mask, clip-path, filter). */
  layers: 1_000,
  /** Filter runs (each a full pass over the layer's pixels). */
  filters: 64,
};

/** An SVG refused before rasterising, with the import report's reason. */
export class SvgRefusedError extends Error {
  constructor(
    readonly reason: 'too_large' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}

interface Cost {
  elements: number;
  pathNumbers: number;
  layers: number;
  filters: number;
}

interface SvgElement {
  tag: string;
  children: SvgElement[];
  /** Ids this element draws: href="#x", url(#x) in attributes or its style. */
  refs: Array<{ id: string; times: number }>;
  numbers: number;
  layer: boolean;
  filter: boolean;
  cost?: Cost;
  visiting?: boolean;
}

const TAG = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<(\/?)([A-Za-z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const ATTR = /([^\s=/]+)\s*=\s*("[^"]*"|'[^']*')/g;
const SHAPES = new Set(['rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon', 'path', 'text', 'tspan', 'textpath', 'image']);
const LAYER_PROPS = /(?:^|;)\s*(mask|clip-path|filter)\s*:\s*([^;]*)/gi;
const GROUP_LAYER_PROPS = /(?:^|;)\s*(opacity|mask|clip-path|filter)\s*:\s*([^;]*)/gi;
const NUM = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

function countNumbers(s: string): number {
  let n = 0;
  NUM.lastIndex = 0;
  while (NUM.exec(s)) n++;
  return n;
}

/** Throws when drawing the document would cost more than SVG_LIMITS. */
export function checkSvgWork(svg: string): Cost {
  const byId = new Map<string, SvgElement>();
  const root: SvgElement = { tag: '#document', children: [], refs: [], numbers: 0, layer: false, filter: false };
  const stack: SvgElement[] = [root];
  let css = '';
  let styleDepth = -1;
  TAG.lastIndex = 0;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = TAG.exec(svg))) {
    if (styleDepth >= 0) css += svg.slice(last, m.index);
    last = TAG.lastIndex;
    if (!m[2]) {
      if (styleDepth >= 0 && m[0].startsWith('<![CDATA[')) css += m[0];
      continue;
    }
    const closing = m[1] === '/';
    const tag = m[2].toLowerCase();
    if (closing) {
      // Tolerate sloppy nesting: close up to the matching tag if it is open.
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      if (tag === 'style' && styleDepth >= 0) styleDepth = -1;
      continue;
    }
    const attrText = m[3] ?? '';
    const selfClosing = /\/\s*$/.test(attrText);
    const el: SvgElement = { tag, children: [], refs: [], numbers: 0, layer: false, filter: false };
    let markers = false;
    let d = '';
    ATTR.lastIndex = 0;
    let a: RegExpExecArray | null;
    while ((a = ATTR.exec(attrText))) {
      const name = a[1]!.toLowerCase();
      const value = a[2]!.slice(1, -1);
      if (name === 'id') byId.set(value.trim(), el);
      else if (name === 'href' || name === 'xlink:href') {
        const v = value.trim();
        if (v.startsWith('#')) el.refs.push({ id: v.slice(1), times: 1 });
      }
      if (name === 'd' || name === 'points') d += ` ${value}`;
      // Opacity on a shape is drawn straight onto the canvas; on a group, and any mask, clip or
      // filter, it takes an offscreen layer.
      const props = name === 'style' ? value : `${name}:${value}`;
      const layerProps = SHAPES.has(tag) ? LAYER_PROPS : GROUP_LAYER_PROPS;
      for (const p of props.matchAll(layerProps)) if (!/^(1|none)$/i.test(p[2]!.trim())) el.layer = true;
      if (name === 'filter' || /(^|[;\s])filter\s*:\s*url/i.test(value)) {
        if (value.trim() !== 'none') el.filter = true;
      }
      if (name.startsWith('marker') || /(^|[;\s])marker(-start|-mid|-end)?\s*:/i.test(value)) markers = true;
      for (const u of value.matchAll(/url\(\s*['"]?#([^)'"\s]+)['"]?\s*\)/gi)) el.refs.push({ id: u[1]!, times: 1 });
    }
    el.numbers = d ? countNumbers(d) : 0;
    // A marker is drawn at every vertex of its path.
    if (markers) {
      const vertices = Math.max(1, Math.ceil(el.numbers / 2));
      for (const r of el.refs) r.times = vertices;
    }
    stack[stack.length - 1]!.children.push(el);
    if (!selfClosing) {
      stack.push(el);
      if (tag === 'style') styleDepth = stack.length;
    }
  }
  // Style sheets can give any element a filter or a layer: assume they do, for every element.
  const cssFilter = /filter\s*:\s*url/i.test(css);
  const cssLayer = cssFilter || /(^|[;{\s])(mask|clip-path)\s*:\s*url/i.test(css);
  const cssGroupOpacity = /(^|[;{\s])opacity\s*:/i.test(css);
  for (const u of css.matchAll(/url\(\s*['"]?#([^)'"\s]+)['"]?\s*\)/gi)) root.refs.push({ id: u[1]!, times: 1 });

  const over = (c: Cost) =>
    c.elements > SVG_LIMITS.elements || c.pathNumbers > SVG_LIMITS.pathNumbers || c.layers > SVG_LIMITS.layers || c.filters > SVG_LIMITS.filters;
  const costOf = (el: SvgElement): Cost => {
    if (el.cost) return el.cost;
    if (el.visiting) throw new SvgRefusedError('corrupt', 'the SVG refers to itself in a loop (<use> or url(#…))');
    el.visiting = true;
    const c: Cost = {
      elements: 1,
      pathNumbers: el.numbers,
      layers: el.layer || cssLayer || (cssGroupOpacity && !SHAPES.has(el.tag) && el.tag !== '#document') ? 1 : 0,
      filters: el.filter || cssFilter ? 1 : 0,
    };
    const add = (x: Cost, times: number) => {
      c.elements += x.elements * times;
      c.pathNumbers += x.pathNumbers * times;
      c.layers += x.layers * times;
      c.filters += x.filters * times;
    };
    for (const child of el.children) add(costOf(child), 1);
    for (const r of el.refs) {
      const target = byId.get(r.id);
      if (target) add(costOf(target), r.times);
      if (over(c)) break;
    }
    el.visiting = false;
    el.cost = c;
    return c;
  };
  const total = costOf(root);
  if (over(total)) {
    const what =
      total.filters > SVG_LIMITS.filters
        ? `${fmt(total.filters)} filter runs (the limit is ${SVG_LIMITS.filters})`
        : total.layers > SVG_LIMITS.layers
          ? `${fmt(total.layers)} composited layers (the limit is ${SVG_LIMITS.layers})`
          : total.elements > SVG_LIMITS.elements
            ? `${fmt(total.elements)} elements once <use> and references are expanded (the limit is ${fmt(SVG_LIMITS.elements)})`
            : `${fmt(total.pathNumbers)} path coordinates once expanded (the limit is ${fmt(SVG_LIMITS.pathNumbers)})`;
    throw new SvgRefusedError('too_large', `drawing this SVG would take ${what}`);
  }
  return total;
}

function fmt(n: number): string {
  return Number.isFinite(n) && n < 1e15 ? Math.round(n).toLocaleString('en-US') : 'more than 10¹⁵';
}
