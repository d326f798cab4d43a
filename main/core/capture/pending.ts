// The correlator's pending requests, held in typed arrays. At full speed a request waits out the
// settle window and the next flush (hundreds of milliseconds): as an object with an array of its
// lines, each request outlived V8's young generation and was copied into old space. Here a request
// costs its id string; its lines are records linked through typed arrays, which the collector
// never scans.
//
// Requests are found by id in an open-addressing table of their own rather than a Map: a line's
// id is looked up straight from its bytes (line-store.ts), so that the five lines of a request
// that find it pending cost no string, no string hash and no map probe of their own.
import type { AccessLogSource } from '../backend/types.ts';
import type { UpstreamCluster } from './types.ts';
import { hashBytes, hashString, sameBytes, sameUtf8 } from './hash.ts';
import { HOP_SLOTS } from './parser.ts';


/** No request (slotOf), the end of a line list or of the arrival order, an empty free list. */
export const NONE = -1;
/** Requests and lines the arrays hold at first (and again after trim()). */
const SLOTS = 256;
const LINES = 1024;

/** `a` with room for `size` entries, its first entries kept. */
function resized<T extends Int32Array | Float64Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a.length <= size ? a : a.subarray(0, size));
  return b;
}

export class PendingRequests {
  /** Slot + 1 of each request by the hash of its id (0: empty); linear probing, at most half full. */
  private table = new Int32Array(SLOTS * 2);
  private pendingCount = 0;
  private readonly ids: (string | undefined)[] = [];
  private hashes = new Int32Array(SLOTS);
  /** Where each request's id is in the line store (its first line's bytes), or -1: compared there, four bytes at a time. */
  private idAt = new Int32Array(SLOTS);
  /** Its length in bytes there. */
  private idLength = new Int32Array(SLOTS);
  // Arrival order: a list through the slots.
  private prevArrived = new Int32Array(SLOTS);
  private nextArrived = new Int32Array(SLOTS);
  private firstArrived = NONE;
  private lastArrived = NONE;
  private lastAt = new Float64Array(SLOTS);
  private dirty = new Uint8Array(SLOTS);
  private first = new Int32Array(SLOTS);
  private last = new Int32Array(SLOTS);
  private count = new Int32Array(SLOTS);
  private readonly freeSlots: number[] = [];
  private slotTop = 0;
  // Line records: a kept line's handle in the line store, its byte length, its source, the next
  // line of its request. Freed records are chained through `next`.
  private handle = new Int32Array(LINES);
  private bytes = new Int32Array(LINES);
  private next = new Int32Array(LINES);
  /** START_TIME in epoch ms (NaN when absent). */
  private start = new Float64Array(LINES);
  /** Per line record, where its hop fields are (parser.ts keepHopOffsets). */
  private hopOffsets = new Int32Array(LINES * HOP_SLOTS);
  private readonly sources: (AccessLogSource | undefined)[] = [];
  /** Per line record, its upstream cluster as checked on arrival (shared objects). */
  private readonly clusters: (UpstreamCluster | null)[] = [];
  private freeLines = NONE;
  private lineTop = 0;

  get size(): number {
    return this.pendingCount;
  }

  /** The slot of the request with this id, or NONE. */
  slotOf(id: string): number {
    const mask = this.table.length - 1;
    const h = hashString(id);
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.table[i]! - 1;
      if (e === NONE) return NONE;
      if (this.hashes[e] === h && this.ids[e] === id) return e;
    }
  }

  /** slotOf() of the id whose UTF-8 bytes are `v[from..to)`; `v` holds the ids given to open(). */
  slotOfBytes(v: DataView, from: number, to: number): number {
    const h = hashBytes(v, from, to);
    const n = to - from;
    const mask = this.table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.table[i]! - 1;
      if (e === NONE) return NONE;
      if (this.hashes[e] !== h) continue;
      const at = this.idAt[e]!;
      if (at >= 0 ? this.idLength[e] === n && sameBytes(v, at, v, from, n) : sameUtf8(this.ids[e]!, v, from, to)) return e;
    }
  }

  /**
   * A new request (its id not pending), last in arrival order. `idAt`: where the id's bytes
   * (`idLength` of them) are in the bytes slotOfBytes() is given, kept there while the request is
   * pending (-1: not there).
   */
  open(id: string, at: number, idAt = NONE, idLength = 0): number {
    let s = this.freeSlots.pop();
    if (s === undefined) {
      s = this.slotTop++;
      if (s >= this.lastAt.length) this.resizeSlots(this.lastAt.length * 2);
    }
    if (++this.pendingCount * 2 > this.table.length) this.rehash(this.table.length * 2);
    const h = hashString(id);
    this.hashes[s] = h;
    this.insert(s, h);
    this.prevArrived[s] = this.lastArrived;
    this.nextArrived[s] = NONE;
    if (this.lastArrived === NONE) this.firstArrived = s;
    else this.nextArrived[this.lastArrived] = s;
    this.lastArrived = s;
    this.ids[s] = id;
    this.idAt[s] = idAt;
    this.idLength[s] = idLength;
    this.lastAt[s] = at;
    this.dirty[s] = 1;
    this.first[s] = this.last[s] = NONE;
    this.count[s] = 0;
    return s;
  }

  /** Appends a line to a request; returns its record. */
  addLine(s: number, handle: number, bytes: number, startMs: number, source: AccessLogSource, cluster: UpstreamCluster | null): number {
    let r = this.freeLines;
    if (r !== NONE) this.freeLines = this.next[r]!;
    else {
      r = this.lineTop++;
      if (r >= this.handle.length) this.resizeLines(this.handle.length * 2);
    }
    this.handle[r] = handle;
    this.bytes[r] = bytes;
    this.start[r] = startMs;
    this.next[r] = NONE;
    this.sources[r] = source;
    this.clusters[r] = cluster;
    if (this.last[s] === NONE) this.first[s] = r;
    else this.next[this.last[s]!] = r;
    this.last[s] = r;
    this.count[s]!++;
    return r;
  }

  /** Notes a line's arrival (kept or not): the request is changed and not yet quiet. */
  touch(s: number, at: number): void {
    this.dirty[s] = 1;
    if (at > this.lastAt[s]!) this.lastAt[s] = at;
  }

  /** The oldest request, then `arrivedAfter()` until NONE: arrival order (read the next before closing one). */
  oldest(): number {
    return this.firstArrived;
  }

  arrivedAfter(s: number): number {
    return this.nextArrived[s]!;
  }

  id(s: number): string {
    return this.ids[s]!;
  }

  lastAtOf(s: number): number {
    return this.lastAt[s]!;
  }

  lineCount(s: number): number {
    return this.count[s]!;
  }

  /** Clears the request's changed mark; returns whether it was set. */
  takeDirty(s: number): boolean {
    const d = this.dirty[s] === 1;
    this.dirty[s] = 0;
    return d;
  }

  /** The request's first line record, then `nextLine()` until NONE (-1). */
  firstLine(s: number): number {
    return this.first[s]!;
  }

  nextLine(r: number): number {
    return this.next[r]!;
  }

  lineHandle(r: number): number {
    return this.handle[r]!;
  }

  lineBytes(r: number): number {
    return this.bytes[r]!;
  }

  lineStartMs(r: number): number {
    return this.start[r]!;
  }

  lineSource(r: number): AccessLogSource {
    return this.sources[r]!;
  }

  lineCluster(r: number): UpstreamCluster | null {
    return this.clusters[r]!;
  }

  /** The table of lines' hop-field offsets; a line's start at `r * HOP_SLOTS` (valid until the next addLine). */
  get offsets(): Int32Array {
    return this.hopOffsets;
  }

  /** Forgets a request and frees its line records. */
  close(s: number): void {
    this.remove(s);
    this.pendingCount--;
    const prev = this.prevArrived[s]!;
    const next = this.nextArrived[s]!;
    if (prev === NONE) this.firstArrived = next;
    else this.nextArrived[prev] = next;
    if (next === NONE) this.lastArrived = prev;
    else this.prevArrived[next] = prev;
    this.ids[s] = undefined;
    for (let r = this.first[s]!; r !== NONE; ) {
      const n = this.next[r]!;
      this.sources[r] = undefined;
      this.clusters[r] = null;
      this.next[r] = this.freeLines;
      this.freeLines = r;
      r = n;
    }
    this.freeSlots.push(s);
  }

  clear(): void {
    this.table.fill(0);
    this.pendingCount = 0;
    this.firstArrived = this.lastArrived = NONE;
    this.ids.length = this.sources.length = this.clusters.length = this.freeSlots.length = 0;
    this.slotTop = this.lineTop = 0;
    this.freeLines = NONE;
  }

  /** When nothing is pending, gives back what a flood made the arrays grow to. */
  trim(): void {
    if (this.pendingCount > 0) return;
    this.clear();
    if (this.table.length > SLOTS * 2) this.table = new Int32Array(SLOTS * 2);
    if (this.lastAt.length > SLOTS) this.resizeSlots(SLOTS);
    if (this.handle.length > LINES) this.resizeLines(LINES);
  }

  private insert(s: number, h: number): void {
    const mask = this.table.length - 1;
    let i = h & mask;
    while (this.table[i] !== 0) i = (i + 1) & mask;
    this.table[i] = s + 1;
  }

  /** Takes a slot out of the table, moving back the entries after it that probed past it. */
  private remove(s: number): void {
    const t = this.table;
    const mask = t.length - 1;
    let i = this.hashes[s]! & mask;
    while (t[i] !== s + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashes[t[j]! - 1]! & mask;
      // Entry j may fill the hole at i unless its home lies cyclically in (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        t[i] = t[j]!;
        i = j;
      }
    }
    t[i] = 0;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let s = this.firstArrived; s !== NONE; s = this.nextArrived[s]!) this.insert(s, this.hashes[s]!);
  }

  private resizeSlots(n: number): void {
    this.hashes = resized(this.hashes, n);
    this.idAt = resized(this.idAt, n);
    this.idLength = resized(this.idLength, n);
    this.prevArrived = resized(this.prevArrived, n);
    this.nextArrived = resized(this.nextArrived, n);
    this.lastAt = resized(this.lastAt, n);
    this.dirty = resized(this.dirty, n);
    this.first = resized(this.first, n);
    this.last = resized(this.last, n);
    this.count = resized(this.count, n);
  }

  private resizeLines(n: number): void {
    this.handle = resized(this.handle, n);
    this.bytes = resized(this.bytes, n);
    this.next = resized(this.next, n);
    this.start = resized(this.start, n);
    this.hopOffsets = resized(this.hopOffsets, n * HOP_SLOTS);
  }
}
