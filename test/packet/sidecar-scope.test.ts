import { describe, expect, it } from 'vitest';
import { applySidecarEgress, compareScopes, counts, imports, parseEgressHost, SidecarHostError } from '../../main/core/packet/sidecar-scope.ts';

import { load } from './fixtures.ts';

const before = load('listeners.configdump.json', 'endpoints.configdump.json');

describe('Sidecar egress host semantics', () => {
  const svc = (host: string, namespace: string) => ({ host, namespace });
  it('./*, ns/*, */host, *.suffix and ~/*', () => {
    const h = (...s: string[]) => s.map(parseEgressHost);
    expect(imports(h('./*'), 'default', svc('reviews.default.svc.cluster.local', 'default'))).toBe(true);
    expect(imports(h('./*'), 'default', svc('istiod.istio-system.svc.cluster.local', 'istio-system'))).toBe(false);
    expect(imports(h('istio-system/*'), 'default', svc('istiod.istio-system.svc.cluster.local', 'istio-system'))).toBe(true);
    expect(imports(h('*/httpbin.org'), 'default', svc('httpbin.org', 'egress'))).toBe(true);
    expect(imports(h('*/httpbin.org'), 'default', svc('reviews.default.svc.cluster.local', 'default'))).toBe(false);
    expect(imports(h('*/*.svc.cluster.local'), 'x', svc('reviews.default.svc.cluster.local', 'default'))).toBe(true);
    expect(imports(h('~/*'), 'default', svc('reviews.default.svc.cluster.local', 'default'))).toBe(false);
    expect(() => parseEgressHost('reviews')).toThrow(SidecarHostError);
  });
});

describe('before/after counts from the real dumps', () => {
  it('./* + istio-system/* keeps default and istio-system services only', () => {
    const after = applySidecarEgress(before, ['./*', 'istio-system/*'], 'default');
    const cmp = compareScopes(before, after);
    expect(cmp.before).toMatchObject({ listeners: 29, clusters: 37 });
    expect(cmp.after.clusters).toBeLessThan(cmp.before.clusters);
    expect(cmp.removedClusters).toContain('outbound|53||kube-dns.kube-system.svc.cluster.local');
    expect(cmp.removedClusters).toContain('outbound|9200||elasticsearch.skywalking.svc.cluster.local');
    expect(cmp.removedClusters).not.toContain('outbound|9080||reviews.default.svc.cluster.local');
    expect(cmp.removedClusters).not.toContain('outbound|15012||istiod.istio-system.svc.cluster.local');
    expect(cmp.removedClusters.every((c) => c.startsWith('outbound|'))).toBe(true);
    // Per-VIP listener of a removed service goes; virtualOutbound/virtualInbound and 0.0.0.0_9080 stay.
    expect(cmp.removedListeners).toContain('10.96.0.10_53');
    const names = after.listeners.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['virtualOutbound', 'virtualInbound', '0.0.0.0_9080', '10.96.0.1_443']));
    expect(cmp.after.bytes).toBeLessThan(cmp.before.bytes);
    expect(cmp.estimatedMemorySavedBytes).toBe((cmp.before.clusters - cmp.after.clusters) * 50 * 1024);
  });

  it('~/* drops every outbound service; */* drops nothing', () => {
    const none = counts(applySidecarEgress(before, ['~/*'], 'default'));
    expect(none.clusters).toBe([...before.endpoints.keys()].filter((n) => !n.startsWith('outbound|')).length);
    expect(counts(applySidecarEgress(before, ['*/*'], 'default')).clusters).toBe(counts(before).clusters);
  });
});
