import { describe, expect, it } from 'vitest';
import { parseIptables } from '../../main/core/packet/iptables-parse.ts';
import { walk } from '../../main/core/packet/walk.ts';

import { load, read } from './fixtures.ts';
const iptables = parseIptables(read('default-sidecar.iptables-save.txt'));
const pod = load('listeners.configdump.json', 'endpoints.configdump.json');
const gateway = load('gateway.http_config.json', 'endpoints.configdump.json');
const kinds = (w: { hops: Array<{ kind: string }> }) => w.hops.map((h) => h.kind);

describe('the four directions', () => {
  it('inbound: client → gateway → pod PREROUTING → 15006 → inbound cluster → 127.0.0.6 → app', () => {
    const w = walk({ direction: 'inbound', iptables, pod, gateway, to: { host: 'productpage', port: 80 }, path: '/productpage' });
    expect(w.hops[0]).toMatchObject({ kind: 'network', at: 'client' });
    const gw = w.hops.filter((h) => h.at === 'gateway');
    expect(gw.map((h) => h.name ?? h.address)).toEqual(['0.0.0.0_8080', 'http.8080', 'outbound|9080||productpage.default.svc.cluster.local', '10.244.0.194:9080']);
    const ipt = w.hops.filter((h) => h.kind === 'iptables');
    expect(ipt.slice(0, 3).map((h) => `${h.table}/${h.chain}#${h.index}`)).toEqual(['nat/PREROUTING#1', 'nat/ISTIO_INBOUND#5', 'nat/ISTIO_IN_REDIRECT#1']);
    expect(ipt[2].rule).toBe('-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006');
    expect(w.hops.find((h) => h.kind === 'redirect')).toMatchObject({ port: 15006 });
    // The pod's listener dump has no 9080 service; the inbound listener uses its catch-all chain.
    expect(w.hops.find((h) => h.kind === 'cluster' && h.at === 'envoy')!.name).toBe('InboundPassthroughClusterIpv4');
    const back = w.hops.filter((h) => h.kind === 'iptables').slice(3);
    expect(back.find((h) => h.chain === 'ISTIO_OUTPUT')).toMatchObject({ index: 1, rule: '-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN' });
    expect(w.hops.at(-1)).toMatchObject({ kind: 'app', port: 9080 });
    expect(w.hops.at(-1)!.explain).toContain('127.0.0.6');
  });

  it('inbound to an excluded port reaches the process directly', () => {
    const w = walk({ direction: 'inbound', iptables, to: { host: '10.244.0.10', port: 15021 } });
    expect(kinds(w)).toEqual(['network', 'iptables', 'iptables', 'iptables', 'bypass', 'app']);
  });

  it('inbound-response: no rule hits, conntrack says why', () => {
    const w = walk({ direction: 'inbound-response', iptables, pod, gateway, to: { host: 'productpage', port: 80 }, path: '/productpage' });
    expect(kinds(w)).not.toContain('iptables');
    expect(kinds(w)).not.toContain('redirect');
    expect(w.hops.filter((h) => h.kind === 'network' && /no iptables rule is evaluated/.test(h.explain)).length).toBeGreaterThan(0);
    expect(w.hops.find((h) => h.at === 'gateway' && h.kind === 'cluster')!.name).toBe('outbound|9080||productpage.default.svc.cluster.local');
    expect(w.hops.at(-1)!.at).toBe('client');
  });

  it('outbound to an external host: ISTIO_OUTPUT #9 → 15001 → PassthroughCluster → uid 1337 bypass → eth0', () => {
    const w = walk({ direction: 'outbound', iptables, pod, podIp: '10.244.0.10', to: { host: 'www.google.com', port: 443 } });
    expect(w.hops.find((h) => h.kind === 'redirect')).toMatchObject({ port: 15001 });
    expect(w.hops.filter((h) => h.kind === 'iptables')[1]).toMatchObject({ chain: 'ISTIO_OUTPUT', index: 9 });
    expect(w.hops.find((h) => h.kind === 'cluster')!.name).toBe('PassthroughCluster');
    expect(w.hops.find((h) => h.kind === 'bypass')!.rule).toBe('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
    expect(w.hops.at(-1)).toMatchObject({ kind: 'app', at: 'remote', address: 'www.google.com:443' });
    expect(w.warnings).toEqual([]);
  });

  it('outbound to a Service VIP follows the listener for the VIP', () => {
    const w = walk({ direction: 'outbound', iptables, pod, podIp: '10.244.0.10', to: { host: '10.96.0.1', port: 443 } });
    expect(w.hops.filter((h) => h.kind === 'listener').map((h) => h.name)).toEqual(['virtualOutbound', '10.96.0.1_443']);
    expect(w.hops.find((h) => h.kind === 'endpoint')!.address).toBe('172.18.0.2:6443');
  });

  it('outbound without a config stops after the iptables part', () => {
    const w = walk({ direction: 'outbound', iptables, podIp: '10.244.0.10', to: { host: '10.96.0.50', port: 9080 } });
    expect(kinds(w)).toEqual(['app', 'iptables', 'iptables', 'iptables', 'redirect']);
  });

  it('outbound-response: the app sees the reply from the original destination, no rule hits', () => {
    const w = walk({ direction: 'outbound-response', iptables, pod, podIp: '10.244.0.10', to: { host: 'www.google.com', port: 443 } });
    expect(kinds(w)).not.toContain('iptables');
    expect(w.hops.find((h) => h.kind === 'cluster')!.name).toBe('PassthroughCluster');
    expect(w.hops.find((h) => h.port === 15001)!.explain).toContain('not from 127.0.0.1:15001');
  });

  it('a BlackHoleCluster walk ends at the sidecar, and its response says no reply came', () => {
    const w = walk({ direction: 'outbound', iptables, pod, podIp: '10.244.0.10', to: { host: '10.1.1.1', port: 15001 }, protocol: 'tcp' });
    expect(w.hops.find((h) => h.kind === 'cluster')!.name).toBe('BlackHoleCluster');
    expect(w.hops.at(-1)).toMatchObject({ kind: 'app', at: 'app' });
    const r = walk({ direction: 'outbound-response', iptables, pod, podIp: '10.244.0.10', to: { host: '10.1.1.1', port: 15001 }, protocol: 'tcp' });
    expect(r.hops.some((h) => /ended the request itself/.test(h.explain))).toBe(true);
  });
});
