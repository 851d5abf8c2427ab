// Runs after `npm install` / `npm ci`:
// 1. fetch Electron's binary if this machine can (npm's allowScripts keeps electron's own postinstall
//    off, so a failed download can never fail the install; here it is one try with a clear note);
// 2. build the studio so `npm start` and `npx atelier` work at once.
// ATELIER_SKIP_ELECTRON=1 skips 1, ATELIER_SKIP_BUILD=1 skips 2.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('electron.vite.config.ts')) process.exit(0); // installed as a dependency: nothing to do

if (process.env.ATELIER_SKIP_ELECTRON !== '1' && existsSync('node_modules/electron/install.js') && !existsSync('node_modules/electron/path.txt')) {
  const r = spawnSync(process.execPath, ['node_modules/electron/install.js'], { stdio: 'pipe', timeout: 180_000 });
  if (r.status === 0) console.log('atelier: Electron binary installed.');
  else console.log('atelier: the Electron binary could not be downloaded here; `npm start` will serve the studio in your browser instead.');
}

if (process.env.ATELIER_SKIP_BUILD !== '1') {
  const result = spawnSync('npx', ['--no-install', 'electron-vite', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(result.status ?? 1);
}
