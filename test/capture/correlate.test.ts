import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineChunk } from '../../main/core/backend/access-log.ts';
import type { AccessLogLine } from '../../main/core/backend/types.ts';
import { Correlator, correlateLines, isShadowAuthorityAt, TRIM_AFTER_IDLE_MS } from '../../main/core/capture/correlate.ts';
import { MAX_LINE_BYTES } from '../../main/core/capture/line-store.ts';
import { Aggregator } from '../../main/core/capture/aggregate.ts';
import { parseAccessLog } from '../../main/core/capture/parser.ts';
import { CapturePipeline } from '../../main/core/capture/pipeline.ts';
import type { RequestTree } from '../../main/core/capture/types.ts';
import { chainOf, formatFlowLine, formatFlows } from '../../main/core/capture/flow-tail.ts';
import { bookinfoRequest, hopLines, PODS } from './bookinfo-lines.ts';

/** A line padded to ~130 KB: eight to a 1 MiB page of the line store. */
const PAD = 'm'.repeat(129_500);
const pad = (l: AccessLogLine): AccessLogLine => ({ ...l, line: l.line.replace('"Mozilla/5.0"', `"${PAD}"`) });
const dir = path.join(import.meta.dirname, '..', 'fixtures', 'capture');
/** A hop's side as parsed from the line it keeps. */
const side = (line: string | undefined) => (line === undefined ? undefined : parseAccessLog(line));

/**
 * Under a flood most requests are only counted, their trees never built: each hop must count the
 * same either way, and as the built tree reads.
 */
function expectCountedAlike(lines: AccessLogLine[]): void {
  const built = new CapturePipeline({ maxPending: 1_000_000 });
  const counted = new CapturePipeline({ maxPending: 1_000_000 });
  counted.allowTrees(0);
  for (const l of lines) {
    built.ingest(lineChunk(l));
    counted.ingest(lineChunk(l));
  }
  const trees = built.drain();
  expect(counted.drain()).toEqual([]);
  const fromTrees = new Aggregator();
  for (const t of trees) fromTrees.addTree(t, t.receivedAt!);
  const now = Math.max(...lines.map((l) => l.receivedAt));
  const byId = <T extends { id: string }>(xs: T[]) => xs.sort((a, b) => a.id.localeCompare(b.id));
  const edges = byId(built.aggregator.edgeStats(now));
  expect(edges.length).toBeGreaterThan(0);
  expect(byId(counted.aggregator.edgeStats(now))).toEqual(edges);
  expect(byId(fromTrees.edgeStats(now))).toEqual(edges);
  expect(byId(counted.aggregator.nodeStats(now))).toEqual(byId(built.aggregator.nodeStats(now)));
}

describe('correlation of real lines', () => {
  it('stitches the istio.io curl → httpbin outbound and inbound lines into one hop', () => {
    const [out, inn] = readFileSync(path.join(dir, 'istio-docs-text-format.log'), 'utf8').split('\n');
    const trees = correlateLines([
      { line: out!, source: { namespace: 'foo', pod: 'sleep-7f8c', workload: 'sleep', app: 'sleep', kind: 'sidecar', podIP: '10.44.1.23' }, receivedAt: 1 },
      { line: inn!, source: { namespace: 'foo', pod: 'httpbin-74f', workload: 'httpbin-v1', app: 'httpbin', version: 'v1', kind: 'sidecar', podIP: '10.44.1.27' }, receivedAt: 2 },
    ]);
    expect(trees).toHaveLength(1);
    const t = trees[0]!;
    expect(t.requestId).toBe('84961386-6d84-929d-98bd-c5aee93b5c88');
    expect(t.status).toBe(418);
    expect(t.hops).toHaveLength(1);
    const h = t.hops[0]!;
    expect(h.from).toMatchObject({ workload: 'sleep', namespace: 'foo' });
    expect(h.to).toMatchObject({ workload: 'httpbin-v1', app: 'httpbin', version: 'v1', service: 'httpbin' });
    expect(side(h.outboundLine)?.durationMs).toBe(4);
    expect(side(h.inboundLine)?.durationMs).toBe(3);
    expect(h.cluster).toBe('outbound|8000||httpbin.foo.svc.cluster.local');
  });

  it('external and blocked destinations become their own nodes', () => {
    const l = readFileSync(path.join(dir, 'community-text-format.log'), 'utf8').split('\n');
    const src = { namespace: 'default', pod: 'curl-1', workload: 'curl', app: 'curl', kind: 'sidecar' as const };
    const trees = correlateLines([l[3]!, l[9]!, l[10]!].map((line, i) => ({ line, source: src, receivedAt: i })));
    const dest = trees.map((t) => t.hops[0]!.to.workload).sort();
    expect(dest).toEqual(['BlackHoleCluster', 'google.com', 'google.com']);
    expect(trees.find((t) => t.hops[0]!.to.workload === 'BlackHoleCluster')!.hops[0]!.flags).toEqual(['UH']);
  });
});

describe('requests only counted', () => {
  it('count like built trees: Bookinfo with faults, real TEXT, JSON and legacy lines, external hosts', () => {
    const src = (pod: string, workload: string, app?: string) => ({ namespace: 'default', pod, workload, app, kind: 'sidecar' as const });
    const real = (file: string, source: AccessLogLine['source']) =>
      readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((line, i) => ({ line, source, receivedAt: 5_000 + i }));
    expectCountedAlike([
      ...(['v1', 'v2', 'v3'] as const).flatMap((v, i) => bookinfoRequest(`ok-${v}`, v, { receivedAt: 1_000 + i })),
      ...bookinfoRequest('fault', 'v3', { receivedAt: 2_000, ratingsStatus: 503, ratingsFlags: 'UO' }),
      ...bookinfoRequest('subset', 'v2', { receivedAt: 2_100, subset: true }),
      // A timeout: reviews gave up on ratings (504 UT) while ratings answered 200 later.
      ...bookinfoRequest('timeout', 'v2', { receivedAt: 2_200 }).map((l) =>
        l.source.app === 'reviews' && l.line.includes('outbound|9080||ratings') ? { ...l, line: l.line.replace('" 200 - via_upstream ', '" 504 UT response_timeout ') } : l,
      ),
      ...real('community-text-format.log', src('curl-1', 'curl', 'curl')),
      ...real('istio-docs-text-format.log', src('sleep-7f8c', 'sleep', 'sleep')),
      ...real('istio-docs-legacy-format.log', src('productpage-v1-1', 'productpage-v1', 'productpage')),
      ...real('community-json-format.jsonl', src('frontend-1', 'frontend', 'frontend')),
    ]);
  });
});

describe('JSON lines', () => {
  it('each request gets its own JSON lines, request after request', () => {
    const [json] = readFileSync(path.join(dir, 'community-json-format.jsonl'), 'utf8').split('\n');
    const src = { namespace: 'online-boutique', pod: 'frontend-1', workload: 'frontend', app: 'frontend', kind: 'sidecar' as const };
    const ids = ['json-a', 'json-b', 'json-c'];
    const lines = ids.map((id, i) => ({ line: JSON.stringify({ ...JSON.parse(json!), request_id: id }), source: src, receivedAt: i }));
    const trees = new Correlator();
    for (const l of lines) trees.add(lineChunk(l));
    const built = trees.drain();
    expect(built.map((t) => t.requestId)).toEqual(ids);
    expect(built.map((t) => JSON.parse(t.hops[0]!.outboundLine!).request_id)).toEqual(ids);
  });

  it('a request whose lines come in both encodings is one request, whichever comes first', () => {
    // Found by its id as text (a JSON line, a non-ASCII line) or as bytes where a TEXT line holds it.
    const [json] = readFileSync(path.join(dir, 'community-json-format.jsonl'), 'utf8').split('\n');
    for (const jsonFirst of [true, false]) {
      const text = bookinfoRequest('mixed-1', 'v1');
      const asJson = { ...text[0]!, line: JSON.stringify({ ...JSON.parse(json!), request_id: 'mixed-1' }) };
      const nonAscii = { ...text[1]!, line: text[1]!.line.replace('Mozilla/5.0', 'Mözilla/5.0') };
      const lines = jsonFirst ? [asJson, nonAscii, ...text.slice(2)] : [...text.slice(2), nonAscii, asJson];
      const trees = new Correlator();
      for (const l of lines) trees.add(lineChunk(l));
      const built = trees.drain();
      expect(built.map((t) => t.requestId)).toEqual(['mixed-1']);
      const kept = built[0]!.hops.flatMap((h) => [h.outboundLine, h.inboundLine]).filter((l) => l !== undefined);
      expect(kept.sort()).toEqual(lines.map((l) => l.line).sort());
    }
  });
});

describe('correlation of Bookinfo chains', () => {
  it('builds ingress → productpage → details, reviews-v2 → ratings with versions', () => {
    const [t] = correlateLines(bookinfoRequest('req-1', 'v2'));
    expect(t!.hops.map((h) => `${h.from.workload}>${h.to.workload}`)).toEqual([
      'istio-ingressgateway>productpage-v1',
      'productpage-v1>details-v1',
      'productpage-v1>reviews-v2',
      'reviews-v2>ratings-v1',
    ]);
    expect(t!.hops.every((h) => h.outboundLine && h.inboundLine)).toBe(true);
    expect(t!.hops[2]!.to).toMatchObject({ app: 'reviews', version: 'v2', service: 'reviews' });
    expect(chainOf(t!)).toEqual(['istio-ingressgateway', 'productpage-v1', 'details-v1', 'reviews-v2', 'ratings-v1']);
    expect(t!.status).toBe(200);
  });

  it('keeps hops apart when the same client calls the same service twice (address pairs)', () => {
    const id = 'req-twice';
    const start = new Date('2026-11-25T07:00:00Z');
    const lines = [
      ...hopLines(PODS.productpage!, PODS['reviews-v1']!, { service: 'reviews', path: '/reviews/0', requestId: id, start, receivedAt: 1, status: 200 }),
      ...hopLines(PODS.productpage!, PODS['reviews-v3']!, { service: 'reviews', path: '/reviews/0', requestId: id, start: new Date(start.getTime() + 5), receivedAt: 1, status: 503, flags: 'UF' }),
    ];
    // Deliver inbound lines first and interleaved, as separate log streams do.
    const order = [lines[3]!, lines[1]!, lines[0]!, lines[2]!];
    const [t] = correlateLines(order);
    expect(t!.hops).toHaveLength(2);
    const byTo = Object.fromEntries(t!.hops.map((h) => [h.to.workload, h]));
    expect(byTo['reviews-v1']!.status).toBe(200);
    expect(byTo['reviews-v3']!.status).toBe(503);
    expect(byTo['reviews-v3']!.flags).toEqual(['UF']);
  });

  it('pairs two calls over one kept-alive connection in the order they were made', () => {
    const id = 'req-keepalive';
    const start = new Date('2026-11-25T07:00:00Z');
    const first = hopLines(PODS.productpage!, PODS['reviews-v1']!, { service: 'reviews', path: '/reviews/0', requestId: id, start, receivedAt: 1, status: 200 });
    const second = hopLines(PODS.productpage!, PODS['reviews-v1']!, { service: 'reviews', path: '/reviews/0', requestId: id, start: new Date(start.getTime() + 5), receivedAt: 1, status: 503, flags: 'URX' });
    // The second call reuses the first call's connection: same client port on both sides.
    const conn = parseAccessLog(first[0]!.line).upstreamLocalAddress!;
    const reused = parseAccessLog(second[0]!.line).upstreamLocalAddress!;
    const lines = [...first, ...second.map((l) => ({ ...l, line: l.line.replace(reused, conn) }))];
    const [t] = correlateLines([lines[3]!, lines[1]!, lines[0]!, lines[2]!]);
    expect(t!.hops.map((h) => [side(h.outboundLine)?.responseCode, side(h.inboundLine)?.responseCode])).toEqual([
      [200, 200],
      [503, 503],
    ]);
  });

  it('shares one frozen workload ref between trees that name the same pod', () => {
    const [a, b] = correlateLines([...bookinfoRequest('s1', 'v2'), ...bookinfoRequest('s2', 'v2')]);
    expect(a!.hops[0]!.from).toBe(b!.hops[0]!.from);
    expect(Object.isFrozen(a!.hops[0]!.to)).toBe(true);
  });

  it('falls back to the upstream host and the cluster when one side is missing', () => {
    const lines = bookinfoRequest('req-half', 'v3', { subset: true });
    // Only the client side of productpage → reviews, and nothing from reviews-v3 before: resolve via cluster subset.
    const outOnly = lines.filter((l) => !(l.source.workload === 'reviews-v3' && l.line.includes('inbound|')));
    const [t] = correlateLines(outOnly);
    const h = t!.hops.find((x) => x.from.workload === 'productpage-v1' && x.to.app === 'reviews')!;
    // reviews-v3's pod IP is known from its outbound line to ratings, so the host maps to the pod.
    expect(h.to).toMatchObject({ workload: 'reviews-v3', version: 'v3' });
    expect(h.inboundLine).toBeUndefined();
    expect(h.cluster).toBe('outbound|9080|v3|reviews.default.svc.cluster.local');
  });

  it('resolves a subset cluster to service+version when the pod was never seen', () => {
    const lines = bookinfoRequest('req-sub', 'v1', { subset: true }).filter((l) => l.source.workload !== 'reviews-v1');
    const [t] = correlateLines(lines);
    const h = t!.hops.find((x) => x.to.app === 'reviews')!;
    expect(h.to).toMatchObject({ workload: 'reviews-v1', app: 'reviews', version: 'v1', namespace: 'default' });
  });

  it('marks mirrored requests (authority ending in -shadow)', () => {
    const lines = hopLines(PODS.productpage!, PODS.details!, { service: 'details', path: '/details/0', requestId: 'm1', start: new Date(), receivedAt: 1 });
    const shadow = lines.map((l) => ({ ...l, line: l.line.replace('"details:9080"', '"details-shadow:9080"') }));
    const [t] = correlateLines(shadow);
    expect(t!.hops[0]!.mirror).toBe(true);
  });

  it('settles quiet requests, caps pending ones, and attaches known users', () => {
    const c = new Correlator({ settleMs: 100, maxPending: 3 });
    c.noteUser('a', 'jason');
    for (const l of bookinfoRequest('a', 'v2', { receivedAt: 1000 })) c.add(lineChunk(l));
    expect(c.takeDirty().map((t) => [t.requestId, t.user])).toEqual([['a', 'jason']]);
    const done: RequestTree[] = [];
    expect(c.settle(1050, (t) => done.push(t))).toBe(0);
    expect(c.settle(1200, (t) => done.push(t))).toBe(1);
    expect(done.map((t) => t.requestId)).toEqual(['a']);
    expect(done[0]!.complete).toBe(true);
    const evicted = [] as string[];
    for (const id of ['b', 'c', 'd', 'e']) for (const l of bookinfoRequest(id, 'v1', { receivedAt: 2000 })) evicted.push(...c.add(lineChunk(l)).map((t) => t.requestId));
    expect(evicted).toEqual(['b']);
    expect(c.pendingCount).toBe(3);
  });

  it('gives back what a burst made its line store grow to once idle for a while, not at a lull between bursts', () => {
    const c = new Correlator({ settleMs: 100 });
    const burst = (at: number) => {
      for (let i = 0; i < 6_000; i++) for (const l of bookinfoRequest(`r${at}-${i}`, 'v1', { receivedAt: at })) c.add(lineChunk(l));
    };
    burst(1_000);
    const grown = c.storePages;
    expect(grown).toBeGreaterThan(3);
    c.settle(2_000, () => undefined);
    expect(c.pendingCount).toBe(0);
    c.settle(3_000, () => undefined);
    expect(c.storePages).toBe(grown); // a lull: the next burst takes the same pages
    burst(4_000);
    c.settle(5_000, () => undefined);
    c.settle(5_000 + TRIM_AFTER_IDLE_MS - 1, () => undefined);
    expect(c.storePages).toBe(grown);
    c.settle(5_000 + TRIM_AFTER_IDLE_MS, () => undefined);
    expect(c.storePages).toBe(0);
    // And capture goes on as before.
    for (const l of bookinfoRequest('after', 'v2', { receivedAt: 20_000 })) c.add(lineChunk(l));
    const done: RequestTree[] = [];
    c.settle(21_000, (t) => done.push(t));
    expect(done.map((t) => t.hops.length)).toEqual([4]);
  });
});

describe('pending lines held as bytes', () => {
  it('builds trees whose lines read exactly as received, UTF-8 and CRLF included', () => {
    const lines = bookinfoRequest('utf8-req', 'v2', { receivedAt: 1000 });
    lines[0] = { ...lines[0]!, line: `${lines[0]!.line.replace('"Mozilla/5.0"', '"Mozilla/5.0 (한국어)"')}\r` };
    const [t] = correlateLines(lines);
    const texts = t!.hops.flatMap((h) => [h.outboundLine, h.inboundLine]).filter((l) => l !== undefined);
    expect(texts.sort()).toEqual(lines.map((l) => l.line).sort());
    expect(t!.hops.map((h) => h.to.workload)).toEqual(['productpage-v1', 'details-v1', 'reviews-v2', 'ratings-v1']);
  });

  it('groups lines by a request id with non-ASCII characters, whether the rest of the line is ASCII or not', () => {
    const lines = bookinfoRequest('utf8-req', 'v2', { receivedAt: 1000 }).map((l) => ({ ...l, line: l.line.replace('"utf8-req"', '"réq-한국"') }));
    lines[1] = { ...lines[1]!, line: lines[1]!.line.replace('"Mozilla/5.0"', '"Mozilla/5.0 (한국어)"') };
    const trees = correlateLines([...lines, ...bookinfoRequest('ascii-req', 'v1', { receivedAt: 1000 })]);
    expect(trees.map((t) => [t.requestId, t.hops.length])).toEqual([
      ['réq-한국', 4],
      ['ascii-req', 3],
    ]);
  });

  it('when the bytes held reach their bound, completes the oldest requests first, whole', () => {
    // Two 1 MiB pages, and each line padded to ~130 KB: a page takes eight such lines, the eight
    // lines of one request here.
    const c = new Correlator({ maxPendingMiB: 2 });
    const early: string[] = [];
    for (const id of ['r1', 'r2', 'r3', 'r4']) for (const l of bookinfoRequest(id, 'v2', { receivedAt: 1000 })) early.push(...c.add(lineChunk(pad(l))).map((t) => `${t.requestId}:${t.hops.length}`));
    // r3 needs a page: r1 is completed, whole; then r4 needs one and r2 goes.
    expect(early).toEqual(['r1:4', 'r2:4']);
    expect(c.drain().map((t) => `${t.requestId}:${t.hops.length}:${t.hops.every((h) => (h.outboundLine ?? h.inboundLine)!.includes(PAD))}`)).toEqual(['r3:4:true', 'r4:4:true']);
  });

  it('a line that does not parse is reported and left; requests completed to make room for it come back', () => {
    const unparsed: string[] = [];
    const c = new Correlator({ maxPendingMiB: 1, onUnparsed: (err, line) => unparsed.push(`${err.message} in ${line.length} characters`) });
    for (const l of bookinfoRequest('r1', 'v2', { receivedAt: 1000 })) expect(c.add(lineChunk(pad(l)))).toEqual([]);
    const broken = pad(bookinfoRequest('r2', 'v2')[0]!);
    // The page is full: r1 completes so that the line can be staged, and comes back whole.
    expect(c.add(lineChunk({ ...broken, line: broken.line.replace(/" 200 /, '" two-hundred ') })).map((t) => `${t.requestId}:${t.hops.length}`)).toEqual(['r1:4']);
    // The line is shown cut short in the diagnostics.
    expect(unparsed).toEqual(['responseCode is not a number: "two-hundred" in 1024 characters']);
    expect(c.pendingCount).toBe(0);
    for (const l of bookinfoRequest('r2', 'v2')) c.add(lineChunk(l));
    expect(c.drain().map((t) => `${t.requestId}:${t.hops.length}`)).toEqual(['r2:4']);
  });

  it('rejects a line too long to hold, as a parse error, and goes on with the rest of its chunk', () => {
    const unparsed: string[] = [];
    const c = new Correlator({ onUnparsed: (err) => unparsed.push(err.message) });
    const lines = bookinfoRequest('after', 'v2');
    const chunk = lineChunk(lines[0]!);
    const long = Buffer.concat([Buffer.from(chunk.bytes), Buffer.alloc(MAX_LINE_BYTES + 1, 'x'), Buffer.from('\n'), ...lines.slice(1).map((l) => Buffer.from(`${l.line}\n`))]);
    c.add({ ...chunk, bytes: long });
    expect(unparsed).toEqual([`longer than ${MAX_LINE_BYTES} bytes`]);
    expect(c.drain()[0]!.hops).toHaveLength(4);
  });

  it('takes a chunk of many lines, larger than a piece staged at once, with or without a last newline, CRLF or blank lines', () => {
    const lines = Array.from({ length: 400 }, (_, i) => bookinfoRequest(`many-${i}`, 'v2', { receivedAt: 1000 })).flat();
    // As received: a line keeps a \r before its newline (the parser ignores it).
    const received = lines.map((l, i) => (i % 7 === 0 ? `${l.line}\r` : l.line));
    const text = received.map((l, i) => (i % 7 === 0 ? `${l}\n\n` : `${l}\n`)).join('').replace(/\n$/, '');
    expect(Buffer.byteLength(text)).toBeGreaterThan(3 * 64 * 1024);
    const unparsed: string[] = [];
    // Lines of many pods in one chunk: each keeps the source of its chunk here, which pairing does not need.
    const c = new Correlator({ onUnparsed: (err) => unparsed.push(err.message) });
    c.add({ source: lines[0]!.source, bytes: Buffer.from(text), receivedAt: 1000 });
    expect(unparsed).toEqual([]);
    const trees = c.drain();
    expect(trees).toHaveLength(400);
    const texts = trees.flatMap((t) => t.hops.flatMap((h) => [h.outboundLine, h.inboundLine])).filter((l) => l !== undefined);
    expect(texts.sort()).toEqual(received.sort());
  });
});

describe('flow tail', () => {
  const [t] = correlateLines(bookinfoRequest('r', 'v2', { ratingsStatus: 503, ratingsFlags: 'FI' }));
  const tree = { ...t!, user: 'jason' };
  it('formats the chain, status, time and user, one line per hop', () => {
    const text = formatFlowLine(tree, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('istio-ingressgateway → productpage-v1 → details-v1 → reviews-v2 → ratings-v1  200  30ms  FI  user=jason');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toContain('reviews-v2 → ratings-v1  GET /ratings/0  503  4ms  FI');
  });
  it('colours 5xx red and filters by service, status class and user', () => {
    expect(formatFlowLine(tree.hops[3]!, { color: true })).toContain('\x1b[31m503\x1b[0m');
    expect(formatFlows([tree], { color: false }, { service: 'ratings', statusClass: 5 })).toHaveLength(1);
    expect(formatFlows([tree], { color: false }, { user: 'alice' })).toHaveLength(0);
    expect(formatFlows([tree], { color: false }, { service: 'httpbin' })).toHaveLength(0);
  });
});

describe('mirror copies', () => {
  const curl = { namespace: 'default', pod: 'curl-5b5d', workload: 'curl', app: 'curl', kind: 'sidecar' as const, podIP: '10.244.0.29' };
  const v1 = { namespace: 'default', pod: 'httpbin-v1-7d4c', workload: 'httpbin-v1', app: 'httpbin', version: 'v1', kind: 'sidecar' as const, podIP: '10.244.0.30' };
  const v2 = { namespace: 'default', pod: 'httpbin-v2-6f9b', workload: 'httpbin-v2', app: 'httpbin', version: 'v2', kind: 'sidecar' as const, podIP: '10.244.0.31' };
  const id = 'bad21e48-d757-4482-906f-2a8814447e73';
  const at = (src: AccessLogLine['source'], line: string, receivedAt: number): AccessLogLine => ({ line, source: src, receivedAt });
  // Istio 1.28+ (no -shadow suffix): the client's access log has only the primary call.
  const clientPrimary = `[2026-11-25T08:12:09.397Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 321 2 2 "-" "curl/8.16.0" "${id}" "httpbin:8000" "10.244.0.30:80" outbound|8000|v1|httpbin.default.svc.cluster.local 10.244.0.29:32772 10.96.193.133:8000 10.244.0.29:32769 - default`;
  const v1In = `[2026-11-25T08:12:09.397Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 321 1 1 "-" "curl/8.16.0" "${id}" "httpbin:8000" "10.244.0.30:80" inbound|80|| 127.0.0.6:32773 10.244.0.30:80 10.244.0.29:32772 outbound_.8000_.v1_.httpbin.default.svc.cluster.local default`;
  const v2In = (authority = 'httpbin:8000', status = 200) =>
    `[2026-11-25T08:12:09.397Z] "GET /headers HTTP/1.1" ${status} - via_upstream - "-" 0 321 1 1 "-" "curl/8.16.0" "${id}" "${authority}" "10.244.0.31:80" inbound|80|| 127.0.0.6:32771 10.244.0.31:80 10.244.0.29:32770 outbound_.8000_.v2_.httpbin.default.svc.cluster.local default`;

  const check = (trees: ReturnType<typeof correlateLines>) => {
    expect(trees).toHaveLength(1);
    const t = trees[0]!;
    expect(t.status).toBe(200);
    expect(t.hops).toHaveLength(2);
    const primary = t.hops.find((h) => !h.mirror)!;
    const mirror = t.hops.find((h) => h.mirror)!;
    expect(t.hops[0]).toBe(primary);
    expect(primary.to).toMatchObject({ workload: 'httpbin-v1', version: 'v1' });
    expect(side(primary.outboundLine)?.upstreamCluster?.subset).toBe('v1');
    expect(mirror.from.workload).toBe('curl');
    expect(mirror.to).toMatchObject({ workload: 'httpbin-v2', version: 'v2', app: 'httpbin' });
    return { t, primary, mirror };
  };

  it('marks the mirror target\'s inbound line whose connection matches no client line (Istio 1.28+)', () => {
    // The mirror's inbound line arrives first: it must not steal the primary's outbound line.
    const { mirror } = check(correlateLines([at(v2, v2In(), 1), at(curl, clientPrimary, 2), at(v1, v1In, 3)]));
    expect(mirror.outboundLine).toBeUndefined();
    expect(side(mirror.inboundLine)?.downstreamRemoteAddress).toBe('10.244.0.29:32770');
  });

  const clientMirror = (authority: string) =>
    `[2026-11-25T08:12:09.397Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 321 2 2 "-" "curl/8.16.0" "${id}" "${authority}" "10.244.0.31:80" outbound|8000|v2|httpbin.default.svc.cluster.local 10.244.0.29:32770 10.96.193.133:8000 10.244.0.29:32769 - -`;

  it('marks a shadow copy the client logged as a request of its own (upstream log, -shadow authority)', () => {
    const { mirror } = check(correlateLines([at(v2, v2In('httpbin-shadow:8000'), 1), at(curl, clientPrimary, 2), at(v1, v1In, 3), at(curl, clientMirror('httpbin-shadow:8000'), 4)]));
    expect(side(mirror.outboundLine)?.upstreamCluster?.subset).toBe('v2');
    expect(mirror.inboundLine).toBeDefined();
  });

  it('does not guess between two client lines of one stream that nothing tells apart', () => {
    const t = correlateLines([at(v2, v2In(), 1), at(v1, v1In, 2), at(curl, clientMirror('httpbin:8000'), 3), at(curl, clientPrimary, 4)])[0]!;
    expect(t.hops).toHaveLength(2);
    expect(t.hops.every((h) => h.outboundLine && h.inboundLine && !h.mirror)).toBe(true);
    expect(t.status).toBe(200);
  });

  it('reads a -shadow host in place: before the port, not inside a name or an IPv6 address', () => {
    const cases: [string, boolean][] = [
      ['httpbin-shadow:8000', true],
      ['httpbin-shadow', true],
      ['httpbin-shadow.default.svc.cluster.local:8000', false],
      ['my-shadow-svc:80', false],
      ['httpbin:8000-shadow', false],
      ['[fd00::1-shadow]', false],
      ['[fd00::1]:80', false],
      ['x-shadow:abc', true],
      ['-shadow', true],
      [':-shadow', true],
      ['shadow:80', false],
    ];
    const b = new Uint8Array(96);
    for (const [authority, shadow] of cases) {
      b.fill(0x2d); // '-' around it: nothing outside the field counts
      const n = new TextEncoder().encodeInto(authority, b.subarray(5)).written;
      expect(isShadowAuthorityAt(b, 5, 5 + n), authority).toBe(shadow);
    }
  });

  it('still recognises the -shadow authority of Istio 1.27 and older', () => {
    const { mirror } = check(correlateLines([at(curl, clientPrimary, 1), at(v1, v1In, 2), at(v2, v2In('httpbin-shadow:8000'), 3)]));
    expect(side(mirror.inboundLine)?.authority).toBe('httpbin-shadow:8000');
  });

  it('a failed attempt on a pod of the same subset is a retry, not a mirror', () => {
    const v1b = { ...v1, pod: 'httpbin-v1-9a1e', podIP: '10.244.0.31' };
    const retried = v2In('httpbin:8000', 503).replace('outbound_.8000_.v2_', 'outbound_.8000_.v1_');
    const t = correlateLines([at(curl, clientPrimary, 1), at(v1, v1In, 2), at(v1b, retried, 3)])[0]!;
    expect(t.hops.some((h) => h.mirror)).toBe(false);
    expect(t.status).toBe(200);
  });

  it('requests only counted count their hops as built trees do, mirrors left out', () => {
    expectCountedAlike([at(v2, v2In(), 1), at(curl, clientPrimary, 2), at(v1, v1In, 3)]);
    expectCountedAlike([at(v2, v2In('httpbin-shadow:8000'), 1), at(curl, clientPrimary, 2), at(v1, v1In, 3), at(curl, clientMirror('httpbin-shadow:8000'), 4)]);
    expectCountedAlike([at(v2, v2In(), 1), at(v1, v1In, 2), at(curl, clientMirror('httpbin:8000'), 3), at(curl, clientPrimary, 4)]);
    const v1b = { ...v1, pod: 'httpbin-v1-9a1e', podIP: '10.244.0.31' };
    expectCountedAlike([at(curl, clientPrimary, 1), at(v1, v1In, 2), at(v1b, v2In('httpbin:8000', 503).replace('outbound_.8000_.v2_', 'outbound_.8000_.v1_'), 3)]);
  });

  it('mirror hops stay out of the live edge numbers', async () => {
    const { Aggregator } = await import('../../main/core/capture/aggregate.ts');
    const agg = new Aggregator();
    const t = correlateLines([at(curl, clientPrimary, 1), at(v1, v1In, 2), at(v2, v2In(), 3)])[0]!;
    agg.addTree(t, 1_000);
    expect(agg.edgeStats(1_000).map((e) => `${e.from}->${e.to}:${e.count}`)).toEqual(['curl->httpbin@v1:1']);
  });
});
