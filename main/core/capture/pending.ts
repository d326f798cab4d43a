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
import { hashBytes, hashString, sameBytes, sameUtf8, utf8View } from './hash.ts';
import { HOP_SLOTS } from './parser.ts';

/** No request (slotOf), the end of a line list or of the arrival order, an empty free list. */
export const NONE = -1;
/** Requests and lines the arrays hold at first (and again after trim()). */
const SLOTS = 256;
const LINES = 1024;
/**
 * A line record's numbers, side by side in one array: its hop-field offsets (parser.ts
 * keepHopOffsets()), then its handle in the line store, its byte length, the next line of its
 * request, marks its correlator keeps, and its START_TIME (a double, in the last two slots). A
 * request is worked out a settle window after its lines came, its records long out of the CPU's
 * caches: a record in one place costs two cache misses rather than one per array. 32 numbers,
 * 128 bytes: in a page-aligned array (pageAligned()), a record is two whole cache lines.
 */
export const LINE_SLOTS = 32;
const L_HANDLE = HOP_SLOTS;
const L_BYTES = HOP_SLOTS + 1;
const L_NEXT = HOP_SLOTS + 2;
const L_MARKS = HOP_SLOTS + 3;
/** START_TIME's index in the records as doubles: the last two slots. */
const L_START = LINE_SLOTS / 2 - 1;
const START_STRIDE = LINE_SLOTS / 2;
if (L_MARKS >= L_START * 2) throw new Error('line record too small');

/**
 * A request's key, in one 64-byte record: its id's hash, its id's UTF-8 length (-1 when longer
 * than ID_BYTES: then compared as a string) and bytes. A line finds its request from its id's
 * bytes; with the key in one place that costs a cache miss or two, where hash, length and the id's
 * bytes elsewhere (its first line, in the line store) cost one each.
 */
const KEY_INTS = 16;
/**
 * A request's first lines' records, by index beside its line list: working a request out reads
 * all its records, each long out of the CPU's caches. Walked as a list, each miss waited for the
 * one before it; by index, the CPU fetches them side by side.
 */
const SLOT_LINES = 8;
const ID_BYTES = (KEY_INTS - 2) * 4;

/** `a` with room for `size` entries, its first entries kept. */
function resized<T extends Int32Array | Float64Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a.length <= size ? a : a.subarray(0, size));
  return b;
}

/**
 * `n` numbers at the start of a page (with `from`'s first ones copied in), for line records: there
 * a record is two whole cache lines, where a typed array's memory (malloc'd) is only sure to be
 * 16-byte aligned, and most records straddled three. A WebAssembly memory is page-aligned; it is made
 * at its final size and never grown (growing one detaches its buffer, see tokenizer.ts).
 */
function pageAligned(n: number, from?: Int32Array): Int32Array {
  const pages = Math.max(1, Math.ceil((n * 4) / 65536));
  const a = new Int32Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer, 0, n);
  if (from) a.set(from.length <= n ? from : from.subarray(0, n));
  return a;
}

/**
 * Freed slots or line records, reused in the order they were freed. Requests complete in about
 * the order they came, so records are reused in about the order they were first written: a busy
 * capture then writes its records one after another, which the CPU prefetches, and a request's
 * records lie close together when it is worked out. Reused last-freed-first, they were scattered
 * over the whole array, and a cache miss each.
 */
class FreeQueue {
  private ring = new Int32Array(64);
  private head = 0;
  private length = 0;

  push(x: number): void {
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length) & (this.ring.length - 1)] = x;
    this.length++;
  }

  /** The earliest freed, or NONE. */
  shift(): number {
    if (this.length === 0) return NONE;
    const x = this.ring[this.head]!;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.length--;
    return x;
  }

  clear(): void {
    this.ring = new Int32Array(64);
    this.head = this.length = 0;
  }

  private grow(): void {
    const r = new Int32Array(this.ring.length * 2);
    for (let i = 0; i < this.length; i++) r[i] = this.ring[(this.head + i) & (this.ring.length - 1)]!;
    this.ring = r;
    this.head = 0;
  }
}

export class PendingRequests {
  /** Slot + 1 of each request by the hash of its id (0: empty); linear probing, at most half full. */
  private table = new Int32Array(SLOTS * 2);
  private pendingCount = 0;
  private readonly ids: (string | undefined)[] = [];
  /** KEY_INTS numbers per slot. */
  private keys = new Int32Array(SLOTS * KEY_INTS);
  private keyView = new DataView(this.keys.buffer);
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
  private slotLines = new Int32Array(SLOTS * SLOT_LINES);
  private readonly freeSlots = new FreeQueue();
  private slotTop = 0;
  // Line records (LINE_SLOTS numbers each, START_TIME in epoch ms or NaN read through `starts`)
  // and their source.
  private records = pageAligned(LINES * LINE_SLOTS);
  private starts = new Float64Array(this.records.buffer);
  private lineCapacity = LINES;
  private readonly sources: (AccessLogSource | undefined)[] = [];
  /** Per line record, its upstream cluster as checked on arrival (shared objects). */
  private readonly clusters: (UpstreamCluster | null)[] = [];
  private readonly freeLines = new FreeQueue();
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
      if (this.keys[e * KEY_INTS] === h && this.ids[e] === id) return e;
    }
  }

  /** slotOf() of the id whose UTF-8 bytes are `v[from..to)`. */
  slotOfBytes(v: DataView, from: number, to: number): number {
    const h = hashBytes(v, from, to);
    const n = to - from;
    const mask = this.table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.table[i]! - 1;
      if (e === NONE) return NONE;
      const k = e * KEY_INTS;
      if (this.keys[k] !== h) continue;
      const length = this.keys[k + 1]!;
      if (length >= 0 ? length === n && sameBytes(this.keyView, (k + 2) * 4, v, from, n) : sameUtf8(this.ids[e]!, v, from, to)) return e;
    }
  }

  /** A new request (its id not pending), last in arrival order; `idBytes`: the id's UTF-8 bytes `[from, to)`, when the caller has them. */
  open(id: string, at: number, idBytes: DataView | null = null, from = 0, to = 0): number {
    let s = this.freeSlots.shift();
    if (s === NONE) {
      s = this.slotTop++;
      if (s >= this.lastAt.length) this.resizeSlots(this.lastAt.length * 2);
    }
    if (++this.pendingCount * 2 > this.table.length) this.rehash(this.table.length * 2);
    const h = this.putKey(s, id, idBytes, from, to);
    this.insert(s, h);
    this.prevArrived[s] = this.lastArrived;
    this.nextArrived[s] = NONE;
    if (this.lastArrived === NONE) this.firstArrived = s;
    else this.nextArrived[this.lastArrived] = s;
    this.lastArrived = s;
    this.ids[s] = id;
    this.lastAt[s] = at;
    this.dirty[s] = 1;
    this.first[s] = this.last[s] = NONE;
    this.count[s] = 0;
    return s;
  }

  /** Appends a line to a request; returns its record. */
  addLine(s: number, handle: number, bytes: number, startMs: number, source: AccessLogSource, cluster: UpstreamCluster | null): number {
    let r = this.freeLines.shift();
    if (r === NONE) {
      r = this.lineTop++;
      if (r >= this.lineCapacity) this.resizeLines(this.lineCapacity * 2);
    }
    const at = r * LINE_SLOTS;
    this.records[at + L_HANDLE] = handle;
    this.records[at + L_BYTES] = bytes;
    this.records[at + L_NEXT] = NONE;
    this.records[at + L_MARKS] = 0;
    this.starts[r * START_STRIDE + L_START] = startMs;
    this.sources[r] = source;
    this.clusters[r] = cluster;
    if (this.last[s] === NONE) this.first[s] = r;
    else this.records[this.last[s]! * LINE_SLOTS + L_NEXT] = r;
    this.last[s] = r;
    const k = this.count[s]!++;
    if (k < SLOT_LINES) this.slotLines[s * SLOT_LINES + k] = r;
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

  /** Writes the request's line records into `out`, in arrival order; returns how many. */
  linesOf(s: number, out: number[]): number {
    const n = this.count[s]!;
    const inline = Math.min(n, SLOT_LINES);
    for (let k = 0; k < inline; k++) out[k] = this.slotLines[s * SLOT_LINES + k]!;
    if (n > SLOT_LINES) for (let k = SLOT_LINES, r = out[k - 1]!; k < n; k++) out[k] = r = this.nextLine(r);
    return n;
  }

  /** The request's first line record, then `nextLine()` until NONE (-1). */
  firstLine(s: number): number {
    return this.first[s]!;
  }

  nextLine(r: number): number {
    return this.records[r * LINE_SLOTS + L_NEXT]!;
  }

  lineHandle(r: number): number {
    return this.records[r * LINE_SLOTS + L_HANDLE]!;
  }

  lineBytes(r: number): number {
    return this.records[r * LINE_SLOTS + L_BYTES]!;
  }

  lineStartMs(r: number): number {
    return this.starts[r * START_STRIDE + L_START]!;
  }

  lineSource(r: number): AccessLogSource {
    return this.sources[r]!;
  }

  lineCluster(r: number): UpstreamCluster | null {
    return this.clusters[r]!;
  }

  /** The line records; record r's hop-field offsets start at `r * LINE_SLOTS` (valid until the next addLine). */
  get offsets(): Int32Array {
    return this.records;
  }

  /** The correlator's marks on a line (0 when added). */
  lineMarks(r: number): number {
    return this.records[r * LINE_SLOTS + L_MARKS]!;
  }

  setLineMarks(r: number, marks: number): void {
    this.records[r * LINE_SLOTS + L_MARKS] = marks;
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
      const n = this.records[r * LINE_SLOTS + L_NEXT]!;
      this.sources[r] = undefined;
      this.clusters[r] = null;
      this.freeLines.push(r);
      r = n;
    }
    this.freeSlots.push(s);
  }

  clear(): void {
    this.table.fill(0);
    this.pendingCount = 0;
    this.firstArrived = this.lastArrived = NONE;
    this.ids.length = this.sources.length = this.clusters.length = 0;
    this.freeSlots.clear();
    this.freeLines.clear();
    this.slotTop = this.lineTop = 0;
  }

  /** When nothing is pending, gives back what a flood made the arrays grow to. */
  trim(): void {
    if (this.pendingCount > 0) return;
    this.clear();
    if (this.table.length > SLOTS * 2) this.table = new Int32Array(SLOTS * 2);
    if (this.lastAt.length > SLOTS) this.resizeSlots(SLOTS);
    if (this.lineCapacity > LINES) this.resizeLines(LINES);
  }

  /** Writes slot s's key; returns its hash. */
  private putKey(s: number, id: string, idBytes: DataView | null, from: number, to: number): number {
    const k = s * KEY_INTS;
    let v = idBytes;
    if (v === null) {
      v = utf8View(id);
      from = 0;
      to = v.byteLength;
    }
    const n = to - from;
    const h = hashBytes(v, from, to);
    this.keys[k] = h;
    this.keys[k + 1] = n <= ID_BYTES ? n : -1;
    if (n <= ID_BYTES) {
      const kv = this.keyView;
      const at = (k + 2) * 4;
      let i = 0;
      for (; i + 4 <= n; i += 4) kv.setInt32(at + i, v.getInt32(from + i, true), true);
      for (; i < n; i++) kv.setUint8(at + i, v.getUint8(from + i));
    }
    return h;
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
    let i = this.keys[s * KEY_INTS]! & mask;
    while (t[i] !== s + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const home = this.keys[(t[j]! - 1) * KEY_INTS]! & mask;
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
    for (let s = this.firstArrived; s !== NONE; s = this.nextArrived[s]!) this.insert(s, this.keys[s * KEY_INTS]!);
  }

  private resizeSlots(n: number): void {
    this.keys = resized(this.keys, n * KEY_INTS);
    this.keyView = new DataView(this.keys.buffer);
    this.prevArrived = resized(this.prevArrived, n);
    this.nextArrived = resized(this.nextArrived, n);
    this.lastAt = resized(this.lastAt, n);
    this.dirty = resized(this.dirty, n);
    this.first = resized(this.first, n);
    this.last = resized(this.last, n);
    this.count = resized(this.count, n);
    this.slotLines = resized(this.slotLines, n * SLOT_LINES);
  }

  private resizeLines(n: number): void {
    this.records = pageAligned(n * LINE_SLOTS, this.records);
    this.starts = new Float64Array(this.records.buffer);
    this.lineCapacity = n;
  }
}
