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

/** The web host under fuzz: what a well-formed request from the studio's own page would carry. */
export interface DoorTarget {
  port: number;
  token: string;
  launchKey: string;
  cookieName: string;
}

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | null;
  /** Whether the door policy admits it (then it carries a harmless call); a refused one carries a forgery. */
  admitted: boolean;
  /** A POST to /api/call or /api/upload: refused unless admitted. */
  stateChanging: boolean;
  /** Which dimensions this request varied from a well-formed one. */
  varied: Array<'host' | 'cookie' | 'origin' | 'contentType' | 'authorization' | 'launch' | 'method' | 'path' | 'body'>;
}

export interface HostileUpgrade {
  headers: Record<string, string>;
  protocols: string[];
  query: string;
  admitted: boolean;
}

/**
 * Hostile requests for the web host's doors: Host and Origin (other ports, schemes, opaque, rebinding
 * names), cookies (malformed percent-encoding, decoys, floods, quoting), credentials, the launch key,
 * content types and body shapes (deep nesting, oversize, binary, duplicate keys). Each is marked with
 * whether the door policy should admit it: an admitted request carries a read-only call, a refused one
 * a call that would change the catalog, so one forgery that gets through shows in the catalog digest.
 */
export function hostileRequests(seed: number, count: number, t: DoorTarget): HostileRequest[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
  const studio = `http://127.0.0.1:${t.port}`;
  const good = `${t.cookieName}=${t.token}`;
  const hosts = [`127.0.0.1:${t.port}`, `localhost:${t.port}`, `127.0.0.1:${t.port + 1}`, 'attacker.example', `attacker.example:${t.port}`, '127.0.0.1', `[::1]:${t.port}`, 'x'.repeat(300), ''];
  const cookies = [
    null,
    good,
    `junk=%E0%A4%A; ${good}`,
    `${good}; junk=%E0%A4%A`,
    'x=%E0%A4%A',
    `${t.cookieName}=%E0%A4%A`,
    `${t.cookieName}=wrong; ${good}`,
    `${t.cookieName}="${t.token}"`,
    `${t.cookieName}=`,
    Array.from({ length: 400 }, (_, i) => `c${i}=v`).join('; '),
    '=;;=; ;',
    `${t.cookieName}=${'A'.repeat(6000)}`,
    'a=%ZZ%; b=%; c=%%%',
  ];
  const origins = [null, studio, `http://127.0.0.1:${t.port + 1}`, 'null', `https://127.0.0.1:${t.port}`, `http://localhost:${t.port}`, `${studio}/`, 'http://evil.example', `HTTP://127.0.0.1:${t.port}`, `${studio}.evil.example`];
  const types = [null, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'APPLICATION/JSON', 'application/json, text/plain', 'application/jsonx', 'application/octet-stream'];
  const auths = [null, null, `Bearer ${t.token}`, 'Bearer wrong', 'Basic dXNlcjpwYXNz', `Bearer ${t.token} extra`];
  const launches = [null, t.launchKey, 'wrong', t.token, ''];
  const methods = ['POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  const paths = ['/api/call', '/api/call', '/api/call', `/api/call?token=${t.token}`, '/api/upload?id=fuzz-upload-01&path=a.png', '/media/catalog.db', '/'];
  const deep = `{"method":"projects.list","input":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
  const shapes: Array<() => string | Buffer> = [
    () => '',
    () => 'null',
    () => '[]',
    () => '{"method":',
    () => deep,
    () => JSON.stringify({ method: 'projects.list', input: {}, pad: 'y'.repeat(300_000) }),
    () => Buffer.from([0xff, 0xfe, 0x00, 0x01, 0xc3, 0x28]),
    () => '{"method":"projects.list","input":{},"method":"projects.create"}',
    () => JSON.stringify({ method: 'projects.list', input: { __proto__: { polluted: true } } }),
    () => Buffer.alloc(5 * 1024 * 1024, 0x20),
  ];
  const out: HostileRequest[] = [];
  for (let i = 0; i < count; i++) {
    const varied: HostileRequest['varied'] = [];
    // Start from a well-formed request and vary a few dimensions at once.
    let host = hosts[0]!;
    let cookie: string | null = good;
    let origin: string | null = studio;
    let type: string | null = 'application/json';
    let auth: string | null = null;
    let launch: string | null = t.launchKey;
    let method = 'POST';
    let path = '/api/call';
    let body: (() => string | Buffer) | null = null;
    const n = 1 + rng.int(3);
    for (let k = 0; k < n; k++) {
      switch (rng.int(9)) {
        case 0:
          host = pick(hosts);
          varied.push('host');
          break;
        case 1:
          cookie = pick(cookies);
          varied.push('cookie');
          break;
        case 2:
          origin = pick(origins);
          varied.push('origin');
          break;
        case 3:
          type = pick(types);
          varied.push('contentType');
          break;
        case 4:
          auth = pick(auths);
          varied.push('authorization');
          break;
        case 5:
          launch = pick(launches);
          varied.push('launch');
          break;
        case 6:
          method = pick(methods);
          varied.push('method');
          break;
        case 7:
          path = pick(paths);
          varied.push('path');
          break;
        default:
          body = pick(shapes);
          varied.push('body');
      }
    }
    // The policy, restated: who is admitted to change data.
    const hostOk = host === `127.0.0.1:${t.port}` || host === `localhost:${t.port}`;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : null;
    const query = path.includes('token=');
    const studioCookies = cookieValues(cookie, t.cookieName);
    const via = bearer !== null ? 'header' : query ? 'query' : studioCookies.length ? 'cookie' : null;
    const tokenOk = via === 'header' ? bearer === t.token : via === 'query' ? true : via === 'cookie' ? studioCookies.includes(t.token) : false;
    const originOk = origin === null ? via !== 'cookie' : origin === `http://${host}`;
    const isCall = path.startsWith('/api/call');
    const isUpload = path.startsWith('/api/upload');
    const mediaType = (type ?? '').split(';')[0]!.trim().toLowerCase();
    const typeOk = isCall ? mediaType === 'application/json' : mediaType === 'application/octet-stream';
    const launchOk = via !== 'cookie' || launch === t.launchKey;
    const stateChanging = method === 'POST' && (isCall || isUpload);
    const admitted = hostOk && tokenOk && stateChanging && originOk && typeOk && launchOk;
    const headers: Record<string, string> = { host };
    if (cookie !== null) headers.cookie = cookie;
    if (origin !== null) headers.origin = origin;
    if (type !== null) headers['content-type'] = type;
    if (auth !== null) headers.authorization = auth;
    if (launch !== null) headers['x-atelier-launch'] = launch;
    const payload = body
      ? body()
      : admitted
        ? JSON.stringify({ method: 'projects.list', input: {} })
        : JSON.stringify({ method: 'projects.create', input: { name: `Forged ${i}` } });
    out.push({ method, path, headers, body: method === 'GET' || method === 'OPTIONS' ? null : payload, admitted, stateChanging, varied });
  }
  return out;
}

/** The values of the cookies called `name`, as a browser-grade parser reads them (undecodable ones dropped). */
function cookieValues(header: string | null, name: string): string[] {
  if (header === null) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      v = decodeURIComponent(v);
    } catch {
      continue;
    }
    if (v !== '') out.push(v);
  }
  return out;
}

/** Hostile socket upgrades: the same Host, Origin, cookie and credential variations, plus subprotocols. */
export function hostileUpgrades(seed: number, count: number, t: DoorTarget): HostileUpgrade[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
  const studio = `http://127.0.0.1:${t.port}`;
  const good = `${t.cookieName}=${t.token}`;
  const out: HostileUpgrade[] = [];
  for (let i = 0; i < count; i++) {
    const origin = pick([null, studio, `http://127.0.0.1:${t.port + 1}`, 'null', `http://localhost:${t.port}`, 'http://evil.example']);
    const cookie = pick([null, good, `junk=%E0%A4%A; ${good}`, 'x=%E0%A4%A', `${t.cookieName}=%E0%A4%A`, `${t.cookieName}=wrong`]);
    const protocols = pick([[], ['atelier'], ['atelier', `atelier-launch.${t.launchKey}`], ['atelier', 'atelier-launch.wrong'], [`atelier-launch.${t.launchKey}`], ['other']]);
    const query = pick(['', '', `?token=${t.token}`, '?token=wrong']);
    const auth = pick([null, null, `Bearer ${t.token}`, 'Bearer wrong']);
    const headers: Record<string, string> = {};
    if (origin !== null) headers.origin = origin;
    if (cookie !== null) headers.cookie = cookie;
    if (auth !== null) headers.authorization = auth;
    const studioCookies = cookieValues(cookie, t.cookieName);
    const via = auth !== null ? 'header' : query ? 'query' : studioCookies.length ? 'cookie' : null;
    const tokenOk = via === 'header' ? auth === `Bearer ${t.token}` : via === 'query' ? query === `?token=${t.token}` : via === 'cookie' ? studioCookies.includes(t.token) : false;
    const originOk = origin === null ? via !== 'cookie' : origin === studio;
    const launchOk = via !== 'cookie' || protocols.includes(`atelier-launch.${t.launchKey}`);
    // A client offering subprotocols needs one the host speaks ('atelier'), or the handshake fails.
    const protocolOk = protocols.length === 0 || protocols.includes('atelier');
    out.push({ headers, protocols, query, admitted: tokenOk && originOk && launchOk && protocolOk });
  }
  return out;
}
