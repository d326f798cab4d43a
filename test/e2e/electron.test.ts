// Launches the real desktop app through Playwright's Electron driver wherever an Electron binary
// and a display exist (a laptop, a CI runner with xvfb). Elsewhere it says exactly why it skips.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../main/core/paths.ts';

function electronBinary(): string | null {
  const dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(bin) ? bin : null;
}

function skipReason(): string | null {
  if (!electronBinary()) return 'no Electron binary installed (node_modules/electron/dist is missing: it is downloaded on first `npm start`, which cannot reach its release host here)';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (run under xvfb-run)';
  if (!existsSync(path.join(projectRoot, 'dist', 'main', 'electron.mjs'))) return 'main process not built (npm run build)';
  return null;
}

const reason = skipReason();
if (reason) console.warn(`[e2e electron] skipped: ${reason}`);

describe.skipIf(reason)('desktop app (Electron)', () => {
  it('opens a hardened window with the shell, and quits without leaving children', async () => {
    const userData = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-electron-'));
    const app = await electron.launch({
      executablePath: electronBinary()!,
      args: [projectRoot, `--user-data-dir=${userData}`],
      env: { ...process.env, MESHWALK_BACKEND: 'sandbox' },
    });
    try {
      const page = await app.firstWindow();
      await page.getByTestId('nav-home').waitFor();
      // The page sees only the preload's bridge: no Node, no ipcRenderer.
      const surface = await page.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        bridge: Object.keys((window as unknown as { meshwalk: object }).meshwalk).sort(),
      }));
      expect(surface).toEqual({ require: 'undefined', process: 'undefined', bridge: ['invoke', 'onEvent'] });
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wc = BrowserWindow.getAllWindows()[0].webContents;
        const p = (wc as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
        return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
      });
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
      // Navigation away from the app is blocked.
      await page.evaluate(() => (location.href = 'https://example.com/'));
      await page.waitForTimeout(300);
      expect(page.url()).toMatch(/^app:\/\/meshwalk\//);
      const pong = await page.evaluate(() => (window as unknown as { meshwalk: { invoke(m: string, p: unknown): Promise<unknown> } }).meshwalk.invoke('system.ping', { nonce: 'e' }));
      expect(pong).toMatchObject({ ok: true, result: { nonce: 'e' } });
      const bad = await page.evaluate(() => (window as unknown as { meshwalk: { invoke(m: string, p: unknown): Promise<unknown> } }).meshwalk.invoke('system.ping', { nonce: 1 }));
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
