// The doctor through stand-ins, and `meshwalk doctor --json` end to end (in-process and as a real
// process on this machine, where minikube and istioctl are missing).
import { Writable, Readable } from 'node:stream';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { toolchain } from '../../main/core/toolchain/index.ts';
import { resourceChecks, runDoctor } from '../../main/core/toolchain/doctor.ts';
import { ClusterSettings } from '../../main/core/cluster/settings.ts';
import { DoctorReport } from '../../main/core/api/cluster.ts';
import { main } from '../../main/cli/index.ts';
import { projectRoot } from '../../main/core/paths.ts';
import { cleanup, disposeAll, fakeCtx, standinEnv, tempDir } from './helpers.ts';

afterEach(disposeAll);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(cleanup));

const host = { cpus: 8, totalMiB: 16384, freeMiB: 9000, platform: 'linux' as const };
const defaults = ClusterSettings.parse({});

describe('doctor', () => {
  it('all tools present and docker running: ready, with versions', async () => {
    const tc = toolchain(fakeCtx(standinEnv()));
    const r = await runDoctor({ tc, settings: defaults, kube: () => null, host });
    expect(r.ok).toBe(true);
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['driver']).toMatchObject({ status: 'ok' });
    expect(byId['driver'].detail).toMatch(/^docker 27\.3\.1 is running/);
    expect(byId['tool.minikube']).toMatchObject({ status: 'ok', version: '1.38.1' });
    expect(byId['tool.kubectl']).toMatchObject({ status: 'ok', version: '1.32.4' });
    expect(byId['tool.istioctl']).toMatchObject({ status: 'ok', version: '1.30.3' });
    // minikube 1.38 starts Kubernetes 1.35, inside Istio 1.30's 1.32–1.36.
    expect(byId['compat.istio-k8s']).toMatchObject({ status: 'ok' });
    expect(byId['cluster.reachable']).toMatchObject({ status: 'skip', fix: { action: 'cluster.start' } });
  });

  it('docker not running and istioctl missing: not ready, each with a fix', async () => {
    const tc = toolchain(fakeCtx(standinEnv({ STANDIN_DOCKER: 'down' }, ['minikube', 'kubectl', 'docker'])));
    const r = await runDoctor({ tc, settings: defaults, kube: () => null, host });
    expect(r.ok).toBe(false);
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['driver'].status).toBe('fail');
    expect(byId['driver'].detail).toMatch(/docker: installed but not running \(Cannot connect to the Docker daemon/);
    expect(byId['driver'].fix?.text).toMatch(/Start the Docker daemon/);
    expect(byId['tool.istioctl']).toMatchObject({ status: 'fail', required: true });
    expect(byId['tool.istioctl'].fix?.url).toBe('https://istio.io/latest/docs/setup/getting-started/#download');
  });

  it('too few CPUs or too little memory fail with a way out', () => {
    const [cpu, mem] = resourceChecks({ cpus: 1, totalMiB: 2000, freeMiB: 500, platform: 'linux' }, true);
    expect(cpu).toMatchObject({ status: 'fail', fix: { action: 'backend.sandbox' } });
    expect(mem).toMatchObject({ status: 'fail' });
    const [cpu4, mem8] = resourceChecks({ cpus: 2, totalMiB: 6000, freeMiB: 4000, platform: 'linux' }, true);
    expect([cpu4.status, mem8.status]).toEqual(['warn', 'warn']);
  });

  it('`meshwalk doctor --json` in-process: valid JSON matching the contract, exit 1 when a tool is missing', async () => {
    const data = tempDir('data');
    dirs.push(data);
    let out = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
    const env = standinEnv({ MESHWALK_DATA_DIR: data }, ['minikube', 'kubectl', 'docker']);
    const code = await main(['doctor', '--json'], { stdout, stderr: stdout, stdin: Readable.from([]), env, cwd: data });
    expect(code).toBe(1);
    const report = DoctorReport.parse(JSON.parse(out));
    expect(report.checks.find((c) => c.id === 'tool.istioctl')).toMatchObject({ status: 'fail', fix: { text: expect.stringMatching(/Install istioctl/) } });
  });

  it('`meshwalk doctor --json` on this machine reports each missing tool with a fix and exits non-zero', async () => {
    const data = tempDir('data');
    dirs.push(data);
    const r = await execa(process.execPath, [path.join(projectRoot, 'bin', 'meshwalk.mjs'), 'doctor', '--json'], {
      reject: false,
      env: { ...process.env, MESHWALK_DATA_DIR: data, HOME: data },
    });
    expect(r.exitCode).toBe(1);
    const report = DoctorReport.parse(JSON.parse(r.stdout));
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const c of failed) expect(c.fix?.text.length).toBeGreaterThan(10);
    for (const tool of ['minikube', 'istioctl']) {
      const c = report.checks.find((x) => x.id === `tool.${tool}`)!;
      if (c.status === 'fail') expect(c.detail).toBe(`${tool} was not found on PATH`);
    }
  }, 60_000);
});
