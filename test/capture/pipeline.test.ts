import { describe, expect, it } from 'vitest';
import { lineChunk } from '../../main/core/backend/access-log.ts';
import { CapturePipeline } from '../../main/core/capture/pipeline.ts';
import type { RequestTree } from '../../main/core/capture/types.ts';
import { bookinfoRequest } from './bookinfo-lines.ts';

describe('capture pipeline: in-progress trees', () => {
  const at = Date.parse('2026-11-25T07:00:01Z');

  it('gives the requests touched since the last call, newest first-seen last, each once', () => {
    const p = new CapturePipeline({ settleMs: 1_000 });
    const a = bookinfoRequest('req-a', 'v2', { receivedAt: at });
    const b = bookinfoRequest('req-b', 'v3', { receivedAt: at });
    const c = bookinfoRequest('req-c', 'v1', { receivedAt: at });
    for (const l of [...a.slice(0, 2), ...b.slice(0, 2), ...c]) p.ingest(lineChunk(l));
    // Limited to the newest two: a is left out.
    expect(p.takeDirty(2).map((t) => t.requestId)).toEqual(['req-b', 'req-c']);
    // Nothing new since: nothing to send.
    expect(p.takeDirty()).toEqual([]);
    // More lines of a: only a, now with its later hops.
    for (const l of a.slice(2)) p.ingest(lineChunk(l));
    const [tree] = p.takeDirty();
    expect(tree?.requestId).toBe('req-a');
    expect(tree?.complete).toBe(false);
    expect(tree?.hops.map((h) => h.to.workload)).toEqual(['productpage-v1', 'details-v1', 'reviews-v2', 'ratings-v1']);
  });

  it('does not give settled requests as in progress', () => {
    const p = new CapturePipeline({ settleMs: 100 });
    for (const l of bookinfoRequest('req-a', 'v1', { receivedAt: at })) p.ingest(lineChunk(l));
    const done: RequestTree[] = [];
    p.settle(at + 500, (t) => done.push(t));
    expect(done.map((t) => [t.requestId, t.complete])).toEqual([['req-a', true]]);
    expect(p.takeDirty()).toEqual([]);
  });
});

describe('capture pipeline: lines that do not parse', () => {
  const at = Date.parse('2026-11-25T07:00:01Z');

  it('counts a broken line on arrival, keeps its reason, and builds the request from its other lines', () => {
    const p = new CapturePipeline({ settleMs: 100 });
    const lines = bookinfoRequest('req-a', 'v2', { receivedAt: at });
    // The ratings server's line arrives with a field that is not a number.
    const broken = lines.map((l, i) => (i === lines.length - 1 ? { ...l, line: l.line.replace(/" (\d+) (\d+) (\d+) (\d+) "/, '" zero $2 $3 $4 "') } : l));
    expect(broken.at(-1)!.line).not.toBe(lines.at(-1)!.line);
    for (const l of broken) expect(p.ingest(lineChunk(l))).toEqual([]);
    expect({ received: p.received, parsed: p.parsed, unparsed: p.unparsed }).toEqual({ received: lines.length, parsed: lines.length - 1, unparsed: 1 });
    expect(p.failures[0]).toMatchObject({ pod: `${lines.at(-1)!.source.namespace}/${lines.at(-1)!.source.pod}`, error: 'bytesReceived is not a number: "zero"' });
    const done: RequestTree[] = [];
    p.settle(at + 500, (t) => done.push(t));
    const [tree] = done;
    expect(tree?.hops).toHaveLength(4);
    expect(tree?.hops.every((h) => h.outboundLine !== undefined)).toBe(true);
  });
});
