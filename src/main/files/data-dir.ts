import os from 'node:os';
import path from 'node:path';

/**
 * Where Atelier keeps its catalog and files when no folder is given. It matches Electron's
 * `app.getPath('userData')` for an app named "Atelier", so the desktop app, the CLI and the web host
 * share one catalog by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ATELIER_DATA_DIR) return path.resolve(env.ATELIER_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Atelier');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Atelier');
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Atelier');
  }
}

/** The data folder's layout, in one place. Paths returned relative are "media paths". */
export const layout = {
  projectDir: (projectId: number) => `projects/${projectId}`,
  itemFile: (projectId: number, hash: string, ext: string) => `projects/${projectId}/items/${hash.slice(0, 2)}/${hash}${ext}`,
  thumbFile: (projectId: number, hash: string) => `projects/${projectId}/thumbs/${hash.slice(0, 2)}/${hash}.webp`,
  runDir: (projectId: number, runId: number) => `projects/${projectId}/runs/${runId}`,
  checkpointFile: (projectId: number, runId: number, step: number) =>
    `projects/${projectId}/runs/${runId}/checkpoints/step-${String(step).padStart(8, '0')}.ckpt`,
  gridFile: (projectId: number, runId: number, step: number) =>
    `projects/${projectId}/runs/${runId}/grids/step-${String(step).padStart(8, '0')}.png`,
  generationFile: (projectId: number, id: number) => `projects/${projectId}/generations/${Math.floor(id / 1000)}/${id}.png`,
  cacheDir: () => 'cache',
};
