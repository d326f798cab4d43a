import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogLines, Timestamp } from '../../main/core/cluster/log-lines.ts';

// Access-log lines from the Istio docs (test/fixtures/capture/README.md), behind the timestamps
// the kubelet adds with `timestamps=true` (RFC3339Nano: trailing zeros trimmed).
const [out, inn] = readFileSync(path.join(import.meta.dirname, '../fixtures/capture/istio-docs-text-format.log'), 'utf8').split('\n') as [string, string];

/** The lines handed on, as text; each chunk handed on holds whole lines, each ended by a newline. */
function collect(lines: LogLines, chunks: (string | Uint8Array)[], end = false): string[] {
  const got: string[] = [];
  const take = (b: Uint8Array) => {
    const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString();
    expect(text.endsWith('\n'), text).toBe(true);
    got.push(...text.slice(0, -1).split('\n'));
  };
  for (const c of chunks) lines.push(typeof c === 'string' ? Buffer.from(c) : c, take);
  if (end) lines.end(take);
  return got;
}

describe('kubelet timestamps', () => {
  const read = (ts: string) => {
    const t = new Timestamp();
    return t.read(Buffer.from(`x ${ts}`), 2, ts.length + 2) ? [t.sec, t.nanos] : null;
  };

  it('reads RFC3339Nano, with trimmed fractions, offsets and extra digits', () => {
    expect(read('2026-11-24T10:00:00.2Z')).toEqual([Date.parse('2026-11-24T10:00:00Z') / 1000, 200_000_000]);
    expect(read('2026-11-24T10:00:00.100Z')).toEqual([Date.parse('2026-11-24T10:00:00Z') / 1000, 100_000_000]);
    expect(read('2026-11-24T10:00:00.999999999Z')).toEqual([Date.parse('2026-11-24T10:00:00Z') / 1000, 999_999_999]);
    expect(read('2026-11-24T10:00:01Z')).toEqual([Date.parse('2026-11-24T10:00:01Z') / 1000, 0]);
    expect(read('2026-11-24T19:00:00.5+09:00')).toEqual([Date.parse('2026-11-24T10:00:00Z') / 1000, 500_000_000]);
    expect(read('2026-11-24T10:00:00.1234567891Z')).toEqual([Date.parse('2026-11-24T10:00:00Z') / 1000, 123_456_789]);
  });

  it('tells seconds apart that differ in any one character, read from any buffer at any offset', () => {
    const t = new Timestamp();
    const base = '2026-11-24T10:00:00';
    const expected = (ts: string) => Date.parse(`${ts}Z`) / 1000;
    // Each digit of the second changed in turn, the cached second read again in between.
    const seconds = [base, ...[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].map((k) => base.slice(0, k) + (base[k] === '1' ? '0' : '1') + base.slice(k + 1))];
    seconds.forEach((ts, i) => {
      for (const text of [ts, base]) {
        const pad = ' '.repeat(i % 5);
        expect(t.read(Buffer.from(`${pad}${text}.5Z `), pad.length, pad.length + text.length + 3), text).toBe(true);
        expect([t.sec, t.nanos], text).toEqual([expected(text), 500_000_000]);
      }
    });
  });

  it('refuses what is not a timestamp, even after a second it has cached', () => {
    const t = new Timestamp();
    expect(t.read(Buffer.from('2026-11-24T10:00:00Z'), 0, 20)).toBe(true);
    for (const bad of ['[2020-11-25T21:26:18.409Z]', '2026-11-24T10:00:00.Z', '2026-11-24T10:00:00', '2026-11-24T10:00:00.1X', '2026-11-24 10:00:00Z', '2026-1a-24T10:00:00Z', 'warning: x']) {
      expect(t.read(Buffer.from(bad), 0, bad.length), bad).toBe(false);
    }
    expect([t.sec, t.nanos]).toEqual([Date.parse('2026-11-24T10:00:00Z') / 1000, 0]);
  });
});

describe('a followed log as lines', () => {
  it('strips timestamps, splits lines across chunks and CRLF, and keeps a character split between chunks whole', () => {
    const bytes = Buffer.from(`2026-11-24T10:00:00.1Z ${out}\r\n2026-11-24T10:00:00.2Z ${inn.replace('curl/7.73.0-DEV', 'curl/한국어')}\n`);
    const cut = bytes.indexOf(Buffer.from('한')) + 1; // inside the first character's three bytes
    const lines = new LogLines();
    const got = collect(lines, [bytes.subarray(0, 40), bytes.subarray(40, cut), bytes.subarray(cut)]);
    expect(got).toEqual([out, inn.replace('curl/7.73.0-DEV', 'curl/한국어')]);
    expect(lines.sinceTime).toBe('2026-11-24T10:00:00.2Z');
  });

  it('passes lines without a timestamp through, and delivers a last line without a newline at the end', () => {
    const lines = new LogLines();
    expect(collect(lines, ['envoy started\n\n2026-11-24T10:00:00Z ', out], true)).toEqual(['envoy started', out]);
    expect(lines.sinceTime).toBe('2026-11-24T10:00:00Z');
  });

  it('a resumed stream repeats nothing: older lines are dropped, and lines of the last timestamp by text', () => {
    const lines = new LogLines();
    const first = collect(lines, [`2026-11-24T10:00:00.100Z ${out}\n2026-11-24T10:00:00.2Z ${inn}\n2026-11-24T10:00:00.2Z [x] same time\n2026-11-24T10:00:00.3Z [cut`]);
    expect(first).toEqual([out, inn, '[x] same time']);
    // The stream drops mid-line; the resume (sinceTime 10:00:00, whole seconds) sends the second again.
    lines.discard();
    const again = collect(lines, [`2026-11-24T10:00:00.1Z ${out}\n2026-11-24T10:00:00.200000000Z ${inn}\n2026-11-24T10:00:00.2Z [y] new at the same time\n2026-11-24T10:00:00.2Z [x] same time\n2026-11-24T10:00:00.3Z [cut] whole\n2026-11-24T10:00:01.000000001Z [c] third\n`]);
    expect(again).toEqual(['[y] new at the same time', '[cut] whole', '[c] third']);
    expect(lines.sinceTime).toBe('2026-11-24T10:00:01.000000001Z');
  });

  it('starts where it is told, and moves on with what it delivers', () => {
    const lines = new LogLines({ sinceTime: '2026-11-24T10:00:00.5Z' });
    expect(lines.sinceTime).toBe('2026-11-24T10:00:00.5Z');
    expect(collect(lines, ['2026-11-24T10:00:00.6Z [c] after\n'])).toEqual(['[c] after']);
    expect(lines.sinceTime).toBe('2026-11-24T10:00:00.6Z');
  });

  it('hands on only the lines accepted, and a resume repeats none of the others either', () => {
    const lines = new LogLines({ accept: (b, from) => b[from] === 91 /* [ */ });
    const first = collect(lines, ['2026-11-24T10:00:00.1Z [a] access\n2026-11-24T10:00:00.2Z info envoy ready\n2026-11-24T10:00:00.2Z [b] access\n']);
    expect(first).toEqual(['[a] access', '[b] access']);
    lines.discard();
    expect(collect(lines, ['2026-11-24T10:00:00.1Z [a] access\n2026-11-24T10:00:00.2Z info envoy ready\n2026-11-24T10:00:00.2Z [b] access\n2026-11-24T10:00:00.3Z [c] access\n'])).toEqual(['[c] access']);
    expect(lines.sinceTime).toBe('2026-11-24T10:00:00.3Z');
  });

  it('moves lines over their timestamps in the chunk it was given, and hands that on', () => {
    const lines = new LogLines();
    const chunk = Buffer.from('2026-11-24T10:00:00.1Z [a] one\n2026-11-24T10:00:00.2Z [b] two\n2026-11-24T10:00:00.3Z [c');
    const handed: Uint8Array[] = [];
    lines.push(chunk, (b) => handed.push(b));
    expect(handed).toHaveLength(1);
    expect(handed[0]!.buffer).toBe(chunk.buffer);
    expect(Buffer.from(handed[0]!).toString()).toBe('[a] one\n[b] two\n');
    // The unfinished line was copied: the chunk handed on may be kept and read later.
    lines.push(Buffer.from('] three\n'), (b) => handed.push(b));
    expect(Buffer.from(handed[1]!).toString()).toBe('[c] three\n');
    expect(Buffer.from(handed[0]!).toString()).toBe('[a] one\n[b] two\n');
  });
});
