// Short keys (a request id, an upstream cluster) hashed and compared straight from a line's bytes,
// so that finding what a line names costs no string. MurmurHash3 (32 bits) over little-endian
// 32-bit words, read four bytes at a time through a DataView: hashing a 50-byte cluster name and
// comparing it took ~135 ns a byte at a time (FNV-1a, charCodeAt()), ~36 ns in words, and every
// line looks up two such keys. A string hashes as its UTF-8 bytes do.

const SEED = 0x9747b28c | 0;
const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;

function mixWord(h: number, w: number): number {
  let k = Math.imul(w, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixTail(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return h ^ Math.imul(k, C2);
}

function finish(h: number, n: number): number {
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The hash of the bytes `v[from..to)`. */
export function hashBytes(v: DataView, from: number, to: number): number {
  let h = SEED;
  let i = from;
  for (; i + 4 <= to; i += 4) h = mixWord(h, v.getInt32(i, true));
  if (i < to) {
    let k = 0;
    for (let s = 0; i < to; i++, s += 8) k |= v.getUint8(i) << s;
    h = mixTail(h, k);
  }
  return finish(h, to - from);
}

const encoder = new TextEncoder();

/** A string's UTF-8 bytes as a DataView. */
export function utf8View(s: string): DataView {
  const b = encoder.encode(s);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The hash of a string: hashBytes() of its UTF-8 bytes, read from its characters when it is ASCII. */
export function hashString(s: string): number {
  let h = SEED;
  let i = 0;
  const n = s.length;
  for (; i + 4 <= n; i += 4) {
    const w = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    // A code unit above 127 sets a bit in the top of its byte or beyond it.
    if ((s.charCodeAt(i) | s.charCodeAt(i + 1) | s.charCodeAt(i + 2) | s.charCodeAt(i + 3)) > 127) return hashUtf8(s);
    h = mixWord(h, w);
  }
  if (i < n) {
    let k = 0;
    for (let sh = 0; i < n; i++, sh += 8) {
      const c = s.charCodeAt(i);
      if (c > 127) return hashUtf8(s);
      k |= c << sh;
    }
    h = mixTail(h, k);
  }
  return finish(h, n);
}

function hashUtf8(s: string): number {
  const v = utf8View(s);
  return hashBytes(v, 0, v.byteLength);
}

/** Whether `a[aFrom..aFrom+n)` and `b[bFrom..bFrom+n)` hold the same bytes. */
export function sameBytes(a: DataView, aFrom: number, b: DataView, bFrom: number, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(aFrom + i, true) !== b.getInt32(bFrom + i, true)) return false;
  for (; i < n; i++) if (a.getUint8(aFrom + i) !== b.getUint8(bFrom + i)) return false;
  return true;
}

/** Whether the UTF-8 bytes of `s` are `v[from..to)`. */
export function sameUtf8(s: string, v: DataView, from: number, to: number): boolean {
  const n = s.length;
  if (n === to - from) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      if (c !== v.getUint8(from + i)) return false;
    }
    if (i === n) return true;
  } else if (n > to - from) return false; // UTF-8 takes at least a byte per UTF-16 code unit
  const u = utf8View(s);
  return u.byteLength === to - from && sameBytes(u, 0, v, from, to - from);
}
