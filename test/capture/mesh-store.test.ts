// The Mesh view's store (renderer/views/mesh/store.ts) is plain TypeScript: tested here in Node.
import { describe, expect, it, vi } from 'vitest';
import { lineChunk } from '../../main/core/backend/access-log.ts';
import { correlateLines, Correlator } from '../../main/core/capture/correlate.ts';
import { MAX_MARKERS, MeshStore, badgesFor } from '../../renderer/views/mesh/store.ts';
import { VIEW_TREES } from '../../main/core/capture/types.ts';
import { layoutGraph } from '../../renderer/views/mesh/layout.ts';
import type { RequestTree } from '../../main/core/capture/types.ts';
import { bookinfoRequest } from './bookinfo-lines.ts';

const trees = (n: number, v: 'v1' | 'v2' | 'v3' = 'v2', prefix = 'r') =>
  correlateLines(
    Array.from({ length: n }, (_, i) => bookinfoRequest(`${prefix}${i}`, v, { subset: true })).flat().map((l) => ({ line: l.line, source: l.source, receivedAt: l.receivedAt })),
  );

describe('MeshStore', () => {
  it('builds nodes and edges with counts and subset badges from complete trees', () => {
    const s = new MeshStore();
    s.applyRequests(trees(5));
    const snap = s.getSnapshot();
    expect(snap.nodes.map((n) => n.id)).toEqual(['details@v1', 'istio-ingressgateway', 'productpage@v1', 'ratings@v1', 'reviews@v2']);
    const e = Object.fromEntries(snap.edges.map((x) => [x.id, x]));
    expect(e['productpage@v1->reviews@v2']).toMatchObject({ count: 5, badges: ['subset:v2'] });
    expect(e['istio-ingressgateway->productpage@v1']!.count).toBe(5);
    expect(snap.trees).toHaveLength(5);
  });

  it('counts a request once even when it is re-sent while its lines arrive', () => {
    const c = new Correlator({ settleMs: 10 });
    const s = new MeshStore();
    const lines = bookinfoRequest('x', 'v3');
    for (const l of lines.slice(0, 5)) c.add(lineChunk({ ...l, receivedAt: 1 }));
    s.applyRequests(c.takeDirty());
    for (const l of lines.slice(5)) c.add(lineChunk({ ...l, receivedAt: 1 }));
    s.applyRequests(c.takeDirty());
    const done: RequestTree[] = [];
    c.settle(1_000, (t) => done.push(t));
    s.applyRequests(done);
    const e = Object.fromEntries(s.getSnapshot().edges.map((x) => [x.id, x.count]));
    expect(e).toEqual({
      'istio-ingressgateway->productpage@v1': 1,
      'productpage@v1->details@v1': 1,
      'productpage@v1->reviews@v3': 1,
      'reviews@v3->ratings@v1': 1,
    });
  });

  it('stays bounded: trees and markers are capped whatever the volume', () => {
    const s = new MeshStore();
    for (let b = 0; b < 5; b++) s.applyRequests(trees(150, 'v1', `b${b}-`));
    const snap = s.getSnapshot();
    expect(snap.trees).toHaveLength(VIEW_TREES);
    expect(snap.trees[0]!.requestId).toBe('b4-149');
    expect(snap.markers.length).toBeLessThanOrEqual(MAX_MARKERS);
    expect(snap.edges.find((x) => x.id === 'productpage@v1->reviews@v1')!.count).toBe(750);
  });

  it('ignores batches while paused and replays trees as markers', () => {
    vi.useFakeTimers();
    try {
      const s = new MeshStore();
      s.setPaused(true);
      s.applyRequests(trees(3));
      expect(s.getSnapshot().trees).toHaveLength(0);
      s.setPaused(false);
      s.replay(trees(2));
      vi.advanceTimersByTime(1_000);
      expect(s.getSnapshot().markers.length).toBe(8);
    } finally {
      vi.useRealTimers();
    }
  });

  it('derives badges from flags', () => {
    expect(badgesFor({ DI: 2, UO: 1 }, ['v2'], true)).toEqual(['fault', 'circuit-breaker', 'subset:v2', 'mirror']);
  });
});

describe('layoutGraph', () => {
  it('places clients left of servers and gives each edge a path', () => {
    const l = layoutGraph(['gw', 'pp', 'rv'], [
      { id: 'gw->pp', from: 'gw', to: 'pp' },
      { id: 'pp->rv', from: 'pp', to: 'rv' },
    ]);
    expect(l.nodes.get('gw')!.x).toBeLessThan(l.nodes.get('pp')!.x);
    expect(l.nodes.get('pp')!.x).toBeLessThan(l.nodes.get('rv')!.x);
    expect(l.edges.get('pp->rv')!.d).toMatch(/^M[\d.]+,[\d.]+/);
  });
});
