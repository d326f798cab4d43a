// FNV-1a, 32 bits: a short key (a request id, an upstream cluster) hashed straight from a line's
// bytes, so that finding what it names costs no string. Over ASCII, the bytes and the string agree.

const OFFSET = 0x811c9dc5 | 0;
const PRIME = 16777619;

export function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, PRIME);
  return h;
}

export function hashString(s: string): number {
  let h = OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME);
  return h;
}

/** Whether the ASCII string `s` is the bytes `b[from..to)`. */
export function sameAscii(s: string, b: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}
