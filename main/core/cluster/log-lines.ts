// A followed container log (`GET …/log?follow=true&timestamps=true`) as lines. The kubelet puts
// an RFC3339Nano timestamp before each line; when a stream drops, it is resumed with sinceTime
// (whole seconds), so the new stream repeats the lines of that second and those already read:
// they are dropped by timestamp, and lines sharing the last timestamp by text.
//
// Every access-log line of a busy mesh passes here before capture sees it, so a line costs no
// regular expression, no BigInt and no set: timestamps are compared as (epoch second, nanosecond)
// with the epoch second parsed once per second, and a chunk's bytes are decoded as a stream (a
// character split between two chunks stays whole).

export interface LogLine {
  text: string;
  /** RFC3339 timestamp the kubelet put on the line. */
  time?: string;
}

/** `YYYY-MM-DDTHH:MM:SS`: the part of a timestamp that names its second. */
const SECOND_CHARS = 19;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A timestamp as (epoch second, nanosecond): RFC3339 with an optional fraction of up to nine
 * digits (the kubelet trims trailing zeros, so the strings do not sort) and `Z` or an offset.
 */
export class Timestamp {
  sec = NaN;
  nanos = 0;
  // The second last parsed: lines of one second share it.
  private prefix = '';
  private zone = '';
  private prefixSec = NaN;

  /** Reads `s[from..end)`; false (and the value unchanged) when it is not an RFC3339 timestamp. */
  read(s: string, from: number, end: number): boolean {
    if (end - from < SECOND_CHARS + 1 || s.charCodeAt(from + 10) !== 84 /* T */ || s.charCodeAt(from + 4) !== 45 /* - */ || s.charCodeAt(from + 13) !== 58 /* : */) return false;
    let i = from + SECOND_CHARS;
    let nanos = 0;
    if (s.charCodeAt(i) === 46 /* . */) {
      // Digits beyond the ninth are below a nanosecond: read and ignored.
      let scale = 100_000_000;
      for (i++; i < end && isDigit(s.charCodeAt(i)); i++) {
        if (scale >= 1) nanos += (s.charCodeAt(i) - 48) * scale;
        scale /= 10;
      }
      if (i === from + SECOND_CHARS + 1) return false;
    }
    // `Z`, or `+09:00` / `-05:00`.
    const zoneLength = end - i;
    if (zoneLength !== 1 && zoneLength !== 6) return false;
    if (zoneLength === 1 && s.charCodeAt(i) !== 90 /* Z */) return false;
    if (this.prefix === '' || !s.startsWith(this.prefix, from) || !this.sameZone(s, i, end)) {
      for (let k = 0; k < SECOND_CHARS; k++) if (!isDigit(s.charCodeAt(from + k)) && k !== 4 && k !== 7 && k !== 10 && k !== 13 && k !== 16) return false;
      const prefix = s.slice(from, from + SECOND_CHARS);
      const zone = s.slice(i, end);
      const ms = Date.parse(prefix + zone);
      if (Number.isNaN(ms)) return false;
      this.prefix = prefix;
      this.zone = zone;
      this.prefixSec = ms / 1000;
    }
    this.sec = this.prefixSec;
    this.nanos = nanos;
    return true;
  }

  private sameZone(ts: string, at: number, end: number): boolean {
    return end - at === this.zone.length && ts.startsWith(this.zone, at);
  }
}

export class LogLines {
  private readonly decoder = new TextDecoder('utf-8');
  private partial = '';
  private readonly ts = new Timestamp();
  // The last timestamp delivered, and the texts delivered with it.
  private lastSec = -Infinity;
  private lastNanos = 0;
  private readonly atLast: string[] = [];
  /** The timestamp of the last line delivered: where a resumed stream starts. */
  sinceTime: string | undefined;

  /** `sinceTime`: where the first stream starts (the API server filters; nothing is dropped here). */
  constructor(sinceTime?: string) {
    this.sinceTime = sinceTime;
  }

  /** Delivers the lines this chunk completes, less those already delivered. */
  push(chunk: Uint8Array, onLine: (l: LogLine) => void): void {
    // Lines are read in place from the decoded chunk, a flat string: the one line that starts in
    // an earlier chunk is joined on its own (reading from a joined chunk is ~2× slower).
    const text = this.decoder.decode(chunk, { stream: true });
    let nl = text.indexOf('\n');
    if (nl === -1) {
      this.partial += text;
      return;
    }
    let from = 0;
    if (this.partial !== '') {
      const first = this.partial + text.slice(0, nl);
      this.partial = '';
      this.line(first, 0, first.length, onLine);
      from = nl + 1;
      nl = text.indexOf('\n', from);
    }
    for (; nl !== -1; nl = text.indexOf('\n', from)) {
      this.line(text, from, nl, onLine);
      from = nl + 1;
    }
    this.partial = text.slice(from);
  }

  /**
   * The stream ended: delivers a last line without its newline. The next stream (a resume) starts
   * afresh but keeps what was delivered, so it repeats nothing.
   */
  end(onLine: (l: LogLine) => void): void {
    const text = this.partial + this.decoder.decode();
    this.partial = '';
    this.line(text, 0, text.length, onLine);
  }

  /** The stream broke off: forgets a line it left unfinished (a resumed stream sends it whole). */
  discard(): void {
    this.partial = '';
    this.decoder.decode();
  }

  private line(text: string, from: number, to: number, onLine: (l: LogLine) => void): void {
    if (to > from && text.charCodeAt(to - 1) === 13 /* \r */) to--;
    if (to === from) return;
    const sp = text.indexOf(' ', from);
    if (sp <= from || sp >= to || !this.ts.read(text, from, sp)) {
      onLine({ text: text.slice(from, to) });
      return;
    }
    const line = text.slice(sp + 1, to);
    const { sec, nanos } = this.ts;
    if (sec < this.lastSec || (sec === this.lastSec && nanos < this.lastNanos)) return;
    if (sec === this.lastSec && nanos === this.lastNanos) {
      if (this.atLast.includes(line)) return;
    } else {
      this.lastSec = sec;
      this.lastNanos = nanos;
      this.atLast.length = 0;
    }
    this.atLast.push(line);
    const time = text.slice(from, sp);
    this.sinceTime = time;
    onLine({ text: line, time });
  }
}
