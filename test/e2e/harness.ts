// Starts the real web-mode server over a real core and drives Debian's Chromium against it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createCore, type Core } from '../../main/core/index.ts';
import { projectRoot } from '../../main/core/paths.ts';
import { startWebServer, type WebServer } from '../../main/web/server.ts';

export const CHROMIUM = process.env.MESHWALK_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const SCREENSHOTS = path.join(projectRoot, 'test-results', 'screenshots');

export function chromiumMissingReason(): string | null {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (!existsSync(path.join(projectRoot, 'dist', 'renderer', 'index.html'))) return 'renderer not built (npm run build)';
  return null;
}


export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface ServerHarness {
  core: Core;
  server: WebServer;
  dataDir: string;
  close(): Promise<void>;
}

export interface AppHarness extends ServerHarness {
  browser: Browser;
  page: Page;
  /** Browser console errors seen so far (CSP violations, uncaught exceptions). */
  consoleErrors: string[];
}

/** The real core behind the real web-mode server, in a fresh data directory. */
export async function startServer(opts: { backend?: 'sandbox' | 'cluster'; env?: NodeJS.ProcessEnv } = {}): Promise<ServerHarness> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-e2e-'));
  const core = createCore({ dataDir, version: 'test', transport: 'web', backend: opts.backend ?? 'sandbox', env: opts.env ?? process.env });
  const server = await startWebServer({ core, staticDir: path.join(projectRoot, 'dist', 'renderer') });
  return {
    core,
    server,
    dataDir,
    async close() {
      await server.close();
      await core.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startApp(opts: { backend?: 'sandbox' | 'cluster'; env?: NodeJS.ProcessEnv; viewport?: { width: number; height: number } } = {}): Promise<AppHarness> {
  const app = await startServer(opts);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(app.server.tokenUrl);
  await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
  return {
    ...app,
    browser,
    page,
    consoleErrors,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}
