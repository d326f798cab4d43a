// Seeded randomness so a run with the same seed gives the same responses, durations and log lines.
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** mulberry32: small, fast, good enough for weights and jitter. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability percent/100. */
  percent(p: number): boolean {
    return p >= 100 || (p > 0 && this.next() * 100 < p);
  }
  /** An x-request-id shaped like Envoy's (UUID v4 text). */
  uuid(): string {
    const a = hex8(this.next());
    const b = hex8(this.next());
    const c = hex8(this.next());
    const d = hex8(this.next());
    // Version 4, variant 10xx.
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${HEX[8 + (c.charCodeAt(0) & 3)]}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
  }
}
const HEX = '0123456789abcdef';
/** Two hex digits per byte value: a table beats Number#toString(16) + padStart on the hot path. */
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => HEX[i >>> 4] + HEX[i & 15]);
function hex8(x: number): string {
  const v = (x * 4294967296) >>> 0;
  return BYTE_HEX[v >>> 24] + BYTE_HEX[(v >>> 16) & 255] + BYTE_HEX[(v >>> 8) & 255] + BYTE_HEX[v & 255];
}

/** Stable 32-bit hash of a string (FNV-1a): names → IPs, pod hashes. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
