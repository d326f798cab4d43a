// Home page with stand-in tools on PATH: the doctor's results, a failed check with its fix, and a
// failed cluster start shown as a readable error with what to do.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, SCREENSHOTS, startApp, type AppHarness } from './harness.ts';
import { standinEnv } from '../toolchain/helpers.ts';

const skip = chromiumMissingReason();
if (skip) console.warn(`[e2e home] skipped: ${skip}`);

describe.skipIf(skip)('Home: doctor and lab cluster (stand-in tools)', () => {
  let app: AppHarness;
  beforeAll(async () => {
    // istioctl is missing, Docker is installed but not running, minikube refuses for lack of CPUs.
    const env = standinEnv({ STANDIN_DOCKER: 'down', STANDIN_MINIKUBE: 'insufficient-cores' }, ['minikube', 'kubectl', 'docker']);
    app = await startApp({ env, viewport: { width: 1280, height: 1000 } });
  });
  afterAll(async () => app?.close());

  it('shows the doctor results, each failure with its fix', async () => {
    const { page } = app;
    await page.getByTestId('system-info').waitFor();
    const istioctl = page.getByTestId('check-tool.istioctl');
    await istioctl.waitFor({ timeout: 30_000 });
    expect(await istioctl.getAttribute('data-status')).toBe('fail');
    expect(await istioctl.textContent()).toContain('istioctl was not found on PATH');
    expect(await page.getByTestId('fix-tool.istioctl').textContent()).toMatch(/Install istioctl: curl -L https:\/\/istio\.io\/downloadIstio/);
    expect(await page.getByTestId('check-driver').getAttribute('data-status')).toBe('fail');
    expect(await page.getByTestId('fix-driver').textContent()).toMatch(/Start the Docker daemon/);
    expect(await page.getByTestId('check-tool.minikube').textContent()).toMatch(/minikube 1\.38\.1 at /);
    expect(await page.getByTestId('check-tool.minikube').getAttribute('data-status')).toBe('ok');
    expect(await page.getByTestId('doctor-summary').textContent()).toMatch(/Some required checks failed/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'home-doctor.png'), fullPage: true });
  });

  it('a failed cluster start is a readable error with a fix, and the steps show where it stopped', async () => {
    const { page } = app;
    await page.getByTestId('cluster-start').click();
    const err = page.getByTestId('action-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.textContent()).toContain('minikube could not start the cluster: Requested cpu count 1 is less than the minimum allowed of 2 (RSRC_INSUFFICIENT_CORES)');
    expect(await err.textContent()).toMatch(/What to do:.*--cpus=2/);
    const progress = page.getByTestId('progress-start');
    expect(await progress.getAttribute('data-state')).toBe('failed');
    expect(await progress.textContent()).toContain('Selecting Driver');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'home-start-failed.png'), fullPage: true });
  });

  it('speaks Korean too, and the page raised no console errors', async () => {
    const { page } = app;
    await page.getByTestId('language').selectOption('ko');
    await expect.poll(() => page.locator('h1').first().textContent()).toBe('실습 환경');
    await expect.poll(() => page.getByTestId('check-resources.memory').locator('strong').textContent()).toBe('메모리');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'home-doctor-ko.png'), fullPage: true });
    await page.getByTestId('language').selectOption('en');
    expect(app.consoleErrors).toEqual([]);
  });
});
