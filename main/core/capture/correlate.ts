// Groups parsed access-log lines by x-request-id into request trees. Each hop is stitched from
// the client's outbound line and the server's inbound line: the client's UPSTREAM_LOCAL_ADDRESS
// is the server's DOWNSTREAM_REMOTE_ADDRESS (the same TCP connection seen from both ends). When a
// side is missing (a proxy whose logs we do not follow, an external host), the other side alone
// makes the hop. Memory is bounded: a request is finished once it has been quiet for `settleMs`,
// and at most `maxPending` requests are held.
//
// Objects that outlive a scavenge are what cost a busy capture, so a pending request is a slot in
// typed arrays (pending.ts) and its lines are bytes outside the JS heap (line-store.ts). A line is
// checked once, on arrival, which notes where its fields are; building slices them from the bytes.
// Building allocates little: workload refs are shared between trees (frozen), a request's few
// lines are paired with index arrays rather than maps, and hops have one fixed shape.
import type { AccessLogLine } from '../backend/types.ts';
import { LineStore, MAX_LINE_CHARS } from './line-store.ts';
import { NONE, PendingRequests } from './pending.ts';
import { AccessLogParseError, HOP_SLOTS, hopFieldsAt, keepHopOffsets, lastDownstreamLocalAddress, scanAccessLog, scanAccessLogBytes, type AccessLogKey, type HopFields } from './parser.ts';
import type { Hop, RequestTree, WorkloadRef } from './types.ts';

export type LineSource = AccessLogLine['source'];

export interface CapturedLine {
  /** The access-log line as the proxy wrote it. */
  line: string;
  source: LineSource;
  receivedAt: number;
}

/** A line being built into a tree: parsed. */
interface ParsedLine {
  line: string;
  source: LineSource;
  entry: HopFields;
}

export interface CorrelatorOptions {
  /** A request with no new line for this long is complete. Cluster logs arrive up to ~1 s late. */
  settleMs?: number;
  /** Requests held at once; the oldest is completed early beyond this. */
  maxPending?: number;
  /** Pod IPs remembered for upstream host → workload lookups. */
  maxPods?: number;
  /** MiB of pending lines held (line-store.ts); the oldest requests are completed early beyond this. */
  maxPendingMiB?: number;
}

const MAX_LINES_PER_REQUEST = 256;
/** Returned by add() when nothing was evicted (nearly always): no array per line. */
const NO_TREES: RequestTree[] = [];
/** Pairing marks of an inbound line: no client line found, or a mirror copy (no client line by design). */
const UNPAIRED = -1;
const MIRROR_COPY = -2;

function ipOf(addr: string | null): string | null {
  if (!addr) return null;
  if (addr.startsWith('[')) {
    const e = addr.indexOf(']');
    return e === -1 ? addr : addr.slice(1, e);
  }
  const c = addr.lastIndexOf(':');
  return c === -1 || addr.indexOf(':') !== c ? addr : addr.slice(0, c);
}

interface HostInfo {
  service: string;
  namespace: string | null;
  external: boolean;
}

// Cluster hosts by name: a mesh has few, and most lines name one.
const hostInfos = new Map<string, HostInfo>();

/** `reviews.default.svc.cluster.local` → {service: reviews, namespace: default}; other hosts are external. */
function serviceOfHost(host: string | null | undefined): HostInfo | null {
  if (!host) return null;
  let info = hostInfos.get(host);
  if (info === undefined) {
    const m = host.indexOf('.svc.');
    if (m === -1) info = { service: host, namespace: null, external: true };
    else {
      const parts = host.slice(0, m).split('.');
      info = { service: parts[0]!, namespace: parts[1] ?? null, external: false };
    }
    if (hostInfos.size >= 4096) hostInfos.clear();
    hostInfos.set(host, Object.freeze(info));
  }
  return info;
}

function hostOf(authority: string): string {
  const c = authority.lastIndexOf(':');
  return c > 0 && authority.indexOf(']', c) === -1 ? authority.slice(0, c) : authority;
}

/** Up to Istio 1.27 Envoy appended "-shadow" to the authority of mirrored requests (off by default since 1.28). */
function isShadow(e: HopFields): boolean {
  // indexOf first: hostOf() slices, and nearly no authority is a shadow one.
  return e.authority !== null && e.authority.indexOf('-shadow') !== -1 && hostOf(e.authority).endsWith('-shadow');
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
 * an ambiguous pair is left as two plain hops rather than guessed. Null when there are none.
 */
function mirroredOutbounds(outs: ParsedLine[]): boolean[] | null {
  if (outs.length < 2 || !outs.some((o) => isShadow(o.entry))) return null;
  const groups = new Map<string, number[]>();
  outs.forEach((o, j) => {
    const e = o.entry;
    if (!e.downstreamRemoteAddress || !e.upstreamCluster || !e.authority) return;
    const key = `${o.source.pod}|${e.downstreamRemoteAddress}|${e.method}|${e.path}|${stripShadow(e.authority)}`;
    const g = groups.get(key);
    if (g) g.push(j);
    else groups.set(key, [j]);
  });
  const mirror = outs.map(() => false);
  for (const g of groups.values()) {
    if (g.length < 2 || g.every((j) => isShadow(outs[j]!.entry))) continue;
    for (const j of g) if (isShadow(outs[j]!.entry)) mirror[j] = true;
  }
  return mirror;
}

function mergeFlags(a: string[] | undefined, b: string[] | undefined): string[] {
  if (!a || a.length === 0) return b ?? [];
  if (!b || b.length === 0 || a === b) return a;
  return [...new Set([...a, ...b])];
}

/** Orders Envoy START_TIMEs (ISO text sorts as time); a missing one comes first. */
export function compareStart(a: string | null, b: string | null): number {
  const sa = a ?? '';
  const sb = b ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function byLineStart(a: ParsedLine, b: ParsedLine): number {
  return compareStart(a.entry.startTime, b.entry.startTime);
}

/** Sorts in place unless already in order (lines of one proxy stream nearly always are). */
function sortIfNeeded<T>(xs: T[], cmp: (a: T, b: T) => number): void {
  for (let i = 1; i < xs.length; i++) {
    if (cmp(xs[i - 1]!, xs[i]!) > 0) {
      xs.sort(cmp);
      return;
    }
  }
}

function byHopStart(a: Hop, b: Hop): number {
  return compareStart(a.startTime, b.startTime);
}

/** The entry point: the first hop whose client no other (non-mirror) hop called. */
function entryHop(hops: Hop[]): Hop | undefined {
  let fallback: Hop | undefined;
  for (const h of hops) {
    if (h.mirror) continue;
    fallback ??= h;
    let called = false;
    for (const o of hops) {
      if (!o.mirror && o.to.workload === h.from.workload) {
        called = true;
        break;
      }
    }
    if (!called) return h;
  }
  return fallback ?? hops[0];
}

/**
 * Workload refs shared by every tree that names the same pod or destination, frozen so that no
 * consumer can change them for the others. Bounded: a pod's entry goes when the cap is reached.
 */
class WorkloadRefs {
  private readonly byPod = new Map<string, { source: LineSource; byService: Map<string | null, WorkloadRef> }>();
  private readonly named = new Map<string, WorkloadRef>();

  constructor(private readonly max: number) {}

  /** The workload behind a proxy, addressed as `service`. */
  ofPod(s: LineSource, service: string | null = null): WorkloadRef {
    let e = this.byPod.get(s.pod);
    if (e === undefined || (e.source !== s && !sameWorkload(e.source, s))) {
      e = { source: s, byService: new Map() };
      this.byPod.set(s.pod, e);
      if (this.byPod.size > this.max) this.byPod.delete(this.byPod.keys().next().value!);
    }
    let r = e.byService.get(service);
    if (r === undefined) {
      r = Object.freeze({ workload: s.workload, app: s.app ?? null, version: s.version ?? null, namespace: s.namespace, service });
      if (e.byService.size >= 32) e.byService.clear();
      e.byService.set(service, r);
    }
    return r;
  }

  /** A destination known only by name (a service subset, an external host), made once. */
  ofName(key: string, make: () => WorkloadRef): WorkloadRef {
    let r = this.named.get(key);
    if (r === undefined) {
      r = Object.freeze(make());
      if (this.named.size >= this.max) this.named.clear();
      this.named.set(key, r);
    }
    return r;
  }

  clear(): void {
    this.byPod.clear();
    this.named.clear();
  }
}

function sameWorkload(a: LineSource, b: LineSource): boolean {
  return a.namespace === b.namespace && a.workload === b.workload && (a.app ?? null) === (b.app ?? null) && (a.version ?? null) === (b.version ?? null);
}

export class Correlator {
  private readonly pending = new PendingRequests();
  /** Pod IP → the proxy that logged from it (learned from every line's source). */
  private readonly pods = new Map<string, LineSource>();
  /** Users the app sent requests for (end-user is not in the access log). */
  private readonly users = new Map<string, string>();
  private readonly refs: WorkloadRefs;
  private readonly settleMs: number;
  private readonly maxPending: number;
  private readonly maxPods: number;
  private readonly store: LineStore;
  private tcpSeq = 0;
  /** The key of the line add() last took. */
  lastKey: AccessLogKey | null = null;

  constructor(opts: CorrelatorOptions = {}) {
    this.settleMs = opts.settleMs ?? 300;
    this.maxPending = opts.maxPending ?? 20_000;
    this.maxPods = opts.maxPods ?? 4096;
    this.refs = new WorkloadRefs(this.maxPods);
    this.store = new LineStore(opts.maxPendingMiB ?? 32);
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
   * Adds one line (TCP lines, which have no request id, get a synthetic one); returns the trees
   * completed early to make room (the `maxPending` cap, or the line store full), nearly always none
   * (a shared empty array: nothing allocated per line). Throws AccessLogParseError for a line that
   * does not parse; `lastKey` is then left as it was.
   */
  add(line: CapturedLine): RequestTree[] {
    if (line.line.length > MAX_LINE_CHARS) throw new AccessLogParseError(`longer than ${MAX_LINE_CHARS} characters`);
    let evicted = NO_TREES;
    let bytes = this.store.stage(line.line);
    if (bytes < 0) {
      // Every page holds lines of pending requests: complete the oldest to make room, but only
      // for a line that parses (a throw here would lose the trees completed for it).
      scanAccessLog(line.line);
      evicted = [];
      do {
        evicted.push(this.evictOldest());
        bytes = this.store.stage(line.line);
      } while (bytes < 0);
    }
    const key = scanAccessLogBytes(this.store.stagedBytes, this.store.stagedAt, bytes, line.line);
    this.lastKey = key;
    this.learnPod(line.source, key);
    const s = this.slotFor(key, line.receivedAt);
    if (this.pending.lineCount(s) < MAX_LINES_PER_REQUEST) {
      const r = this.pending.addLine(s, this.store.keep(), bytes, line.source, key.upstreamCluster);
      keepHopOffsets(this.pending.offsets, r * HOP_SLOTS);
    }
    while (this.pending.size > this.maxPending) {
      if (evicted === NO_TREES) evicted = [];
      evicted.push(this.evictOldest());
    }
    return evicted;
  }

  /** The pending request of the staged line (opened now if it is the first), touched. */
  private slotFor(key: AccessLogKey, at: number): number {
    const p = this.pending;
    let s: number;
    let id: string | null = null;
    if (key.requestIdAt < 0) {
      id = key.requestId ?? `tcp-${++this.tcpSeq}`;
      s = p.slotOf(id);
    } else if (key.ascii) {
      const from = this.store.stagedAt;
      s = p.slotOfBytes(this.store.stagedBytes, from + key.requestIdAt, from + key.requestIdEnd);
    } else {
      s = p.slotOf((id = this.store.stagedText(key.requestIdAt, key.requestIdEnd)));
    }
    // The id as a string of its own, made once per request: a view of the line would keep its chunk alive.
    if (s === NONE) return p.open(id ?? this.store.stagedText(key.requestIdAt, key.requestIdEnd), at);
    p.touch(s, at);
    return s;
  }

  private evictOldest(): RequestTree {
    const oldest = this.pending.oldest();
    if (oldest === NONE) throw new Error('line store full with no pending request');
    return this.finish(oldest);
  }

  /**
   * Current trees of the pending requests that got lines since the last call: the newest `limit`
   * of them (a flag per request rather than a set of ids: no work per line beyond setting it).
   */
  takeDirty(limit = Infinity): RequestTree[] {
    const p = this.pending;
    const dirty: number[] = [];
    for (let s = p.oldest(); s !== NONE; s = p.arrivedAfter(s)) if (p.takeDirty(s)) dirty.push(s);
    const from = Math.max(0, dirty.length - limit);
    const out: RequestTree[] = [];
    for (let k = from; k < dirty.length; k++) out.push(this.build(dirty[k]!, false));
    return out;
  }

  /**
   * Completes the requests that have been quiet for settleMs, handing each tree to `done` as it is
   * built; returns how many. Under a flood thousands complete at once: collected in an array they
   * would all outlive a scavenge, handed over one by one they live as long as `done` keeps them.
   */
  settle(now: number, done: (t: RequestTree) => void): number {
    // A full scan: requests are in arrival order, not update order. Pending requests are few.
    const p = this.pending;
    let n = 0;
    for (let s = p.oldest(), next = NONE; s !== NONE; s = next) {
      next = p.arrivedAfter(s);
      if (now - p.lastAtOf(s) < this.settleMs) continue;
      done(this.finish(s));
      n++;
    }
    if (this.pending.size === 0) {
      this.store.trim();
      this.pending.trim();
    }
    return n;
  }

  /** Completes everything still pending. */
  drain(): RequestTree[] {
    const done: RequestTree[] = [];
    for (let s = this.pending.oldest(); s !== NONE; s = this.pending.oldest()) done.push(this.finish(s));
    return done;
  }

  clear(): void {
    this.pending.clear();
    this.store.clear();
    this.users.clear();
    this.refs.clear();
  }

  /** Builds a request's final tree and forgets the request. */
  private finish(s: number): RequestTree {
    const t = this.build(s, true);
    this.users.delete(t.requestId);
    for (let r = this.pending.firstLine(s); r !== -1; r = this.pending.nextLine(r)) this.store.release(this.pending.lineHandle(r));
    this.pending.close(s);
    return t;
  }

  private learnPod(s: LineSource, key: AccessLogKey): void {
    let ip = s.podIP ?? null;
    // An inbound line's downstream local address is the pod's own IP (since 1.10; 127.0.0.1 before).
    if (!ip && key.upstreamCluster?.direction === 'inbound') ip = ipOf(lastDownstreamLocalAddress());
    if (!ip || ip.startsWith('127.')) return;
    if (this.pods.get(ip)?.pod === s.pod) return;
    this.pods.delete(ip);
    this.pods.set(ip, s);
    if (this.pods.size > this.maxPods) this.pods.delete(this.pods.keys().next().value!);
  }

  private podAt(addr: string | null): LineSource | undefined {
    const ip = ipOf(addr);
    return ip === null ? undefined : this.pods.get(ip);
  }

  /** The service an outbound line addressed: its cluster's mesh service, or the app of the pod it reached. */
  private serviceOf(o: ParsedLine): string | null {
    const svc = serviceOfHost(o.entry.upstreamCluster?.host);
    if (svc && !svc.external) return svc.service;
    return this.podAt(o.entry.upstreamHost)?.app ?? null;
  }

  /** Where an outbound line went, from its upstream host and cluster. */
  private destination(o: ParsedLine): WorkloadRef {
    const e = o.entry;
    const c = e.upstreamCluster;
    const svc = serviceOfHost(c?.host);
    const pod = this.podAt(e.upstreamHost);
    if (pod) return this.refs.ofPod(pod, svc && !svc.external ? svc.service : pod.app ?? null);
    if (c && c.direction === 'outbound' && svc && !svc.external) {
      const { service, namespace } = svc;
      return this.refs.ofName(c.raw, () => ({ workload: c.subset ? `${service}-${c.subset}` : service, app: service, version: c.subset, namespace, service }));
    }
    // PassthroughCluster, ServiceEntry hosts, BlackHoleCluster, direct responses.
    const authority = e.authority ? e.authority.replace(/:\d+$/, '') : null;
    const external = (svc?.external ? svc.service : null) ?? e.requestedServerName ?? authority ?? e.upstreamHost ?? e.downstreamLocalAddress ?? c?.raw ?? 'unknown';
    const name = c?.raw === 'BlackHoleCluster' ? 'BlackHoleCluster' : external;
    return this.refs.ofName(`external|${name}`, () => ({ workload: name, app: null, version: null, namespace: null, service: null }));
  }

  private build(s: number, complete: boolean): RequestTree {
    const outs: ParsedLine[] = [];
    const ins: ParsedLine[] = [];
    const pending = this.pending;
    for (let r = pending.firstLine(s); r !== -1; r = pending.nextLine(r)) {
      const handle = pending.lineHandle(r);
      const bytes = pending.lineBytes(r);
      const line = this.store.text(handle, bytes);
      // Checked on arrival (add), which noted where the fields are.
      const entry = hopFieldsAt(this.store.bytesOf(handle), this.store.offsetOf(handle), bytes, line, pending.offsets, r * HOP_SLOTS, pending.lineCluster(r));
      (entry.upstreamCluster?.direction === 'inbound' ? ins : outs).push({ line, source: pending.lineSource(r), entry });
    }
    // Lines arrive per proxy stream, not in call order; pairing goes in call order.
    sortIfNeeded(ins, byLineStart);
    sortIfNeeded(outs, byLineStart);
    // peer[k]: the index in `outs` of inbound line k's client line, or UNPAIRED / MIRROR_COPY.
    const peer: number[] = ins.map(() => UNPAIRED);
    const taken: boolean[] = outs.map(() => false);
    const mirrorOut = mirroredOutbounds(outs);

    // Pass 1: the same TCP connection seen from both ends. Done for every inbound line before any
    // fallback, so a fallback cannot take an outbound line that an exact match needs. Requests
    // over one kept-alive connection pair in order.
    for (let k = 0; k < ins.length; k++) {
      const a = ins[k]!.entry.downstreamRemoteAddress;
      if (a === null) continue;
      for (let j = 0; j < outs.length; j++) {
        if (!taken[j] && outs[j]!.entry.upstreamLocalAddress === a) {
          taken[j] = true;
          peer[k] = j;
          break;
        }
      }
    }
    for (let k = 0; k < ins.length; k++) {
      if (peer[k] !== UNPAIRED) continue;
      const i = ins[k]!;
      // A shadow copy: the client logged only its primary call (Envoy's access log does not see the
      // shadow stream), so the copy's connection matches no outbound line of that client.
      if (this.isMirrorCopy(i, ins, outs, peer)) {
        peer[k] = MIRROR_COPY;
        continue;
      }
      const j = this.fallbackClient(i, outs, taken);
      if (j !== UNPAIRED) taken[j] = true;
      peer[k] = j;
    }

    const hops: Hop[] = [];
    for (let k = 0; k < ins.length; k++) {
      const i = ins[k]!;
      const j = peer[k]!;
      const o = j >= 0 ? outs[j] : undefined;
      const to = this.refs.ofPod(i.source, (o ? this.serviceOf(o) : null) ?? i.source.app ?? null);
      const from = o ? this.refs.ofPod(o.source) : this.clientOf(i.entry);
      hops.push(this.hop(from, to, o, i, j === MIRROR_COPY || (j >= 0 && mirrorOut !== null && mirrorOut[j]!)));
    }
    for (let j = 0; j < outs.length; j++) {
      if (taken[j]) continue;
      const o = outs[j]!;
      hops.push(this.hop(this.refs.ofPod(o.source), this.destination(o), o, undefined, mirrorOut !== null && mirrorOut[j]!));
    }
    sortIfNeeded(hops, byHopStart);
    // Mirror copies are fire and forget: they never decide the request's entry point or status.
    const first = entryHop(hops);
    if (first && hops[0] !== first) {
      hops.splice(hops.indexOf(first), 1);
      hops.unshift(first);
    }
    const requestId = pending.id(s);
    return {
      requestId,
      startTime: first?.startTime ?? null,
      user: this.users.get(requestId) ?? null,
      hops,
      status: first && !first.mirror ? first.status : 0,
      receivedAt: pending.lastAtOf(s),
      complete,
    };
  }

  /** For an inbound line with no exact pair: the client picked this pod as its upstream host, or addressed the server's service. */
  private fallbackClient(i: ParsedLine, outs: ParsedLine[], taken: boolean[]): number {
    const ie = i.entry;
    if (ie.downstreamLocalAddress !== null) {
      for (let j = 0; j < outs.length; j++) if (!taken[j] && outs[j]!.entry.upstreamHost === ie.downstreamLocalAddress) return j;
    }
    const app = i.source.app;
    if (app) {
      for (let j = 0; j < outs.length; j++) {
        const oe = outs[j]!.entry;
        if (!taken[j] && oe.path === ie.path && serviceOfHost(oe.upstreamCluster?.host)?.service === app) return j;
      }
    }
    return UNPAIRED;
  }

  /** The client of an inbound line nobody's outbound line matched: the pod behind its remote address. */
  private clientOf(ie: HopFields): WorkloadRef {
    const ip = ipOf(ie.downstreamRemoteAddress);
    const pod = ip ? this.pods.get(ip) : undefined;
    return pod ? this.refs.ofPod(pod) : { workload: ip ?? 'unknown', app: null, version: null, namespace: null, service: null };
  }

  /**
   * Whether an inbound line whose connection matches no outbound line is a mirror copy of a
   * paired call. Evidence: the same client (remote IP) called the same authority with the same
   * method and path, that call was answered by another pod (exact address match), and this pod is
   * not what the primary's cluster would pick (another subset or service) or it did not fail the
   * way a retried attempt does.
   */
  private isMirrorCopy(i: ParsedLine, ins: ParsedLine[], outs: ParsedLine[], peer: number[]): boolean {
    const ie = i.entry;
    const clientIp = ipOf(ie.downstreamRemoteAddress);
    if (!clientIp || !ie.authority) return false;
    const authority = stripShadow(ie.authority);
    for (let k = 0; k < ins.length; k++) {
      const server = ins[k]!;
      const j = peer[k]!;
      if (j < 0 || server === i) continue;
      const oe = outs[j]!.entry;
      if (ipOf(oe.upstreamLocalAddress) !== clientIp) continue;
      if (!oe.authority || stripShadow(oe.authority) !== authority || oe.method !== ie.method || oe.path !== ie.path) continue;
      if (server.source.pod === i.source.pod) continue;
      const c = oe.upstreamCluster;
      const svc = serviceOfHost(c?.host);
      const otherTarget = (c?.subset != null && i.source.version != null && c.subset !== i.source.version) || (svc !== null && !svc.external && i.source.app != null && svc.service !== i.source.app);
      const failedAttempt = ie.responseCode === 0 || ie.responseCode >= 500;
      if (otherTarget || !failedAttempt) return true;
    }
    return false;
  }

  private hop(from: WorkloadRef, to: WorkloadRef, o: ParsedLine | undefined, i: ParsedLine | undefined, mirror: boolean): Hop {
    const out = o?.entry;
    const inn = i?.entry;
    const e = (out ?? inn)!;
    // One shape for every hop (absent sides stay undefined, which JSON leaves out).
    return {
      from,
      to,
      startTime: e.startTime,
      status: e.responseCode,
      flags: mergeFlags(out?.responseFlags, inn?.responseFlags),
      durationMs: e.durationMs,
      cluster: out?.upstreamCluster?.raw ?? inn?.upstreamCluster?.raw ?? null,
      path: e.path,
      method: e.method,
      connection: out?.upstreamLocalAddress ?? inn?.downstreamRemoteAddress ?? null,
      outboundLine: o?.line,
      inboundLine: i?.line,
      mirror: mirror || (out !== undefined && isShadow(out)) || (inn !== undefined && isShadow(inn)) ? true : undefined,
    };
  }
}

/** Correlates a finished batch of lines (tests, lab checks, replays). */
export function correlateLines(lines: CapturedLine[], users?: Map<string, string>): RequestTree[] {
  const c = new Correlator({ maxPending: Number.MAX_SAFE_INTEGER });
  if (users) for (const [id, u] of users) c.noteUser(id, u);
  for (const l of lines) c.add(l);
  return c.drain().sort((a, b) => compareStart(a.startTime, b.startTime));
}
