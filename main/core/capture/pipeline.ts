// The one path every access-log line takes, whatever the backend: parse → correlate → aggregate.
// Lines that do not parse are counted (with the last few kept for the diagnostics panel), never
// thrown; the ingest latency (request end → line received) is measured per line.
import type { AccessLogLine } from '../backend/types.ts';
import { Aggregator, Histogram } from './aggregate.ts';
import { Correlator, type CorrelatorOptions } from './correlate.ts';
import type { RequestTree } from './types.ts';

export interface ParseFailure {
  at: number;
  pod: string;
  error: string;
  line: string;
}

const MAX_FAILURES = 20;
const MAX_LINE_SHOWN = 300;

// Envoy's START_TIME is `2026-11-25T07:00:01.234Z`; consecutive lines share their minute, so the
// minute is parsed once and only seconds and milliseconds per line. Anything else: Date.parse.
let minutePrefix = '';
let minuteMs = NaN;

/** The number `t[from..to)` spells, or -1 when a character there is not a digit. */
function digits(t: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

export function startMillis(t: string): number {
  if (t.length === 24 && t.charCodeAt(16) === 58 /* : */ && t.charCodeAt(19) === 46 /* . */ && t.charCodeAt(23) === 90 /* Z */) {
    const sec = digits(t, 17, 19);
    const ms = digits(t, 20, 23);
    if (sec >= 0 && sec < 61 && ms >= 0) {
      if (minutePrefix === '' || !t.startsWith(minutePrefix)) {
        minutePrefix = t.slice(0, 16);
        minuteMs = Date.parse(`${minutePrefix}:00.000Z`);
      }
      return minuteMs + sec * 1000 + ms;
    }
  }
  return Date.parse(t);
}

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
    this.correlator = new Correlator(opts);
    this.aggregator = new Aggregator({ windowSec: opts.windowSec ?? 60 });
  }

  /** Returns the trees completed early to make room for this line (already aggregated). */
  ingest(l: AccessLogLine): RequestTree[] {
    this.received++;
    let evicted;
    try {
      evicted = this.correlator.add(l);
    } catch (err) {
      this.unparsed++;
      this.failures.push({ at: l.receivedAt, pod: `${l.source.namespace}/${l.source.pod}`, error: (err as Error).message, line: l.line.slice(0, MAX_LINE_SHOWN) });
      if (this.failures.length > MAX_FAILURES) this.failures.shift();
      return [];
    }
    this.parsed++;
    const key = this.correlator.lastKey!;
    if (key.startTime) {
      const end = startMillis(key.startTime) + (key.durationMs ?? 0);
      const lag = l.receivedAt - end;
      // Clock skew between a node and this machine can make it negative; ignore absurd values.
      if (Number.isFinite(lag) && lag > -5_000 && lag < 600_000) {
        const v = Math.max(0, lag);
        this.ingestLatency.add(v);
        if (v > this.ingestLatencyMax) this.ingestLatencyMax = v;
      }
    }
    for (const t of evicted) this.aggregator.addTree(t, t.receivedAt ?? l.receivedAt);
    return evicted;
  }

  /**
   * Trees of the requests that got lines since the last call (in progress): the newest `limit`
   * of them, since a view shows only so many (the others are built once, when they complete).
   */
  takeDirty(limit = Infinity): RequestTree[] {
    return this.correlator.takeDirty(limit);
  }

  /** Completes quiet requests, adds them to the numbers and hands each to `done` (Correlator.settle). */
  settle(now: number, done: (t: RequestTree) => void): number {
    return this.correlator.settle(now, (t) => {
      this.aggregator.addTree(t, t.receivedAt ?? now);
      done(t);
    });
  }

  drain(now: number): RequestTree[] {
    const done = this.correlator.drain();
    for (const t of done) this.aggregator.addTree(t, t.receivedAt ?? now);
    return done;
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
