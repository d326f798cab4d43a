// minikube: CloudEvents parsing from recorded output, start progress and failures through the
// stand-in, status exit codes, and the Kubernetes version chosen for the istioctl found.
import { afterEach, describe, expect, it } from 'vitest';
import { toolchain } from '../../main/core/toolchain/index.ts';
import { Minikube, parseCloudEvent, parseStatus, startArgs, tunnelNeedsSudo, type MinikubeEvent } from '../../main/core/cluster/minikube.ts';
import { kubernetesVersionFor, checkCompat, parseVersion } from '../../main/core/cluster/versions.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { disposeAll, fakeCtx, fixture, standinEnv } from './helpers.ts';

afterEach(disposeAll);

describe('minikube CloudEvents', () => {
  it('parses the recorded start stream into numbered steps', () => {
    const events = fixture('minikube-start-v1.25.2.jsonl').trim().split('\n').map(parseCloudEvent);
    const steps = events.filter((e): e is Extract<MinikubeEvent, { type: 'step' }> => e?.type === 'step');
    expect(steps.map((s) => s.name)).toEqual(['Initial Minikube Setup', 'Selecting Driver', 'Starting Node', 'Pulling Base Image', 'Pulling Base Image', 'Preparing Kubernetes', 'Verifying Kubernetes', 'Enabling Addons', 'Done']);
    expect(steps[0]).toMatchObject({ current: 0, total: 19, message: 'minikube v1.25.2 on Ubuntu 20.04' });
    expect(steps.at(-1)!.current).toBe(19);
    const errors = events.filter((e) => e?.type === 'error');
    expect(errors[1]).toEqual({ type: 'error', message: 'This container is having trouble accessing https://k8s.gcr.io', reason: undefined, exitCode: undefined, advice: undefined, url: undefined, issues: undefined });
  });

  it('parses the upstream test lines, including the %v placeholder and an error with advice', () => {
    const [step, info, error] = fixture('minikube-cloudevents.jsonl').trim().split('\n').map(parseCloudEvent);
    expect(step).toEqual({ type: 'step', current: 0, total: 19, name: 'Initial Minikube Setup', message: 'message' });
    expect(info).toEqual({ type: 'info', message: 'info' });
    expect(error).toMatchObject({ type: 'error', message: 'error' });
    const bug = parseCloudEvent(fixture('minikube-error-json-test.jsonl'));
    expect(bug).toMatchObject({ type: 'error', reason: 'BUG', exitCode: 4, advice: 'fix me!', url: 'url' });
    expect(parseCloudEvent('I1124 09:00:00.000 klog noise')).toBeNull();
    expect(parseCloudEvent('{"type":"something.else"}')).toBeNull();
  });

  it('builds start arguments for the meshwalk profile', () => {
    expect(startArgs({ profile: 'meshwalk', cpus: 4, memoryMiB: 8192, driver: 'docker', kubernetesVersion: 'v1.34.0' })).toEqual([
      'start', '--profile', 'meshwalk', '--cpus=4', '--memory=8192', '--output=json', '--driver=docker', '--kubernetes-version=v1.34.0',
    ]);
  });
});

describe('minikube through the stand-in', () => {
  const mk = (mode: string) => new Minikube(toolchain(fakeCtx(standinEnv({ STANDIN_MINIKUBE: mode }))));

  it('start reports each step in order', async () => {
    const steps: string[] = [];
    await mk('success').start({ profile: 'meshwalk', cpus: 4, memoryMiB: 8192, onEvent: (e) => e.type === 'step' && steps.push(`${e.current}/${e.total} ${e.name}`) });
    expect(steps[0]).toBe('0/19 Initial Minikube Setup');
    expect(steps.at(-1)).toBe('19/19 Done');
  });

  it.each([
    ['insufficient-cores', /RSRC_INSUFFICIENT_CORES/, /--cpus=2/],
    ['insufficient-memory', /less than the usable minimum of 1800MB \(RSRC_INSUFFICIENT_REQ_MEMORY\)/, /--memory=4096/],
    ['driver-missing', /Docker is not running \(PROVIDER_DOCKER_NOT_RUNNING\)/, /Start Docker Desktop/],
  ])('start fails with %s as a readable error and a fix', async (mode, message, fix) => {
    const err = (await mk(mode).start({ profile: 'meshwalk', cpus: 4, memoryMiB: 8192 }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/^minikube could not start the cluster: /);
    expect(err.message).toMatch(message);
    expect(err.fix).toMatch(fix);
  });

  it('start that hangs past the timeout is stopped and explained', async () => {
    const err = (await mk('hang').start({ profile: 'meshwalk', cpus: 4, memoryMiB: 8192, timeoutMs: 60_000 * 0.02 }).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toMatch(/did not finish within/);
    expect(err.fix).toMatch(/minikube logs --profile meshwalk/);
  });

  it('start that crashes mid-stream says so', async () => {
    await expect(mk('crash').start({ profile: 'meshwalk', cpus: 4, memoryMiB: 8192 })).rejects.toThrow('minikube start stopped unexpectedly (killed by SIGKILL) during "Starting Node"');
  });

  it('status: running profile, and exit 85 for a missing one', async () => {
    expect(await mk('success').status('meshwalk')).toMatchObject({ exists: true, running: true, apiServer: 'Running' });
    expect(await mk('status-missing').status('meshwalk')).toMatchObject({ exists: false, running: false, exitCode: 85 });
    expect(parseStatus('m', { stdout: '[{"Name":"m","Host":"Stopped","Kubelet":"Stopped","APIServer":"Stopped"}]', stderr: '', exitCode: 7 })).toMatchObject({ exists: true, running: false, host: 'Stopped' });
  });
});

describe('tunnel', () => {
  it('spots a tunnel waiting for a sudo password (route-mode transcript)', () => {
    const lines = fixture('minikube-tunnel-route-mode.txt').split('\n');
    expect(lines.filter(tunnelNeedsSudo)).toEqual(['Password:']);
    expect(tunnelNeedsSudo('🔑  sudo permission will be asked for it.')).toBe(true);
  });
});

describe('versions', () => {
  it('keeps minikube\'s default Kubernetes when istioctl supports it, otherwise asks for a supported one', () => {
    expect(kubernetesVersionFor(parseVersion('1.30.3'), parseVersion('v1.38.1'))).toBeUndefined(); // 1.35 in 1.32–1.36
    expect(kubernetesVersionFor(parseVersion('1.26.0'), parseVersion('v1.38.1'))).toBe('v1.33.0'); // 1.35 > 1.33
    expect(kubernetesVersionFor(parseVersion('1.31.0'), parseVersion('v1.36.0'))).toBeUndefined(); // 1.33 in 1.33–1.37
    expect(kubernetesVersionFor(null, parseVersion('v1.38.1'))).toBeUndefined();
  });
  it('checks istioctl against a cluster version', () => {
    expect(checkCompat(parseVersion('1.30.3')!, parseVersion('v1.26.1')!)).toMatchObject({ ok: false });
    expect(checkCompat(parseVersion('1.30.3')!, parseVersion('v1.35.1')!).detail).toBe('Istio 1.30.3 supports Kubernetes 1.32–1.36; the cluster runs 1.35.1');
  });
});
