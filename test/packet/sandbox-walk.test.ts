// Walks over what the sandbox mesh generates (its iptables-save and proxy-config dumps), through
// the same API the view uses: Service routing, ServiceEntry egress and ALLOW_ANY passthrough.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore, type Core } from '../../main/core/index.ts';
import type { KubeObject } from '../../main/core/backend/types.ts';
import { parseManifestText } from '../../main/core/manifests.ts';

type Hop = { kind: string; name?: string; address?: string; port?: number; detail?: Record<string, unknown> };

describe('packet walks over the sandbox mesh', () => {
  let core: Core;
  let dir: string;
  let pod: { namespace: string; name: string };
  let unavailable: string | null = null;
  const call = (m: string, p: unknown) => core.router.invoke(m, p, { transport: 'test', signal: new AbortController().signal });
  const walk = async (to: string, direction = 'outbound') => ((await call('packet.walk', { pod, direction, to })) as { hops: Hop[] }).hops;
  const names = (hops: Hop[], kind: string) => hops.filter((h) => h.kind === kind).map((h) => h.name);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mw-packet-sb-'));
    core = createCore({ dataDir: dir, version: 'test', transport: 'test', backend: 'sandbox' });
    try {
      const pods = (await call('packet.pods', { namespace: 'default' })) as Array<{ namespace: string; name: string; app?: string }>;
      const pp = pods.find((p) => p.app === 'productpage');
      if (!pp) throw new Error('no productpage pod in the sandbox');
      pod = { namespace: pp.namespace, name: pp.name };
      const se = (name: string, host: string, port: number, protocol: string): KubeObject => ({
        apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'default' },
        spec: { hosts: [host], ports: [{ number: port, name: protocol.toLowerCase(), protocol }], resolution: 'DNS', location: 'MESH_EXTERNAL' },
      });
      const b = await core.ctx.backends.current();
      await b.apply([se('google', 'www.google.com', 443, 'HTTPS'), se('httpbin-ext', 'httpbin.org', 80, 'HTTP')].map((object, index) => ({ source: { file: 'test', index, line: 1 }, object })));
    } catch (err) {
      unavailable = (err as Error).message;
    }
  });
  afterAll(async () => {
    await core?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('productpage → reviews: 0.0.0.0_9080 → route 9080 → reviews vhost → EDS endpoint', async (t) => {
    if (unavailable) t.skip(`sandbox: ${unavailable}`);
    const hops = await walk('reviews:9080');
    expect(hops.find((h) => h.kind === 'redirect')?.port).toBe(15001);
    expect(names(hops, 'listener')).toEqual(['virtualOutbound', '0.0.0.0_9080']);
    expect(hops.find((h) => h.kind === 'route')).toMatchObject({ name: '9080', detail: { virtualHost: 'reviews.default.svc.cluster.local:9080' } });
    expect(names(hops, 'cluster')[0]).toMatch(/^outbound\|9080\|[^|]*\|reviews\.default\.svc\.cluster\.local$/);
    expect(hops.find((h) => h.kind === 'endpoint')?.address).toMatch(/^10\.244\.\d+\.\d+:9080$/);
  });

  it('ingress gateway → productpage: EDS endpoint over mTLS (tlsMode-istio), pod takes the TLS filter chain', async (t) => {
    if (unavailable) t.skip(`sandbox: ${unavailable}`);
    const b = await core.ctx.backends.current();
    const docs = parseManifestText(readFileSync(path.join(import.meta.dirname, '../fixtures/sandbox/bookinfo-gateway.yaml'), 'utf8'), 'bookinfo-gateway.yaml');
    await b.apply(docs);
    try {
      const r = (await call('packet.walk', { pod, direction: 'inbound', to: 'productpage:9080', path: '/productpage' })) as { hops: Array<Hop & { at?: string; explain?: string }> };
      const gw = r.hops.filter((h) => h.at === 'gateway');
      expect(gw.find((h) => h.kind === 'cluster')?.detail).toMatchObject({ tls: expect.stringMatching(/^ISTIO_MUTUAL/), sni: 'outbound_.9080_._.productpage.default.svc.cluster.local' });
      expect(gw.find((h) => h.kind === 'endpoint')?.detail).toMatchObject({ tls: 'mTLS (ISTIO_MUTUAL)' });
      expect(r.hops.find((h) => h.kind === 'network' && h.at === 'network')?.explain).toContain('an mTLS connection');
      const chain = r.hops.find((h) => h.kind === 'listener' && h.name === 'virtualInbound' && h.detail?.filterChain);
      expect(chain?.detail).toMatchObject({ filterChain: '0.0.0.0_9080', match: { transport_protocol: 'tls' } });
    } finally {
      await b.delete(docs);
    }
  });

  it('ServiceEntry egress: HTTPS → 0.0.0.0_443 → outbound|443||www.google.com; HTTP → route 80 vhost httpbin.org:80', async (t) => {
    if (unavailable) t.skip(`sandbox: ${unavailable}`);
    const tls = await walk('www.google.com:443');
    expect(names(tls, 'listener')).toEqual(['virtualOutbound', '0.0.0.0_443']);
    expect(names(tls, 'cluster')).toEqual(['outbound|443||www.google.com']);
    expect(tls.find((h) => h.kind === 'endpoint')?.address).toBe('www.google.com:443');
    const http = await walk('httpbin.org:80');
    expect(http.find((h) => h.kind === 'route')).toMatchObject({ name: '80', detail: { virtualHost: 'httpbin.org:80' } });
    expect(names(http, 'cluster')).toEqual(['outbound|80||httpbin.org']);
  });

  it('no ServiceEntry under ALLOW_ANY: vhost allow_any → PassthroughCluster', async (t) => {
    if (unavailable) t.skip(`sandbox: ${unavailable}`);
    const hops = await walk('edition.cnn.com:80');
    expect(hops.find((h) => h.kind === 'route')?.detail).toMatchObject({ virtualHost: 'allow_any' });
    expect(names(hops, 'cluster')).toEqual(['PassthroughCluster']);
    const back = await walk('edition.cnn.com:80', 'outbound-response');
    expect(back.map((h) => h.kind)).not.toContain('iptables');
  });

  it('a Sidecar shrinks the real config: packet.configCounts before and after applying one', async (t) => {
    if (unavailable) t.skip(`sandbox: ${unavailable}`);
    type Counts = { clusters: number; listeners: number; bytes: number };
    const before = (await call('packet.configCounts', { pod })) as Counts;
    const sidecar: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'default' }, spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] } };
    const b = await core.ctx.backends.current();
    await b.apply([{ source: { file: 'test', index: 0, line: 1 }, object: sidecar }]);
    const after = (await call('packet.configCounts', { pod })) as Counts;
    expect(after.clusters).toBeLessThan(before.clusters);
    expect(after.bytes).toBeLessThan(before.bytes);
    // kube-dns lives in kube-system: outside ./* and istio-system/*, so its VIP listener is gone.
    const hops = await walk('10.96.0.10:53');
    expect(hops.filter((h) => h.kind === 'listener').map((h) => h.name)).not.toContain('10.96.0.10_53');
    await b.delete([{ source: { file: 'test', index: 0, line: 1 }, object: sidecar }]);
  });
});
