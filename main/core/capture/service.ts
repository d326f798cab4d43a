// The live capture: follows the active backend's access logs (re-subscribing when the learner
// switches between sandbox and cluster), runs them through the pipeline and sends the renderer
// batched events — request trees every ~75 ms, edge numbers every ~500 ms, diagnostics every
// second. The requests sent to the views are kept (bounded) so that they can replay the last minutes.
import type { CaptureDiagnostics, CaptureStats } from '../api/capture.ts';
import type { EventBus } from '../events.ts';
import type { BackendHub } from '../backend/hub.ts';
import type { AccessLogChunk, MeshBackend } from '../backend/types.ts';
import { formatFlows, type FlowFilter } from './flow-tail.ts';
import { CapturePipeline } from './pipeline.ts';
import { VIEW_TREES, type RequestTree } from './types.ts';

export interface CaptureServiceOptions {
  requestsEveryMs?: number;
  statsEveryMs?: number;
  /** Request trees sent to the views kept for replay, the flow tail and views opened later. */
  keepTrees?: number;
  /** Most request trees in one `capture.requests` event (default: as many as a view holds). */
  maxPerBatch?: number;
}

const SETTLE_MS = { sandbox: 300, cluster: 1_500 } as const;

/** Puts `t` last in `trees` (in place of an older version of it); the oldest go beyond `max`. */
function putNewest(trees: Map<string, RequestTree>, t: RequestTree, max: number): void {
  trees.delete(t.requestId);
  trees.set(t.requestId, t);
  while (trees.size > max) trees.delete(trees.keys().next().value!);
}

export class CaptureService {
  private pipeline: CapturePipeline;
  /** Trees sent to the views, oldest first. */
  private readonly recent = new Map<string, RequestTree>();
  /** Trees for the next batch, oldest first: at most a batch's worth. */
  private pendingEmit = new Map<string, RequestTree>();
  private paused = false;
  private kind: MeshBackend['kind'] | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private statsDirty = false;
  private lastDiag = '';
  private readonly keepTrees: number;
  private readonly maxPerBatch: number;
  private readonly offHub: () => void;

  constructor(
    private readonly events: EventBus,
    private readonly backends: Pick<BackendHub, 'current' | 'onChange'>,
    opts: CaptureServiceOptions = {},
  ) {
    this.keepTrees = opts.keepTrees ?? 2_000;
    this.maxPerBatch = opts.maxPerBatch ?? VIEW_TREES;
    this.pipeline = this.newPipeline(SETTLE_MS.sandbox);
    // Follow whichever backend becomes active, without creating one ourselves at start-up.
    this.offHub = backends.onChange((b) => this.attach(b));
    this.timers.push(setInterval(() => this.flushRequests(), opts.requestsEveryMs ?? 75));
    this.timers.push(setInterval(() => this.flushStats(), opts.statsEveryMs ?? 500));
    this.timers.push(setInterval(() => this.flushDiagnostics(), 1_000));
    for (const t of this.timers) t.unref?.();
  }

  private newPipeline(settleMs: number): CapturePipeline {
    const p = new CapturePipeline({ settleMs });
    p.allowTrees(this.maxPerBatch);
    return p;
  }

  /** Make sure we follow the active backend (creating it if nobody has yet). */
  async ensure(): Promise<void> {
    if (this.unsubscribe) return;
    this.attach(await this.backends.current());
  }

  attach(b: MeshBackend): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.kind = b.kind;
    // Requests of a cluster trickle in (1 s flush per proxy): wait longer before completing them.
    this.pipeline = this.newPipeline(SETTLE_MS[b.kind]);
    this.recent.clear();
    this.pendingEmit.clear();
    try {
      this.unsubscribe = b.onAccessLog((l) => this.ingest(l));
    } catch {
      this.unsubscribe = null;
    }
    this.events.emit('capture.state', { paused: this.paused, backend: this.kind });
  }

  ingest(chunk: AccessLogChunk): void {
    const completed = this.pipeline.ingest(chunk);
    // Indexed: a for-of here allocated an iterator per line.
    for (let i = 0; i < completed.length; i++) this.queue(completed[i]!);
  }

  /**
   * A tree for the next batch, in place of an older version of it. A batch carries at most
   * `maxPerBatch`: under a flood thousands of requests complete between two batches, and only the
   * first `maxPerBatch` of them get a tree (allowTrees); the others are counted in the numbers.
   */
  private queue(t: RequestTree): void {
    putNewest(this.pendingEmit, t, this.maxPerBatch);
  }

  /** What the views have been sent and what the next batch carries, oldest first. */
  private latest(): RequestTree[] {
    if (this.pendingEmit.size === 0) return [...this.recent.values()];
    const all = new Map(this.recent);
    for (const t of this.pendingEmit.values()) putNewest(all, t, Infinity);
    return [...all.values()];
  }

  /** One batch: the requests completed since the last batch, then in-progress trees that changed. */
  flushRequests(now = Date.now()): void {
    // Settle first: a request that completes now is built once, not also as in-progress.
    if (this.pipeline.settle(now, (t) => this.queue(t)) > 0) this.statsDirty = true;
    // Requests that complete from now on belong to the next batch: a batch's worth get a tree.
    this.pipeline.allowTrees(this.maxPerBatch);
    // In-progress trees fill the room completed ones leave. Under a flood more requests complete
    // per batch than a batch carries: it then carries completed ones, final, rather than partial
    // trees that would be built again when they complete (and crowd those out).
    const room = this.maxPerBatch - this.pendingEmit.size;
    if (room > 0) for (const t of this.pipeline.takeDirty(room)) this.queue(t);
    // Pause is the view's: the terminal flow tail and others keep following `capture.requests`.
    if (this.pendingEmit.size === 0) return;
    // Under heavy load only a batch's worth of requests is sent; the numbers still count every one.
    const trees = [...this.pendingEmit.values()];
    this.pendingEmit = new Map();
    for (const t of trees) putNewest(this.recent, t, this.keepTrees);
    this.events.emit('capture.requests', { emittedAt: Date.now(), trees });
  }

  flushStats(now = Date.now()): void {
    // Rates decay while idle, so keep sending for one window after the last request.
    const live = this.statsDirty || this.pipeline.aggregator.edgeStats(now).some((e) => now - e.lastAt < this.pipeline.aggregator.windowSec * 1000 + 1000);
    if (!live) return;
    this.statsDirty = false;
    this.events.emit('capture.stats', this.stats(now));
  }

  private flushDiagnostics(): void {
    const d = this.diagnostics();
    const key = JSON.stringify([d.received, d.unparsed, d.pending, d.ingestLatencyMs.samples, d.backend]);
    if (key === this.lastDiag) return;
    this.lastDiag = key;
    this.events.emit('capture.diagnostics', d);
  }

  stats(now = Date.now()): CaptureStats {
    const a = this.pipeline.aggregator;
    return { at: now, windowSec: a.windowSec, edges: a.edgeStats(now), nodes: a.nodeStats(now) };
  }

  diagnostics(): CaptureDiagnostics {
    const p = this.pipeline;
    return {
      backend: this.kind,
      received: p.received,
      parsed: p.parsed,
      unparsed: p.unparsed,
      pending: p.correlator.pendingCount,
      errors: [...p.failures],
      ingestLatencyMs: {
        p50: p.ingestLatency.percentile(0.5),
        p95: p.ingestLatency.percentile(0.95),
        max: p.ingestLatency.total ? p.ingestLatencyMax : null,
        samples: p.ingestLatency.total,
      },
      behindNote: this.kind === 'cluster',
    };
  }

  snapshot(limit = 200): { paused: boolean; trees: RequestTree[]; stats: CaptureStats; diagnostics: CaptureDiagnostics } {
    for (const t of this.pipeline.takeDirty(limit)) this.queue(t);
    return { paused: this.paused, trees: this.latest().slice(-limit), stats: this.stats(), diagnostics: this.diagnostics() };
  }

  setPaused(paused: boolean): boolean {
    this.paused = paused;
    this.events.emit('capture.state', { paused, backend: this.kind });
    return paused;
  }

  replay(minutes: number, limit = 2_000, now = Date.now()): RequestTree[] {
    const since = now - minutes * 60_000;
    return this.latest().filter((t) => (t.receivedAt ?? 0) >= since).slice(-limit);
  }

  flowTail(filter: FlowFilter, color: boolean, limit = 100): string[] {
    return formatFlows(this.latest(), { color }, filter).slice(-limit);
  }

  /** The user a request was sent for (end-user is not in access logs; the app knows it). */
  noteUser(requestId: string, user: string): void {
    this.pipeline.correlator.noteUser(requestId, user);
    const t = this.pendingEmit.get(requestId) ?? this.recent.get(requestId);
    if (t && t.user !== user) this.queue({ ...t, user });
  }

  clear(): void {
    this.pipeline.clear();
    this.recent.clear();
    this.pendingEmit.clear();
    this.events.emit('capture.stats', this.stats());
  }

  dispose(): void {
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.offHub();
  }
}
