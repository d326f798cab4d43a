// The sandbox behind the MeshBackend interface, and the data consistency a real mesh has.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../main/core/api/errors.ts';
import { linesOf } from '../../main/core/backend/access-log.ts';
import type { AccessLogLine, AccessLogSource } from '../../main/core/backend/types.ts';
import { SandboxBackend } from '../../main/core/sandbox/backend.ts';
import { docsOf, meshWith, productpage } from './helpers.ts';

describe('SandboxBackend', () => {
  it('reports itself as the sandbox, ready', async () => {
    const b = new SandboxBackend({ seed: 1, timeScale: 0 });
    expect(await b.status()).toMatchObject({ kind: 'sandbox', label: 'Sandbox — no cluster needed', state: 'ready' });
  });

  it('starts with Bookinfo and the samples, injected, and no networking rules', async () => {
    const b = new SandboxBackend({ seed: 1, timeScale: 0 });
    const pods = await b.pods('default');
    const workloads = pods.map((p) => p.workload);
    expect(workloads).toEqual(expect.arrayContaining(['productpage-v1', 'details-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'ratings-v1', 'curl', 'httpbin-v1', 'httpbin-v2', 'fortio-deploy', 'tcp-echo-v1', 'tcp-echo-v2', 'helloworld-region1-zone1']));
    expect(pods.every((p) => p.injected && p.ready && /^10\.244\.0\.\d+$/.test(p.ip ?? ''))).toBe(true);
    expect(b.mesh.store.list('VirtualService')).toEqual([]);
    expect(b.mesh.store.list('Gateway')).toEqual([]);
  });

  it('apply, get, diff and delete work like kubectl', async () => {
    const b = new SandboxBackend({ seed: 1, timeScale: 0 });
    const docs = docsOf('virtual-service-reviews-50-v3.yaml');
    const first = await b.diff(docs);
    expect(first[0].live).toBeNull();
    expect(first[0].patch).toContain('+kind: VirtualService');
    expect((await b.apply(docs))[0].action).toBe('created');
    expect((await b.diff(docs))[0].patch).toBe('');
    const v3 = docsOf('virtual-service-reviews-v3.yaml');
    const d = await b.diff(v3);
    expect(d[0].patch).toMatch(/^-\s+weight: 50$/m);
    expect((await b.get({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', name: 'reviews', namespace: 'default' }))?.metadata.name).toBe('reviews');
    expect((await b.delete(docs))[0].action).toBe('deleted');
    expect((await b.delete(docs))[0].action).toBe('not-found');
    expect(await b.waitFor({ kind: 'deleted', ref: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'reviews', namespace: 'default' }, timeoutMs: 10 })).toMatchObject({ ok: true });
    expect(await b.waitFor({ kind: 'podsReady', namespace: 'default', selector: { app: 'reviews' }, timeoutMs: 10 })).toMatchObject({ ok: true });
    expect(await b.waitFor({ kind: 'podsReady', namespace: 'default', selector: { app: 'nope' }, timeoutMs: 10 })).toMatchObject({ ok: false });
  });

  it('sendTraffic answers with the page view and streams access-log lines of every proxy', async () => {
    const b = new SandboxBackend({ seed: 1, timeScale: 0 });
    const lines: AccessLogLine[] = [];
    b.onAccessLog((c) => lines.push(...linesOf(c)));
    const res = await b.sendTraffic({ from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage', headers: {}, count: 3, concurrency: 1, qps: 0 });
    expect(res.responses).toHaveLength(3);
    expect(res.responses[0]).toMatchObject({ status: 200, view: { reviews: 'ok', details: 'ok' } });
    expect(lines.length).toBeGreaterThanOrEqual(18);
    expect(new Set(lines.map((l) => l.source.workload))).toEqual(expect.objectContaining({}));
    expect(lines.some((l) => l.source.workload === 'curl' && l.line.includes('outbound|9080||productpage.default.svc.cluster.local'))).toBe(true);
    // One source object per pod, as a pod's log stream tags its lines.
    const byPod = new Map<string, Set<AccessLogSource>>();
    for (const l of lines) byPod.set(l.source.pod, (byPod.get(l.source.pod) ?? new Set()).add(l.source));
    expect([...byPod.values()].map((s) => s.size)).toEqual([...byPod.keys()].map(() => 1));
    expect(Object.isFrozen(lines[0]!.source)).toBe(true);
    await expect(b.sendTraffic({ from: 'nobody', method: 'GET', url: 'http://x/', headers: {}, count: 1, concurrency: 1, qps: 0 })).rejects.toThrow(/no workload or pod named "nobody"/);
  });

  it('plays results out in real time when scaled', async () => {
    const b = new SandboxBackend({ seed: 1, timeScale: 0.05 });
    await b.apply([...docsOf('destination-rule-all.yaml'), ...docsOf('virtual-service-all-v1.yaml'), ...docsOf('virtual-service-reviews-test-v2.yaml'), ...docsOf('virtual-service-ratings-test-delay.yaml')]);
    const started = Date.now();
    const res = await b.sendTraffic({ from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage', headers: {}, user: 'jason', count: 1, concurrency: 1, qps: 0 });
    expect(res.responses[0].durationMs).toBeGreaterThan(6000);
    // ~10 s of virtual time (ratings finishes at 10 s) at 1/20 speed.
    expect(Date.now() - started).toBeGreaterThan(400);
    await b.dispose();
  });

  it('proxy config, iptables and a modelled subset of kubectl/istioctl', async () => {
    const b = new SandboxBackend({ seed: 1, timeScale: 0 });
    const pp = (await b.pods('default')).find((p) => p.workload === 'productpage-v1')!;
    const dump = await b.proxyConfig({ namespace: 'default', name: pp.name });
    expect(dump.configs).toHaveLength(5);
    expect(await b.iptables({ namespace: 'default', name: pp.name })).toContain('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
    const pods = await b.runTool(['kubectl', 'get', 'pods']);
    expect(pods.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(pods.stdout).toMatch(new RegExp(`${pp.name}\\s+2/2\\s+Running`));
    const clusters = await b.runTool(['istioctl', 'proxy-config', 'clusters', `${pp.name}.default`]);
    expect(clusters.stdout).toMatch(/^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+DESTINATION RULE/);
    expect(clusters.stdout).toMatch(/reviews\.default\.svc\.cluster\.local\s+9080\s+-\s+outbound\s+EDS/);
    const listeners = await b.runTool(['istioctl', 'proxy-config', 'listeners', pp.name]);
    expect(listeners.stdout).toMatch(/0\.0\.0\.0\s+9080\s+Trans: raw_buffer; App: http\/1\.1,h2c\s+Route: 9080/);
    const routes = await b.runTool(['istioctl', 'proxy-config', 'routes', pp.name]);
    expect(routes.stdout.split('\n')[0]).toMatch(/^NAME\s+VHOST NAME\s+DOMAINS\s+MATCH\s+VIRTUAL SERVICE$/);
    await expect(b.runTool(['kubectl', 'logs', pp.name])).rejects.toBeInstanceOf(ApiError);
    await expect(b.runTool(['minikube', 'status'])).rejects.toThrow(/does not model `minikube status`/);
    const drain = await b.runTool(['kubectl', 'exec', 'helloworld-region1-zone1', '-c', 'istio-proxy', '--', 'curl', '-sSL', '-X', 'POST', '127.0.0.1:15000/drain_listeners']);
    expect(drain.exitCode).toBe(0);
  });
});

describe('same data as a real mesh', () => {
  it('addresses line up between the client and server lines of each hop, and x-request-id is shared', () => {
    const mesh = meshWith(['bookinfo-gateway.yaml']);
    const r = productpage(mesh, 'jason', 'ingressgateway');
    const outbound = r.records.filter((x) => x.cluster?.startsWith('outbound|'));
    const inbound = r.records.filter((x) => x.cluster?.startsWith('inbound|'));
    expect(outbound.length).toBe(inbound.length);
    for (const o of outbound) {
      const i = inbound.find((x) => x.downstreamRemote === o.upstreamLocal);
      expect(i, `server line for ${o.upstreamLocal}`).toBeDefined();
      expect(i!.upstreamLocal).toMatch(/^127\.0\.0\.6:\d+$/);
      expect(i!.upstreamHost).toBe(o.upstreamHost);
      expect(o.upstreamHost).toMatch(/^10\.244\.0\.\d+:\d+$/);
    }
    for (const o of outbound.filter((x) => x.proxy.workload.gateway === false)) expect(o.downstreamLocal).toMatch(/^10\.96\.\d+\.\d+:9080$/);
    expect(new Set(r.records.map((x) => x.requestId))).toEqual(new Set([r.requestId]));
    const gw = r.records.find((x) => x.proxy.workload.gateway)!;
    expect(gw).toMatchObject({ cluster: 'outbound|9080||productpage.default.svc.cluster.local', route: null, xff: '10.244.0.1' });
    expect(gw.downstreamLocal).toMatch(/:8080$/);
  });

  it('the same seed gives the same lines; another seed differs', () => {
    const run = (seed: number) => {
      const m = meshWith(['destination-rule-all.yaml', 'virtual-service-reviews-50-v3.yaml'], { seed });
      return m.load({ from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage' }, { count: 10, concurrency: 2, qps: 0 }).flatMap((x) => x.records.map((rec) => m.formatRecord(rec)));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});
