// Pending access-log lines, held as UTF-8 bytes in 1 MiB pages outside the JS heap until their
// request is built. At full speed a line waits for the settle window and the next flush (hundreds
// of milliseconds): as a string it outlives V8's young generation and is copied into old space,
// which made garbage collection the largest cost of a busy capture. Here it costs one copy in and
// one decode out, and the collector never sees it.
//
// A line is written after the previous one ("staged"), checked in place, then kept or dropped. A
// page is reused once every line kept in it has been released. The store is bounded: when every
// page holds live lines it reports itself full, and the caller completes its oldest requests.
// Emptied pages are reused rather than freed while lines keep coming: a fresh page costs the
// kernel a page fault per 4 KiB on first write.

const PAGE_BITS = 20;
const PAGE = 1 << PAGE_BITS;
const OFFSET_MASK = PAGE - 1;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit: a line this long always fits in a page. */
export const MAX_LINE_CHARS = Math.floor(PAGE / 3);
/** Free pages kept once capture is idle again (trim()); the rest go back to the system. */
const SPARE_PAGES = 2;

/**
 * The UTF-8 methods Buffer's write() and toString() end in, after normalizing their arguments
 * (which took ~10% of a busy capture's CPU). Undocumented, and stable since Node 0.x.
 */
interface Page extends Buffer {
  utf8Write(text: string, offset: number): number;
  utf8Slice(start: number, end: number): string;
}

export class LineStore {
  private readonly pages: (Page | undefined)[] = [];
  /**
   * The same pages as plain Uint8Arrays, for the parser: it also reads its own scratch array, and
   * a Buffer there would make its byte loads polymorphic.
   */
  private readonly views: (Uint8Array | undefined)[] = [];
  /** Lines kept (not yet released) per page. */
  private readonly live: number[] = [];
  private readonly free: number[] = [];
  private page = -1;
  private at = PAGE;
  private staged = 0;

  constructor(private readonly maxPages = 32) {}

  /**
   * Writes `line` (at most MAX_LINE_CHARS long) after the last one, not yet kept: it can be read
   * in place (stagedBytes, stagedAt) and then kept or overwritten by the next stage(). Returns its
   * byte length, or -1 when every page holds live lines: release some and try again.
   */
  stage(line: string): number {
    if (this.at + line.length * 3 > PAGE && !this.nextPage()) return -1;
    this.staged = this.pages[this.page]!.utf8Write(line, this.at);
    return this.staged;
  }

  /** The staged line's page, and its offset there. */
  get stagedBytes(): Uint8Array {
    return this.views[this.page]!;
  }

  get stagedAt(): number {
    return this.at;
  }

  /** Text of the staged line's bytes `[from, to)`, relative to its start: a string of its own. */
  stagedText(from: number, to: number): string {
    return this.pages[this.page]!.utf8Slice(this.at + from, this.at + to);
  }

  /** Keeps the staged line; returns its handle. */
  keep(): number {
    const handle = (this.page << PAGE_BITS) | this.at;
    this.at += this.staged;
    this.live[this.page]!++;
    return handle;
  }

  /** The page a kept line is in, and its offset there. */
  bytesOf(handle: number): Uint8Array {
    return this.views[handle >>> PAGE_BITS]!;
  }

  offsetOf(handle: number): number {
    return handle & OFFSET_MASK;
  }

  /** A kept line's text. */
  text(handle: number, byteLength: number): string {
    return this.textAt(handle, 0, byteLength);
  }

  /** Text of a kept line's bytes `[from, to)`, from its first byte: a string of its own. */
  textAt(handle: number, from: number, to: number): string {
    const at = handle & OFFSET_MASK;
    return this.pages[handle >>> PAGE_BITS]!.utf8Slice(at + from, at + to);
  }

  /** Whether kept line a's bytes `[fromA, toA)` are kept line b's from `fromB` (offsets from each line's first byte). */
  sameBytes(a: number, fromA: number, toA: number, b: number, fromB: number): boolean {
    const pa = this.views[a >>> PAGE_BITS]!;
    const pb = this.views[b >>> PAGE_BITS]!;
    const oa = (a & OFFSET_MASK) + fromA;
    const ob = (b & OFFSET_MASK) + fromB;
    for (let i = 0, n = toA - fromA; i < n; i++) if (pa[oa + i] !== pb[ob + i]) return false;
    return true;
  }

  /** Whether a kept line's bytes `[from, to)` (from its first byte) contain `needle`. */
  contains(handle: number, from: number, to: number, needle: Uint8Array): boolean {
    const p = this.views[handle >>> PAGE_BITS]!;
    const at = handle & OFFSET_MASK;
    const first = needle[0];
    for (let i = at + from, last = at + to - needle.length; i <= last; i++) {
      if (p[i] !== first) continue;
      let k = 1;
      while (k < needle.length && p[i + k] === needle[k]) k++;
      if (k === needle.length) return true;
    }
    return false;
  }

  /** A kept line is no longer needed. */
  release(handle: number): void {
    const p = handle >>> PAGE_BITS;
    if (--this.live[p]! === 0 && p !== this.page) this.retire(p);
  }

  /** Pages allocated (in use or spare). */
  get pageCount(): number {
    return this.pages.filter((p) => p !== undefined).length;
  }

  clear(): void {
    this.pages.length = this.views.length = this.live.length = this.free.length = 0;
    this.page = -1;
    this.at = PAGE;
  }

  /** Gives free pages beyond a few spares back to the system (call when capture is idle). */
  trim(): void {
    while (this.free.length > SPARE_PAGES) {
      const p = this.free.pop()!;
      this.pages[p] = this.views[p] = undefined;
    }
  }

  private retire(p: number): void {
    this.free.push(p);
  }

  private nextPage(): boolean {
    let p = this.free.pop();
    if (p === undefined) {
      p = this.pages.indexOf(undefined);
      if (p === -1) {
        if (this.pages.length >= this.maxPages) {
          // The current page may have emptied while it was being written.
          if (this.page >= 0 && this.live[this.page] === 0) p = this.page;
          else return false;
        } else p = this.pages.length;
      }
      if (this.pages[p] === undefined) {
        const page = Buffer.allocUnsafe(PAGE) as Page;
        this.pages[p] = page;
        this.views[p] = new Uint8Array(page.buffer, page.byteOffset, PAGE);
      }
      this.live[p] = 0;
    }
    if (this.page >= 0 && this.page !== p && this.live[this.page] === 0) this.retire(this.page);
    this.page = p;
    this.at = 0;
    return true;
  }
}
