// Lab checks: assertions over the requests of the preceding traffic step. Each request joins what
// the client saw (TrafficResponse: status, page view, body) with the request tree the capture
// pipeline stitched from the proxies' access logs (hops, flags, mirrors), by x-request-id.
import type { TrafficResponse } from '../backend/types.ts';
import type { Hop, RequestTree, WorkloadRef } from '../capture/types.ts';
import type { Assertion, RequestMatch } from './schema.ts';

export interface CapturedRequest {
  response: TrafficResponse;
  /** The user the traffic step logged in as (null: anonymous). */
  user: string | null;
  tree: RequestTree | null;
}

export interface AssertionResult {
  ok: boolean;
  /** e.g. "19 of 20 requests (95%) for user jason reached reviews v2; needed ≥ 90%". */
  message: string;
  matched: number;
  total: number;
}

export function joinCaptured(responses: TrafficResponse[], trees: RequestTree[], user: string | null): CapturedRequest[] {
  const byId = new Map(trees.map((t) => [t.requestId, t]));
  return responses.map((response) => ({ response, user, tree: byId.get(response.requestId) ?? null }));
}

type WorkloadMatch = NonNullable<RequestMatch['reached']>;

function workloadMatches(ref: WorkloadRef, m: WorkloadMatch): boolean {
  if (m.app !== undefined && ref.app !== m.app) return false;
  if (m.version !== undefined && ref.version !== m.version) return false;
  if (m.workload !== undefined && ref.workload !== m.workload) return false;
  if (m.service !== undefined && ref.service !== m.service && ref.app !== m.service) return false;
  return true;
}

function hops(r: CapturedRequest): Hop[] {
  return r.tree?.hops ?? [];
}

export function requestMatches(r: CapturedRequest, m: RequestMatch): boolean {
  const v = r.response.view;
  if (m.user !== undefined && r.user !== m.user) return false;
  if (m.anonymous !== undefined && (r.user === null) !== m.anonymous) return false;
  if (m.status !== undefined && r.response.status !== m.status) return false;
  if (m.reached && !hops(r).some((h) => !h.mirror && workloadMatches(h.to, m.reached!))) return false;
  if (m.mirroredTo && !hops(r).some((h) => h.mirror && workloadMatches(h.to, m.mirroredTo!))) return false;
  if (m.received && !hops(r).some((h) => workloadMatches(h.to, m.received!))) return false;
  if (m.flag !== undefined && !hops(r).some((h) => h.flags.includes(m.flag!))) return false;
  if (m.stars !== undefined && v?.stars !== m.stars) return false;
  if (m.reviews !== undefined && v?.reviews !== m.reviews) return false;
  if (m.ratings !== undefined && v?.ratings !== m.ratings) return false;
  if (m.bodyIncludes !== undefined && !(r.response.body ?? '').includes(m.bodyIncludes)) return false;
  if (m.slowerThanMs !== undefined && !(r.response.durationMs > m.slowerThanMs)) return false;
  if (m.fasterThanMs !== undefined && !(r.response.durationMs < m.fasterThanMs)) return false;
  return true;
}

/** Plain words for a match, used in results: "user jason, reached reviews v2". */
export function describeMatch(m: RequestMatch): string {
  const parts: string[] = [];
  const wl = (w: WorkloadMatch) => [w.workload ?? w.service ?? w.app, w.version].filter(Boolean).join(' ');
  if (m.user !== undefined) parts.push(`user ${m.user}`);
  if (m.anonymous !== undefined) parts.push(m.anonymous ? 'anonymous' : 'logged in');
  if (m.status !== undefined) parts.push(`status ${m.status}`);
  if (m.reached) parts.push(`reached ${wl(m.reached)}`);
  if (m.mirroredTo) parts.push(`mirrored to ${wl(m.mirroredTo)}`);
  if (m.received) parts.push(`received by ${wl(m.received)}`);
  if (m.flag !== undefined) parts.push(`flag ${m.flag}`);
  if (m.stars !== undefined) parts.push(m.stars === 'none' ? 'no stars' : `${m.stars} stars`);
  if (m.reviews !== undefined) parts.push(`reviews ${m.reviews}`);
  if (m.ratings !== undefined) parts.push(`ratings ${m.ratings}`);
  if (m.bodyIncludes !== undefined) parts.push(`body contains "${m.bodyIncludes}"`);
  if (m.slowerThanMs !== undefined) parts.push(`slower than ${m.slowerThanMs} ms`);
  if (m.fasterThanMs !== undefined) parts.push(`faster than ${m.fasterThanMs} ms`);
  return parts.join(', ') || 'any request';
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function evaluateAssertion(a: Assertion, requests: CapturedRequest[]): AssertionResult {
  const population = a.of ? requests.filter((r) => requestMatches(r, a.of!)) : requests;
  const scope = a.of ? ` (${describeMatch(a.of)})` : '';
  const total = population.length;
  const matched = population.filter((r) => requestMatches(r, a.that)).length;
  const what = describeMatch(a.that);
  if (total === 0) return { ok: false, matched, total, message: `no captured requests${scope} to check; did the traffic step send any?` };
  const tally = `${matched} of ${total} requests${scope}: ${what}`;
  switch (a.expect) {
    case 'all':
      return { ok: matched === total, matched, total, message: `${tally}; expected all` };
    case 'none':
      return { ok: matched === 0, matched, total, message: `${tally}; expected none` };
    case 'some':
      return { ok: matched > 0, matched, total, message: `${tally}; expected at least one` };
    case 'share': {
      const share = matched / total;
      const lo = a.atLeast ?? 0;
      const hi = a.atMost ?? 1;
      const bounds = [a.atLeast !== undefined ? `≥ ${pct(lo)}` : '', a.atMost !== undefined ? `≤ ${pct(hi)}` : ''].filter(Boolean).join(' and ');
      return { ok: share >= lo && share <= hi, matched, total, message: `${tally} = ${pct(share)}; expected ${bounds}` };
    }
  }
}
