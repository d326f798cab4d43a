// Groups parsed access-log lines by x-request-id into request trees. Each hop is stitched from
// the client's outbound line and the server's inbound line: the client's UPSTREAM_LOCAL_ADDRESS
// is the server's DOWNSTREAM_REMOTE_ADDRESS (the same TCP connection seen from both ends). When a
// side is missing (a proxy whose logs we do not follow, an external host), the other side alone
// makes the hop. Memory is bounded: a request is finished once it has been quiet for `settleMs`,
// and at most `maxPending` requests are held.
//
// Objects that outlive a scavenge are what cost a busy capture, so a pending request is a slot in
// typed arrays (pending.ts) and its lines are bytes outside the JS heap (line-store.ts). A line is
// checked once, on arrival, which notes where its fields are. A completed request's hops are
// worked out in place (plan(): fields compared as bytes, numbers read from the offsets) and
// counted; only then, and only for the trees wanted (treeBudget), are the fields sliced into a
// tree. Building allocates little: workload refs are shared between trees (frozen), a request's
// lines are paired through reused index arrays, and hops have one fixed shape.
import { lineChunk } from '../backend/access-log.ts';
import type { AccessLogChunk, AccessLogLine, AccessLogSource } from '../backend/types.ts';
import { LineStore, MAX_LINE_BYTES } from './line-store.ts';
import { LINE_SLOTS, NONE, PendingRequests } from './pending.ts';
import { AccessLogParseError, CONNECTION_KEY, durationAt, flagList, HopField, hopFieldsAt, isJsonAt, keepHopOffsets, lastDownstreamLocalAddress, responseCodeAt, scanAccessLogBytes, type AccessLogKey, type HopFields, type HopFieldSlot } from './parser.ts';
import type { HopNumbers } from './aggregate.ts';
import type { Hop, RequestTree, UpstreamCluster, WorkloadRef } from './types.ts';


export interface CorrelatorOptions {
  /** A request with no new line for this long is complete. Cluster logs arrive up to ~1 s late. */
  settleMs?: number;
  /** Requests held at once; the oldest is completed early beyond this. */
  maxPending?: number;
  /** Pod IPs remembered for upstream host → workload lookups. */
  maxPods?: number;
  /** MiB of pending lines held (line-store.ts); the oldest requests are completed early beyond this. */
  maxPendingMiB?: number;
  /** Counts each hop of every completed request (mirror copies excluded), whether or not its tree is built. */
  onHop?: (h: HopNumbers, atMs: number) => void;
  /** Each line that parses: its key (valid during the call) and when its chunk arrived. */
  onLine?: (key: AccessLogKey, receivedAt: number) => void;
  /** Each line that does not parse (dropped), with its first UNPARSED_SHOWN bytes as text. */
  onUnparsed?: (error: AccessLogParseError, line: string, chunk: AccessLogChunk) => void;
}

const MAX_LINES_PER_REQUEST = 256;
/** Bytes of a chunk staged at once (a longer line alone, up to MAX_LINE_BYTES): what a socket read delivers. */
const PIECE = 64 * 1024;
const NEWLINE = 10;
/** Bytes of a line that does not parse handed to onUnparsed: its start, for the diagnostics panel. */
const UNPARSED_SHOWN = 1024;

/**
 * The end of the whole lines from `from` that make a piece (at most PIECE bytes, or one longer
 * line); -1 when the line at `from` is longer than MAX_LINE_BYTES.
 */
function pieceEnd(b: Uint8Array, from: number, end: number): number {
  if (end - from <= PIECE) return end;
  const nl = b.lastIndexOf(NEWLINE, from + PIECE - 1);
  if (nl >= from) return nl + 1;
  const first = b.indexOf(NEWLINE, from + PIECE);
  const lineEnd = first === -1 ? end : first + 1;
  return lineEnd - from <= MAX_LINE_BYTES ? lineEnd : -1;
}
/** Returned by add() when nothing was evicted (nearly always): no array per line. */
const NO_TREES: RequestTree[] = [];
/** Pairing marks of an inbound line: no client line found, or a mirror copy (no client line by design). */
const UNPAIRED = -1;
const MIRROR_COPY = -2;
/** A line mark (PendingRequests.lineMarks): the authority of a TEXT line marks a shadow copy. */
const SHADOW_MARK = 1;

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
const SHADOW = '-shadow';
const SHADOW_BYTES = new TextEncoder().encode(SHADOW);

function isShadowAuthority(authority: string | null): boolean {
  // indexOf first: hostOf() slices, and nearly no authority is a shadow one.
  return authority !== null && authority.indexOf(SHADOW) !== -1 && hostOf(authority).endsWith(SHADOW);
}

/**
 * isShadowAuthority() of the authority at `b[from..to)`, read in place: the host ends at the last
 * `:` unless a `]` follows it (hostOf()), and only its last bytes are compared.
 */
export function isShadowAuthorityAt(b: Uint8Array, from: number, to: number): boolean {
  let end = to;
  for (let i = to - 1; i > from; i--) {
    const c = b[i];
    if (c === 93 /* ] */) break;
    if (c === 58 /* : */) {
      end = i;
      break;
    }
  }
  const n = SHADOW_BYTES.length;
  if (end - from < n) return false;
  for (let k = 0; k < n; k++) if (b[end - n + k] !== SHADOW_BYTES[k]) return false;
  return true;
}

function stripShadow(authority: string): string {
  const host = hostOf(authority);
  return host.endsWith(SHADOW) ? host.slice(0, -SHADOW.length) + authority.slice(host.length) : authority;
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

/**
 * Sorts `xs[0..n)` by `keys[x]`, stably (insertion sort: a request's lines nearly always come in
 * order). Keys in a typed array: a key function returning a double boxed it on every call.
 */
function sortBy(xs: number[], n: number, keys: Float64Array): void {
  for (let i = 1; i < n; i++) {
    const x = xs[i]!;
    const v = keys[x]!;
    let j = i - 1;
    for (; j >= 0 && keys[xs[j]!]! > v; j--) xs[j + 1] = xs[j]!;
    xs[j + 1] = x;
  }
}

/**
 * Workload refs shared by every tree that names the same pod or destination, frozen so that no
 * consumer can change them for the others. Bounded: a pod's entry goes when the cap is reached.
 */
class WorkloadRefs {
  private readonly byPod = new Map<string, { source: AccessLogSource; byService: Map<string | null, WorkloadRef> }>();
  private readonly named = new Map<string, WorkloadRef>();

  constructor(private readonly max: number) {}

  /** The workload behind a proxy, addressed as `service`. */
  ofPod(s: AccessLogSource, service: string | null = null): WorkloadRef {
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

function sameWorkload(a: AccessLogSource, b: AccessLogSource): boolean {
  return a.namespace === b.namespace && a.workload === b.workload && (a.app ?? null) === (b.app ?? null) && (a.version ?? null) === (b.version ?? null);
}

/** A line of the request being worked out: its parsed fields, for a JSON line (it has no offsets) or a tree being built. */
interface ParsedLine {
  line: string;
  source: AccessLogSource;
  entry: HopFields;
}

const F = HopField;
/** The HopFields key of each string field (a JSON line's fields are read by name; flags apart). */
const FIELD_NAMES = Object.fromEntries(Object.entries(HopField).map(([name, slot]) => [slot, name])) as Record<HopFieldSlot, Exclude<keyof typeof HopField, 'flags'>>;

/** How long capture stays idle before it gives back what a burst made its store and arrays grow to. */
export const TRIM_AFTER_IDLE_MS = 10_000;

export class Correlator {
  private readonly pending = new PendingRequests();
  /** Pod IP → the proxy that logged from it (learned from every line's source). */
  private readonly pods = new Map<string, AccessLogSource>();
  /** Users the app sent requests for (end-user is not in the access log). */
  private readonly users = new Map<string, string>();
  private readonly refs: WorkloadRefs;
  private readonly settleMs: number;
  private readonly maxPending: number;
  private readonly maxPods: number;
  private readonly store: LineStore;
  private readonly onHop: (h: HopNumbers, atMs: number) => void;
  private tcpSeq = 0;
  /** When settle() first found nothing pending since lines last came (NaN until then). */
  private idleSince = NaN;
  private readonly onLine: (key: AccessLogKey, receivedAt: number) => void;
  private readonly onUnparsed: (error: AccessLogParseError, line: string, chunk: AccessLogChunk) => void;
  /**
   * Trees still to build for requests that complete; the others are only counted (onHop). Under a
   * flood thousands of requests complete between two batches the capture service sends, and a
   * view is sent a batch's worth: building the rest (their lines decoded, their fields sliced)
   * took more than half of what the service allocated.
   */
  treeBudget = Infinity;

  // The request being worked out (plan()), reused from one to the next: its lines by index k (a
  // line record, and the parsed fields of a JSON line), its inbound and outbound lines in start
  // order, and per hop its client, server, client line, server line (k or NONE) and mirror mark.
  private readonly rec: number[] = [];
  private readonly json: (ParsedLine | null)[] = [];
  /** Per line: its authority marks a shadow copy (isShadow(), read once per plan). */
  private readonly shadow: boolean[] = [];
  private readonly ins: number[] = [];
  private readonly outs: number[] = [];
  private nIns = 0;
  private nOuts = 0;
  /** Per inbound line: the index in `outs` of its client line, or UNPAIRED / MIRROR_COPY. */
  private readonly peer: number[] = [];
  private readonly taken: boolean[] = [];
  private readonly hopFrom: WorkloadRef[] = [];
  private readonly hopTo: WorkloadRef[] = [];
  private readonly hopOut: number[] = [];
  private readonly hopIn: number[] = [];
  private readonly hopMirror: boolean[] = [];
  /** Sort keys by line or hop index (a request has at most MAX_LINES_PER_REQUEST lines, and as many hops). */
  private readonly sortKeys = new Float64Array(MAX_LINES_PER_REQUEST);
  /** Hop indexes in tree order: the entry hop first, then by start. */
  private readonly hopOrder: number[] = [];
  /** Handed to onHop for each hop counted. */
  private readonly counted: HopNumbers = { from: undefined as unknown as WorkloadRef, to: undefined as unknown as WorkloadRef, status: 0, flags: [], durationMs: null, cluster: null };

  constructor(opts: CorrelatorOptions = {}) {
    this.settleMs = opts.settleMs ?? 300;
    this.maxPending = opts.maxPending ?? 20_000;
    this.maxPods = opts.maxPods ?? 4096;
    this.refs = new WorkloadRefs(this.maxPods);
    this.store = new LineStore(opts.maxPendingMiB ?? 32);
    this.onHop = opts.onHop ?? (() => undefined);
    this.onLine = opts.onLine ?? (() => undefined);
    this.onUnparsed = opts.onUnparsed ?? (() => undefined);
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
   * Adds a chunk's lines (TCP lines, which have no request id, get a synthetic one); returns the
   * trees of requests completed early to make room (the `maxPending` cap, or the line store full),
   * nearly always none (a shared empty array: nothing allocated per chunk). A line that does not
   * parse goes to onUnparsed, and the others are still taken.
   */
  add(chunk: AccessLogChunk): RequestTree[] {
    let evicted = NO_TREES;
    this.idleSince = NaN;
    // A source that knows its pod's IP tells it once for all its lines.
    if (chunk.source.podIP) this.learnPod(chunk.source, chunk.source.podIP);
    const b = chunk.bytes;
    const end = b.length;
    for (let from = 0; from < end; ) {
      const to = pieceEnd(b, from, end);
      if (to < 0) {
        const nl = b.indexOf(NEWLINE, from);
        const lineEnd = nl === -1 ? end : nl;
        this.onUnparsed(new AccessLogParseError(`longer than ${MAX_LINE_BYTES} bytes`), Buffer.from(b.buffer, b.byteOffset + from, Math.min(lineEnd - from, UNPARSED_SHOWN)).toString('utf8'), chunk);
        from = lineEnd + 1;
        continue;
      }
      let at = this.store.stage(b, from, to);
      // Every page holds lines of pending requests: complete the oldest to make room.
      while (at < 0) {
        evicted = this.evictOldest(evicted);
        at = this.store.stage(b, from, to);
      }
      evicted = this.addStaged(chunk, at, at + to - from, evicted);
      from = to;
    }
    return evicted;
  }

  /** The lines staged at `[at, stop)`, one by one, where they are. */
  private addStaged(chunk: AccessLogChunk, at: number, stop: number, evicted: RequestTree[]): RequestTree[] {
    const buf = this.store.buffer;
    // The last newline bounds the search for each line's end: beyond the piece are old bytes.
    const lastNewline = buf[stop - 1] === NEWLINE ? stop - 1 : buf.lastIndexOf(NEWLINE, stop - 1);
    let from = at;
    for (; from <= lastNewline; ) {
      const nl = buf.indexOf(NEWLINE, from);
      evicted = this.addLine(chunk, from, nl, evicted);
      from = nl + 1;
    }
    return from < stop ? this.addLine(chunk, from, stop, evicted) : evicted;
  }

  /** The staged line at `[from, to)`. */
  private addLine(chunk: AccessLogChunk, from: number, to: number, evicted: RequestTree[]): RequestTree[] {
    if (to === from) return evicted;
    let key: AccessLogKey;
    try {
      key = scanAccessLogBytes(this.store.tokenArea, from, to - from);
    } catch (err) {
      if (!(err instanceof AccessLogParseError)) throw err;
      this.onUnparsed(err, this.store.textAt(from, 0, Math.min(to - from, UNPARSED_SHOWN)), chunk);
      return evicted;
    }
    this.onLine(key, chunk.receivedAt);
    // An inbound line's downstream local address is the pod's own IP (since 1.10; 127.0.0.1 before).
    if (!chunk.source.podIP && key.upstreamCluster?.direction === 'inbound') this.learnPod(chunk.source, ipOf(lastDownstreamLocalAddress()));
    const s = this.slotFor(key, from, chunk.receivedAt);
    if (this.pending.lineCount(s) < MAX_LINES_PER_REQUEST) {
      this.store.keep(from);
      const r = this.pending.addLine(s, from, to - from, key.startMs, chunk.source, key.upstreamCluster);
      const o = this.pending.offsets;
      keepHopOffsets(o, r * LINE_SLOTS);
      // Read now, while the line is in the CPU's cache; its request is worked out much later.
      const a = r * LINE_SLOTS + F.authority;
      if (!isJsonAt(o, r * LINE_SLOTS) && o[a]! >= 0 && isShadowAuthorityAt(this.store.bytes, from + o[a]!, from + o[a + 1]!)) this.pending.setLineMarks(r, SHADOW_MARK);
    }
    while (this.pending.size > this.maxPending) evicted = this.evictOldest(evicted);
    return evicted;
  }

  /** The pending request of the staged line at `line` (opened now if it is the first), touched. */
  private slotFor(key: AccessLogKey, line: number, at: number): number {
    const p = this.pending;
    let s: number;
    if (key.requestIdAt < 0) {
      const id = key.requestId ?? `tcp-${++this.tcpSeq}`;
      s = p.slotOf(id);
      if (s === NONE) return p.open(id, at);
    } else {
      const from = line + key.requestIdAt;
      const to = line + key.requestIdEnd;
      s = p.slotOfBytes(this.store.view, from, to);
      // The id as a string of its own, made once per request.
      if (s === NONE) return p.open(this.store.textAt(line, key.requestIdAt, key.requestIdEnd), at, this.store.view, from, to);
    }
    p.touch(s, at);
    return s;
  }

  /** Completes the oldest request; its tree, if built, joins `trees` (a new array the first time). */
  private evictOldest(trees: RequestTree[]): RequestTree[] {
    const oldest = this.pending.oldest();
    if (oldest === NONE) throw new Error('line store full with no pending request');
    const t = this.finish(oldest);
    if (t === null) return trees;
    const out = trees === NO_TREES ? [] : trees;
    out.push(t);
    return out;
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
    for (let k = from; k < dirty.length; k++) out.push(this.tree(dirty[k]!, this.plan(dirty[k]!), false));
    return out;
  }

  /**
   * Completes the requests that have been quiet for settleMs, handing each tree built to `done`
   * as it is built; returns how many completed. Under a flood thousands complete at once: collected
   * in an array they would all outlive a scavenge, handed over one by one they live as long as
   * `done` keeps them.
   */
  settle(now: number, done: (t: RequestTree) => void): number {
    // A full scan: requests are in arrival order, not update order. Pending requests are few.
    const p = this.pending;
    let n = 0;
    for (let s = p.oldest(), next = NONE; s !== NONE; s = next) {
      next = p.arrivedAfter(s);
      if (now - p.lastAtOf(s) < this.settleMs) continue;
      const t = this.finish(s);
      if (t !== null) done(t);
      n++;
    }
    // Memory a flood made grow goes back once capture has been idle a while, not at every lull
    // between bursts: each burst would grow it again, paying page faults and copies.
    if (this.pending.size > 0) return n;
    if (Number.isNaN(this.idleSince)) this.idleSince = now;
    else if (now - this.idleSince >= TRIM_AFTER_IDLE_MS) {
      this.store.trim();
      this.pending.trim();
    }
    return n;
  }

  /** Pages of lines the store holds, in use or spare. */
  get storePages(): number {
    return this.store.pageCount;
  }

  /** Completes everything still pending; returns the trees built. */
  drain(): RequestTree[] {
    let done = NO_TREES;
    while (this.pending.oldest() !== NONE) done = this.evictOldest(done);
    return done === NO_TREES ? [] : done;
  }

  clear(): void {
    this.pending.clear();
    this.store.clear();
    this.users.clear();
    this.refs.clear();
  }

  /** Completes a request: counts its hops, builds its tree while the budget lasts (else null), forgets it. */
  private finish(s: number): RequestTree | null {
    const n = this.plan(s);
    this.count(n, this.pending.lastAtOf(s));
    let t: RequestTree | null = null;
    if (this.treeBudget > 0) {
      this.treeBudget--;
      t = this.tree(s, n, true);
    }
    this.users.delete(this.pending.id(s));
    for (let r = this.pending.firstLine(s); r !== NONE; r = this.pending.nextLine(r)) this.store.release(this.pending.lineHandle(r));
    this.pending.close(s);
    return t;
  }

  /** Pod IP → the proxy that logged from it, for upstream host → workload lookups. */
  private learnPod(s: AccessLogSource, ip: string | null): void {
    if (!ip || ip.startsWith('127.')) return;
    if (this.pods.get(ip)?.pod === s.pod) return;
    this.pods.delete(ip);
    this.pods.set(ip, s);
    if (this.pods.size > this.maxPods) this.pods.delete(this.pods.keys().next().value!);
  }

  private podAt(addr: string | null): AccessLogSource | undefined {
    const ip = ipOf(addr);
    return ip === null ? undefined : this.pods.get(ip);
  }

  // ---- Fields of line k of the request being worked out ----

  private sourceOf(k: number): AccessLogSource {
    return this.pending.lineSource(this.rec[k]!);
  }

  private clusterOf(k: number): UpstreamCluster | null {
    return this.pending.lineCluster(this.rec[k]!);
  }

  /** START_TIME of line k in epoch ms; a line without one sorts first. */
  private startOf(k: number): number {
    const t = this.pending.lineStartMs(this.rec[k]!);
    return Number.isNaN(t) ? -Infinity : t;
  }

  private code(k: number): number {
    return this.json[k]?.entry.responseCode ?? responseCodeAt(this.pending.offsets, this.rec[k]! * LINE_SLOTS);
  }

  private duration(k: number): number | null {
    const j = this.json[k];
    return j ? j.entry.durationMs : durationAt(this.pending.offsets, this.rec[k]! * LINE_SLOTS);
  }

  private flagsOf(k: number): string[] {
    return this.json[k]?.entry.responseFlags ?? flagList(this.text(k, F.flags));
  }

  /** A string field of line k (a string of its own, made now); null for `-`. */
  private text(k: number, f: HopFieldSlot): string | null {
    const j = this.json[k];
    if (j) return f === F.flags ? null : j.entry[FIELD_NAMES[f]];
    const r = this.rec[k]!;
    const at = r * LINE_SLOTS + f;
    const o = this.pending.offsets;
    return o[at]! < 0 ? null : this.store.textAt(this.pending.lineHandle(r), o[at]!, o[at + 1]!);
  }

  /** Whether field `fa` of line a equals field `fb` of line b (null equals null), compared in place. */
  private same(a: number, fa: HopFieldSlot, b: number, fb: HopFieldSlot): boolean {
    if (this.json[a] || this.json[b]) return this.text(a, fa) === this.text(b, fb);
    const o = this.pending.offsets;
    const ra = this.rec[a]!;
    const rb = this.rec[b]!;
    const sa = o[ra * LINE_SLOTS + fa]!;
    const sb = o[rb * LINE_SLOTS + fb]!;
    if (sa < 0 || sb < 0) return sa === sb;
    const ea = o[ra * LINE_SLOTS + fa + 1]!;
    return ea - sa === o[rb * LINE_SLOTS + fb + 1]! - sb && this.store.sameBytes(this.pending.lineHandle(ra), sa, ea, this.pending.lineHandle(rb), sb);
  }

  /**
   * Whether outbound line o's upstream local address is inbound line i's downstream remote
   * address: both ends of one TCP connection. Compared packed where both were packed on arrival
   * (nearly always), which spares reading two lines that left the CPU's caches long ago.
   */
  private sameConnection(o: number, i: number): boolean {
    if (!this.json[o] && !this.json[i]) {
      const r = this.pending.offsets;
      const a = this.rec[o]! * LINE_SLOTS + CONNECTION_KEY;
      const b = this.rec[i]! * LINE_SLOTS + CONNECTION_KEY;
      if (r[a] !== 0 && r[b] !== 0) return r[a] === r[b] && r[a + 1] === r[b + 1] && r[a + 2] === r[b + 2];
    }
    return this.same(o, F.upstreamLocalAddress, i, F.downstreamRemoteAddress);
  }

  private isShadow(k: number): boolean {
    if (this.json[k]) return isShadowAuthority(this.text(k, F.authority));
    return (this.pending.lineMarks(this.rec[k]!) & SHADOW_MARK) !== 0;
  }

  // ---- Working out a request's hops ----

  /**
   * Works out request s's hops: each hop is stitched from the client's outbound line and the
   * server's inbound line, or is one side alone. Returns how many (in the hop arrays, until the
   * next plan).
   */
  private plan(s: number): number {
    const p = this.pending;
    const m = p.linesOf(s, this.rec);
    this.nIns = this.nOuts = 0;
    for (let k = 0; k < m; k++) {
      const r = this.rec[k]!;
      // parsed() reads what is noted here: clear what an earlier request left.
      this.json[k] = null;
      if (isJsonAt(p.offsets, r * LINE_SLOTS)) this.json[k] = this.parsed(k);
      this.shadow[k] = this.isShadow(k);
      if (p.lineCluster(r)?.direction === 'inbound') this.ins[this.nIns++] = k;
      else this.outs[this.nOuts++] = k;
    }
    // Lines arrive per proxy stream, not in call order; pairing goes in call order.
    const keys = this.sortKeys;
    for (let k = 0; k < m; k++) keys[k] = this.startOf(k);
    sortBy(this.ins, this.nIns, keys);
    sortBy(this.outs, this.nOuts, keys);
    const { ins, outs, peer, taken } = this;
    for (let j = 0; j < this.nOuts; j++) taken[j] = false;
    const mirrorOut = this.mirroredOutbounds();

    // Pass 1: the same TCP connection seen from both ends. Done for every inbound line before any
    // fallback, so a fallback cannot take an outbound line that an exact match needs. Requests
    // over one kept-alive connection pair in order.
    for (let k = 0; k < this.nIns; k++) {
      peer[k] = UNPAIRED;
      if (this.isNull(ins[k]!, F.downstreamRemoteAddress)) continue;
      for (let j = 0; j < this.nOuts; j++) {
        if (!taken[j] && this.sameConnection(outs[j]!, ins[k]!)) {
          taken[j] = true;
          peer[k] = j;
          break;
        }
      }
    }
    for (let k = 0; k < this.nIns; k++) {
      if (peer[k] !== UNPAIRED) continue;
      // A shadow copy: the client logged only its primary call (Envoy's access log does not see the
      // shadow stream), so the copy's connection matches no outbound line of that client.
      if (this.isMirrorCopy(k)) {
        peer[k] = MIRROR_COPY;
        continue;
      }
      const j = this.fallbackClient(ins[k]!);
      if (j !== UNPAIRED) taken[j] = true;
      peer[k] = j;
    }

    let n = 0;
    for (let k = 0; k < this.nIns; k++) {
      const i = ins[k]!;
      const j = peer[k]!;
      const o = j >= 0 ? outs[j]! : NONE;
      const to = this.refs.ofPod(this.sourceOf(i), (o !== NONE ? this.serviceOf(o) : null) ?? this.sourceOf(i).app ?? null);
      const from = o !== NONE ? this.refs.ofPod(this.sourceOf(o)) : this.clientOf(i);
      this.setHop(n++, from, to, o, i, j === MIRROR_COPY || (j >= 0 && mirrorOut !== null && mirrorOut[j]!));
    }
    for (let j = 0; j < this.nOuts; j++) {
      if (taken[j]) continue;
      const o = outs[j]!;
      this.setHop(n++, this.refs.ofPod(this.sourceOf(o)), this.destination(o), o, NONE, mirrorOut !== null && mirrorOut[j]!);
    }
    this.orderHops(n);
    return n;
  }

  private isNull(k: number, f: HopFieldSlot): boolean {
    return this.json[k] ? this.text(k, f) === null : this.pending.offsets[this.rec[k]! * LINE_SLOTS + f]! < 0;
  }

  private setHop(h: number, from: WorkloadRef, to: WorkloadRef, o: number, i: number, mirror: boolean): void {
    this.hopFrom[h] = from;
    this.hopTo[h] = to;
    this.hopOut[h] = o;
    this.hopIn[h] = i;
    this.hopMirror[h] = mirror || (o !== NONE && this.shadow[o]!) || (i !== NONE && this.shadow[i]!);
  }

  /** The line a hop's start, status and duration are read from: the client's, else the server's. */
  private primary(h: number): number {
    return this.hopOut[h] !== NONE ? this.hopOut[h]! : this.hopIn[h]!;
  }

  /**
   * Hops by start, then the entry point moved first: the first hop whose client no other
   * (non-mirror) hop called. Mirror copies are fire and forget: they never decide the entry.
   */
  private orderHops(n: number): void {
    const order = this.hopOrder;
    for (let h = 0; h < n; h++) order[h] = h;
    const keys = this.sortKeys;
    for (let h = 0; h < n; h++) keys[h] = this.startOf(this.primary(h));
    sortBy(order, n, keys);
    let entry = -1;
    let fallback = -1;
    for (let q = 0; q < n && entry < 0; q++) {
      const h = order[q]!;
      if (this.hopMirror[h]) continue;
      if (fallback < 0) fallback = q;
      let called = false;
      for (let x = 0; x < n && !called; x++) called = !this.hopMirror[x] && this.hopTo[x]!.workload === this.hopFrom[h]!.workload;
      if (!called) entry = q;
    }
    if (entry < 0) entry = fallback;
    if (entry > 0) {
      const h = order[entry]!;
      for (let q = entry; q > 0; q--) order[q] = order[q - 1]!;
      order[0] = h;
    }
  }

  /** Counts the hops just worked out (mirror copies stay in the tree, not in the live numbers). */
  private count(n: number, atMs: number): void {
    const c = this.counted;
    for (let h = 0; h < n; h++) {
      if (this.hopMirror[h]) continue;
      const o = this.hopOut[h]!;
      const i = this.hopIn[h]!;
      const e = o !== NONE ? o : i;
      c.from = this.hopFrom[h]!;
      c.to = this.hopTo[h]!;
      c.status = this.code(e);
      c.durationMs = this.duration(e);
      c.flags = mergeFlags(o !== NONE ? this.flagsOf(o) : undefined, i !== NONE ? this.flagsOf(i) : undefined);
      c.cluster = (o !== NONE ? this.clusterOf(o)?.raw : undefined) ?? (i !== NONE ? this.clusterOf(i)?.raw : undefined) ?? null;
      this.onHop(c, atMs);
    }
  }

  /** Line k parsed: its text and its hop fields. */
  private parsed(k: number): ParsedLine {
    const j = this.json[k];
    if (j) return j;
    const p = this.pending;
    const r = this.rec[k]!;
    const handle = p.lineHandle(r);
    const bytes = p.lineBytes(r);
    const line = this.store.text(handle, bytes);
    // Checked on arrival (add), which noted where the fields are.
    const entry = hopFieldsAt(this.store.tokenArea, handle, bytes, line, p.offsets, r * LINE_SLOTS, p.lineCluster(r));
    return { line, source: p.lineSource(r), entry };
  }

  /** Request s's tree from the hops plan() worked out (`n` of them). */
  private tree(s: number, n: number, complete: boolean): RequestTree {
    const hops: Hop[] = [];
    for (let q = 0; q < n; q++) {
      const h = this.hopOrder[q]!;
      const o = this.hopOut[h]!;
      const i = this.hopIn[h]!;
      hops.push(hop(this.hopFrom[h]!, this.hopTo[h]!, o !== NONE ? this.parsed(o) : undefined, i !== NONE ? this.parsed(i) : undefined, this.hopMirror[h]!));
    }
    const first = hops[0];
    const requestId = this.pending.id(s);
    return {
      requestId,
      startTime: first?.startTime ?? null,
      user: this.users.get(requestId) ?? null,
      hops,
      status: first && !first.mirror ? first.status : 0,
      receivedAt: this.pending.lastAtOf(s),
      complete,
    };
  }

  /** The service an outbound line addressed: its cluster's mesh service, or the app of the pod it reached. */
  private serviceOf(o: number): string | null {
    const svc = serviceOfHost(this.clusterOf(o)?.host);
    if (svc && !svc.external) return svc.service;
    return this.podAt(this.text(o, F.upstreamHost))?.app ?? null;
  }

  /** Where an outbound line went, from its upstream host and cluster. */
  private destination(o: number): WorkloadRef {
    const c = this.clusterOf(o);
    const svc = serviceOfHost(c?.host);
    const upstreamHost = this.text(o, F.upstreamHost);
    const pod = this.podAt(upstreamHost);
    if (pod) return this.refs.ofPod(pod, svc && !svc.external ? svc.service : pod.app ?? null);
    if (c && c.direction === 'outbound' && svc && !svc.external) {
      const { service, namespace } = svc;
      return this.refs.ofName(c.raw, () => ({ workload: c.subset ? `${service}-${c.subset}` : service, app: service, version: c.subset, namespace, service }));
    }
    // PassthroughCluster, ServiceEntry hosts, BlackHoleCluster, direct responses.
    const authority = this.text(o, F.authority)?.replace(/:\d+$/, '') ?? null;
    const external = (svc?.external ? svc.service : null) ?? this.text(o, F.requestedServerName) ?? authority ?? upstreamHost ?? this.text(o, F.downstreamLocalAddress) ?? c?.raw ?? 'unknown';
    const name = c?.raw === 'BlackHoleCluster' ? 'BlackHoleCluster' : external;
    return this.refs.ofName(`external|${name}`, () => ({ workload: name, app: null, version: null, namespace: null, service: null }));
  }

  /** For an inbound line with no exact pair: the client picked this pod as its upstream host, or addressed the server's service. */
  private fallbackClient(i: number): number {
    const { outs, taken } = this;
    if (!this.isNull(i, F.downstreamLocalAddress)) {
      for (let j = 0; j < this.nOuts; j++) if (!taken[j] && this.same(outs[j]!, F.upstreamHost, i, F.downstreamLocalAddress)) return j;
    }
    const app = this.sourceOf(i).app;
    if (app) {
      for (let j = 0; j < this.nOuts; j++) {
        if (!taken[j] && this.same(outs[j]!, F.path, i, F.path) && serviceOfHost(this.clusterOf(outs[j]!)?.host)?.service === app) return j;
      }
    }
    return UNPAIRED;
  }

  /** The client of an inbound line nobody's outbound line matched: the pod behind its remote address. */
  private clientOf(i: number): WorkloadRef {
    const ip = ipOf(this.text(i, F.downstreamRemoteAddress));
    const pod = ip ? this.pods.get(ip) : undefined;
    return pod ? this.refs.ofPod(pod) : { workload: ip ?? 'unknown', app: null, version: null, namespace: null, service: null };
  }

  /**
   * Whether inbound line k (in `ins`), whose connection matches no outbound line, is a mirror copy
   * of a paired call. Evidence: the same client (remote IP) called the same authority with the same
   * method and path, that call was answered by another pod (exact address match), and this pod is
   * not what the primary's cluster would pick (another subset or service) or it did not fail the
   * way a retried attempt does.
   */
  private isMirrorCopy(k: number): boolean {
    const i = this.ins[k]!;
    const clientIp = ipOf(this.text(i, F.downstreamRemoteAddress));
    const inAuthority = this.text(i, F.authority);
    if (!clientIp || !inAuthority) return false;
    const authority = stripShadow(inAuthority);
    const src = this.sourceOf(i);
    for (let q = 0; q < this.nIns; q++) {
      const j = this.peer[q]!;
      if (j < 0 || q === k) continue;
      const o = this.outs[j]!;
      if (ipOf(this.text(o, F.upstreamLocalAddress)) !== clientIp) continue;
      const outAuthority = this.text(o, F.authority);
      if (!outAuthority || stripShadow(outAuthority) !== authority || !this.same(o, F.method, i, F.method) || !this.same(o, F.path, i, F.path)) continue;
      if (this.sourceOf(this.ins[q]!).pod === src.pod) continue;
      const c = this.clusterOf(o);
      const svc = serviceOfHost(c?.host);
      const otherTarget = (c?.subset != null && src.version != null && c.subset !== src.version) || (svc !== null && !svc.external && src.app != null && svc.service !== src.app);
      const code = this.code(i);
      if (otherTarget || !(code === 0 || code >= 500)) return true;
    }
    return false;
  }

  /**
   * Outbound lines that are shadow copies logged as requests of their own (Envoy's `upstream_log`,
   * which Istio does not configure by default: its HCM access log never sees the shadow stream).
   * Such a copy shares the downstream stream of its primary: same proxy, same downstream connection,
   * same method, path and authority, another cluster. Nothing else in the line tells which of the two
   * the client got its answer from, so a copy is only marked when its authority carries "-shadow";
   * an ambiguous pair is left as two plain hops rather than guessed. Null when there are none.
   */
  private mirroredOutbounds(): boolean[] | null {
    const { outs, nOuts } = this;
    let any = false;
    for (let j = 0; j < nOuts && !any; j++) any = this.shadow[outs[j]!]!;
    if (nOuts < 2 || !any) return null;
    const groups = new Map<string, number[]>();
    for (let j = 0; j < nOuts; j++) {
      const o = outs[j]!;
      const remote = this.text(o, F.downstreamRemoteAddress);
      const authority = this.text(o, F.authority);
      if (!remote || !this.clusterOf(o) || !authority) continue;
      const key = `${this.sourceOf(o).pod}|${remote}|${this.text(o, F.method)}|${this.text(o, F.path)}|${stripShadow(authority)}`;
      const g = groups.get(key);
      if (g) g.push(j);
      else groups.set(key, [j]);
    }
    const mirror = new Array<boolean>(nOuts).fill(false);
    for (const g of groups.values()) {
      if (g.length < 2 || g.every((j) => this.shadow[outs[j]!])) continue;
      for (const j of g) if (this.shadow[outs[j]!]) mirror[j] = true;
    }
    return mirror;
  }
}

/** One hop, one shape for every hop (absent sides stay undefined, which JSON leaves out). */
function hop(from: WorkloadRef, to: WorkloadRef, o: ParsedLine | undefined, i: ParsedLine | undefined, mirror: boolean): Hop {
  const out = o?.entry;
  const inn = i?.entry;
  const e = (out ?? inn)!;
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
    mirror: mirror ? true : undefined,
  };
}

/** Correlates a finished batch of lines, each as a chunk of its own (tests, replays); lines that do not parse are left out. */
export function correlateLines(lines: AccessLogLine[], users?: Map<string, string>): RequestTree[] {
  const c = new Correlator({ maxPending: Number.MAX_SAFE_INTEGER });
  if (users) for (const [id, u] of users) c.noteUser(id, u);
  for (const l of lines) c.add(lineChunk(l));
  return c.drain().sort((a, b) => compareStart(a.startTime, b.startTime));
}
