// Development only (vitest, tsx): run a TypeScript worker entry from sources. Built apps start the
// compiled out/main/<name>.js directly and never load this file.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(pathToFileURL(process.argv[2]).href);
