// Short keys (a request id, an upstream cluster) hashed and compared straight from a line's bytes,
// so that finding what a line names costs no string. MurmurHash3 (32 bits) over little-endian
// 32-bit words, read four bytes at a time through a DataView: hashing a 50-byte cluster name and
// comparing it took ~135 ns a byte at a time (FNV-1a, charCodeAt()), ~36 ns in words, and every
// line looks up two such keys. Over ASCII, the bytes and the string hash alike.

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

/** The hash of a string: hashBytes() of its bytes when it is ASCII (other strings hash consistently among themselves). */
export function hashString(s: string): number {
  let h = SEED;
  let i = 0;
  const n = s.length;
  for (; i + 4 <= n; i += 4) h = mixWord(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24));
  if (i < n) {
    let k = 0;
    for (let sh = 0; i < n; i++, sh += 8) k |= s.charCodeAt(i) << sh;
    h = mixTail(h, k);
  }
  return finish(h, n);
}

/** Whether `a[aFrom..aFrom+n)` and `b[bFrom..bFrom+n)` hold the same bytes. */
export function sameBytes(a: DataView, aFrom: number, b: DataView, bFrom: number, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(aFrom + i, true) !== b.getInt32(bFrom + i, true)) return false;
  for (; i < n; i++) if (a.getUint8(aFrom + i) !== b.getUint8(bFrom + i)) return false;
  return true;
}

/** Whether the ASCII string `s` is the bytes `b[from..to)`. */
export function sameAscii(s: string, b: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}

/** An ASCII string's bytes (its character codes), for sameBytes(); null for any other string. */
export function asciiBytes(s: string): DataView | null {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return null;
    b[i] = c;
  }
  return new DataView(b.buffer);
}
