// The one path every access-log line takes, whatever the backend: parse → correlate → aggregate.
// Lines that do not parse are counted (with the last few kept for the diagnostics panel), never
// thrown; the ingest latency (request end → line received) is measured per line.
import type { AccessLogChunk } from '../backend/types.ts';
import { Aggregator, Histogram } from './aggregate.ts';
import { Correlator, type CorrelatorOptions } from './correlate.ts';
import type { AccessLogKey, AccessLogParseError } from './parser.ts';
import type { RequestTree } from './types.ts';

export interface ParseFailure {
  at: number;
  pod: string;
  error: string;
  line: string;
}

const MAX_FAILURES = 20;
const MAX_LINE_SHOWN = 300;

export class CapturePipeline {
  readonly correlator: Correlator;
  readonly aggregator: Aggregator;
  received = 0;
  parsed = 0;
  unparsed = 0;
  readonly failures: ParseFailure[] = [];
  readonly ingestLatency = new Histogram();
  ingestLatencyMax = 0;

  constructor(opts: CorrelatorOptions & { windowSec?: number } = {}) {
    this.aggregator = new Aggregator({ windowSec: opts.windowSec ?? 60 });
    this.correlator = new Correlator({
      ...opts,
      onHop: (h, at) => this.aggregator.addHop(h, at),
      onLine: (key, receivedAt) => this.parsedLine(key, receivedAt),
      onUnparsed: (err, line, chunk) => this.unparsedLine(err, line, chunk),
    });
  }

  /** Returns the trees of requests completed early to make room for these lines (counted, like every completed request). */
  ingest(chunk: AccessLogChunk): RequestTree[] {
    return this.correlator.add(chunk);
  }

  private parsedLine(key: AccessLogKey, receivedAt: number): void {
    this.received++;
    this.parsed++;
    if (Number.isNaN(key.startMs)) return;
    const lag = receivedAt - (key.startMs + (key.durationMs ?? 0));
    // Clock skew between a node and this machine can make it negative; ignore absurd values.
    if (Number.isFinite(lag) && lag > -5_000 && lag < 600_000) {
      const v = Math.max(0, lag);
      this.ingestLatency.add(v);
      if (v > this.ingestLatencyMax) this.ingestLatencyMax = v;
    }
  }

  private unparsedLine(err: AccessLogParseError, line: string, chunk: AccessLogChunk): void {
    this.received++;
    this.unparsed++;
    this.failures.push({ at: chunk.receivedAt, pod: `${chunk.source.namespace}/${chunk.source.pod}`, error: err.message, line: line.slice(0, MAX_LINE_SHOWN) });
    if (this.failures.length > MAX_FAILURES) this.failures.shift();
  }

  /**
   * Trees of the requests that got lines since the last call (in progress): the newest `limit`
   * of them, since a view shows only so many (the others are built once, when they complete).
   */
  takeDirty(limit = Infinity): RequestTree[] {
    return this.correlator.takeDirty(limit);
  }

  /** Completes quiet requests (counted in the numbers) and hands each tree built to `done` (Correlator.settle). */
  settle(now: number, done: (t: RequestTree) => void): number {
    return this.correlator.settle(now, done);
  }

  /** Completes every pending request; returns the trees built. */
  drain(): RequestTree[] {
    return this.correlator.drain();
  }

  /**
   * Of the requests completing from now on, only the first `n` get a tree; the others are only
   * counted (Correlator.treeBudget). Unlimited until called.
   */
  allowTrees(n: number): void {
    this.correlator.treeBudget = n;
  }

  clear(): void {
    this.correlator.clear();
    this.aggregator.clear();
    this.received = this.parsed = this.unparsed = 0;
    this.failures.length = 0;
    this.ingestLatency.reset();
    this.ingestLatencyMax = 0;
  }
}
