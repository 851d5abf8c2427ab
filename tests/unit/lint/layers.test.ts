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

  // The order inside src/main, bottom up: files · catalog, ml → datasets · export → engine → jobs → service → doors.
  it.each([
    ['src/main/files/x.ts', '../catalog/db'],
    ['src/main/catalog/x.ts', '../datasets/import'],
    ['src/main/catalog/x.ts', '../ml/rng'],
    ['src/main/ml/train/x.ts', '../../catalog/db'],
    ['src/main/datasets/x.ts', '../export/pack'],
    ['src/main/export/x.ts', '../datasets/prepare'],
    ['src/main/export/x.ts', '../engine/context'],
    ['src/main/engine/x.ts', '../jobs/train/start'],
    ['src/main/jobs/x.ts', '../service/context'],
    ['src/main/jobs/train/x.ts', '../../service'],
    ['src/main/service/x.ts', '../cli/output'],
    ['src/main/shell/x.ts', '../web/host'],
    ['src/main/web/x.ts', '../shell/electron'],
    ['src/main/web/x.ts', '../cli/serve'],
    ['src/main/cli/x.ts', '../catalog/projects'],
    ['src/main/cli/x.ts', '../jobs/train/start'],
    ['src/main/cli/x.ts', '../engine/runner'],
    ['src/main/cli/x.ts', '../service/datasets'],
    ['src/main/cli/x.ts', '../shell/electron'],
  ])('%s may not import %s', async (file, from) => {
    expect(await ruleIds(`import * as m from '${from}';\nexport const a = m;\n`, file)).toContain('no-restricted-imports');
  });

  it.each([
    ['src/main/catalog/x.ts', './datasets'],
    ['src/main/catalog/x.ts', '../files/atomic'],
    ['src/main/datasets/x.ts', '../ml/data'],
    ['src/main/export/x.ts', '../catalog/db'],
    ['src/main/engine/x.ts', '../catalog/jobs'],
    ['src/main/jobs/train/x.ts', '../../engine/context'],
    ['src/main/service/x.ts', '../jobs/train/start'],
    ['src/main/shell/x.ts', '../service'],
    ['src/main/shell/x.ts', '../../shared/csp'],
    ['src/main/cli/x.ts', '../service'],
    ['src/main/cli/x.ts', '../web/host'],
    ['src/main/cli/x.ts', '../files/contain'],
  ])('%s may import %s', async (file, from) => {
    expect(await ruleIds(`import * as m from '${from}';\nexport const a = m;\n`, file)).not.toContain('no-restricted-imports');
  });

  it('keeps the CLI off the engine context: it calls the contract', async () => {
    expect(await ruleIds('export const f = (s: { ctx: { db: unknown } }) => s.ctx.db;\n', 'src/main/cli/x.ts')).toContain('no-restricted-syntax');
  });

  it('keeps DOM and Node globals out of src/shared', async () => {
    expect(await ruleIds('export const a = window.location.href;\n', 'src/shared/x.ts')).toContain('no-restricted-globals');
    expect(await ruleIds('export const a = process.platform;\n', 'src/shared/x.ts')).toContain('no-restricted-globals');
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
