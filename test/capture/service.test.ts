import { afterEach, describe, expect, it } from 'vitest';
import { lineChunk } from '../../main/core/backend/access-log.ts';
import type { AccessLogChunk, AccessLogLine, MeshBackend, TrafficRequest } from '../../main/core/backend/types.ts';
import { EventBus } from '../../main/core/events.ts';
import { CaptureService } from '../../main/core/capture/service.ts';
import { collectRequests } from '../../main/core/capture/collect.ts';
import { flushIntervalPatches, supportsFlushInterval, withFlushInterval } from '../../main/core/capture/flush-interval.ts';
import { bookinfoRequest } from './bookinfo-lines.ts';

/** A backend that emits Bookinfo lines for each request it is asked to send. */
function fakeBackend(kind: 'sandbox' | 'cluster' = 'sandbox', delayMs = 0) {
  const listeners = new Set<(c: AccessLogChunk) => void>();
  let n = 0;
  const b = {
    kind,
    onAccessLog(fn: (c: AccessLogChunk) => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    emit(l: AccessLogLine) {
      for (const fn of listeners) fn(lineChunk(l));
    },
    async sendTraffic(req: TrafficRequest) {
      const responses = [];
      for (let i = 0; i < req.count; i++) {
        const id = `req-${++n}`;
        const lines = bookinfoRequest(id, req.user === 'jason' ? 'v2' : 'v1', { start: new Date(), receivedAt: Date.now() });
        if (delayMs) setTimeout(() => lines.forEach((l) => b.emit({ ...l, receivedAt: Date.now() })), delayMs);
        else lines.forEach((l) => b.emit(l));
        responses.push({ status: 200, durationMs: 30, requestId: id });
      }
      return { responses };
    },
    listenerCount: () => listeners.size,
  };
  return b as typeof b & MeshBackend;
}

function hub(b: MeshBackend) {
  const fns = new Set<(b: MeshBackend) => void>();
  return { current: async () => b, onChange: (fn: (b: MeshBackend) => void) => (fns.add(fn), () => fns.delete(fn)), fire: (x: MeshBackend) => fns.forEach((f) => f(x)) };
}

let service: CaptureService | null = null;
afterEach(() => service?.dispose());

describe('CaptureService', () => {
  it('emits request trees in batches, then edge numbers, and counts unparsable lines', async () => {
    const events = new EventBus();
    const got: { topic: string; data: unknown }[] = [];
    events.subscribe((topic, data) => got.push({ topic, data }));
    const backend = fakeBackend();
    const h = hub(backend);
    service = new CaptureService(events, h, { requestsEveryMs: 10_000, statsEveryMs: 10_000 });
    await service.ensure();
    await backend.sendTraffic({ from: 'ingressgateway', method: 'GET', url: '/productpage', headers: {}, count: 3, concurrency: 1, qps: 0 });
    backend.emit({ source: { namespace: 'default', pod: 'p', workload: 'w', kind: 'sidecar' }, line: 'not a log line', receivedAt: Date.now() });
    service.flushRequests(Date.now());
    const batch = got.find((e) => e.topic === 'capture.requests')!.data as { trees: { requestId: string; hops: unknown[] }[] };
    expect(batch.trees.map((t) => t.requestId).sort()).toEqual(['req-1', 'req-2', 'req-3']);
    expect(batch.trees[0]!.hops).toHaveLength(3);
    // Completed after the settle time, they count in the numbers.
    service.flushRequests(Date.now() + 1_000);
    service.flushStats(Date.now() + 1_000);
    const stats = got.find((e) => e.topic === 'capture.stats')!.data as { edges: { id: string; count: number }[] };
    expect(stats.edges.find((e) => e.id === 'productpage@v1->reviews@v1')!.count).toBe(3);
    const d = service.diagnostics();
    expect(d).toMatchObject({ backend: 'sandbox', received: 19, parsed: 18, unparsed: 1, behindNote: false });
    expect(d.errors[0]!.line).toBe('not a log line');
    expect(d.ingestLatencyMs.samples).toBe(18);
  });

  it('fills a batch with completed requests first, and in-progress ones only into the room left', async () => {
    const events = new EventBus();
    const batches: { requestId: string; complete?: boolean }[][] = [];
    events.on('capture.requests', (d) => batches.push(d.trees.map((t) => ({ requestId: t.requestId, complete: t.complete }))));
    const backend = fakeBackend();
    service = new CaptureService(events, hub(backend), { requestsEveryMs: 10_000, statsEveryMs: 10_000, maxPerBatch: 2 });
    await service.ensure();
    const t0 = Date.now();
    const send = (id: string, at: number) => bookinfoRequest(id, 'v1', { start: new Date(at), receivedAt: at }).forEach((l) => backend.emit(l));
    // A flood: three requests complete by the flush (a batch's worth get a tree), a fourth is still in progress.
    for (const [i, id] of ['a', 'b', 'c'].entries()) send(id, t0 + i);
    send('d', t0 + 1_000);
    service.flushRequests(t0 + 1_100);
    expect(batches.at(-1)).toEqual([
      { requestId: 'a', complete: true },
      { requestId: 'b', complete: true },
    ]);
    // Room left after the completed ones: the in-progress request comes along.
    send('e', t0 + 2_000);
    service.flushRequests(t0 + 2_100);
    expect(batches.at(-1)).toEqual([
      { requestId: 'd', complete: true },
      { requestId: 'e', complete: false },
    ]);
  });

  it('under a flood builds only a batch\'s worth of trees per batch, counts every request, and keeps what the views were sent', async () => {
    const events = new EventBus();
    const sent: string[] = [];
    events.on('capture.requests', (d) => sent.push(...d.trees.map((t) => t.requestId)));
    const backend = fakeBackend();
    service = new CaptureService(events, hub(backend), { requestsEveryMs: 10_000, statsEveryMs: 10_000, maxPerBatch: 2, keepTrees: 3 });
    await service.ensure();
    const t0 = Date.now();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    ids.forEach((id, i) => bookinfoRequest(id, 'v1', { start: new Date(t0 + i), receivedAt: t0 + i }).forEach((l) => backend.emit(l)));
    service.flushRequests(t0 + 1_000);
    expect(sent).toEqual(['a', 'b']);
    // Every request still counts in the numbers, hop for hop; replay and the flow tail offer what was sent.
    const edges = service.stats(t0 + 1_000).edges;
    expect(edges.find((e) => e.from === 'istio-ingressgateway')?.count).toBe(5);
    expect(edges.find((e) => e.id === 'productpage@v1->reviews@v1')?.count).toBe(5);
    expect(service.replay(1, 100, t0 + 1_000).map((t) => t.requestId)).toEqual(['a', 'b']);
    ids.slice(0, 3).forEach((id, i) => bookinfoRequest(`${id}2`, 'v1', { start: new Date(t0 + 2_000 + i), receivedAt: t0 + 2_000 + i }).forEach((l) => backend.emit(l)));
    service.flushRequests(t0 + 3_000);
    expect(service.replay(1, 100, t0 + 3_000).map((t) => t.requestId)).toEqual(['b', 'a2', 'b2']);
    // A view opened now gets those, and requests the next batch will carry.
    bookinfoRequest('f', 'v1', { start: new Date(t0 + 3_500), receivedAt: t0 + 3_500 }).forEach((l) => backend.emit(l));
    expect(service.snapshot(10).trees.map((t) => [t.requestId, t.complete])).toEqual([['b', true], ['a2', true], ['b2', true], ['f', false]]);
  });

  it('reports pause to the views, keeps recording for replay, and follows a backend switch', async () => {
    const events = new EventBus();
    let requests = 0;
    const states: boolean[] = [];
    events.on('capture.requests', () => requests++);
    events.on('capture.state', (d) => states.push(d.paused));
    const a = fakeBackend('sandbox');
    const h = hub(a);
    service = new CaptureService(events, h, { requestsEveryMs: 10_000 });
    await service.ensure();
    service.setPaused(true);
    await a.sendTraffic({ from: 'ingressgateway', method: 'GET', url: '/', headers: {}, count: 2, concurrency: 1, qps: 0 });
    service.flushRequests(Date.now() + 1_000);
    // Other followers (the terminal flow tail) still get the requests; the view holds its picture.
    expect(requests).toBe(1);
    expect(states).toContain(true);
    expect(service.snapshot().paused).toBe(true);
    expect(service.replay(1, 100, Date.now() + 1_000).map((t) => t.requestId)).toEqual(['req-1', 'req-2']);
    const c = fakeBackend('cluster');
    h.fire(c);
    expect(a.listenerCount()).toBe(0);
    expect(c.listenerCount()).toBe(1);
    expect(service.diagnostics()).toMatchObject({ backend: 'cluster', behindNote: true, received: 0 });
  });

  it('attaches the user the app sent a request for', async () => {
    const events = new EventBus();
    const b = fakeBackend();
    service = new CaptureService(events, hub(b), { requestsEveryMs: 10_000 });
    await service.ensure();
    const r = await b.sendTraffic({ from: 'ingressgateway', method: 'GET', url: '/', headers: {}, user: 'jason', count: 1, concurrency: 1, qps: 0 });
    service.noteUser(r.responses[0]!.requestId, 'jason');
    const t = service.snapshot().trees.find((x) => x.requestId === r.responses[0]!.requestId)!;
    expect(t.user).toBe('jason');
    expect(t.hops.some((h) => h.to.workload === 'reviews-v2')).toBe(true);
    expect(service.flowTail({ user: 'jason' }, false)[0]).toContain('reviews-v2');
  });
});

describe('collectRequests', () => {
  it('waits for lines that arrive after the work finished, then correlates', async () => {
    const b = fakeBackend('sandbox', 40);
    const trees = await collectRequests(b, async () => {
      await b.sendTraffic({ from: 'ingressgateway', method: 'GET', url: '/', headers: {}, count: 2, concurrency: 1, qps: 0 });
    }, { quietMs: 100, maxWaitMs: 1_000 });
    expect(trees).toHaveLength(2);
    expect(trees[0]!.hops).toHaveLength(3);
    expect(b.listenerCount()).toBe(0);
  });
});

describe('flush interval', () => {
  const deploy = (name: string, annotations?: Record<string, string>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: { template: { metadata: { annotations } } } });
  it('patches pod templates on Istio versions that support fileFlushInterval', () => {
    const plan = flushIntervalPatches('1.30.3', [deploy('reviews-v1'), deploy('ratings-v1', { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true\n' })], 100);
    expect(plan.supported).toBe(true);
    expect(plan.patches).toHaveLength(2);
    const ann = (plan.patches[1]!.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['proxy.istio.io/config'];
    expect(ann).toBe('holdApplicationUntilProxyStarts: true\nfileFlushInterval: 100ms\n');
  });
  it('does nothing on older Istio, and nothing twice', () => {
    expect(flushIntervalPatches('1.20.1', [deploy('a')]).supported).toBe(false);
    expect(supportsFlushInterval('garbage')).toBe(false);
    const already = withFlushInterval(undefined, 100);
    expect(flushIntervalPatches('1.25.0', [deploy('a', { 'proxy.istio.io/config': already })]).patches).toHaveLength(0);
    expect(() => flushIntervalPatches('1.25.0', [], 1)).toThrow(/between 10 and 60000/);
  });
});
