// The integrated terminal in web mode: a real shell typed into through the page, read back from
// xterm's screen; resize follows the panel; transcript, flow tail and paste; no shell survives
// closing its tab or quitting.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { isAlive } from '../../main/core/terminal/process-tree.ts';
import { chromiumMissingReason, SCREENSHOTS, startApp, type AppHarness } from './harness.ts';

const skip = chromiumMissingReason();
if (skip) console.warn(`[e2e terminal] skipped: ${skip}`);

const call = (app: AppHarness, method: string, params: unknown) => app.core.router.invoke(method, params, { transport: 'test', signal: new AbortController().signal });

/** The rows xterm's DOM renderer drew, as text. */
async function screenRows(page: Page, id: string): Promise<string[]> {
  return page.locator(`[data-testid="terminal-pane-${id}"] .xterm-rows > div`).allTextContents();
}

async function activeSession(page: Page): Promise<string> {
  await expect.poll(() => page.evaluate(() => window.__meshwalkTerm?.active ?? null), { timeout: 15_000 }).not.toBeNull();
  return (await page.evaluate(() => window.__meshwalkTerm!.active))!;
}

/** Type a command into the focused terminal and wait for `MARKER=value` on the screen. */
async function run(page: Page, id: string, command: string, marker: string): Promise<string> {
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  let value = '';
  await expect
    .poll(
      async () => {
        const row = (await screenRows(page, id)).map((r) => r.replace(/\u00a0/g, ' ').trim()).findLast((r) => r.startsWith(`${marker}=`));
        value = row?.slice(marker.length + 1) ?? '';
        return row !== undefined;
      },
      { timeout: 10_000 },
    )
    .toBe(true);
  return value;
}

describe.skipIf(skip)('integrated terminal in web mode (Chromium)', () => {
  let app: AppHarness | undefined;
  let shellId = '';
  beforeAll(async () => {
    app = await startApp();
    await app.page.evaluate(() => localStorage.setItem('meshwalk.testHooks', '1'));
    await app.page.getByTestId('nav-terminal').click();
  });
  afterAll(async () => app?.close());

  it('opens a shell, types a command and reads its output back from the screen', async () => {
    const { page } = app!;
    shellId = await activeSession(page);
    expect(shellId).toMatch(/^term-/);
    await page.getByTestId(`terminal-pane-${shellId}`).click();
    expect(await run(page, shellId, 'echo E2E=$((6*7))', 'E2E')).toBe('42');
    // The shell is wired to Meshwalk's kubeconfig.
    expect(await run(page, shellId, 'echo KC=$KUBECONFIG', 'KC')).toBe(path.join(app!.dataDir, 'kubeconfig'));
  });

  it('carries a flood through the socket worker intact (deflated batches, inflated off the page thread)', async () => {
    const { page } = app!;
    expect(page.workers().some((w) => w.url().includes('socket-worker'))).toBe(true);
    // ~600 kB of output: batches well over the deflate threshold.
    expect(await run(page, shellId, 'seq 1 100000; echo END=$((2*3))', 'END')).toBe('6');
    const lines = await page.evaluate((id) => {
      const buf = window.__meshwalkTerm!.terminals.get(id)!.buffer.active;
      const out: string[] = [];
      for (let y = Math.max(0, buf.length - 5000); y < buf.length; y++) out.push(buf.getLine(y)!.translateToString(true));
      return out;
    }, shellId);
    const numbers = lines.filter((l) => /^\d+$/.test(l)).map(Number);
    // The scrollback keeps the last 5000 rows: they must be consecutive and end at 100000.
    expect(numbers.at(-1)).toBe(100000);
    expect(numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1)).toBe(true);
    expect(numbers.length).toBeGreaterThan(4000);
  });

  it('resizing the viewport changes `tput cols`', async () => {
    const { page } = app!;
    const before = Number(await run(page, shellId, 'echo COLS=$(tput cols)', 'COLS'));
    expect(before).toBe(await page.evaluate((id) => window.__meshwalkTerm!.terminals.get(id)!.cols, shellId));
    await page.setViewportSize({ width: 760, height: 700 });
    await expect.poll(() => page.evaluate((id) => window.__meshwalkTerm!.terminals.get(id)!.cols, shellId)).toBeLessThan(before);
    const after = Number(await run(page, shellId, 'clear; echo NARROW=$(tput cols)', 'NARROW'));
    expect(after).toBeLessThan(before);
    expect(after).toBe(await page.evaluate((id) => window.__meshwalkTerm!.terminals.get(id)!.cols, shellId));
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect.poll(() => page.evaluate((id) => window.__meshwalkTerm!.terminals.get(id)!.cols, shellId)).toBeGreaterThan(after);
    await run(
      page,
      shellId,
      "clear; echo \"KUBECONFIG=$KUBECONFIG\"; printf '\\e[32m%s\\e[0m  \\e[33m%s\\e[0m  \\e[31m%s\\e[0m\\n' 200-ok 404-not-found 503-UO; echo WIDE=$(tput cols)",
      'WIDE',
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'terminal.png') });
  });

  it('follows the app theme', async () => {
    const { page } = app!;
    const background = () => page.evaluate((id) => window.__meshwalkTerm!.terminals.get(id)!.options.theme?.background, shellId);
    const before = await background();
    await page.getByTestId('theme').click();
    await expect.poll(background).not.toBe(before);
    expect(await background()).toBe(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--code-bg').trim()));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'terminal-dark.png') });
    await page.getByTestId('theme').click();
    await expect.poll(background).toBe(before);
  });

  it('keeps the session when the view is left and replays it on return', async () => {
    const { page } = app!;
    await page.getByTestId('nav-home').click();
    await page.getByTestId('nav-terminal').click();
    await expect.poll(async () => (await screenRows(page, shellId)).some((r) => r.includes('WIDE='))).toBe(true);
    await page.getByTestId(`terminal-pane-${shellId}`).click();
    expect(await run(page, shellId, 'echo BACK=yes', 'BACK')).toBe('yes');
  });

  it('"Copy to terminal" pastes onto the prompt without running it', async () => {
    const { page } = app!;
    const res = (await call(app!, 'terminal.paste', { text: 'echo PASTED=$((1+1))\n' })) as { id: string };
    expect(res.id).toBe(shellId);
    await expect.poll(async () => (await screenRows(page, shellId)).some((r) => r.includes('echo PASTED=$((1+1))'))).toBe(true);
    await page.waitForTimeout(300);
    expect((await screenRows(page, shellId)).some((r) => r.trim().startsWith('PASTED=2'))).toBe(false);
    await page.getByTestId(`terminal-pane-${shellId}`).click();
    expect(await run(page, shellId, '', 'PASTED')).toBe('2');
  });

  it('shows the transcript as typed commands and saves it as a script', async () => {
    const { page, core } = app!;
    core.events.emit('transcript.command', { id: 'x1', argv: ['/usr/local/bin/kubectl', 'apply', '-f', 'labs/traffic/vs reviews.yaml'], startedAt: Date.now(), equivalent: true, purpose: 'Route to v1' });
    core.events.emit('transcript.output', { id: 'x1', stream: 'stdout', text: 'virtualservice.networking.istio.io/reviews created\n' });
    core.events.emit('transcript.exit', { id: 'x1', exitCode: 0, durationMs: 420 });
    await page.getByTestId('terminal-tab-transcript').getByRole('button').click();
    const entry = page.getByTestId('transcript-entry').last();
    await expect.poll(() => entry.getByTestId('transcript-command').textContent()).toBe("kubectl apply -f 'labs/traffic/vs reviews.yaml'");
    expect(await entry.textContent()).toContain('virtualservice.networking.istio.io/reviews created');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'terminal-transcript.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('transcript-save').click()]);
    expect(download.suggestedFilename()).toBe('meshwalk-transcript.sh');
    const script = readFileSync((await download.path())!, 'utf8');
    expect(script).toContain('set -euo pipefail');
    expect(script).toContain("kubectl apply -f 'labs/traffic/vs reviews.yaml'");
  });

  it('opens the flow tail as a tab and prints captured requests in colour', async () => {
    const { page, core } = app!;
    await page.getByTestId('terminal-new-flows').click();
    const flowsId = await expect
      .poll(() => page.evaluate(() => window.__meshwalkTerm!.active))
      .toMatch(/^flows-/)
      .then(() => page.evaluate(() => window.__meshwalkTerm!.active!));
    const ref = (workload: string, app: string, version: string | null) => ({ workload, app, version, namespace: 'default' });
    const hop = (from: ReturnType<typeof ref>, to: ReturnType<typeof ref>, status: number) => ({ from, to, startTime: null, status, flags: [], durationMs: 12, cluster: null, path: '/productpage', method: 'GET', connection: null });
    core.events.emit('capture.requests', {
      emittedAt: Date.now(),
      trees: [
        {
          requestId: 'r1',
          startTime: null,
          user: 'jason',
          status: 200,
          complete: true,
          hops: [hop(ref('istio-ingressgateway', 'istio-ingressgateway', null), ref('productpage-v1', 'productpage', 'v1'), 200), hop(ref('productpage-v1', 'productpage', 'v1'), ref('reviews-v2', 'reviews', 'v2'), 503)],
        },
      ],
    });
    await expect.poll(async () => (await screenRows(page, flowsId)).join('\n')).toContain('productpage-v1 → reviews-v2');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'terminal-flows.png') });
    await page.getByTestId(`terminal-close-${flowsId}`).click();
  });

  it('closing a tab stops the shell and the jobs it started', async () => {
    const { page } = app!;
    await page.getByTestId('terminal-new-shell').click();
    const id = await expect
      .poll(() => page.evaluate((first) => window.__meshwalkTerm!.active !== first && window.__meshwalkTerm!.active, shellId))
      .toBeTruthy()
      .then(() => page.evaluate(() => window.__meshwalkTerm!.active!));
    await page.getByTestId(`terminal-pane-${id}`).click();
    const bg = Number(await run(page, id, 'sleep 1000 & echo BG=$!', 'BG'));
    const { sessions } = (await call(app!, 'terminal.list', {})) as { sessions: { id: string; pid?: number }[] };
    const pid = sessions.find((s) => s.id === id)!.pid!;
    expect(isAlive(pid) && isAlive(bg)).toBe(true);
    await page.getByTestId(`terminal-close-${id}`).click();
    await expect.poll(() => isAlive(pid) || isAlive(bg), { timeout: 5000 }).toBe(false);
    await expect.poll(() => page.getByTestId(`terminal-tab-${id}`).count()).toBe(0);
  });

  it('raises no page errors or CSP violations', () => {
    expect(app!.consoleErrors.filter((e) => /Content Security Policy|Refused to|Uncaught/.test(e))).toEqual([]);
  });

  it('quitting (server closed, core disposed) leaves no shell or job running', async () => {
    const { page } = app!;
    await page.getByTestId(`terminal-tab-${shellId}`).getByRole('button').first().click();
    await page.getByTestId(`terminal-pane-${shellId}`).click();
    const bg = Number(await run(page, shellId, 'sleep 1000 & echo QBG=$!', 'QBG'));
    const { sessions } = (await call(app!, 'terminal.list', {})) as { sessions: { pid?: number }[] };
    const pids = [...sessions.map((s) => s.pid).filter((p): p is number => !!p), bg];
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const closing = app!;
    app = undefined;
    await closing.close();
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });
});
