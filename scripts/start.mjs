// `npm start`: the desktop app when an Electron binary is installed; otherwise the same studio served to
// the browser by the web host (with a note saying why).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const dir = path.dirname(require.resolve('electron/package.json'));
    const pathFile = path.join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

if (!existsSync('out/main/cli.js') || !existsSync('out/renderer/index.html')) {
  console.log('Building Atelier first…');
  const build = spawn('npx', ['--no-install', 'electron-vite', 'build'], { stdio: 'inherit' });
  await new Promise((resolve, reject) => build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build failed (${code})`)))));
}

const extra = process.argv.slice(2);
const bin = electronBinary();
if (bin && process.env.ATELIER_WEB !== '1') {
  const child = spawn(bin, ['.', ...extra], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    bin
      ? 'ATELIER_WEB=1: serving the studio in your browser instead of the desktop window.'
      : 'The Electron binary is not installed on this machine (it could not be downloaded), so Atelier runs as a web studio:\n' +
          'open the address below in your browser. Everything still stays on this machine (127.0.0.1 only).',
  );
  const child = spawn(process.execPath, ['bin/atelier.js', 'serve', ...extra], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
