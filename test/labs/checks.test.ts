// Check assertions over hand-built request trees and client responses.
import { describe, expect, it } from 'vitest';
import type { Hop, RequestTree, WorkloadRef } from '../../main/core/capture/types.ts';
import { evaluateAssertion, joinCaptured, requestMatches } from '../../main/core/labs/checks.ts';

const wl = (app: string, version: string | null = 'v1'): WorkloadRef => ({ workload: version ? `${app}-${version}` : app, app, version, namespace: 'default', service: app });
const hop = (from: WorkloadRef, to: WorkloadRef, status = 200, flags: string[] = [], mirror = false): Hop => ({ from, to, startTime: null, status, flags, durationMs: 1, cluster: null, path: '/', method: 'GET', connection: null, ...(mirror ? { mirror } : {}) });
const tree = (id: string, hops: Hop[], status = 200): RequestTree => ({ requestId: id, startTime: null, user: null, hops, status });

describe('lab checks', () => {
  const gw = wl('istio-ingressgateway', null);
  const pp = wl('productpage');
  const trees = [
    tree('a', [hop(gw, pp), hop(pp, wl('reviews', 'v2')), hop(wl('reviews', 'v2'), wl('ratings'), 200, ['DI'])]),
    tree('b', [hop(gw, pp), hop(pp, wl('reviews', 'v1'))]),
    tree('c', [hop(wl('fortio', null), wl('httpbin'), 503, ['UO'])], 503),
    tree('d', [hop(wl('curl', null), wl('httpbin', 'v1')), hop(wl('curl', null), wl('httpbin', 'v2'), 200, [], true)]),
  ];
  const responses = [
    { status: 200, durationMs: 6100, requestId: 'a', view: { reviews: 'unavailable' as const, stars: 'none' as const, ratings: 'ok' as const } },
    { status: 200, durationMs: 20, requestId: 'b', view: { reviews: 'ok' as const, stars: 'none' as const, ratings: 'ok' as const } },
    { status: 503, durationMs: 2, requestId: 'c' },
    { status: 200, durationMs: 3, requestId: 'd', body: 'two Tue' },
    { status: 200, durationMs: 3, requestId: 'no-tree' },
  ];
  const reqs = joinCaptured(responses, trees, 'jason');

  it('joins responses and trees by request id', () => {
    expect(reqs.map((r) => r.tree?.requestId ?? null)).toEqual(['a', 'b', 'c', 'd', null]);
    expect(reqs.every((r) => r.user === 'jason')).toBe(true);
  });

  it('matches hops, flags, views, bodies and timings', () => {
    expect(requestMatches(reqs[0], { reached: { app: 'reviews', version: 'v2' } })).toBe(true);
    expect(requestMatches(reqs[1], { reached: { app: 'reviews', version: 'v2' } })).toBe(false);
    expect(requestMatches(reqs[0], { flag: 'DI', slowerThanMs: 5000, reviews: 'unavailable' })).toBe(true);
    expect(requestMatches(reqs[2], { status: 503, flag: 'UO' })).toBe(true);
    expect(requestMatches(reqs[3], { bodyIncludes: 'two' })).toBe(true);
    // A mirror copy is not "reached", but it is "received" and "mirroredTo".
    expect(requestMatches(reqs[3], { reached: { app: 'httpbin', version: 'v2' } })).toBe(false);
    expect(requestMatches(reqs[3], { mirroredTo: { app: 'httpbin', version: 'v2' } })).toBe(true);
    expect(requestMatches(reqs[3], { received: { app: 'httpbin', version: 'v2' } })).toBe(true);
    expect(requestMatches(reqs[4], { reached: { app: 'productpage' } })).toBe(false);
    expect(requestMatches(reqs[0], { anonymous: true })).toBe(false);
  });

  it('evaluates all / none / some / share with readable messages', () => {
    expect(evaluateAssertion({ that: { status: 200 }, expect: 'all' }, reqs)).toMatchObject({ ok: false, matched: 4, total: 5, message: '4 of 5 requests: status 200; expected all' });
    expect(evaluateAssertion({ that: { reached: { app: 'reviews', version: 'v3' } }, expect: 'none' }, reqs).ok).toBe(true);
    expect(evaluateAssertion({ that: { flag: 'UO' }, expect: 'some' }, reqs).ok).toBe(true);
    const share = evaluateAssertion({ of: { status: 200 }, that: { reached: { app: 'productpage' } }, expect: 'share', atLeast: 0.4, atMost: 0.6 }, reqs);
    expect(share).toMatchObject({ ok: true, matched: 2, total: 4 });
    expect(share.message).toBe('2 of 4 requests (status 200): reached productpage = 50%; expected ≥ 40% and ≤ 60%');
    expect(evaluateAssertion({ of: { user: 'bob' }, that: { status: 200 }, expect: 'all' }, reqs)).toMatchObject({ ok: false, message: expect.stringMatching(/no captured requests \(user bob\)/) });
  });
});
