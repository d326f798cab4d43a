// Groups parsed access-log lines by x-request-id into request trees. Each hop is stitched from
// the client's outbound line and the server's inbound line: the client's UPSTREAM_LOCAL_ADDRESS
// is the server's DOWNSTREAM_REMOTE_ADDRESS (the same TCP connection seen from both ends). When a
// side is missing (a proxy whose logs we do not follow, an external host), the other side alone
// makes the hop. Memory is bounded: a request is finished once it has been quiet for `settleMs`,
// and at most `maxPending` requests are held.
import type { AccessLogLine } from '../backend/types.ts';
import type { AccessLogEntry, Hop, RequestTree, WorkloadRef } from './types.ts';

export type LineSource = AccessLogLine['source'];

export interface CapturedLine {
  entry: AccessLogEntry;
  source: LineSource;
  receivedAt: number;
}

export interface CorrelatorOptions {
  /** A request with no new line for this long is complete. Cluster logs arrive up to ~1 s late. */
  settleMs?: number;
  /** Requests held at once; the oldest is completed early beyond this. */
  maxPending?: number;
  /** Pod IPs remembered for upstream host → workload lookups. */
  maxPods?: number;
}

interface Pending {
  id: string;
  lines: CapturedLine[];
  lastAt: number;
}

const MAX_LINES_PER_REQUEST = 256;
const NO_LINES: ReadonlySet<CapturedLine> = new Set();
/** Returned by add() when nothing was evicted (nearly always): no array per line. */
const NO_TREES: RequestTree[] = [];

function ipOf(addr: string | null): string | null {
  if (!addr) return null;
  if (addr.startsWith('[')) {
    const e = addr.indexOf(']');
    return e === -1 ? addr : addr.slice(1, e);
  }
  const c = addr.lastIndexOf(':');
  return c === -1 || addr.indexOf(':') !== c ? addr : addr.slice(0, c);
}

function refFromSource(s: LineSource, service: string | null = null): WorkloadRef {
  return { workload: s.workload, app: s.app ?? null, version: s.version ?? null, namespace: s.namespace, service };
}

/** `reviews.default.svc.cluster.local` → {service: reviews, namespace: default}; other hosts are external. */
function serviceOfHost(host: string | null): { service: string; namespace: string | null; external: boolean } | null {
  if (!host) return null;
  const m = host.indexOf('.svc.');
  if (m !== -1) {
    const parts = host.slice(0, m).split('.');
    return { service: parts[0]!, namespace: parts[1] ?? null, external: false };
  }
  return { service: host, namespace: null, external: true };
}

function hostOf(authority: string): string {
  const c = authority.lastIndexOf(':');
  return c > 0 && authority.indexOf(']', c) === -1 ? authority.slice(0, c) : authority;
}

/** Up to Istio 1.27 Envoy appended "-shadow" to the authority of mirrored requests (off by default since 1.28). */
function isShadow(e: AccessLogEntry): boolean {
  return e.authority !== null && hostOf(e.authority).endsWith('-shadow');
}

function stripShadow(authority: string): string {
  const host = hostOf(authority);
  return host.endsWith('-shadow') ? host.slice(0, -7) + authority.slice(host.length) : authority;
}

/**
 * Outbound lines that are shadow copies logged as requests of their own (Envoy's `upstream_log`,
 * which Istio does not configure by default: its HCM access log never sees the shadow stream).
 * Such a copy shares the downstream stream of its primary: same proxy, same downstream connection,
 * same method, path and authority, another cluster. Nothing else in the line tells which of the two
 * the client got its answer from, so a copy is only marked when its authority carries "-shadow";
 * an ambiguous pair is left as two plain hops rather than guessed.
 */
function mirroredOutbounds(outs: CapturedLine[]): ReadonlySet<CapturedLine> {
  if (outs.length < 2 || !outs.some((o) => isShadow(o.entry))) return NO_LINES;
  const mirrors = new Set<CapturedLine>();
  let groups: Map<string, CapturedLine[]> | null = null;
  for (const o of outs) {
    const e = o.entry;
    if (!e.downstreamRemoteAddress || !e.upstreamCluster || !e.authority) continue;
    const key = `${o.source.pod}|${e.downstreamRemoteAddress}|${e.method}|${e.path}|${stripShadow(e.authority)}`;
    groups ??= new Map();
    const g = groups.get(key);
    if (g) g.push(o);
    else groups.set(key, [o]);
  }
  if (!groups) return mirrors;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const primaries = g.filter((o) => !isShadow(o.entry));
    if (primaries.length === 0) continue;
    for (const o of g) if (isShadow(o.entry)) mirrors.add(o);
  }
  return mirrors;
}

function mergeFlags(a: string[] | undefined, b: string[] | undefined): string[] {
  if (!a || a.length === 0) return b ?? [];
  if (!b || b.length === 0) return a;
  return [...new Set([...a, ...b])];
}

export class Correlator {
  private readonly pending = new Map<string, Pending>();
  /** Pod IP → the proxy that logged from it (learned from every line's source). */
  private readonly pods = new Map<string, LineSource>();
  /** Users the app sent requests for (end-user is not in the access log). */
  private readonly users = new Map<string, string>();
  private readonly settleMs: number;
  private readonly maxPending: number;
  private readonly maxPods: number;
  private tcpSeq = 0;

  constructor(opts: CorrelatorOptions = {}) {
    this.settleMs = opts.settleMs ?? 300;
    this.maxPending = opts.maxPending ?? 20_000;
    this.maxPods = opts.maxPods ?? 4096;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Remember that `requestId` was sent for `user` (the app knows it when it sends traffic). */
  noteUser(requestId: string, user: string): void {
    this.users.set(requestId, user);
    if (this.users.size > this.maxPending) this.users.delete(this.users.keys().next().value!);
  }

  /**
   * Adds one line; returns its request id (TCP lines, which have none, get a synthetic one) and,
   * when the cap forced it, the trees completed early.
   */
  add(line: CapturedLine): { id: string; evicted: RequestTree[] } {
    this.learnPod(line);
    const id = line.entry.requestId ?? `tcp-${++this.tcpSeq}`;
    let p = this.pending.get(id);
    if (!p) {
      p = { id, lines: [], lastAt: line.receivedAt };
      this.pending.set(id, p);
    }
    if (p.lines.length < MAX_LINES_PER_REQUEST) p.lines.push(line);
    p.lastAt = Math.max(p.lastAt, line.receivedAt);
    if (this.pending.size <= this.maxPending) return { id, evicted: NO_TREES };
    const evicted: RequestTree[] = [];
    while (this.pending.size > this.maxPending) {
      const oldest = this.pending.values().next().value!;
      this.pending.delete(oldest.id);
      evicted.push(this.finish(oldest));
    }
    return { id, evicted };
  }

  /** The current (possibly incomplete) tree of a pending request. */
  tree(id: string): RequestTree | null {
    const p = this.pending.get(id);
    return p ? this.build(p, false) : null;
  }

  /** Completes and returns the requests that have been quiet for settleMs. */
  settle(now: number): RequestTree[] {
    // A full scan: the map is in arrival order, not update order (moving entries on every line
    // leaves holes that make iteration from the front slow). Pending requests are few.
    const done: RequestTree[] = [];
    for (const p of this.pending.values()) {
      if (now - p.lastAt < this.settleMs) continue;
      this.pending.delete(p.id);
      done.push(this.finish(p));
    }
    return done;
  }

  /** Completes everything still pending. */
  drain(): RequestTree[] {
    const done = [...this.pending.values()].map((p) => this.finish(p));
    this.pending.clear();
    return done;
  }

  clear(): void {
    this.pending.clear();
    this.users.clear();
  }

  private finish(p: Pending): RequestTree {
    const t = this.build(p, true);
    this.users.delete(p.id);
    return t;
  }

  private learnPod(line: CapturedLine): void {
    const s = line.source;
    let ip = s.podIP ?? null;
    // An inbound line's downstream local address is the pod's own IP (since 1.10; 127.0.0.1 before).
    if (!ip && line.entry.upstreamCluster?.direction === 'inbound') ip = ipOf(line.entry.downstreamLocalAddress);
    if (!ip || ip.startsWith('127.')) return;
    if (this.pods.get(ip)?.pod === s.pod) return;
    this.pods.delete(ip);
    this.pods.set(ip, s);
    if (this.pods.size > this.maxPods) this.pods.delete(this.pods.keys().next().value!);
  }

  /** Where an outbound line went, from its upstream host and cluster. */
  private destination(o: CapturedLine): WorkloadRef {
    const e = o.entry;
    const c = e.upstreamCluster;
    const svc = serviceOfHost(c?.host ?? null);
    const pod = this.pods.get(ipOf(e.upstreamHost) ?? '');
    if (pod) return refFromSource(pod, svc && !svc.external ? svc.service : pod.app ?? null);
    if (c && c.direction === 'outbound' && svc && !svc.external) {
      return { workload: c.subset ? `${svc.service}-${c.subset}` : svc.service, app: svc.service, version: c.subset, namespace: svc.namespace, service: svc.service };
    }
    // PassthroughCluster, ServiceEntry hosts, BlackHoleCluster, direct responses.
    const authority = e.authority ? e.authority.replace(/:\d+$/, '') : null;
    const external = (svc?.external ? svc.service : null) ?? e.requestedServerName ?? authority ?? e.upstreamHost ?? e.downstreamLocalAddress ?? c?.raw ?? 'unknown';
    const name = c?.raw === 'BlackHoleCluster' ? 'BlackHoleCluster' : external;
    return { workload: name, app: null, version: null, namespace: null, service: null };
  }

  private build(p: Pending, complete: boolean): RequestTree {
    const outs: CapturedLine[] = [];
    const ins: CapturedLine[] = [];
    for (const l of p.lines) (l.entry.upstreamCluster?.direction === 'inbound' ? ins : outs).push(l);
    const used = new Set<CapturedLine>();
    const hops: Hop[] = [];
    const byLocal = new Map<string, CapturedLine>();
    for (const o of outs) if (o.entry.upstreamLocalAddress) byLocal.set(o.entry.upstreamLocalAddress, o);
    const mirrorOuts = mirroredOutbounds(outs);

    // Pass 1: the same TCP connection seen from both ends. Done for every inbound line before any
    // fallback, so a fallback cannot take an outbound line that an exact match needs.
    const pair = new Map<CapturedLine, CapturedLine | null>();
    for (const i of ins) {
      const a = i.entry.downstreamRemoteAddress;
      const o = a ? byLocal.get(a) : undefined;
      if (o && !used.has(o)) {
        used.add(o);
        pair.set(i, o);
      }
    }
    const mirrorIns = new Set<CapturedLine>();
    for (const i of ins) {
      if (pair.has(i)) continue;
      const ie = i.entry;
      // A shadow copy: the client logged only its primary call (Envoy's access log does not see the
      // shadow stream), so the copy's connection matches no outbound line of that client.
      const primary = this.primaryOfMirror(i, outs, pair);
      if (primary) {
        mirrorIns.add(i);
        pair.set(i, null);
        continue;
      }
      // Fallbacks: the client picked this pod as its upstream host, or addressed the server's service.
      let o = outs.find((x) => !used.has(x) && x.entry.upstreamHost !== null && x.entry.upstreamHost === ie.downstreamLocalAddress);
      if (!o && i.source.app) {
        const app = i.source.app;
        o = outs.find((x) => !used.has(x) && serviceOfHost(x.entry.upstreamCluster?.host ?? null)?.service === app && x.entry.path === ie.path);
      }
      if (o) used.add(o);
      pair.set(i, o ?? null);
    }

    for (const i of ins) {
      const ie = i.entry;
      const o = pair.get(i) ?? undefined;
      const to = refFromSource(i.source, o ? this.destination(o).service ?? i.source.app ?? null : i.source.app ?? null);
      const from = o ? refFromSource(o.source) : this.clientOf(ie);
      hops.push(this.hop(from, to, o?.entry, ie, mirrorIns.has(i) || (o !== undefined && mirrorOuts.has(o))));
    }
    for (const o of outs) {
      if (used.has(o)) continue;
      hops.push(this.hop(refFromSource(o.source), this.destination(o), o.entry, undefined, mirrorOuts.has(o)));
    }
    hops.sort((a, b) => {
      const sa = (a.outbound ?? a.inbound)?.startTime ?? '';
      const sb = (b.outbound ?? b.inbound)?.startTime ?? '';
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    });
    // The first hop is the one whose client nobody else called (the entry point). Mirror copies
    // are fire and forget: they never decide the request's entry point or status.
    const called = new Set<string>();
    for (const h of hops) if (!h.mirror) called.add(h.to.workload);
    const first = hops.find((h) => !h.mirror && !called.has(h.from.workload)) ?? hops.find((h) => !h.mirror) ?? hops[0];
    if (first && hops[0] !== first) {
      hops.splice(hops.indexOf(first), 1);
      hops.unshift(first);
    }
    let receivedAt = 0;
    for (const l of p.lines) if (l.receivedAt > receivedAt) receivedAt = l.receivedAt;
    const start = first ? (first.outbound ?? first.inbound)?.startTime ?? null : null;
    return {
      requestId: p.id,
      startTime: start,
      user: this.users.get(p.id) ?? null,
      hops,
      status: first && !first.mirror ? first.status : 0,
      receivedAt,
      complete,
    };
  }

  /** The client of an inbound line nobody's outbound line matched: the pod behind its remote address. */
  private clientOf(ie: AccessLogEntry): WorkloadRef {
    const ip = ipOf(ie.downstreamRemoteAddress);
    const pod = ip ? this.pods.get(ip) : undefined;
    return pod ? refFromSource(pod) : { workload: ip ?? 'unknown', app: null, version: null, namespace: null, service: null };
  }

  /**
   * For an inbound line whose connection matches no outbound line: the client's primary outbound
   * line when this line is a mirror copy of it. Evidence: the same client (remote IP) called the
   * same authority with the same method and path, that call was answered by another pod (exact
   * address match), and this pod is not what the primary's cluster would pick (another subset or
   * service) or it did not fail the way a retried attempt does.
   */
  private primaryOfMirror(i: CapturedLine, outs: CapturedLine[], pair: Map<CapturedLine, CapturedLine | null>): CapturedLine | null {
    const ie = i.entry;
    const clientIp = ipOf(ie.downstreamRemoteAddress);
    if (!clientIp || !ie.authority) return null;
    const authority = stripShadow(ie.authority);
    for (const [server, o] of pair) {
      if (!o || server === i) continue;
      const oe = o.entry;
      if (ipOf(oe.upstreamLocalAddress) !== clientIp) continue;
      if (!oe.authority || stripShadow(oe.authority) !== authority || oe.method !== ie.method || oe.path !== ie.path) continue;
      if (server.source.pod === i.source.pod) continue;
      const c = oe.upstreamCluster;
      const svc = serviceOfHost(c?.host ?? null);
      const otherTarget = (c?.subset != null && i.source.version != null && c.subset !== i.source.version) || (svc !== null && !svc.external && i.source.app != null && svc.service !== i.source.app);
      const failedAttempt = ie.responseCode === 0 || ie.responseCode >= 500;
      if (otherTarget || !failedAttempt) return o;
    }
    return null;
  }

  private hop(from: WorkloadRef, to: WorkloadRef, out: AccessLogEntry | undefined, inn: AccessLogEntry | undefined, mirror: boolean): Hop {
    const e = (out ?? inn)!;
    const hop: Hop = {
      from,
      to,
      status: e.responseCode,
      flags: mergeFlags(out?.responseFlags, inn?.responseFlags),
      durationMs: e.durationMs,
      cluster: out?.upstreamCluster?.raw ?? inn?.upstreamCluster?.raw ?? null,
      path: e.path,
      method: e.method,
    };
    if (out) hop.outbound = out;
    if (inn) hop.inbound = inn;
    if (mirror || (out !== undefined && isShadow(out)) || (inn !== undefined && isShadow(inn))) hop.mirror = true;
    return hop;
  }
}

/** Correlates a finished batch of lines (tests, lab checks, replays). */
export function correlateLines(lines: CapturedLine[], users?: Map<string, string>): RequestTree[] {
  const c = new Correlator({ maxPending: Number.MAX_SAFE_INTEGER });
  if (users) for (const [id, u] of users) c.noteUser(id, u);
  for (const l of lines) c.add(l);
  return c.drain().sort((a, b) => ((a.startTime ?? '') < (b.startTime ?? '') ? -1 : 1));
}
