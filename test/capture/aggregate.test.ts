import { describe, expect, it } from 'vitest';
import { Aggregator, Histogram, LATENCY_BOUNDS, WindowSeries, isError, nodeId } from '../../main/core/capture/aggregate.ts';
import type { Hop } from '../../main/core/capture/types.ts';

const ref = (app: string, version: string | null = null) => ({ workload: version ? `${app}-${version}` : app, app, version, namespace: 'default', service: app });
const hop = (to: string, version: string, status = 200, durationMs = 10, flags: string[] = []): Hop => ({
  from: ref('productpage', 'v1'),
  to: ref(to, version),
  startTime: null,
  connection: null,
  status,
  flags,
  durationMs,
  cluster: `outbound|9080|${version}|${to}.default.svc.cluster.local`,
  path: '/',
  method: 'GET',
});

describe('Histogram', () => {
  it('gives percentiles within the bucket bounds', () => {
    const h = new Histogram();
    for (let i = 1; i <= 100; i++) h.add(i);
    expect(h.percentile(0.5)).toBeGreaterThanOrEqual(40);
    expect(h.percentile(0.5)).toBeLessThanOrEqual(60);
    expect(h.percentile(0.99)).toBeGreaterThanOrEqual(80);
    expect(h.percentile(0.99)).toBeLessThanOrEqual(100);
    expect(new Histogram().percentile(0.5)).toBeNull();
  });

  it('puts each value in the first bucket whose bound is at or above it, fractions and edges included', () => {
    const values = [0, 0.25, 1, 1.5, 2, 7, 8, 8.01, 999, 999.5, 1000, 1000.5, 1001, 1249.9, 60_000, 60_001, 1e9, Infinity, NaN];
    for (let ms = 0; ms <= 1200; ms += 0.5) values.push(ms);
    for (const ms of values) {
      const h = new Histogram();
      h.add(ms);
      const at = LATENCY_BOUNDS.findIndex((bound) => ms <= bound);
      expect(h.counts.indexOf(1), String(ms)).toBe(at === -1 ? LATENCY_BOUNDS.length - 1 : at);
    }
  });
});

describe('WindowSeries (ring of one-second buckets)', () => {
  it('counts within the window and forgets what slid out', () => {
    const s = new WindowSeries(10);
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) s.add(t0 + i * 100, 200, [], 5); // 20 requests over 2 s
    s.add(t0 + 500, 503, ['UO'], 50);
    expect(s.stats(t0 + 2_000)).toMatchObject({ count: 21, rps: 2.1, flags: { UO: 1 } });
    expect(s.stats(t0 + 2_000).errorRate).toBeCloseTo(1 / 21, 3);
    expect(s.stats(t0 + 11_500).count).toBe(0);
    // Reusing a slot after the ring wrapped resets it rather than adding to old numbers.
    // Second 1000's slot is reused for second 1010: its 11 requests go, second 1001's 10 stay.
    s.add(t0 + 10_000, 200, [], 5);
    expect(s.stats(t0 + 10_500).count).toBe(11);
    expect(s.stats(t0 + 10_500).flags).toEqual({});
  });
  it('memory is fixed: one bucket per second of the window, whatever the traffic', () => {
    const s = new WindowSeries(60);
    for (let i = 0; i < 200_000; i++) s.add(i * 37, 200, [], i % 400);
    expect((s as unknown as { ring: unknown[] }).ring).toHaveLength(60);
    expect(s.stats(200_000 * 37).count).toBeGreaterThan(0);
  });
});

describe('Aggregator', () => {
  it('keeps per-edge and per-version numbers', () => {
    const a = new Aggregator({ windowSec: 10 });
    const now = 5_000_000;
    for (let i = 0; i < 8; i++) a.addHop(hop('reviews', 'v2', 200, 20), now);
    for (let i = 0; i < 2; i++) a.addHop(hop('reviews', 'v3', 503, 3000, ['UO']), now);
    const edges = Object.fromEntries(a.edgeStats(now).map((e) => [e.id, e]));
    expect(edges['productpage@v1->reviews@v2']).toMatchObject({ count: 8, errorRate: 0, rps: 0.8 });
    expect(edges['productpage@v1->reviews@v3']).toMatchObject({ count: 2, errorRate: 1, flags: { UO: 2 } });
    expect(edges['productpage@v1->reviews@v3']!.clusters).toEqual(['outbound|9080|v3|reviews.default.svc.cluster.local']);
    const nodes = Object.fromEntries(a.nodeStats(now).map((n) => [n.id, n]));
    expect(nodes['reviews@v2']).toMatchObject({ count: 8, kind: 'service', version: 'v2' });
    expect(nodes['productpage@v1']!.count).toBe(0);
  });
  it('caps edges, dropping the least recently used', () => {
    const a = new Aggregator({ windowSec: 10, maxEdges: 5 });
    for (let i = 0; i < 12; i++) a.addHop(hop(`svc${i}`, 'v1'), 1000 + i);
    expect(a.size.edges).toBe(5);
    expect(a.edgeStats(2000).map((e) => e.to)).toContain('svc11@v1');
  });
  it('caps nodes, dropping the least recently seen', () => {
    const a = new Aggregator({ windowSec: 10, maxNodes: 4 });
    a.addHop(hop('old', 'v1'), 1000);
    for (let i = 0; i < 4; i++) a.addHop(hop(`svc${i}`, 'v1'), 2000 + i);
    const ids = a.nodeStats(3000).map((n) => n.id);
    expect(ids).toHaveLength(4);
    expect(ids).not.toContain('old@v1');
    expect(ids).toContain('svc3@v1');
  });
  it('names nodes and errors', () => {
    expect(nodeId({ workload: 'istio-ingressgateway', app: 'istio-ingressgateway', version: null, namespace: 'istio-system' })).toBe('istio-ingressgateway');
    expect(isError(503, [])).toBe(true);
    expect(isError(0, ['UH'])).toBe(true);
    expect(isError(0, [])).toBe(false);
    expect(isError(404, ['NR'])).toBe(false);
  });
});
