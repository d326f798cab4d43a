// Byte areas the access-log tokenizer (tokenize.wat, WebAssembly with SIMD) runs over in place:
// an area is a WebAssembly memory with its own instance of the tokenizer. The line store keeps
// its pages in one, so a pending line is split into fields where it was written, without a copy;
// the parser's scratch for lines given as strings is another. An area has a fixed size: growing
// a WebAssembly memory detaches its old buffer, and the first detach anywhere in the process
// makes V8's optimized code check every typed-array access for it from then on. The memory is
// reserved, not used: the system provides a page when it is first written. An area goes with the
// last reference to it.
import { tokenizeWasm } from './tokenize-wasm.ts';

/** Kinds of field (TokenArea.kinds). */
export const WORD = 0;
export const QUOTED = 1;
export const BRACKETED = 2;

/** What tokenize() returns instead of a count for a line it cannot split. */
export const TOO_MANY_FIELDS = -1;
export const UNTERMINATED_QUOTE = -2;
export const UNTERMINATED_BRACKET = -3;

/** Fields a line may have. */
export const MAX_FIELDS = 32;

/**
 * After tokenize(), TokenArea.current: whether the line is Istio's 1.9+ TEXT layout with every
 * field the parser checks passing (1, else 0), and then the values the checks read.
 */
export const CURRENT_OK = 0;
/** RESPONSE_CODE, then BYTES_RECEIVED, BYTES_SENT, DURATION, UPSTREAM_SERVICE_TIME: -1 for `-`. */
export const CURRENT_CODE = 1;
export const CURRENT_DURATION = 4;
/** The request field's first and last space, from the line's first byte. */
export const CURRENT_METHOD_END = 6;
export const CURRENT_PATH_END = 7;
/** START_TIME's seconds and milliseconds as milliseconds into its minute, -1 when not of the usual form. */
export const CURRENT_START_IN_MINUTE = 8;
/**
 * UPSTREAM_LOCAL_ADDRESS, then DOWNSTREAM_REMOTE_ADDRESS: ADDRESS_INTS numbers each, the address a
 * character per four bits when it has up to 24 digits, dots and colons, else 0: packed addresses
 * are equal text exactly when their numbers are equal.
 */
export const CURRENT_UPSTREAM_LOCAL = 9;
export const CURRENT_DOWNSTREAM_REMOTE = 12;
export const ADDRESS_INTS = 3;

const WASM_PAGE = 64 * 1024;
/** Where lines may be written: the first 64 KiB hold the tokenizer's output. */
export const AREA_START = WASM_PAGE;

let compiled: WebAssembly.Module | undefined;

/**
 * A Buffer's UTF-8 decode as its toString('utf8') ends in, after normalizing its arguments (which
 * cost more than decoding a short field). Undocumented, and stable since Node 0.x.
 */
export interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
}

export class TokenArea {
  /** The whole memory: lines at `[AREA_START, AREA_START + capacity)`. */
  readonly bytes: Uint8Array;
  /** The same bytes as a Buffer, for its UTF-8 reads and memchr. */
  readonly buffer: Utf8Buffer;
  /** The same bytes as a DataView, for reading four at a time (hash.ts). */
  readonly view: DataView;
  /** The lines' part of the memory: `bytes` from AREA_START. */
  readonly lines: Uint8Array;
  /** Bytes of lines the area holds. */
  readonly capacity: number;
  /** After tokenize(): each field's start and end, from the line's first byte (quotes and brackets excluded), and kind. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly kinds: Uint8Array;
  /** After tokenize(): the fast path's verdict on the line and its values (CURRENT_*). */
  readonly current: Int32Array;
  private readonly errorAt: Int32Array;
  private readonly split: (start: number, length: number) => number;

  /** An area with room for `capacity` bytes of lines (rounded up to 64 KiB). */
  constructor(capacity: number) {
    compiled ??= new WebAssembly.Module(Buffer.from(tokenizeWasm, 'base64'));
    this.capacity = Math.ceil(capacity / WASM_PAGE) * WASM_PAGE;
    // The output, the lines, and 64 KiB after them for a vector read past a line's end.
    const pages = 2 + this.capacity / WASM_PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.split = new WebAssembly.Instance(compiled, { env: { memory } }).exports.tokenize as (start: number, length: number) => number;
    const raw = memory.buffer;
    this.bytes = new Uint8Array(raw);
    this.buffer = Buffer.from(raw) as Utf8Buffer;
    this.view = new DataView(raw);
    this.lines = new Uint8Array(raw, AREA_START, this.capacity);
    this.starts = new Int32Array(raw, 0, MAX_FIELDS);
    this.ends = new Int32Array(raw, 128, MAX_FIELDS);
    this.kinds = new Uint8Array(raw, 256, MAX_FIELDS);
    this.errorAt = new Int32Array(raw, 288, 1);
    this.current = new Int32Array(raw, 292, 15);
  }

  /**
   * Splits the line at `bytes[start, start+length)` into fields (`[…]` first, `"…"`, words without
   * blanks): their count, or TOO_MANY_FIELDS, UNTERMINATED_QUOTE (opened before quoteAt()),
   * UNTERMINATED_BRACKET.
   */
  tokenize(start: number, length: number): number {
    return this.split(start, length);
  }

  /** After UNTERMINATED_QUOTE: the offset of the byte after the quote that does not close. */
  quoteAt(): number {
    return this.errorAt[0]!;
  }
}
