import { describe, expect, it } from 'vitest';
import { hashBytes, hashString, sameBytes, sameUtf8, utf8View } from '../../main/core/capture/hash.ts';

describe('key hashes', () => {
  it('hash a key alike from its string and from its UTF-8 bytes anywhere in a line, whatever its length', () => {
    const line = new Uint8Array(256);
    const view = new DataView(line.buffer);
    for (const whole of ['outbound|9080|v2|reviews.default.svc.cluster.local-0123456789', 'rëviews-요청-0b5d-9d74-4a2c-8c51-2f6e0e7b3a10-😀']) {
      for (let n = 0; n <= whole.length; n++) {
        const key = whole.slice(0, n);
        const bytes = Buffer.byteLength(key);
        for (const at of [0, 1, 2, 3, 7]) {
          line.fill(0x7e);
          new TextEncoder().encodeInto(key, line.subarray(at));
          expect(hashBytes(view, at, at + bytes), `${n} characters at ${at}`).toBe(hashString(key));
          expect(sameUtf8(key, view, at, at + bytes)).toBe(true);
          expect(sameUtf8(key, view, at, at + bytes + 1)).toBe(false);
          expect(sameBytes(utf8View(key), 0, view, at, bytes)).toBe(true);
        }
      }
    }
    expect(sameUtf8('rëviews', utf8View('rëviewz'), 0, 8)).toBe(false);
    expect(sameUtf8('reviews', utf8View('reviewz'), 0, 7)).toBe(false);
  });

  it('compare bytes in words and the tail alike: a difference anywhere is found', () => {
    const key = 'outbound|9080|v2|reviews.default.svc.cluster.local';
    const a = utf8View(key);
    for (let n = 0; n <= key.length; n++) {
      for (let k = 0; k < n; k++) {
        const b = new Uint8Array(key.length + 3);
        b.set(Buffer.from(key), 3);
        b[3 + k] ^= 1;
        expect(sameBytes(a, 0, new DataView(b.buffer), 3, n), `${n} bytes, byte ${k} differs`).toBe(false);
      }
    }
  });

  it('spread keys that differ in any one byte over the low bits a table indexes by', () => {
    // Request ids and cluster names differ from each other in a few characters, anywhere.
    const keys = [
      ...Array.from({ length: 4096 }, (_, i) => `0b5d${i.toString(16).padStart(4, '0')}-9d74-4a2c-8c51-2f6e0e7b3a10`),
      ...Array.from({ length: 4096 }, (_, i) => `outbound|9080|v${i % 7}|svc${i}.ns${i % 13}.svc.cluster.local`),
    ];
    const buckets = new Uint32Array(1024);
    const seen = new Set<number>();
    for (const k of keys) {
      const h = hashString(k);
      seen.add(h);
      buckets[h & 1023]!++;
    }
    expect(seen.size).toBe(keys.length);
    // 8 keys per bucket on average; a hash that left bytes out of the low bits piles them up.
    expect(Math.max(...buckets)).toBeLessThan(24);
  });
});
