// istioctl: install progress lines (recorded docs output and the current icon form), install
// through the stand-in (success, stalled image pull, hang past the timeout), version parsing and
// the istioctl ↔ control-plane mismatch check.
import { afterEach, describe, expect, it } from 'vitest';
import { toolchain } from '../../main/core/toolchain/index.ts';
import { Istio, parseInstallLine, parseIstioVersionJson, parseIstioVersionText, versionMismatch, type InstallProgress } from '../../main/core/cluster/istio.ts';
import type { Kube } from '../../main/core/cluster/kube.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { disposeAll, fakeCtx, fixture, standinEnv } from './helpers.ts';

afterEach(disposeAll);

describe('istioctl install output', () => {
  it('parses the docs transcript', () => {
    const lines = fixture('istioctl-install-demo.txt').trim().split('\n').map(parseInstallLine);
    expect(lines).toEqual([
      { kind: 'installed', component: 'Istio core' },
      { kind: 'installed', component: 'Istiod' },
      { kind: 'installed', component: 'Egress gateways' },
      { kind: 'installed', component: 'Ingress gateways' },
      { kind: 'complete' },
    ]);
  });
  it('parses icons, waiting lines and errors', () => {
    expect(parseInstallLine('✔ Istio core installed ⛵️')).toEqual({ kind: 'installed', component: 'Istio core' });
    expect(parseInstallLine('- Processing resources for Egress gateways, Ingress gateways. Waiting for Deployment/istio-system/istio-egressgateway, Deployment/istio-system/istio-ingressgateway')).toEqual({
      kind: 'waiting',
      components: ['Egress gateways', 'Ingress gateways'],
      resources: ['Deployment/istio-system/istio-egressgateway', 'Deployment/istio-system/istio-ingressgateway'],
    });
    expect(parseInstallLine('✘ Istiod encountered an error: failed to wait for resource: resources not ready after 5m0s: context deadline exceeded')).toEqual({
      kind: 'error',
      component: 'Istiod',
      message: 'failed to wait for resource: resources not ready after 5m0s: context deadline exceeded',
    });
  });
});

describe('istioctl through the stand-in', () => {
  // No cluster here: the stall explanation falls back to what istioctl said.
  const noKube = (() => {
    throw new Error('no cluster');
  }) as unknown as () => Kube;
  const istio = (mode: string) => new Istio(toolchain(fakeCtx(standinEnv({ STANDIN_ISTIOCTL: mode }))), noKube);

  it('install turns each component into a step', async () => {
    const progress: InstallProgress[] = [];
    await istio('success').install({ onProgress: (p) => progress.push(p) });
    const names = progress.map((p) => `${p.step}/${p.total} ${p.name}`);
    expect(names[0]).toBe('0/5 Install Istio');
    expect(names).toContain('1/5 Istio core');
    expect(names).toContain('2/5 Istiod');
    // Steps count finished components; a waiting line reports what is being worked on next.
    expect(names).toContain('2/5 Egress gateways, Ingress gateways');
    expect(names.at(-1)).toBe('5/5 Installation complete');
  });

  it('a stalled install names the component and what it waited for', async () => {
    const err = (await istio('image-pull').install().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('istioctl install failed at Istiod: failed to wait for resource: resources not ready after 5m0s: context deadline exceeded (still waiting for Deployment/istio-system/istiod)');
    expect(err.fix).toMatch(/kubectl get pods -n istio-system/);
  });

  it('an install that hangs is stopped at the timeout', async () => {
    await expect(istio('hang').install({ timeoutMs: 1000 })).rejects.toThrow(/^istioctl install did not finish in time/);
  });

  it('reads the client version and spots a control plane of another release', async () => {
    expect((await istio('success').clientVersion())?.raw).toBe('1.30.3');
    const v = parseIstioVersionJson(fixture('istioctl-version-json.kyma-test.json'));
    expect(v).toMatchObject({ controlPlane: ['1.11.1'], dataPlane: ['1.11.1'] });
    expect(versionMismatch({ ...v, client: { major: 1, minor: 30, patch: 3, raw: '1.30.3' } })).toMatch(/^istioctl is 1.30.3 but the control plane runs 1.11.1/);
    expect(versionMismatch(v)).toBeNull();
    expect(parseIstioVersionText('Istio is not present in the cluster\nclient version: 1.30.3\n')?.raw).toBe('1.30.3');
  });
});
