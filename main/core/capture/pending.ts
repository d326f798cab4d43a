// The correlator's pending requests, held in typed arrays. At full speed a request waits out the
// settle window and the next flush (hundreds of milliseconds): as an object with an array of its
// lines, each request outlived V8's young generation and was copied into old space. Here a request
// costs a map entry and its id string; its lines are records linked through typed arrays, which
// the collector never scans.
import type { AccessLogLine } from '../backend/types.ts';
import type { UpstreamCluster } from './types.ts';
import { HOP_SLOTS } from './parser.ts';

type LineSource = AccessLogLine['source'];

/** Marks the end of a request's line list, and an empty free list. */
const NONE = -1;
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
  /** Request id → slot, in arrival order (a Map keeps insertion order). */
  private readonly slots = new Map<string, number>();
  private readonly ids: (string | undefined)[] = [];
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
  /** Per line record, where its hop fields are (parser.ts keepHopOffsets). */
  private hopOffsets = new Int32Array(LINES * HOP_SLOTS);
  private readonly sources: (LineSource | undefined)[] = [];
  /** Per line record, its upstream cluster as checked on arrival (shared objects). */
  private readonly clusters: (UpstreamCluster | null)[] = [];
  private freeLines = NONE;
  private lineTop = 0;

  get size(): number {
    return this.slots.size;
  }

  slotOf(id: string): number | undefined {
    return this.slots.get(id);
  }

  /** A new request, last in arrival order. */
  open(id: string, at: number): number {
    let s = this.freeSlots.pop();
    if (s === undefined) {
      s = this.slotTop++;
      if (s >= this.lastAt.length) this.resizeSlots(this.lastAt.length * 2);
    }
    this.slots.set(id, s);
    this.ids[s] = id;
    this.lastAt[s] = at;
    this.dirty[s] = 1;
    this.first[s] = this.last[s] = NONE;
    this.count[s] = 0;
    return s;
  }

  /** Appends a line to a request; returns its record. */
  addLine(s: number, handle: number, bytes: number, source: LineSource, cluster: UpstreamCluster | null): number {
    let r = this.freeLines;
    if (r !== NONE) this.freeLines = this.next[r]!;
    else {
      r = this.lineTop++;
      if (r >= this.handle.length) this.resizeLines(this.handle.length * 2);
    }
    this.handle[r] = handle;
    this.bytes[r] = bytes;
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

  /** Slots in arrival order (removing the current one while iterating is allowed). */
  inOrder(): MapIterator<number> {
    return this.slots.values();
  }

  /** The slot of the oldest request, or undefined when none is pending. */
  oldest(): number | undefined {
    return this.slots.values().next().value;
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

  lineSource(r: number): LineSource {
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
    this.slots.delete(this.ids[s]!);
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
    this.slots.clear();
    this.ids.length = this.sources.length = this.clusters.length = this.freeSlots.length = 0;
    this.slotTop = this.lineTop = 0;
    this.freeLines = NONE;
  }

  /** When nothing is pending, gives back what a flood made the arrays grow to. */
  trim(): void {
    if (this.slots.size > 0) return;
    this.clear();
    if (this.lastAt.length > SLOTS) this.resizeSlots(SLOTS);
    if (this.handle.length > LINES) this.resizeLines(LINES);
  }

  private resizeSlots(n: number): void {
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
    this.hopOffsets = resized(this.hopOffsets, n * HOP_SLOTS);
  }
}
