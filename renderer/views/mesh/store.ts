// State of the mesh view outside React: request trees (bounded), edge/node numbers, markers in
// flight, and the measured request→diagram latency. Events arrive in batches; the view renders
// from snapshots of this store, so a long capture does not grow the renderer's memory.
import type { CaptureDiagnostics, CaptureStats } from '../../../main/core/api/capture.ts';
import { isError, nodeId, nodeKind } from '../../../main/core/capture/aggregate.ts';
import { VIEW_TREES, type Hop, type RequestTree, type WorkloadRef } from '../../../main/core/capture/types.ts';

export const MAX_MARKERS = 80;
const MARKER_MS = 900;
const HOP_STAGGER_MS = 220;
const MAX_SEEN = 8000;

export interface GraphNode {
  id: string;
  label: string;
  version: string | null;
  kind: 'gateway' | 'service' | 'external' | 'client';
  count: number;
  rps: number;
  errorRate: number;
  p95: number | null;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  count: number;
  rps: number;
  errorRate: number;
  p95: number | null;
  flags: Record<string, number>;
  badges: string[];
}

export interface Marker {
  key: number;
  edgeId: string;
  delayMs: number;
  error: boolean;
  expiresAt: number;
}

interface EdgeSeen {
  id: string;
  from: WorkloadRef;
  to: WorkloadRef;
  count: number;
  errors: number;
  flags: Record<string, number>;
  subsets: Set<string>;
  mirror: boolean;
  lastAt: number;
}

export interface MeshSnapshot {
  version: number;
  trees: RequestTree[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  markers: Marker[];
  paused: boolean;
  diagnostics: CaptureDiagnostics | null;
  viewLatency: { p50: number | null; p95: number | null; samples: number };
}

/**
 * Keeps the newest `max` entries. Rebuilding beats deleting from the front one by one: each
 * deletion leaves a hole that the next `keys().next()` has to walk over.
 */
function trimMap<K, V>(m: Map<K, V>, max: number): Map<K, V> {
  if (m.size <= max) return m;
  return new Map([...m].slice(-max));
}

/** The TCP connection a hop used identifies it across re-sends (client port = server's peer port). */
function hopKey(requestId: string, h: Hop, index: number): string {
  const conn = h.connection;
  return conn ? `${requestId}|${conn}|${h.path ?? ''}` : `${requestId}|${index}|${edgeKey(h)}`;
}

function edgeKey(h: Hop): string {
  return `${nodeId(h.from)}->${nodeId(h.to)}`;
}

function label(w: WorkloadRef): string {
  return w.app ?? w.service ?? w.workload;
}

/** Badges from what the access log shows about the rules in force. */
export function badgesFor(flags: Record<string, number>, subsets: Iterable<string>, mirror: boolean): string[] {
  const b: string[] = [];
  if (flags.DI || flags.FI) b.push('fault');
  if (flags.UO) b.push('circuit-breaker');
  if (flags.UT) b.push('timeout');
  if (flags.NR || flags.NC) b.push('no-route');
  for (const s of subsets) b.push(`subset:${s}`);
  if (mirror) b.push('mirror');
  return b;
}

export class MeshStore {
  private trees = new Map<string, RequestTree>();
  private stats: CaptureStats | null = null;
  private seenEdges = new Map<string, EdgeSeen>();
  private seenHops = new Map<string, true>();
  private markers: Marker[] = [];
  private markerSeq = 0;
  private paused = false;
  private diagnostics: CaptureDiagnostics | null = null;
  private latencies: number[] = [];
  private version = 0;
  private snap: MeshSnapshot | null = null;
  private readonly listeners = new Set<() => void>();
  private replayTimers: ReturnType<typeof setTimeout>[] = [];
  /** Called after each batch is drawn, with (receivedAt, drawnAt) pairs, for the latency figure. */
  pendingLatency: number[] = [];

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): MeshSnapshot => {
    if (!this.snap || this.snap.version !== this.version) this.snap = this.build();
    return this.snap;
  };

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  setPaused(p: boolean): void {
    this.paused = p;
    this.changed();
  }

  setDiagnostics(d: CaptureDiagnostics): void {
    this.diagnostics = d;
    this.changed();
  }

  setStats(s: CaptureStats): void {
    if (this.paused) return;
    this.stats = s;
    this.changed();
  }

  /** A batch of new or updated trees from `capture.requests` (or a snapshot). */
  applyRequests(trees: RequestTree[], now = Date.now(), animate = true): void {
    if (this.paused) return;
    this.markers = this.markers.filter((m) => m.expiresAt > now);
    // Only the newest requests of a big batch get a moving marker; the rest only count.
    const animateFrom = animate ? Math.max(0, trees.length - MAX_MARKERS / 2) : trees.length;
    trees.forEach((t, ti) => {
      this.trees.delete(t.requestId);
      this.trees.set(t.requestId, t);
      if (t.receivedAt) this.pendingLatency.push(t.receivedAt);
      // A request is re-sent while its lines arrive; its hops may be re-ordered or gain their
      // other side. Count a hop once its request is complete; animate it the first time it shows.
      const complete = t.complete !== false;
      t.hops.forEach((h, i) => {
        const key = hopKey(t.requestId, h, i);
        if (complete && !this.seenHops.has(`c|${key}`)) {
          this.seenHops.set(`c|${key}`, true);
          this.countHop(h, now);
        }
        if (ti >= animateFrom && !this.seenHops.has(`m|${key}`)) {
          this.seenHops.set(`m|${key}`, true);
          this.pushMarker(edgeKey(h), i * HOP_STAGGER_MS, isError(h.status, h.flags), now);
        }
      });
    });
    if (this.markers.length > MAX_MARKERS) this.markers = this.markers.slice(-MAX_MARKERS);
    this.trees = trimMap(this.trees, VIEW_TREES);
    this.seenHops = trimMap(this.seenHops, MAX_SEEN);
    if (this.pendingLatency.length > 500) this.pendingLatency.splice(0, this.pendingLatency.length - 500);
    this.changed();
  }

  private countHop(h: Hop, now: number): void {
    const id = edgeKey(h);
    let e = this.seenEdges.get(id);
    if (!e) {
      e = { id, from: h.from, to: h.to, count: 0, errors: 0, flags: {}, subsets: new Set(), mirror: false, lastAt: now };
      this.seenEdges.set(id, e);
      while (this.seenEdges.size > 300) this.seenEdges.delete(this.seenEdges.keys().next().value!);
    }
    e.count++;
    if (isError(h.status, h.flags)) e.errors++;
    for (const f of h.flags) e.flags[f] = (e.flags[f] ?? 0) + 1;
    const subset = h.cluster?.split('|')[2];
    if (subset && e.subsets.size < 4) e.subsets.add(subset);
    if (h.mirror) e.mirror = true;
    e.lastAt = now;
  }

  private pushMarker(edgeId: string, delayMs: number, error: boolean, now: number): void {
    this.markers.push({ key: ++this.markerSeq, edgeId, delayMs, error, expiresAt: now + delayMs + MARKER_MS });
  }

  private addMarker(edgeId: string, delayMs: number, error: boolean, now: number): void {
    this.markers = this.markers.filter((m) => m.expiresAt > now);
    if (this.markers.length >= MAX_MARKERS) this.markers.shift();
    this.pushMarker(edgeId, delayMs, error, now);
  }

  /** Drops finished markers (the view calls this on a timer while markers are in flight). */
  expireMarkers(now = Date.now()): boolean {
    const before = this.markers.length;
    this.markers = this.markers.filter((m) => m.expiresAt > now);
    if (this.markers.length !== before) this.changed();
    return this.markers.length > 0;
  }

  /** Records how long after the core received a request's line it appeared on screen. */
  recordDrawn(drawnAt = Date.now()): void {
    for (const r of this.pendingLatency) this.latencies.push(Math.max(0, drawnAt - r));
    this.pendingLatency = [];
    if (this.latencies.length > 500) this.latencies.splice(0, this.latencies.length - 500);
  }

  /** Plays captured trees again at their original pace (gaps capped so minutes fit in seconds). */
  replay(trees: RequestTree[], maxGapMs = 400): void {
    this.stopReplay();
    let at = 0;
    let prev: number | null = null;
    for (const t of trees) {
      const start = t.startTime ? Date.parse(t.startTime) : NaN;
      if (prev !== null && Number.isFinite(start)) at += Math.min(maxGapMs, Math.max(0, start - prev));
      if (Number.isFinite(start)) prev = start;
      this.replayTimers.push(
        setTimeout(() => {
          const now = Date.now();
          t.hops.forEach((h, i) => this.addMarker(edgeKey(h), i * HOP_STAGGER_MS, isError(h.status, h.flags), now));
          this.changed();
        }, at),
      );
    }
  }

  stopReplay(): void {
    for (const t of this.replayTimers) clearTimeout(t);
    this.replayTimers = [];
  }

  clear(): void {
    this.trees.clear();
    this.seenEdges.clear();
    this.seenHops.clear();
    this.markers = [];
    this.stats = null;
    this.latencies = [];
    this.pendingLatency = [];
    this.changed();
  }

  private build(): MeshSnapshot {
    const nodes = new Map<string, GraphNode>();
    const edges = new Map<string, GraphEdge>();
    const addNode = (w: WorkloadRef) => {
      const id = nodeId(w);
      if (!nodes.has(id)) nodes.set(id, { id, label: label(w), version: w.version, kind: nodeKind(w), count: 0, rps: 0, errorRate: 0, p95: null });
    };
    for (const e of this.seenEdges.values()) {
      addNode(e.from);
      addNode(e.to);
      edges.set(e.id, {
        id: e.id,
        from: nodeId(e.from),
        to: nodeId(e.to),
        count: e.count,
        rps: 0,
        errorRate: e.count ? e.errors / e.count : 0,
        p95: null,
        flags: e.flags,
        badges: badgesFor(e.flags, e.subsets, e.mirror),
      });
    }
    // Hops of requests still arriving show their edge right away (counted once complete).
    for (const t of this.trees.values()) {
      if (t.complete !== false) continue;
      for (const h of t.hops) {
        const id = edgeKey(h);
        if (edges.has(id)) continue;
        addNode(h.from);
        addNode(h.to);
        edges.set(id, { id, from: nodeId(h.from), to: nodeId(h.to), count: 0, rps: 0, errorRate: 0, p95: null, flags: {}, badges: [] });
      }
    }
    // The core's sliding-window numbers take over where they exist.
    if (this.stats) {
      for (const n of this.stats.nodes) {
        const g = nodes.get(n.id) ?? { id: n.id, label: n.app ?? n.workload, version: n.version, kind: n.kind, count: 0, rps: 0, errorRate: 0, p95: null };
        nodes.set(n.id, { ...g, rps: n.rps, errorRate: n.errorRate, p95: n.p95, count: Math.max(g.count, n.count) });
      }
      for (const s of this.stats.edges) {
        const prev = edges.get(s.id);
        const subsets = s.clusters.map((c) => c.split('|')[2]).filter((x): x is string => !!x);
        edges.set(s.id, {
          id: s.id,
          from: s.from,
          to: s.to,
          count: Math.max(prev?.count ?? 0, s.count),
          rps: s.rps,
          errorRate: s.errorRate,
          p95: s.p95,
          flags: { ...(prev?.flags ?? {}), ...s.flags },
          badges: [...new Set([...(prev?.badges ?? []), ...badgesFor(s.flags, subsets, false)])],
        });
      }
    }
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pct = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : null);
    return {
      version: this.version,
      trees: [...this.trees.values()].reverse(),
      nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      edges: [...edges.values()].filter((e) => nodes.has(e.from) && nodes.has(e.to)).sort((a, b) => a.id.localeCompare(b.id)),
      markers: this.markers,
      paused: this.paused,
      diagnostics: this.diagnostics,
      viewLatency: { p50: pct(0.5), p95: pct(0.95), samples: sorted.length },
    };
  }
}
