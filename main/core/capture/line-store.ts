// Pending access-log lines, held as UTF-8 bytes in 1 MiB pages outside the JS heap until their
// request is built. At full speed a line waits for the settle window and the next flush (hundreds
// of milliseconds): as a string it outlives V8's young generation and is copied into old space,
// which made garbage collection the largest cost of a busy capture. Here it costs one copy in and
// one decode out, and the collector never sees it. The pages are in one token area
// (tokenizer.ts), so a line is split into its fields where it was written.
//
// A line is written after the previous one ("staged"), checked in place, then kept or dropped. A
// page is reused once every line kept in it has been released. The store is bounded: when every
// page holds live lines it reports itself full, and the caller completes its oldest requests.
// Emptied pages are reused rather than dropped while lines keep coming: a fresh page costs the
// kernel a page fault per 4 KiB on first write. The area is reserved for every page at once and
// filled as pages are first used; it cannot give pages back one by one, so once nothing is kept
// after a burst the whole area goes (trim()).
import { sameBytes } from './hash.ts';
import { AREA_START, TokenArea } from './tokenizer.ts';

const PAGE_BITS = 20;
const PAGE = 1 << PAGE_BITS;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit: a line this long always fits in a page. */
export const MAX_LINE_CHARS = Math.floor(PAGE / 3);
/** Pages an idle store keeps (trim()): beyond them, it gives its area back. */
const SPARE_PAGES = 3;

/**
 * The UTF-8 methods Buffer's write() and toString() end in, after normalizing their arguments
 * (which took ~10% of a busy capture's CPU). Undocumented, and stable since Node 0.x.
 */
interface Utf8Buffer extends Buffer {
  utf8Write(text: string, offset: number): number;
  utf8Slice(start: number, end: number): string;
}

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
  /** Where the next line goes in the current page. */
  private at = PAGE;
  private staged = 0;

  constructor(private readonly maxPages = 32) {}

  /**
   * Writes `line` (at most MAX_LINE_CHARS long) after the last one, not yet kept: it can be read
   * in place (stagedArea, stagedAt) and then kept or overwritten by the next stage(). Returns its
   * byte length, or -1 when every page holds live lines: release some and try again.
   */
  stage(line: string): number {
    if (this.at + line.length * 3 > PAGE && !this.nextPage()) return -1;
    this.staged = (this.area!.buffer as Utf8Buffer).utf8Write(line, this.stagedAt);
    return this.staged;
  }

  /** The area the lines are in. */
  get stagedArea(): TokenArea {
    return this.area!;
  }

  /** The bytes the lines are in: a kept line's first byte is at its handle, the staged line's at stagedAt. */
  get bytes(): Uint8Array {
    return this.area!.bytes;
  }

  /** The same bytes as a DataView. */
  get view(): DataView {
    return this.area!.view;
  }

  get stagedAt(): number {
    return AREA_START + this.page * PAGE + this.at;
  }

  /** Text of the staged line's bytes `[from, to)`, relative to its start: a string of its own. */
  stagedText(from: number, to: number): string {
    const at = this.stagedAt;
    return (this.area!.buffer as Utf8Buffer).utf8Slice(at + from, at + to);
  }

  /** Keeps the staged line; returns its handle. */
  keep(): number {
    const handle = this.stagedAt;
    this.at += this.staged;
    this.live[this.page]!++;
    return handle;
  }

  /** A kept line's text. */
  text(handle: number, byteLength: number): string {
    return this.textAt(handle, 0, byteLength);
  }

  /** Text of a kept line's bytes `[from, to)`, from its first byte: a string of its own. */
  textAt(handle: number, from: number, to: number): string {
    return (this.area!.buffer as Utf8Buffer).utf8Slice(handle + from, handle + to);
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
