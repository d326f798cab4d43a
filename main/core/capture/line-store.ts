// Pending access-log lines, held as UTF-8 bytes in 1 MiB pages outside the JS heap until their
// request is built. At full speed a line waits for the settle window and the next flush (hundreds
// of milliseconds): as a string it outlives V8's young generation and is copied into old space,
// which made garbage collection the largest cost of a busy capture. Lines arrive as bytes, a
// chunk of them at a time (AccessLogChunk), and are copied in as they came: one copy per chunk,
// one decode out for a line that is shown, and the collector never sees them. The pages are in
// one token area (tokenizer.ts), so a line is split into its fields where it was written.
//
// A piece of a chunk is written after the previous one ("staged"), its lines checked in place,
// then each kept or left. A page is reused once every line kept in it has been released. The
// store is bounded: when every page holds live lines it reports itself full, and the caller
// completes its oldest requests. Emptied pages are reused rather than dropped while lines keep
// coming: a fresh page costs the kernel a page fault per 4 KiB on first write. The area is
// reserved for every page at once and filled as pages are first used; it cannot give pages back
// one by one, so once nothing is kept after a burst the whole area goes (trim()).
import { sameBytes } from './hash.ts';
import { AREA_START, TokenArea } from './tokenizer.ts';

const PAGE_BITS = 20;
const PAGE = 1 << PAGE_BITS;
/** The longest line held. */
export const MAX_LINE_BYTES = PAGE;
/** Pages an idle store keeps (trim()): beyond them, it gives its area back. */
const SPARE_PAGES = 3;

/**
 * A kept line's handle is its offset in the area's bytes; page `p` starts at
 * `AREA_START + p * PAGE`.
 */
export class LineStore {
  private area: TokenArea | undefined;
  /** Lines kept (not yet released) per page; its length is the pages the area holds. */
  private readonly live: number[] = [];
  private readonly free: number[] = [];
  private page = -1;
  /** Where the next piece goes in the current page. */
  private at = PAGE;

  constructor(private readonly maxPages = 32) {}

  /**
   * Copies `src[from, to)` (at most a page: whole lines) after the last piece, in one page. Its
   * lines can then be read in place and each kept (keep()); what is not kept is overwritten once
   * the page is reused. Returns where the bytes start, or -1 when every page holds live lines:
   * release some and try again.
   */
  stage(src: Uint8Array, from: number, to: number): number {
    const n = to - from;
    if (this.at + n > PAGE && !this.nextPage()) return -1;
    const at = AREA_START + this.page * PAGE + this.at;
    this.area!.bytes.set(from === 0 && to === src.length ? src : src.subarray(from, to), at);
    this.at += n;
    return at;
  }

  /** The area the lines are in. */
  get tokenArea(): TokenArea {
    return this.area!;
  }

  /** The bytes the lines are in: a line's first byte is at its handle. */
  get bytes(): Uint8Array {
    return this.area!.bytes;
  }

  /** The same bytes as a Buffer (its indexOf() is memchr). */
  get buffer(): Buffer {
    return this.area!.buffer;
  }

  /** The same bytes as a DataView. */
  get view(): DataView {
    return this.area!.view;
  }

  /** Keeps the line of the last piece staged that starts at `handle`. */
  keep(handle: number): void {
    this.live[(handle - AREA_START) >>> PAGE_BITS]!++;
  }

  /** A kept line's text. */
  text(handle: number, byteLength: number): string {
    return this.textAt(handle, 0, byteLength);
  }

  /** Text of a kept line's bytes `[from, to)`, from its first byte: a string of its own. */
  textAt(handle: number, from: number, to: number): string {
    return this.area!.buffer.utf8Slice(handle + from, handle + to);
  }

  /** Whether kept line a's bytes `[fromA, toA)` are kept line b's from `fromB` (offsets from each line's first byte). */
  sameBytes(a: number, fromA: number, toA: number, b: number, fromB: number): boolean {
    const v = this.area!.view;
    return sameBytes(v, a + fromA, v, b + fromB, toA - fromA);
  }

  /** A kept line is no longer needed. */
  release(handle: number): void {
    const p = (handle - AREA_START) >>> PAGE_BITS;
    if (--this.live[p]! === 0 && p !== this.page) this.free.push(p);
  }

  /** Pages the area holds (in use or spare). */
  get pageCount(): number {
    return this.live.length;
  }

  clear(): void {
    this.area = undefined;
    this.live.length = this.free.length = 0;
    this.page = -1;
    this.at = PAGE;
  }

  /** Gives the area back to the system when it holds no line and more than a few pages (call when capture is idle). */
  trim(): void {
    if (this.live.length > SPARE_PAGES && this.live.every((n) => n === 0)) this.clear();
  }

  private nextPage(): boolean {
    let p = this.free.pop();
    if (p === undefined) {
      if (this.live.length < this.maxPages) {
        p = this.live.length;
        this.area ??= new TokenArea(this.maxPages * PAGE);
        this.live.push(0);
      } else if (this.page >= 0 && this.live[this.page] === 0) {
        // The current page may have emptied while it was being written.
        p = this.page;
      } else return false;
    }
    if (this.page >= 0 && this.page !== p && this.live[this.page] === 0) this.free.push(this.page);
    this.page = p;
    this.at = 0;
    return true;
  }
}
