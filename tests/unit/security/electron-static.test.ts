import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP } from '../../../src/shared/csp';
import { ROOT } from '../support/sample-dataset';

/**
 * Electron's security checklist, checked statically on every machine (CI has no Electron binary; the
 * runtime half is tests/e2e/electron-security.spec.ts, which runs wherever one is installed).
 */
function sources(dir: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|svelte|html|mjs|js)$/.test(entry.name)) out.push({ file: path.relative(ROOT, p), text: fs.readFileSync(p, 'utf8') });
  }
  return out;
}

const all = sources(path.join(ROOT, 'src'));
const shell = fs.readFileSync(path.join(ROOT, 'src/main/shell/electron.ts'), 'utf8');

describe('Electron security checklist (static)', () => {
  it('the window is isolated and sandboxed, without Node', () => {
    const prefs = /webPreferences:\s*{([^}]*)}/.exec(shell)?.[1] ?? '';
    expect(prefs).toMatch(/contextIsolation:\s*true/);
    expect(prefs).toMatch(/sandbox:\s*true/);
    expect(prefs).toMatch(/nodeIntegration:\s*false/);
    expect(prefs).toMatch(/webSecurity:\s*true/);
    for (const { file, text } of all) {
      expect(text, file).not.toMatch(/nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false|allowRunningInsecureContent:\s*true|experimentalFeatures:\s*true|enableBlinkFeatures/);
    }
  });

  it('navigation, new windows, webviews and permission requests are denied', () => {
    expect(shell).toMatch(/setWindowOpenHandler\([\s\S]*?action:\s*'deny'/);
    expect(shell).toMatch(/'will-navigate'[\s\S]*?preventDefault/);
    expect(shell).toMatch(/'will-attach-webview'[\s\S]*?preventDefault/);
    expect(shell).toMatch(/setPermissionRequestHandler\([^)]*\)\s*=>\s*callback\(false\)/);
    expect(shell).toMatch(/setPermissionCheckHandler\(\(\)\s*=>\s*false\)/);
    // openExternal only for https links.
    for (const m of shell.matchAll(/openExternal\(/g)) expect(shell.slice(Math.max(0, m.index! - 120), m.index)).toMatch(/https:\/\//);
  });

  it('every IPC handler checks the sender frame and hands the payload to the schema-validating dispatcher', () => {
    const handlers = [...shell.matchAll(/ipcMain\.(handle|on)\(\s*'([^']+)'([\s\S]*?)\n {2}\}\);/g)];
    expect(handlers.length).toBeGreaterThan(0);
    for (const [, , channel, body] of handlers) {
      expect(body, channel).toMatch(/senderFrame/);
      expect(body, channel).toMatch(/isOurFrame\(/);
    }
    for (const { file, text } of all) {
      if (file.startsWith('src/main/shell/')) continue;
      expect(text, file).not.toMatch(/ipcMain\.(handle|on)\(/);
    }
  });

  it('local files are served through the atelier:// protocol with containment, never file://', () => {
    expect(shell).toMatch(/protocol\.handle\('atelier'/);
    expect(shell).toMatch(/containedPath\(/);
    expect(shell).not.toMatch(/loadFile\(|loadURL\(\s*['`]file:/);
    for (const { file, text } of all.filter((f) => f.file.startsWith('src/renderer'))) expect(text, file).not.toMatch(/file:\/\//);
  });

  it('the content security policy forbids eval, inline scripts and foreign origins', () => {
    for (const policy of [CSP, /Content-Security-Policy"\s*content="([^"]+)"/.exec(fs.readFileSync(path.join(ROOT, 'src/renderer/index.html'), 'utf8'))![1]!]) {
      expect(policy).toMatch(/default-src 'self'/);
      const script = /script-src ([^;]+)/.exec(policy)?.[1] ?? '';
      expect(script.trim()).toBe("'self'");
      expect(policy).not.toMatch(/unsafe-eval|\*|http:|https:/);
      expect(policy).toMatch(/object-src 'none'/);
    }
  });

  it('the preload exposes a narrow bridge, not ipcRenderer itself', () => {
    const preload = fs.readFileSync(path.join(ROOT, 'src/preload/index.ts'), 'utf8');
    expect(preload).toMatch(/contextBridge\.exposeInMainWorld/);
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*[,)]/);
    expect(preload).not.toMatch(/ipcRenderer\.(sendSync|invoke)\(\s*[a-z]\w*\s*,/); // channel names are fixed strings
  });
});
