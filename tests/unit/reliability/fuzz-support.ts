import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { Rng } from '../../../src/main/ml/rng';

/**
 * Hostile payload generator for contract fuzzing. Cases are shaped like what a buggy or malicious
 * client sends: wrong JSON types, prototype-pollution keys, extra keys, huge strings and arrays, deep
 * nesting, numbers at the edges. Deterministic per seed so a failure can be replayed.
 */
export function hostilePayloads(seed: number, count: number): unknown[] {
  const rng = new Rng(seed);
  const atoms: unknown[] = [
    null,
    undefined,
    true,
    0,
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER + 2,
    -0,
    1e308,
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    'x'.repeat(100_000),
    '🎨'.repeat(1000),
    [],
    {},
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__": {"polluted": true}}'),
    { constructor: { prototype: { polluted: true } } },
  ];
  const keys = ['id', 'projectId', 'datasetId', 'name', 'confirmName', 'family', 'length', 'steps', 'action', 'query', 'ids', 'input', 'toString', '__proto__', 'constructor', 'seed', 'count', 'path', 'paths'];
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
  const value = (depth: number): unknown => {
    const r = rng.int(10);
    if (depth > 3 || r < 5) return pick(atoms);
    if (r < 7) return Array.from({ length: rng.int(4) }, () => value(depth + 1));
    if (r < 8) return new Array(50_000).fill(1);
    const o: Record<string, unknown> = {};
    for (let i = 0, n = 1 + rng.int(4); i < n; i++) o[pick(keys)] = value(depth + 1);
    return o;
  };
  const deep = () => {
    let o: unknown = 1;
    for (let i = 0; i < 2000; i++) o = { a: o };
    return o;
  };
  const out: unknown[] = [deep()];
  while (out.length < count) out.push(value(0));
  return out;
}

/** A digest of every row of every table: equal digests mean nothing in the catalog changed. */
export function catalogDigest(db: Database.Database): string {
  const h = crypto.createHash('sha256');
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts_%' ORDER BY name").all() as Array<{ name: string }>;
  for (const { name } of tables) {
    h.update(`#${name}\n`);
    for (const row of db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all()) h.update(JSON.stringify(row));
  }
  return h.digest('hex');
}
