/**
 * Metadata that travels inside exported images, so a file found years later still says how it was made.
 *
 * PNG gets three text chunks, inserted right after IHDR (before the image data, where XMP readers look):
 *   tEXt "parameters"         A1111-compatible: the prompt, then
 *                             "Steps: N, Sampler: Atelier <family>, Seed: S, Size: WxH, Model hash: <sha8>, Model: <name>"
 *                             (iTXt with the same keyword when the prompt is not Latin-1, as A1111 does);
 *   iTXt "atelier"            the full provenance as JSON (UTF-8);
 *   iTXt "XML:com.adobe.xmp"  an XMP packet with dc:/xmp: fields and the provenance.
 * JPEG and WebP carry the same XMP packet plus EXIF (ImageDescription, Software, UserComment).
 */
import zlib from 'node:zlib';
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import { AtelierError } from '../../shared/errors';

/** Everything that reproduces one generation and says where its model came from. */
export interface Provenance {
  app: 'Atelier';
  appVersion: string;
  generationId: number;
  projectId: number;
  kind: 'image' | 'text';
  prompt: string;
  seed: number;
  width: number | null;
  height: number | null;
  label: string | null;
  params: Record<string, unknown>;
  backend: string;
  createdAt: string;
  model: { id: number | null; name: string; family: string; source: string | null };
  checkpoint: { id: number | null; sha256: string; step: number };
  run: { id: number | null; name: string | null };
  dataset: { id: number | null; name: string | null; source: string | null; attribution: string | null };
  /** Model attribution (base models and imported ones carry it in their metadata). */
  attribution: string[];
  /** Where the model came from: the chain of checkpoints it was fine-tuned from, oldest last. */
  lineage: LineageEntry[];
}

export interface LineageEntry {
  checkpointSha256: string;
  step: number;
  modelName: string | null;
  family: string | null;
  runId: number | null;
  datasetName: string | null;
  attribution: string | null;
}

export const PARAMETERS_KEYWORD = 'parameters';
export const PROVENANCE_KEYWORD = 'atelier';
export const XMP_KEYWORD = 'XML:com.adobe.xmp';

/** The A1111 "parameters" text: prompt line, then one line of key: value pairs. */
export function a1111Parameters(p: Provenance): string {
  const size = p.width !== null && p.height !== null ? `${p.width}x${p.height}` : 'n/a';
  const fields = [
    `Steps: ${p.checkpoint.step}`,
    `Sampler: Atelier ${p.model.family}`,
    `Seed: ${p.seed}`,
    `Size: ${size}`,
    `Model hash: ${p.checkpoint.sha256.slice(0, 8)}`,
    `Model: ${p.model.name.replace(/[,\n]/g, ' ')}`,
  ];
  const truncation = p.params.truncation;
  if (typeof truncation === 'number') fields.push(`Truncation: ${truncation}`);
  return `${p.prompt.replace(/\r?\n/g, ' ')}\n${fields.join(', ')}`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(
    // XML 1.0 forbids most control characters even escaped.
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g,
    '',
  );
}

/** An XMP packet (Dublin Core + XMP basic + an Atelier namespace holding the provenance JSON). */
export function xmpPacket(p: Provenance): string {
  const title = p.prompt.trim() || `Atelier generation ${p.generationId}`;
  const rights = [p.dataset.attribution, ...p.attribution].filter((a): a is string => !!a);
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Atelier">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about=""',
    '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
    '    xmlns:atelier="https://atelier.invalid/ns/1.0/"',
    `    xmp:CreatorTool="Atelier ${xmlEscape(p.appVersion)}"`,
    `    xmp:CreateDate="${xmlEscape(p.createdAt)}"`,
    `    atelier:Seed="${p.seed}"`,
    `    atelier:Model="${xmlEscape(p.model.name)}"`,
    `    atelier:Family="${xmlEscape(p.model.family)}"`,
    `    atelier:CheckpointSha256="${xmlEscape(p.checkpoint.sha256)}"`,
    `    atelier:Step="${p.checkpoint.step}">`,
    `   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(title)}</rdf:li></rdf:Alt></dc:title>`,
    `   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(a1111Parameters(p))}</rdf:li></rdf:Alt></dc:description>`,
    '   <dc:creator><rdf:Seq><rdf:li>Atelier</rdf:li></rdf:Seq></dc:creator>',
    rights.length ? `   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(rights.join('; '))}</rdf:li></rdf:Alt></dc:rights>` : '',
    `   <atelier:Provenance>${xmlEscape(JSON.stringify(p))}</atelier:Provenance>`,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ]
    .filter(Boolean)
    .join('\n');
}

function isLatin1(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u00ff]*$/.test(s);
}

function keywordBytes(keyword: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword) || keyword.startsWith(' ') || keyword.endsWith(' ')) {
    throw new Error(`invalid PNG text keyword ${JSON.stringify(keyword)}`);
  }
  return Buffer.from(keyword, 'latin1');
}

/** tEXt: keyword, NUL, Latin-1 text. */
export function textChunk(keyword: string, text: string): { name: string; data: Uint8Array } {
  return { name: 'tEXt', data: Buffer.concat([keywordBytes(keyword), Buffer.from([0]), Buffer.from(text, 'latin1')]) };
}

/** iTXt: keyword, NUL, compression flag, method, language tag, NUL, translated keyword, NUL, UTF-8 text. */
export function itxtChunk(keyword: string, text: string, compress = false): { name: string; data: Uint8Array } {
  const body = compress ? zlib.deflateSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
  return { name: 'iTXt', data: Buffer.concat([keywordBytes(keyword), Buffer.from([0, compress ? 1 : 0, 0, 0, 0]), body]) };
}

export interface PngText {
  type: 'tEXt' | 'iTXt' | 'zTXt';
  keyword: string;
  text: string;
}

/** Every text chunk of a PNG, decoded. */
export function readPngText(png: Uint8Array): PngText[] {
  const out: PngText[] = [];
  for (const c of extractChunks(png)) {
    const data = Buffer.from(c.data);
    if (c.name !== 'tEXt' && c.name !== 'iTXt' && c.name !== 'zTXt') continue;
    const nul = data.indexOf(0);
    if (nul < 0) continue;
    const keyword = data.toString('latin1', 0, nul);
    if (c.name === 'tEXt') out.push({ type: 'tEXt', keyword, text: data.toString('latin1', nul + 1) });
    else if (c.name === 'zTXt') out.push({ type: 'zTXt', keyword, text: zlib.inflateSync(data.subarray(nul + 2)).toString('latin1') });
    else {
      const compressed = data[nul + 1] === 1;
      const langEnd = data.indexOf(0, nul + 3);
      const transEnd = data.indexOf(0, langEnd + 1);
      if (langEnd < 0 || transEnd < 0) continue;
      const body = data.subarray(transEnd + 1);
      out.push({ type: 'iTXt', keyword, text: (compressed ? zlib.inflateSync(body) : body).toString('utf8') });
    }
  }
  return out;
}

/** Replace any earlier Atelier/A1111/XMP text chunks with fresh ones, placed right after IHDR. */
export function embedPngMetadata(png: Uint8Array, p: Provenance): Buffer {
  let chunks: Array<{ name: string; data: Uint8Array }>;
  try {
    chunks = extractChunks(png);
  } catch (err) {
    throw new AtelierError('invalid_input', `The image is not a valid PNG: ${(err as Error).message}`);
  }
  const ours = new Set([PARAMETERS_KEYWORD, PROVENANCE_KEYWORD, XMP_KEYWORD]);
  const kept = chunks.filter((c) => {
    if (c.name !== 'tEXt' && c.name !== 'iTXt' && c.name !== 'zTXt') return true;
    const nul = Buffer.from(c.data).indexOf(0);
    return !ours.has(Buffer.from(c.data).toString('latin1', 0, nul < 0 ? 0 : nul));
  });
  const params = a1111Parameters(p);
  const added = [
    isLatin1(params) ? textChunk(PARAMETERS_KEYWORD, params) : itxtChunk(PARAMETERS_KEYWORD, params),
    itxtChunk(PROVENANCE_KEYWORD, JSON.stringify(p)),
    itxtChunk(XMP_KEYWORD, xmpPacket(p)),
  ];
  const ihdr = kept.findIndex((c) => c.name === 'IHDR');
  kept.splice(ihdr + 1, 0, ...added);
  return Buffer.from(encodeChunks(kept));
}

/** EXIF for JPEG/WebP: what A1111-style readers (UserComment) and file browsers (ImageDescription) show. */
export function exifFor(p: Provenance): { IFD0: Record<string, string>; IFD2: Record<string, string> } {
  const params = a1111Parameters(p);
  // EXIF ASCII fields are 7-bit; the full UTF-8 text is in the XMP packet.
  const ascii = params.replace(/[^\x20-\x7e\n]/g, '?');
  return {
    IFD0: { ImageDescription: ascii, Software: `Atelier ${p.appVersion}`, Artist: 'Atelier' },
    IFD2: { UserComment: ascii },
  };
}
