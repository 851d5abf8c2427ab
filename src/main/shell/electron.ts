/**
 * The Electron shell: the only module (with the preload) that imports `electron`. It opens a hardened
 * window on the built renderer and binds the engine's service to IPC. Everything else is plain Node.
 */
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, clipboard, ipcMain, Menu, nativeImage, net, protocol, session, shell, type MenuItemConstructorOptions, type WebContents } from 'electron';
import { createService, type DesktopBridge, type Service } from '../service';
import { AtelierError } from '../../shared/errors';
import { containedPath } from '../files/contain';
import { isMediaPath } from '../files/media';
import { CSP } from '../../shared/csp';

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = path.join(here, '../renderer');
const PRELOAD = path.join(here, '../preload/index.cjs');
const ORIGIN = 'atelier://app';
const DEV_URL = process.env.ELECTRON_RENDERER_URL; // set by `electron-vite dev`

app.setName('Atelier');
if (!app.requestSingleInstanceLock()) app.quit();

// Must run before `ready`: our scheme behaves like https (secure context, fetch, CSP 'self').
protocol.registerSchemesAsPrivileged([
  { scheme: 'atelier', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

let service: Service | undefined;
let mainWindow: BrowserWindow | undefined;

function isOurFrame(url: string | undefined): boolean {
  if (!url) return false;
  return url.startsWith(`${ORIGIN}/`) || (DEV_URL !== undefined && url.startsWith(DEV_URL));
}

/** atelier://app/… serves the renderer; atelier://app/media/… the data folder's media folders only; nothing escapes. */
function registerProtocol(dataDir: string): void {
  protocol.handle('atelier', async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('Not found', { status: 404 });
    try {
      const pathname = decodeURIComponent(url.pathname);
      if (pathname.startsWith('/media/') && !isMediaPath(pathname.slice('/media/'.length))) return new Response('Not found', { status: 404 });
      const file = pathname.startsWith('/media/')
        ? containedPath(dataDir, pathname.slice('/media/'.length))
        : containedPath(RENDERER_DIR, pathname === '/' ? 'index.html' : pathname.slice(1));
      const target = fs.existsSync(file) ? file : path.extname(file) === '' ? path.join(RENDERER_DIR, 'index.html') : file;
      const response = await net.fetch(pathToFileURL(target).toString());
      const headers = new Headers(response.headers);
      headers.set('content-security-policy', CSP);
      headers.set('x-content-type-options', 'nosniff');
      return new Response(response.body, { status: response.status, headers });
    } catch {
      return new Response('Forbidden', { status: 403 });
    }
  });
}

function harden(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    // Links to the outside world open in the user's browser, never inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isOurFrame(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isOurFrame(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    title: 'Atelier',
    backgroundColor: '#16161a',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  harden(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(DEV_URL ?? `${ORIGIN}/index.html`);
  return win;
}

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  const send = (view: string) => () => mainWindow?.webContents.send('atelier:event', 'ui.navigate', { view });
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Projects', accelerator: 'CmdOrCtrl+Shift+P', click: send('projects') },
        { label: 'Import Images…', accelerator: 'CmdOrCtrl+I', click: send('datasets') },
        { type: 'separator' },
        { label: 'Open Data Folder', click: () => service && void shell.openPath(service.ctx.dataDir) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Datasets', accelerator: 'CmdOrCtrl+1', click: send('datasets') },
        { label: 'Train', accelerator: 'CmdOrCtrl+2', click: send('train') },
        { label: 'Create', accelerator: 'CmdOrCtrl+3', click: send('create') },
        { label: 'Gallery', accelerator: 'CmdOrCtrl+4', click: send('gallery') },
        { label: 'Export', accelerator: 'CmdOrCtrl+5', click: send('export') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }]),
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'About Atelier', click: () => app.showAboutPanel() },
        { label: 'Sample Data Attribution', click: send('about') },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

void app.whenReady().then(() => {
  const dataDir = process.env.ATELIER_DATA_DIR ?? app.getPath('userData');
  // Export's desktop-only actions (export.reveal / export.copy / export.drag). The service only ever
  // passes paths of files it recorded as exported.
  const desktop: DesktopBridge = {
    reveal: (file) => shell.showItemInFolder(file),
    copyImage: (file) => {
      const image = nativeImage.createFromPath(file);
      if (image.isEmpty()) throw new AtelierError('unsupported', 'This image format cannot be copied to the clipboard; use Show in folder instead.');
      clipboard.writeImage(image);
    },
    startDrag: (file) => {
      const image = nativeImage.createFromPath(file);
      // startDrag needs a non-empty icon; files that are not images (zip, svg) get a plain square.
      const icon = image.isEmpty() ? nativeImage.createFromBitmap(Buffer.alloc(32 * 32 * 4, 0xaa), { width: 32, height: 32 }) : image.resize({ width: 64 });
      mainWindow?.webContents.startDrag({ file, icon });
    },
  };
  service = createService({ dataDir, door: 'electron', desktop });
  registerProtocol(service.ctx.dataDir);

  // No web permission (camera, notifications, geolocation…) is ever granted.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  ipcMain.handle('atelier:call', async (event, method: unknown, input: unknown) => {
    // Only our own top-level page may call: not an iframe, not a page we navigated away to.
    const frame = event.senderFrame;
    if (!frame || frame !== mainWindow?.webContents.mainFrame || !isOurFrame(frame.url)) {
      return { ok: false, error: { code: 'forbidden', message: 'Calls are only accepted from the studio window.' } };
    }
    return service!.dispatch(method, input);
  });
  service.events.onAny((event, payload) => mainWindow?.webContents.send('atelier:event', event, payload));

  buildMenu();
  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});

app.on('second-instance', () => {
  if (mainWindow?.isMinimized()) mainWindow.restore();
  mainWindow?.focus();
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  void service?.close();
});
