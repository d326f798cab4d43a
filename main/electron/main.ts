// Electron main process: a hardened window over the same core the web mode uses.
import { app, BrowserWindow, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, type Core } from '../core/index.ts';
import { appVersion } from '../core/version.ts';
import { registerAppScheme, serveRenderer } from './protocol.ts';
import { wireIpc } from './ipc.ts';
import { APP_ORIGIN, installSecurityRestrictions } from './security.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '..', 'renderer');

registerAppScheme();
installSecurityRestrictions();
if (!app.requestSingleInstanceLock()) app.quit();

let core: Core | null = null;
let window: BrowserWindow | null = null;
let unwire: (() => void) | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Meshwalk',
    show: false,
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  // Show the window first; environment checks run in the background (users dislike slow starts).
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

app.on('second-instance', () => {
  if (window?.isMinimized()) window.restore();
  window?.focus();
});

app.whenReady().then(() => {
  serveRenderer(rendererDir);
  core = createCore({
    dataDir: app.getPath('userData'),
    version: appVersion(),
    transport: 'electron',
    backend: process.env.MESHWALK_BACKEND === 'cluster' ? 'cluster' : 'sandbox',
    openExternal: (url) => shell.openExternal(url),
  });
  unwire = wireIpc(core, () => window?.webContents ?? null);
  window = createWindow();
  window.on('closed', () => (window = null));
});

app.on('window-all-closed', () => app.quit());

// Stop every child (tunnel, port-forwards, ptys) before the process exits: no orphans.
let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !core) return;
  event.preventDefault();
  quitting = true;
  unwire?.();
  void core.dispose().finally(() => app.quit());
});
