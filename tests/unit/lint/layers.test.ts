import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules are the static half of the Electron security checklist: if the engine or the
 * renderer could import `electron` or Node, the sandbox would be one refactor away from broken.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('layer lint rules', () => {
  it.each([
    ['src/main/catalog/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['src/main/ml/x.ts', "import { ipcMain } from 'electron/main';\nexport const a = ipcMain;\n"],
    ['src/main/service/x.ts', "import { startWebHost } from '../web/host';\nexport const a = startWebHost;\n"],
    ['src/shared/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n"],
    ['src/shared/y.ts', "import fs from 'fs';\nexport const a = fs;\n"],
    ['src/shared/z.ts', "import { openCatalog } from '../main/catalog/db';\nexport const a = openCatalog;\n"],
    ['src/renderer/src/x.ts', "import { openCatalog } from '../../main/catalog/db';\nexport const a = openCatalog;\n"],
    ['src/renderer/src/y.ts', "import path from 'node:path';\nexport const a = path;\n"],
    ['src/renderer/src/z.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n"],
  ])('%s may not import that', async (file, code) => {
    expect(await ruleIds(code, file)).toContain('no-restricted-imports');
  });

  it.each([
    ['src/main/shell/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['src/preload/x.ts', "import { contextBridge } from 'electron';\nexport const a = contextBridge;\n"],
    ['src/renderer/src/x.ts', "import type { AtelierApi } from '../../shared/api';\nexport type A = AtelierApi;\n"],
    ['src/shared/x.ts', "import { EVENT_NAMES } from './events';\nexport const a = EVENT_NAMES;\n"],
  ])('%s may', async (file, code) => {
    expect(await ruleIds(code, file)).not.toContain('no-restricted-imports');
  });

  it('forbids unseeded randomness in the engine', async () => {
    expect(await ruleIds('export const r = Math.random();\n', 'src/main/ml/x.ts')).toContain('no-restricted-syntax');
  });
});
