import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, SCREENSHOTS, startApp, type AppHarness } from './harness.ts';

const skip = chromiumMissingReason();
if (skip) console.warn(`[e2e shell] skipped: ${skip}`);

describe.skipIf(skip)('app shell in web mode (Chromium)', () => {
  let app: AppHarness;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => app?.close());

  it('loads with the token, drops it from the address bar, and shows the shell', async () => {
    const { page } = app;
    expect(new URL(page.url()).search).toBe('');
    await expect(page.getByTestId('nav-home').getAttribute('aria-current')).resolves.toBe('page');
    await page.getByTestId('status-bar').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'shell-home.png') });
  });

  it('navigates between the five views', async () => {
    const { page } = app;
    for (const id of ['labs', 'mesh', 'packet', 'terminal', 'home']) {
      await page.getByTestId(`nav-${id}`).click();
      await expect.poll(() => page.getByTestId(`nav-${id}`).getAttribute('aria-current')).toBe('page');
      expect(new URL(page.url()).hash).toBe(`#/${id}`);
    }
  });

  it('switches language to Korean and back', async () => {
    const { page } = app;
    await page.getByTestId('language').selectOption('ko');
    await expect.poll(() => page.getByTestId('nav-labs').textContent()).toBe('실습');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'shell-ko.png') });
    await page.getByTestId('language').selectOption('en');
    await expect.poll(() => page.getByTestId('nav-labs').textContent()).toBe('Labs');
  });

  it('toggles the light/dark theme', async () => {
    const { page } = app;
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.getByTestId('theme').click();
    const after = await page.evaluate(() => document.documentElement.dataset.theme);
    expect(after).not.toBe(before);
    expect(['light', 'dark']).toContain(after);
  });

  it('shows the connection as open and reconnects state in the status bar', async () => {
    await expect(app.page.getByTestId('status-connection').getAttribute('data-state')).resolves.toBe('open');
  });

  it('raises no CSP violations or page errors', () => {
    expect(app.consoleErrors.filter((e) => /Content Security Policy|Refused to/.test(e))).toEqual([]);
  });

  it('refuses a fresh browser without the token', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const res = await page.goto(app.server.url);
      expect(res?.status()).toBe(401);
      expect(await page.textContent('body')).toContain('token');
    } finally {
      await browser.close();
    }
  });
});
