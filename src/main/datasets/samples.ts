import fs from 'node:fs';
import path from 'node:path';

/** A built-in sample (resources/samples/index.json), shipped with its attribution. */
export interface SampleEntry {
  id: string;
  name: string;
  kind: 'image' | 'text';
  /** Relative to resources/samples. */
  path: string;
  count: number;
  role: 'sample' | 'heldout';
  attribution: string;
}

export function listSamples(resourcesDir: string): SampleEntry[] {
  const index = path.join(resourcesDir, 'samples', 'index.json');
  if (!fs.existsSync(index)) return [];
  return (JSON.parse(fs.readFileSync(index, 'utf8')) as { samples: SampleEntry[] }).samples;
}
