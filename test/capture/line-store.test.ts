import { describe, expect, it } from 'vitest';
import { LineStore, MAX_LINE_CHARS } from '../../main/core/capture/line-store.ts';

/** Stages and keeps `line`; returns its handle and byte length. */
function put(store: LineStore, line: string): { handle: number; bytes: number } {
  const bytes = store.stage(line);
  if (bytes < 0) throw new Error('full');
  return { handle: store.keep(), bytes };
}

describe('line store', () => {
  it('gives back each kept line as written, ASCII or not', () => {
    const store = new LineStore(2);
    const lines = ['[2026-11-25T07:00:01.234Z] "GET /productpage HTTP/1.1" 200', '"Mozilla/5.0 (한국어; Français)" "/café"', 'x'.repeat(1000)];
    const kept = lines.map((l) => put(store, l));
    expect(kept.map((k) => store.text(k.handle, k.bytes))).toEqual(lines);
    expect(kept[1]!.bytes).toBe(Buffer.byteLength(lines[1]!));
    // The bytes are readable in place, as the parser reads them.
    const k = kept[0]!;
    const view = store.bytes.subarray(k.handle, k.handle + k.bytes);
    expect(Buffer.from(view).toString()).toBe(lines[0]);
  });

  it('a staged line not kept is overwritten by the next one', () => {
    const store = new LineStore(1);
    store.stage('dropped line');
    store.stage('kept line');
    expect(store.stagedText(0, 4)).toBe('kept');
    const a = store.keep();
    expect(store.text(a, 9)).toBe('kept line');
  });

  it('is bounded: full while every page holds a live line, and usable again once they are released', () => {
    const store = new LineStore(2);
    const big = 'y'.repeat(MAX_LINE_CHARS);
    // Each page takes one line this long (3 bytes a character are reserved for UTF-8).
    const a = put(store, big);
    const b = put(store, big);
    expect(store.pageCount).toBe(2);
    expect(store.stage(big)).toBe(-1);
    store.release(a.handle);
    const c = put(store, big);
    expect(store.text(c.handle, c.bytes)).toBe(big);
    expect(store.text(b.handle, b.bytes)).toBe(big);
    expect(store.pageCount).toBe(2);
  });

  it('reuses emptied pages, and gives its area back when trimmed empty after a burst', () => {
    const store = new LineStore(16);
    // One line this long to a page.
    const line = 'z'.repeat(300_000);
    const kept = Array.from({ length: 10 }, () => put(store, line));
    expect(store.pageCount).toBe(10);
    for (const k of kept.slice(1)) store.release(k.handle);
    // A line still kept: the area stays, and so does that line.
    store.trim();
    expect(store.pageCount).toBe(10);
    expect(store.text(kept[0]!.handle, kept[0]!.bytes)).toBe(line);
    // Emptied pages are written again before the area grows.
    const reused = put(store, line);
    expect(store.pageCount).toBe(10);
    store.release(reused.handle);
    store.release(kept[0]!.handle);
    store.trim();
    expect(store.pageCount).toBe(0);
    const again = put(store, line);
    expect(store.text(again.handle, again.bytes)).toBe(line);
    store.clear();
    expect(store.pageCount).toBe(0);
  });

  it('keeps a small idle area: trimming one of a few pages would only cost page faults again', () => {
    const store = new LineStore(16);
    const line = 'z'.repeat(300_000);
    const kept = Array.from({ length: 3 }, () => put(store, line));
    for (const k of kept) store.release(k.handle);
    store.trim();
    expect(store.pageCount).toBe(3);
  });
});
