// Live numbers per edge (client → server) and per node (service version) over a sliding window:
// requests/s, error rate, p50/p95/p99 latency and response-flag counts. A capture runs for hours,
// so every series is a ring of one-second buckets with a fixed-size latency histogram: memory
// depends on the number of edges (capped), never on the number of requests.
import type { Hop, RequestTree, WorkloadRef } from './types.ts';

/** What the numbers take of a hop. */
export type HopNumbers = Pick<Hop, 'from' | 'to' | 'status' | 'flags' | 'durationMs' | 'cluster'>;

/** Upper bounds (ms) of the latency histogram buckets; the last one catches everything above. */
export const LATENCY_BOUNDS = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1250, 1500, 2000, 2500,
  3000, 4000, 5000, 6000, 8000, 10000, 15000, 20000, 30000, 60000, Infinity,
];
const NB = LATENCY_BOUNDS.length;

/** The bucket of each whole millisecond up to a second, looked up: most latencies are below it. */
const SMALL_MS = 1000;
const smallBuckets = Uint8Array.from({ length: SMALL_MS + 1 }, (_, ms) => searchBucket(ms));

function bucketOf(ms: number): number {
  // The bounds are whole milliseconds: the first one at or above ms is the first at or above its ceiling.
  return ms >= 0 && ms <= SMALL_MS ? smallBuckets[Math.ceil(ms)]! : searchBucket(ms);
}

function searchBucket(ms: number): number {
  let lo = 0;
  let hi = NB - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A fixed-size latency histogram; percentiles are interpolated inside a bucket. */
export class Histogram {
  readonly counts = new Uint32Array(NB);
  total = 0;
  add(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.total++;
  }
  merge(o: Histogram): void {
    for (let i = 0; i < NB; i++) this.counts[i]! += o.counts[i]!;
    this.total += o.total;
  }
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
  percentile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = q * this.total;
    let seen = 0;
    for (let i = 0; i < NB; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      if (seen + c >= rank) {
        const lo = i === 0 ? 0 : LATENCY_BOUNDS[i - 1]!;
        const hi = Number.isFinite(LATENCY_BOUNDS[i]!) ? LATENCY_BOUNDS[i]! : lo * 2;
        return Math.round(lo + ((rank - seen) / c) * (hi - lo));
      }
      seen += c;
    }
    return LATENCY_BOUNDS[NB - 2]!;
  }
}

class Bucket {
  second = -1;
  count = 0;
  errors = 0;
  readonly latency = new Histogram();
  flags: Map<string, number> | null = null;
  reset(second: number): void {
    this.second = second;
    this.count = 0;
    this.errors = 0;
    this.latency.reset();
    this.flags = null;
  }
}

export interface SeriesStats {
  count: number;
  rps: number;
  errorRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  flags: Record<string, number>;
}

/** One ring of per-second buckets covering `windowSec` seconds. */
export class WindowSeries {
  private readonly ring: Bucket[];
  lastSecond = -1;
  constructor(readonly windowSec: number) {
    this.ring = Array.from({ length: windowSec }, () => new Bucket());
  }
  add(atMs: number, status: number, flags: string[], durationMs: number | null): void {
    const sec = Math.floor(atMs / 1000);
    const b = this.ring[sec % this.windowSec]!;
    if (b.second !== sec) b.reset(sec);
    b.count++;
    if (isError(status, flags)) b.errors++;
    if (durationMs !== null) b.latency.add(durationMs);
    if (flags.length) {
      b.flags ??= new Map();
      for (const f of flags) b.flags.set(f, (b.flags.get(f) ?? 0) + 1);
    }
    if (sec > this.lastSecond) this.lastSecond = sec;
  }
  stats(nowMs: number): SeriesStats {
    const now = Math.floor(nowMs / 1000);
    const h = new Histogram();
    const flags: Record<string, number> = {};
    let count = 0;
    let errors = 0;
    for (const b of this.ring) {
      if (b.second < 0 || b.second <= now - this.windowSec || b.second > now) continue;
      count += b.count;
      errors += b.errors;
      h.merge(b.latency);
      if (b.flags) for (const [f, n] of b.flags) flags[f] = (flags[f] ?? 0) + n;
    }
    return {
      count,
      rps: Math.round((count / this.windowSec) * 100) / 100,
      errorRate: count ? Math.round((errors / count) * 10000) / 10000 : 0,
      p50: h.percentile(0.5),
      p95: h.percentile(0.95),
      p99: h.percentile(0.99),
      flags,
    };
  }
}

/** 5xx, or a TCP/HTTP failure Envoy marked with a flag (status 0 with UH, UF, …). */
export function isError(status: number, flags: string[]): boolean {
  return status >= 500 || (status === 0 && flags.length > 0) || flags.includes('FI') || flags.includes('UO');
}

// Request trees share their workload refs (frozen), so a ref's id is worked out once.
const nodeIds = new WeakMap<WorkloadRef, string>();

/** Stable node id for a workload: `reviews@v2`, `productpage@v1`, `istio-ingressgateway`, `edition.cnn.com`. */
export function nodeId(w: WorkloadRef): string {
  let id = nodeIds.get(w);
  if (id === undefined) {
    const base = w.app ?? w.service ?? w.workload;
    id = w.version ? `${base}@${w.version}` : base;
    nodeIds.set(w, id);
  }
  return id;
}

export function nodeKind(w: WorkloadRef): 'gateway' | 'service' | 'external' | 'client' {
  if (/gateway/.test(w.workload)) return 'gateway';
  if (!w.namespace && !w.app) return 'external';
  if (!w.app && !w.service) return 'client';
  return 'service';
}

export interface EdgeStats extends SeriesStats {
  id: string;
  from: string;
  to: string;
  /** Clusters seen on this edge recently (e.g. outbound|9080|v2|reviews…), for subset badges. */
  clusters: string[];
  lastAt: number;
}

export interface NodeStats extends SeriesStats {
  id: string;
  workload: string;
  app: string | null;
  version: string | null;
  namespace: string | null;
  kind: 'gateway' | 'service' | 'external' | 'client';
  lastAt: number;
}

interface EdgeState {
  id: string;
  from: string;
  to: string;
  series: WindowSeries;
  clusters: Set<string>;
  lastAt: number;
}

interface NodeState {
  id: string;
  ref: WorkloadRef;
  series: WindowSeries;
  lastAt: number;
}

export interface AggregatorOptions {
  windowSec?: number;
  maxEdges?: number;
  maxNodes?: number;
}

export class Aggregator {
  readonly windowSec: number;
  private readonly maxEdges: number;
  private readonly maxNodes: number;
  /** Edges by client node id, then server node id: no key string built per hop. */
  private readonly edges = new Map<string, Map<string, EdgeState>>();
  private edgeCount = 0;
  private readonly nodes = new Map<string, NodeState>();

  constructor(opts: AggregatorOptions = {}) {
    this.windowSec = opts.windowSec ?? 60;
    this.maxEdges = opts.maxEdges ?? 512;
    this.maxNodes = opts.maxNodes ?? 256;
  }

  addTree(tree: RequestTree, atMs: number): void {
    // Mirror copies are fire and forget: they stay in the request tree but not in the live numbers.
    for (const h of tree.hops) if (!h.mirror) this.addHop(h, atMs);
  }

  /** Counts one hop (`h` is read now, not kept: a caller may reuse it). */
  addHop(h: HopNumbers, atMs: number): void {
    const from = nodeId(h.from);
    const to = nodeId(h.to);
    let byTo = this.edges.get(from);
    if (!byTo) this.edges.set(from, (byTo = new Map()));
    let e = byTo.get(to);
    if (!e) {
      e = { id: `${from}->${to}`, from, to, series: new WindowSeries(this.windowSec), clusters: new Set(), lastAt: atMs };
      byTo.set(to, e);
      if (++this.edgeCount > this.maxEdges) this.evictEdge();
    }
    e.series.add(atMs, h.status, h.flags, h.durationMs);
    e.lastAt = atMs;
    if (h.cluster && e.clusters.size < 8) e.clusters.add(h.cluster);
    this.touchNode(from, h.from, atMs, null);
    this.touchNode(to, h.to, atMs, h);
  }

  private touchNode(id: string, ref: WorkloadRef, atMs: number, served: HopNumbers | null): void {
    let n = this.nodes.get(id);
    if (!n) {
      n = { id, ref, series: new WindowSeries(this.windowSec), lastAt: atMs };
      this.nodes.set(id, n);
      if (this.nodes.size > this.maxNodes) this.nodes.delete(leastRecent(this.nodes.values())!.id);
    } else if (ref.namespace && !n.ref.namespace) {
      // Prefer a ref learned from the pod's own proxy (it has the namespace and workload name).
      n.ref = ref;
    }
    n.lastAt = atMs;
    // A node's numbers are the requests it served (inbound), per version.
    if (served) n.series.add(atMs, served.status, served.flags, served.durationMs);
  }

  /** Drops the edge used least recently (only when a new edge overflows the cap). */
  private evictEdge(): void {
    const oldest = leastRecent(this.allEdges());
    if (!oldest) return;
    const byTo = this.edges.get(oldest.from)!;
    byTo.delete(oldest.to);
    if (byTo.size === 0) this.edges.delete(oldest.from);
    this.edgeCount--;
  }

  private allEdges(): EdgeState[] {
    const out: EdgeState[] = [];
    for (const byTo of this.edges.values()) for (const e of byTo.values()) out.push(e);
    return out;
  }

  edgeStats(nowMs: number): EdgeStats[] {
    return this.allEdges().map((e) => ({ id: e.id, from: e.from, to: e.to, clusters: [...e.clusters], lastAt: e.lastAt, ...e.series.stats(nowMs) }));
  }

  nodeStats(nowMs: number): NodeStats[] {
    return [...this.nodes.values()].map((n) => ({
      id: n.id,
      workload: n.ref.workload,
      app: n.ref.app,
      version: n.ref.version,
      namespace: n.ref.namespace,
      kind: nodeKind(n.ref),
      lastAt: n.lastAt,
      ...n.series.stats(nowMs),
    }));
  }

  get size(): { edges: number; nodes: number } {
    return { edges: this.edgeCount, nodes: this.nodes.size };
  }

  clear(): void {
    this.edges.clear();
    this.edgeCount = 0;
    this.nodes.clear();
  }
}

/** The entry used least recently: a scan, made only when a new entry overflows its cap. */
function leastRecent<T extends { lastAt: number }>(items: Iterable<T>): T | undefined {
  let oldest: T | undefined;
  for (const x of items) if (!oldest || x.lastAt < oldest.lastAt) oldest = x;
  return oldest;
}
