#!/usr/bin/env node
// `atelier` / `npx atelier`: runs the built CLI. The build happens at `npm install` (prepare) and in
// `npm run build`; if it is missing, say how to make it rather than failing with a stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`atelier: the engine is not built yet (${cli} is missing). Run "npm run build" in ${root}.\n`);
  process.exit(1);
}
await import(pathToFileURL(cli).href);
