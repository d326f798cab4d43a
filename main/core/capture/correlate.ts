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

function isMirror(e: AccessLogEntry): boolean {
  // Envoy appends "-shadow" to the authority of mirrored requests.
  const a = e.authority;
  if (!a) return false;
  const host = a.lastIndexOf(':') > 0 ? a.slice(0, a.lastIndexOf(':')) : a;
  return host.endsWith('-shadow');
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

    for (const i of ins) {
      const ie = i.entry;
      let o = ie.downstreamRemoteAddress ? byLocal.get(ie.downstreamRemoteAddress) : undefined;
      if (o && used.has(o)) o = undefined;
      // Fallbacks: the client picked this pod as its upstream host, or addressed the server's service.
      if (!o) o = outs.find((x) => !used.has(x) && x.entry.upstreamHost !== null && x.entry.upstreamHost === ie.downstreamLocalAddress);
      if (!o && i.source.app) {
        const app = i.source.app;
        o = outs.find((x) => !used.has(x) && serviceOfHost(x.entry.upstreamCluster?.host ?? null)?.service === app && x.entry.path === ie.path);
      }
      if (o) used.add(o);
      const to = refFromSource(i.source, o ? this.destination(o).service ?? i.source.app ?? null : i.source.app ?? null);
      const from: WorkloadRef = o
        ? refFromSource(o.source)
        : (() => {
            const ip = ipOf(ie.downstreamRemoteAddress);
            const pod = ip ? this.pods.get(ip) : undefined;
            return pod ? refFromSource(pod) : { workload: ip ?? 'unknown', app: null, version: null, namespace: null, service: null };
          })();
      hops.push(this.hop(from, to, o?.entry, ie));
    }
    for (const o of outs) {
      if (used.has(o)) continue;
      hops.push(this.hop(refFromSource(o.source), this.destination(o), o.entry, undefined));
    }
    hops.sort((a, b) => {
      const sa = (a.outbound ?? a.inbound)?.startTime ?? '';
      const sb = (b.outbound ?? b.inbound)?.startTime ?? '';
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    });
    // The first hop is the one whose client nobody else called (the entry point).
    const called = new Set(hops.map((h) => h.to.workload));
    const first = hops.find((h) => !called.has(h.from.workload)) ?? hops[0];
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
      status: first?.status ?? 0,
      receivedAt,
      complete,
    };
  }

  private hop(from: WorkloadRef, to: WorkloadRef, out: AccessLogEntry | undefined, inn: AccessLogEntry | undefined): Hop {
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
    if (isMirror(e)) hop.mirror = true;
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
