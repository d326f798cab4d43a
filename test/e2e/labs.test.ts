// The request-routing lab in the app, in English and in Korean: open it, apply a step, verify.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, SCREENSHOTS, startApp, type AppHarness } from './harness.ts';

const skip = chromiumMissingReason();
if (skip) console.warn(`[e2e labs] skipped: ${skip}`);

describe.skipIf(skip)('labs view (Chromium, sandbox)', () => {
  let app: AppHarness;
  beforeAll(async () => {
    app = await startApp({ viewport: { width: 1400, height: 1000 } });
  });
  afterAll(async () => app?.close());

  async function runStep(id: string, expected: 'pass' | 'fail' | 'skipped' = 'pass') {
    const { page } = app;
    await page.getByTestId(`lab-step-${id}`).click();
    await page.getByTestId('step-action').click();
    await expect.poll(() => page.getByTestId('step-result').getAttribute('data-outcome'), { timeout: 20_000 }).toBe(expected);
  }

  it('lists the labs with progress', async () => {
    const { page } = app;
    await page.getByTestId('nav-labs').click();
    await page.getByTestId('lab-card-request-routing').waitFor();
    expect(await page.getByTestId('lab-list').locator('li').count()).toBe(14);
  });

  it('English: apply a step (diff shown first), send traffic, verify', async () => {
    const { page } = app;
    await page.getByTestId('language').selectOption('en');
    await page.goto(page.url().replace(/#.*$/, '') + '#/labs/request-routing');
    await expect.poll(() => page.getByTestId('lab-title').textContent()).toBe('Request routing');
    await runStep('setup');
    await runStep('pods-ready');
    await page.getByTestId('lab-step-all-v1').click();
    // The manifest's diff against the live state is shown before applying.
    await expect.poll(() => page.getByTestId('step-diff').textContent(), { timeout: 10_000 }).toContain('VirtualService default/reviews');
    await runStep('all-v1');
    await runStep('browse-v1');
    await runStep('verify-v1');
    expect(await page.getByTestId('step-result').textContent()).toContain('Every request went to reviews v1.');
    await page.getByTestId('lab-step-jason-v2').click();
    await page.getByTestId('step-diff').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-routing-en-diff.png'), fullPage: true });
    await runStep('jason-v2');
    await runStep('browse-jason');
    await runStep('browse-anonymous');
    await runStep('verify-jason');
    expect(await page.getByTestId('step-result').textContent()).toContain("At least 90% of jason's requests were answered by reviews v2.");
    await expect.poll(() => page.getByTestId('step-action').isEnabled()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-routing-en.png'), fullPage: true });
  });

  it('Korean: the same lab follows the language switch', async () => {
    const { page } = app;
    await page.getByTestId('language').selectOption('ko');
    await expect.poll(() => page.getByTestId('lab-title').textContent()).toBe('요청 라우팅');
    await page.getByTestId('lab-step-verify-jason').click();
    await expect.poll(() => page.getByTestId('step-title').textContent()).toContain('jason은 v2, 나머지는 v1');
    await runStep('verify-jason');
    expect(await page.getByTestId('step-result').textContent()).toContain('jason의 요청 중 90% 이상을 reviews v2가 처리했습니다.');
    await expect.poll(() => page.getByTestId('step-action').isEnabled()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-routing-ko.png'), fullPage: true });
  });

  it('Copy to terminal pastes the command (or says why not)', async () => {
    const { page } = app;
    await page.getByTestId('lab-step-all-v1').click();
    await page.getByTestId('copy-to-terminal').first().click();
    await expect.poll(() => page.locator('.lab-code-actions [role=status]').first().textContent()).toMatch(/터미널에 붙여넣었습니다|붙여넣지 못했습니다/);
  });

  it('Reset lab restores the mesh and clears the progress', async () => {
    const { page } = app;
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('lab-reset').click();
    await expect.poll(() => page.getByTestId('lab-notice').textContent()).toMatch(/초기화/);
    await page.getByTestId('lab-step-all-v1').click();
    await expect.poll(() => page.getByTestId('step-diff').textContent()).toContain('VirtualService default/reviews');
  });

  it('an opened pack runs a command only after the learner confirms it', async () => {
    const { page } = app;
    await page.getByTestId('language').selectOption('en');
    await page.goto(page.url().replace(/#.*$/, '') + '#/labs');
    await page.getByTestId('pack-path').fill(path.resolve('test/fixtures/labs/engine-pack'));
    await page.getByRole('button', { name: 'Open pack' }).click();
    await expect.poll(() => page.getByTestId('pack-result').textContent()).toContain('Opened 1 lab.');
    await page.getByTestId('lab-card-routing').locator('a').click();
    await page.getByTestId('lab-step-show').click();
    await expect.poll(() => page.getByTestId('step-consent').isVisible()).toBe(true);
    expect(await page.getByTestId('step-action').isDisabled()).toBe(true);
    expect(await page.locator('.lab-step-panel').textContent()).toContain('kubectl get virtualservice reviews');
    await page.getByTestId('step-consent').check();
    await page.getByTestId('step-action').click();
    await expect.poll(() => page.getByTestId('step-result').getAttribute('data-outcome'), { timeout: 20_000 }).toMatch(/^(pass|skipped)$/);
  });

  it('raises no CSP violations or page errors', () => {
    expect(app.consoleErrors.filter((e) => /Content Security Policy|Refused to|Uncaught/.test(e))).toEqual([]);
  });
});
