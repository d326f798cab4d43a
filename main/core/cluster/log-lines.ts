// A followed container log (`GET …/log?follow=true&timestamps=true`) as chunks of lines. The
// kubelet puts an RFC3339Nano timestamp before each line; when a stream drops, it is resumed with
// sinceTime (whole seconds), so the new stream repeats the lines of that second and those already
// read: they are dropped by timestamp, and lines sharing the last timestamp by their bytes.
//
// Every access-log line of a busy mesh passes here before capture sees it, so lines stay bytes:
// a chunk's lines are moved over their timestamps in place and handed on as one chunk, with no
// string, regular expression or BigInt per line. Timestamps are compared as (epoch second,
// nanosecond), the epoch second parsed once per second.

export interface LogLinesOptions {
  /** Where the first stream starts (the API server filters; nothing is dropped here). */
  sinceTime?: string;
  /**
   * The lines to hand on, by their bytes `[from, to)` after the timestamp (default: all). The
   * others still count as read: a resumed stream does not repeat them either.
   */
  accept?: (bytes: Uint8Array, from: number, to: number) => boolean;
}

/** `YYYY-MM-DDTHH:MM:SS`: the part of a timestamp that names its second. */
const SECOND_CHARS = 19;
const NEWLINE = 10;
const CR = 13;
const SPACE = 32;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A timestamp as (epoch second, nanosecond): RFC3339 with an optional fraction of up to nine
 * digits (the kubelet trims trailing zeros, so the texts do not sort) and `Z` or an offset.
 */
export class Timestamp {
  sec = NaN;
  nanos = 0;
  // The second last parsed (its bytes, zone included): lines of one second share it. Its first
  // 16 bytes are compared as four words, through a view of the bytes being read (one per chunk).
  private readonly prefix = new Uint8Array(SECOND_CHARS);
  private readonly prefixWords = new Int32Array(4);
  private readonly zone = new Uint8Array(6);
  private zoneLength = 0;
  private prefixSec = NaN;
  private viewed: Uint8Array | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** Reads the ASCII bytes `b[from..end)`; false (and the value unchanged) when they are not an RFC3339 timestamp. */
  read(b: Uint8Array, from: number, end: number): boolean {
    if (end - from < SECOND_CHARS + 1 || b[from + 10] !== 84 /* T */ || b[from + 4] !== 45 /* - */ || b[from + 13] !== 58 /* : */) return false;
    let i = from + SECOND_CHARS;
    let nanos = 0;
    if (b[i] === 46 /* . */) {
      // Digits beyond the ninth are below a nanosecond: read and ignored.
      let scale = 100_000_000;
      for (i++; i < end && isDigit(b[i]!); i++) {
        if (scale >= 1) nanos += (b[i]! - 48) * scale;
        scale /= 10;
      }
      if (i === from + SECOND_CHARS + 1) return false;
    }
    // `Z`, or `+09:00` / `-05:00`.
    const zoneLength = end - i;
    if (zoneLength !== 1 && zoneLength !== 6) return false;
    if (zoneLength === 1 && b[i] !== 90 /* Z */) return false;
    if (!this.isCached(b, from, i, zoneLength)) {
      for (let k = 0; k < SECOND_CHARS; k++) if (!isDigit(b[from + k]!) && k !== 4 && k !== 7 && k !== 10 && k !== 13 && k !== 16) return false;
      const ms = Date.parse(Buffer.from(b.buffer, b.byteOffset + from, SECOND_CHARS).toString('latin1') + Buffer.from(b.buffer, b.byteOffset + i, zoneLength).toString('latin1'));
      if (Number.isNaN(ms)) return false;
      this.prefix.set(b.subarray(from, from + SECOND_CHARS));
      const v = this.viewOf(b);
      for (let w = 0; w < 4; w++) this.prefixWords[w] = v.getInt32(from + w * 4, true);
      this.zone.set(b.subarray(i, end));
      this.zoneLength = zoneLength;
      this.prefixSec = ms / 1000;
    }
    this.sec = this.prefixSec;
    this.nanos = nanos;
    return true;
  }

  private viewOf(b: Uint8Array): DataView {
    if (this.viewed !== b) {
      this.viewed = b;
      this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.view;
  }

  /** Whether the second at `b[from..)` with its zone at `b[zoneAt..)` is the one last parsed. */
  private isCached(b: Uint8Array, from: number, zoneAt: number, zoneLength: number): boolean {
    if (Number.isNaN(this.prefixSec) || zoneLength !== this.zoneLength) return false;
    const v = this.viewOf(b);
    const w = this.prefixWords;
    if (v.getInt32(from, true) !== w[0] || v.getInt32(from + 4, true) !== w[1] || v.getInt32(from + 8, true) !== w[2] || v.getInt32(from + 12, true) !== w[3]) return false;
    for (let k = 16; k < SECOND_CHARS; k++) if (b[from + k] !== this.prefix[k]) return false;
    for (let k = 0; k < zoneLength; k++) if (b[zoneAt + k] !== this.zone[k]) return false;
    return true;
  }
}

/** (epoch second, nanosecond) as RFC3339Nano in UTC, trailing zeros of the fraction trimmed as the kubelet does. */
function formatTime(sec: number, nanos: number): string {
  const whole = new Date(sec * 1000).toISOString().slice(0, SECOND_CHARS);
  return nanos === 0 ? `${whole}Z` : `${whole}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export class LogLines {
  /** The start of a line that a chunk left unfinished. */
  private partial: Buffer | null = null;
  private readonly ts = new Timestamp();
  private readonly accept: (bytes: Uint8Array, from: number, to: number) => boolean;
  private readonly startTime: string | undefined;
  // The last timestamp read, and the lines handed on with it (where they were handed on): the
  // first `atLastCount` entries, overwritten rather than emptied (nearly every line has a
  // timestamp of its own, and setting an array's length is a call into the runtime).
  private lastSec = -Infinity;
  private lastNanos = 0;
  private readonly atLast: Buffer[] = [];
  private readonly atLastFrom: number[] = [];
  private readonly atLastTo: number[] = [];
  private atLastCount = 0;

  constructor(opts: LogLinesOptions = {}) {
    this.startTime = opts.sinceTime;
    this.accept = opts.accept ?? (() => true);
  }

  /** The timestamp of the last line read: where a resumed stream starts. */
  get sinceTime(): string | undefined {
    return this.lastSec === -Infinity ? this.startTime : formatTime(this.lastSec, this.lastNanos);
  }

  /**
   * Hands on the lines this chunk completes, less those already handed on, as one chunk: the
   * chunk's own bytes, the lines moved over their timestamps (each ended by `\n`, a `\r` before
   * it dropped). The chunk is this reader's from then on.
   */
  push(chunk: Uint8Array, onLines: (lines: Uint8Array) => void): void {
    const b = asBuffer(chunk);
    let from = 0;
    if (this.partial !== null) {
      const nl = b.indexOf(NEWLINE);
      if (nl === -1) {
        this.partial = Buffer.concat([this.partial, b]);
        return;
      }
      // The one line that starts in an earlier chunk is joined on its own.
      const first = Buffer.concat([this.partial, b.subarray(0, nl + 1)]);
      this.partial = null;
      this.deliver(first, 0, first.length, onLines);
      from = nl + 1;
    }
    const last = b.lastIndexOf(NEWLINE);
    if (last >= from) this.deliver(b, from, last + 1, onLines);
    const rest = Math.max(from, last + 1);
    // A copy: the chunk's bytes are handed on and may be kept.
    if (rest < b.length) this.partial = Buffer.from(b.subarray(rest));
  }

  /**
   * The stream ended: hands on a last line without its newline. The next stream (a resume) starts
   * afresh but keeps what was handed on, so it repeats nothing.
   */
  end(onLines: (lines: Uint8Array) => void): void {
    const rest = this.partial;
    this.partial = null;
    if (rest === null) return;
    const line = Buffer.concat([rest, Buffer.of(NEWLINE)]);
    this.deliver(line, 0, line.length, onLines);
  }

  /** The stream broke off: forgets a line it left unfinished (a resumed stream sends it whole). */
  discard(): void {
    this.partial = null;
  }

  /** The lines `b[from, to)`, each ended by `\n`: moved to the front of the range, handed on. */
  private deliver(b: Buffer, from: number, to: number, onLines: (lines: Uint8Array) => void): void {
    let out = from;
    for (let at = from; at < to; ) {
      const nl = b.indexOf(NEWLINE, at);
      const end = nl > at && b[nl - 1] === CR ? nl - 1 : nl;
      const start = end > at ? this.lineStart(b, at, end) : -1;
      if (start >= 0) {
        b.copyWithin(out, start, end);
        // A line with a timestamp (it starts after one): a resume may send it again.
        if (start !== at) {
          const k = this.atLastCount++;
          this.atLast[k] = b;
          this.atLastFrom[k] = out;
          this.atLastTo[k] = out + end - start;
        }
        out += end - start;
        b[out++] = NEWLINE;
      }
      at = nl + 1;
    }
    if (out > from) onLines(b.subarray(from, out));
  }

  /**
   * Where the text of the line `b[at, end)` starts (after its timestamp), or -1 when it is not
   * handed on: already handed on, or not accepted.
   */
  private lineStart(b: Buffer, at: number, end: number): number {
    const sp = b.indexOf(SPACE, at);
    if (sp <= at || sp >= end || !this.ts.read(b, at, sp)) return this.accept(b, at, end) ? at : -1;
    const start = sp + 1;
    const { sec, nanos } = this.ts;
    if (sec < this.lastSec || (sec === this.lastSec && nanos < this.lastNanos)) return -1;
    if (sec === this.lastSec && nanos === this.lastNanos) {
      if (this.seen(b, start, end)) return -1;
    } else {
      this.lastSec = sec;
      this.lastNanos = nanos;
      this.atLastCount = 0;
    }
    return this.accept(b, start, end) ? start : -1;
  }

  /** Whether a line with these bytes was handed on with the last timestamp. */
  private seen(b: Buffer, from: number, to: number): boolean {
    for (let k = 0; k < this.atLastCount; k++) {
      const f = this.atLastFrom[k]!;
      if (this.atLast[k]!.compare(b, from, to, f, this.atLastTo[k]) === 0) return true;
    }
    return false;
  }
}
