// Where Meshwalk keeps its own files. Matches Electron's app.getPath('userData') for the app name,
// so the desktop app, web mode and the CLI share one kubeconfig and one lab progress store.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.MESHWALK_DATA_DIR) return path.resolve(env.MESHWALK_DATA_DIR);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Meshwalk');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Meshwalk');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Meshwalk');
}

/** The project root (where package.json, labs/ and dist/ live), from this file's location. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
