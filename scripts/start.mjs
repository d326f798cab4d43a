// `npm start`: build, then launch Electron. Where Electron cannot start (its binary cannot be
// downloaded, or there is no display), say so plainly and point to web mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function explain(reason) {
  console.error(`\nMeshwalk cannot start its desktop window here: ${reason}`);
  console.error('Run it in your browser instead (same app, sandbox mesh included):\n\n    npm run web\n');
  process.exit(1);
}

/** Path of the Electron binary if it is installed, without triggering a download. */
function electronBinary() {
  const dir = path.dirname(require.resolve('electron/package.json'));
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(bin) ? bin : null;
}

let bin = electronBinary();
if (!bin) {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) explain('ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the Electron binary was not downloaded.');
  console.log('Downloading the Electron binary (first start only)…');
  const dir = path.dirname(require.resolve('electron/package.json'));
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], { stdio: 'inherit', timeout: 10 * 60_000 });
  bin = r.status === 0 ? electronBinary() : null;
  if (!bin) explain('the Electron binary could not be downloaded (no network access to its release host?).');
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  explain('no graphical display (DISPLAY/WAYLAND_DISPLAY is not set).');
}

const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) process.exit(build.status ?? 1);

const child = spawn(bin, [root], { stdio: 'inherit', env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } });
child.on('exit', (code, signal) => {
  if (code !== 0 && signal === null) console.error(`Electron exited with code ${code}. If it could not open a window, try: npm run web`);
  process.exit(code ?? 1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
