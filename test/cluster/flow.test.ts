// The whole flow against a real minikube on a laptop: doctor → start → Istio → Bookinfo → apply a
// VirtualService → probe → delete. Opt-in: MESHWALK_CLUSTER_TESTS=1 (npm run test:cluster).
// It uses its own minikube profile (meshwalk-test) and data folder; your other clusters are untouched.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core/index.ts';
import { findTool } from '../../main/core/toolchain/tools.ts';
import { projectRoot } from '../../main/core/paths.ts';
import { parseManifestText } from '../../main/core/manifests.ts';
import { clusterService } from '../../main/core/cluster/service.ts';
import { saveSettings, ClusterSettings } from '../../main/core/cluster/settings.ts';
import type { DoctorReport } from '../../main/core/api/cluster.ts';

const PROFILE = process.env.MESHWALK_TEST_PROFILE ?? 'meshwalk-test';

function skipReason(): string | null {
  if (process.env.MESHWALK_CLUSTER_TESTS !== '1') return 'set MESHWALK_CLUSTER_TESTS=1 (npm run test:cluster) to run against a real minikube';
  for (const tool of ['minikube', 'kubectl', 'istioctl']) {
    if (!findTool(tool, process.env)) return `${tool} is not on PATH — this suite needs minikube, kubectl and istioctl (see meshwalk doctor)`;
  }
  if (!findTool('docker', process.env) && !findTool('podman', process.env) && !process.env.MESHWALK_TEST_DRIVER) {
    return 'no docker or podman on PATH; set MESHWALK_TEST_DRIVER to the minikube driver to use';
  }
  return null;
}

const skip = skipReason();
if (skip) console.warn(`[cluster suite] skipped: ${skip}`);

const call = (core: Core, method: string, params: unknown = {}) => core.router.invoke(method, params, { transport: 'test', signal: new AbortController().signal });

describe.skipIf(skip)(`real minikube flow (profile ${PROFILE})`, () => {
  let core: Core;
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-cluster-'));
    saveSettings(dataDir, ClusterSettings.parse({ profile: PROFILE, driver: process.env.MESHWALK_TEST_DRIVER, cpus: 4, memoryMiB: 8192 }));
    core = createCore({ dataDir, version: 'test', transport: 'test', backend: 'cluster', env: process.env });
    core.events.on('cluster.progress', (p) => console.log(`[${p.task}] ${p.step}/${p.total} ${p.name}: ${p.message}`));
  });
  afterAll(async () => {
    if (process.env.MESHWALK_TEST_KEEP !== '1') await call(core, 'cluster.delete').catch((e) => console.warn(`delete failed: ${(e as Error).message}`));
    await core.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('doctor finds the tools', async () => {
    const r = (await call(core, 'doctor.run')) as DoctorReport;
    for (const id of ['tool.minikube', 'tool.kubectl', 'tool.istioctl', 'driver']) expect(r.checks.find((c) => c.id === id)?.status, id).toBe('ok');
  });

  it('starts the profile with steps and reaches the API server', async () => {
    const s = (await call(core, 'cluster.start')) as { state: string; kubernetesVersion?: string };
    expect(s.state).toBe('running');
    expect(s.kubernetesVersion).toMatch(/^v1\.\d+/);
    expect(existsSync(path.join(dataDir, 'kubeconfig'))).toBe(true);
  });

  it('installs Istio (demo) and labels the lab namespace', async () => {
    const r = (await call(core, 'istio.install')) as { version?: string; warning?: string };
    expect(r.version).toMatch(/^\d+\.\d+/);
    const ns = await clusterService(core.ctx).kube().get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
    expect(ns?.metadata.labels?.['istio-injection']).toBe('enabled');
  });

  it('deploys Bookinfo, every pod Ready with a sidecar, and gets an ingress URL', async () => {
    await call(core, 'cluster.tunnel.start');
    const r = (await call(core, 'bookinfo.deploy')) as { ingressUrl: string | null; probe: { ok: boolean } | null; detail?: string };
    console.log('bookinfo:', r);
    expect(r.ingressUrl).toMatch(/^http:\/\//);
  });

  it('applies a VirtualService (all traffic to reviews v1) and the probe still answers', async () => {
    const backend = await core.ctx.backends.current();
    const file = path.join(dataDir, 'vs.yaml');
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
`;
    writeFileSync(file, text);
    const out = await backend.apply(parseManifestText(text, file));
    expect(out.map((o) => o.action)).toEqual(['created', 'created']);
    // In-mesh: curl → productpage, which now always gets reviews v1 (no stars).
    const curlFile = path.join(projectRoot, 'assets', 'manifests', 'curl.yaml');
    await backend.apply(parseManifestText(readFileSync(curlFile, 'utf8'), 'assets/manifests/curl.yaml'));
    const ready = await backend.waitFor({ kind: 'podsReady', namespace: 'default', selector: { app: 'curl' }, timeoutMs: 5 * 60_000 });
    expect(ready, ready.reason).toMatchObject({ ok: true });
    const traffic = await backend.sendTraffic({ from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage', headers: {}, count: 5, concurrency: 1, qps: 0 });
    for (const r of traffic.responses) expect(r).toMatchObject({ status: 200, view: { reviews: 'ok', stars: 'none' } });
    // Through the ingress, when this machine can reach it (tunnel route mode may need sudo).
    const svc = clusterService(core.ctx);
    const ingress = await svc.bookinfo.ingress(await svc.minikube.ip(PROFILE));
    if (ingress) console.log('probe:', await svc.bookinfo.probe(ingress.url, true).catch((e: Error) => e.message));
  });
});
