import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { test as base, _electron as electron, type Page, type ElectronApplication, type Browser } from '@playwright/test';

/**
 * The studio under test, whichever door: the web host in Chromium, or the desktop app in Electron.
 * `stop()`/`start()` end and restart the engine on the same data folder, as a user quitting and
 * reopening would.
 */
export interface Studio {
  page: Page;
  dataDir: string;
  door: 'web' | 'electron';
  /** The web host's base URL and token (web door only), for API calls from the test. */
  baseUrl?: string;
  token?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Save a screenshot under test-results/screenshots/<name>.png and return its path. */
  screenshot(name: string): Promise<string>;
  /** Run the CLI against the same data folder; resolves with stdout. */
  cli(...args: string[]): Promise<string>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'atelier.js');
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

export function electronBinary(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('electron/package.json'));
    const rel = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
    const bin = path.join(dir, 'dist', rel);
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

export function runCli(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

class WebStudio implements Studio {
  door = 'web' as const;
  page!: Page;
  baseUrl?: string;
  token?: string;
  private server?: ChildProcess;

  constructor(
    private readonly browser: Browser,
    readonly dataDir: string,
  ) {}

  async start(): Promise<void> {
    // The specs build their source folders under the temp folder and import some by path, which the
    // browser door does only from folders named at launch.
    const args = [BIN, 'serve', '--port', '0', '--allow-path', fs.realpathSync(os.tmpdir()), '--json', '--data-dir', this.dataDir];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = child;
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.on('exit', (code) => reject(new Error(`web host exited (${code}): ${stderr}`)));
    });
    const { url, token } = JSON.parse(line) as { url: string; token: string };
    this.token = token;
    this.baseUrl = new URL(url).origin;
    if (!this.page || this.page.isClosed()) this.page = await this.browser.newPage();
    await this.page.goto(url);
  }

  async stop(): Promise<void> {
    const child = this.server;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: false });
    return file;
  }

  async cli(...args: string[]): Promise<string> {
    const r = await runCli(this.dataDir, args);
    if (r.code !== 0) throw new Error(`atelier ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }
}

class ElectronStudio implements Studio {
  door = 'electron' as const;
  page!: Page;
  private app?: ElectronApplication;

  constructor(
    private readonly bin: string,
    readonly dataDir: string,
  ) {}

  async start(): Promise<void> {
    this.app = await electron.launch({
      executablePath: this.bin,
      args: [path.join(ROOT, 'out', 'main', 'electron.js')],
      env: { ...process.env, ATELIER_DATA_DIR: this.dataDir },
    });
    this.page = await this.app.firstWindow();
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `electron-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async cli(...args: string[]): Promise<string> {
    const r = await runCli(this.dataDir, args);
    if (r.code !== 0) throw new Error(`atelier ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** The running Electron app, for runtime security checks. */
  get application(): ElectronApplication | undefined {
    return this.app;
  }
}

export const test = base.extend<{ studio: Studio }>({
  studio: async ({ browser }, use, testInfo) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-'));
    let studio: Studio;
    if (testInfo.project.name === 'electron') {
      const bin = electronBinary();
      test.skip(!bin, 'No Electron binary is installed on this machine; the same specs ran in Chromium through the web host.');
      studio = new ElectronStudio(bin!, dataDir);
    } else {
      studio = new WebStudio(browser, dataDir);
    }
    await studio.start();
    await use(studio);
    await studio.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
