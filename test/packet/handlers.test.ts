// The packet API over a stand-in backend that serves the recorded fixtures.
import { describe, expect, it } from 'vitest';
import { Router } from '../../main/core/api/router.ts';
import { packetHandlers } from '../../main/core/packet/handlers.ts';
import type { CoreContext } from '../../main/core/context.ts';
import { fixtureBackend } from './fixture-backend.ts';

const backend = fixtureBackend();
const ctx = { backends: { current: async () => backend } } as unknown as CoreContext;
const router = new Router(packetHandlers(ctx));
const call = (m: string, p: unknown) => router.invoke(m, p, { transport: 'test', signal: new AbortController().signal });

describe('packet API', () => {
  it('packet.pods marks the gateway', async () => {
    const r = (await call('packet.pods', {})) as Array<{ name: string; gateway: boolean }>;
    expect(r.find((p) => p.gateway)?.name).toBe('istio-ingressgateway-xyz');
  });

  it('packet.walk inbound goes through the gateway config and the pod rules', async () => {
    const r = (await call('packet.walk', { pod: { namespace: 'default', name: 'productpage-v1-abc' }, direction: 'inbound', to: 'productpage:9080', path: '/productpage' })) as {
      hops: Array<{ kind: string; at: string; name?: string; address?: string; port?: number }>;
      gateway?: { name: string };
      iptables: string;
    };
    expect(r.gateway?.name).toBe('istio-ingressgateway-xyz');
    expect(r.hops.filter((h) => h.at === 'gateway').map((h) => h.name ?? h.address)).toEqual(['0.0.0.0_8080', 'http.8080', 'outbound|9080||productpage.default.svc.cluster.local', '10.244.0.194:9080']);
    expect(r.hops.find((h) => h.kind === 'redirect')?.port).toBe(15006);
    expect(r.iptables).toContain('*nat');
  });

  it('packet.walk outbound and both responses validate against the contract', async () => {
    for (const direction of ['outbound', 'outbound-response', 'inbound-response']) {
      const r = (await call('packet.walk', { pod: { namespace: 'default', name: 'productpage-v1-abc' }, direction, to: 'www.google.com:443' })) as { direction: string; hops: unknown[] };
      expect(r.direction).toBe(direction);
      expect(r.hops.length).toBeGreaterThan(2);
    }
  });

  it('bad input: unknown pod names the choices; malformed "to" is rejected by the contract', async () => {
    await expect(call('packet.walk', { pod: { namespace: 'default', name: 'nope' }, direction: 'outbound', to: 'a:1' })).rejects.toMatchObject({ code: 'invalid_params', fix: expect.stringContaining('productpage-v1-abc') });
    await expect(call('packet.walk', { pod: { namespace: 'default', name: 'x' }, direction: 'outbound', to: 'nope' })).rejects.toMatchObject({ code: 'invalid_params' });
  });

  it('packet.sidecarScope compares before and after', async () => {
    const r = (await call('packet.sidecarScope', { pod: { namespace: 'default', name: 'productpage-v1-abc' } })) as { before: { clusters: number }; after: { clusters: number }; egressHosts: string[] };
    expect(r.egressHosts).toEqual(['./*', 'istio-system/*']);
    expect(r.after.clusters).toBeLessThan(r.before.clusters);
    await expect(call('packet.sidecarScope', { pod: { namespace: 'default', name: 'productpage-v1-abc' }, egressHosts: ['bogus'] })).rejects.toMatchObject({ code: 'invalid_params' });
  });

  it('packet.configCounts measures the live dump', async () => {
    const r = (await call('packet.configCounts', { pod: { namespace: 'default', name: 'productpage-v1-abc' } })) as { listeners: number; clusters: number; at: number };
    expect(r).toMatchObject({ listeners: 29, clusters: 37 });
    expect(r.at).toBeGreaterThan(0);
  });
});
