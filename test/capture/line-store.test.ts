import { describe, expect, it } from 'vitest';
import { LineStore, MAX_LINE_BYTES } from '../../main/core/capture/line-store.ts';

/** Stages `line` as a piece of its own and keeps it; returns its handle and byte length. */
function put(store: LineStore, line: string | Uint8Array): { handle: number; bytes: number } {
  const b = typeof line === 'string' ? Buffer.from(line) : line;
  const handle = store.stage(b, 0, b.length);
  if (handle < 0) throw new Error('full');
  store.keep(handle);
  return { handle, bytes: b.length };
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

  it('stages a piece of a chunk as it is, one copy, and keeps the lines of it that are kept', () => {
    const store = new LineStore(1);
    const chunk = Buffer.from('first\nsecond line\nthird\n');
    const at = store.stage(chunk, 6, chunk.length);
    expect(store.textAt(at, 0, 11)).toBe('second line');
    store.keep(at + 12);
    expect(store.text(at + 12, 5)).toBe('third');
    // The next piece goes after the whole last one, kept lines or not.
    const next = store.stage(chunk, 0, 5);
    expect(next).toBe(at + chunk.length - 6);
    expect(store.text(at + 12, 5)).toBe('third');
  });

  it('is bounded: full while every page holds a live line, and usable again once they are released', () => {
    const store = new LineStore(2);
    const big = Buffer.alloc(MAX_LINE_BYTES, 'y');
    // Each page takes one line this long.
    const a = put(store, big);
    const b = put(store, big);
    expect(store.pageCount).toBe(2);
    expect(store.stage(big, 0, big.length)).toBe(-1);
    // A page whose staged lines were all left is reused.
    store.release(a.handle);
    const left = store.stage(big, 0, big.length);
    expect(left).toBe(a.handle);
    const c = put(store, big);
    expect(c.handle).toBe(a.handle);
    expect(store.text(c.handle, c.bytes)).toBe(big.toString());
    expect(store.text(b.handle, b.bytes)).toBe(big.toString());
    expect(store.pageCount).toBe(2);
  });

  it('reuses emptied pages, and gives its area back when trimmed empty after a burst', () => {
    const store = new LineStore(16);
    // One line this long to a page.
    const line = 'z'.repeat(600_000);
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
    const line = 'z'.repeat(600_000);
    const kept = Array.from({ length: 3 }, () => put(store, line));
    for (const k of kept) store.release(k.handle);
    store.trim();
    expect(store.pageCount).toBe(3);
  });
});
