// The WebAssembly tokenizer (tokenize.wat) against a plain reading of its rules, on random lines
// placed anywhere in an area, up to its last byte: vector reads past a line's end must not change
// what is found. And the committed module is the source compiled.
import { describe, expect, it } from 'vitest';
import { AREA_START, MAX_FIELDS, TOO_MANY_FIELDS, TokenArea, UNTERMINATED_BRACKET, UNTERMINATED_QUOTE } from '../../main/core/capture/tokenizer.ts';
// @ts-expect-error a plain .mjs script without types
import { tokenizerModuleText } from '../../scripts/build-tokenizer.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';

type Split = { fields: [number, number, number][] } | { error: number; at?: number };

const blank = (c: number | undefined) => c === 32 || c === 9;

/**
 * The rules, one byte at a time: `[…]` only first, `"…"` closed by a quote before a blank or the
 * end, words up to a blank; a field that is `-` or empty is at -1.
 */
function reference(b: Uint8Array): Split {
  const fields: [number, number, number][] = [];
  let i = 0;
  while (i < b.length) {
    if (blank(b[i])) {
      i++;
      continue;
    }
    if (fields.length === MAX_FIELDS) return { error: TOO_MANY_FIELDS };
    if (b[i] === 34) {
      let j = i + 1;
      while (j < b.length && !(b[j] === 34 && (j + 1 === b.length || blank(b[j + 1])))) j++;
      if (j === b.length) return { error: UNTERMINATED_QUOTE, at: i + 1 };
      fields.push([i + 1, j, 1]);
      i = j + 1;
    } else if (b[i] === 91 && fields.length === 0) {
      const j = b.indexOf(93, i + 1);
      if (j === -1) return { error: UNTERMINATED_BRACKET };
      fields.push([i + 1, j, 2]);
      i = j + 1;
    } else {
      let j = i + 1;
      while (j < b.length && !blank(b[j])) j++;
      fields.push([i, j, 0]);
      i = j;
    }
  }
  const noValue = (s: number, e: number) => e === s || (e === s + 1 && b[s] === 45);
  return { fields: fields.map(([s, e, kind]) => (noValue(s, e) ? [-1, -1, kind] : [s, e, kind])) };
}

function split(area: TokenArea, at: number, line: Uint8Array): Split {
  area.bytes.set(line, at);
  const n = area.tokenize(at, line.length);
  if (n === UNTERMINATED_QUOTE) return { error: n, at: area.quoteAt() };
  if (n < 0) return { error: n };
  return { fields: Array.from({ length: n }, (_, k) => [area.starts[k]!, area.ends[k]!, area.kinds[k]!] as [number, number, number]) };
}

/** A small deterministic generator (xorshift32). */
function rng(seed: number) {
  let x = seed;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe('access-log tokenizer (WebAssembly)', () => {
  const area = new TokenArea(64 * 1024);

  it('splits random lines as the rules read, wherever they sit, up to the area end', () => {
    const next = rng(0x5eed);
    const alphabet = [97, 98, 45, 32, 32, 9, 34, 34, 91, 93, 0xc3, 0xa9];
    let fields = 0;
    let errors = 0;
    for (let k = 0; k < 20_000; k++) {
      const line = Uint8Array.from({ length: next(70) }, () => alphabet[next(alphabet.length)]!);
      // Anywhere: any alignment, and ending at the very last byte of the area.
      const at = k % 5 === 0 ? AREA_START + area.capacity - line.length : AREA_START + next(4096);
      // Bytes after the line that a vector read sees: quotes, brackets and blanks must not count.
      area.bytes.fill([34, 93, 32][k % 3]!, at + line.length, Math.min(at + line.length + 32, AREA_START + area.capacity));
      const want = reference(line);
      expect(split(area, at, line), Buffer.from(line).toString('latin1')).toEqual(want);
      if ('fields' in want) fields += want.fields.length;
      else errors++;
    }
    // The random lines cover both outcomes.
    expect(fields).toBeGreaterThan(50_000);
    expect(errors).toBeGreaterThan(1_000);
  });

  it('finds quotes and blanks on either side of a 16-byte boundary, and counts to 32 fields', () => {
    for (let pad = 0; pad < 40; pad++) {
      const line = Buffer.from(`${'x'.repeat(pad)} "a" b"c" "d"e" [f] "g - "-" "" -- "--"`);
      expect(split(area, AREA_START + 3, line)).toEqual(reference(line));
    }
    const many = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `f${i}`).join(' '));
    expect(split(area, AREA_START, many(32))).toMatchObject({ fields: { length: 32 } });
    expect(split(area, AREA_START, many(33))).toEqual({ error: TOO_MANY_FIELDS });
    // No value: `-` or empty, in any kind of field; `--` is a value.
    expect(split(area, AREA_START, Buffer.from('[-] - "-" "" -- "--"'))).toEqual({ fields: [[-1, -1, 2], [-1, -1, 0], [-1, -1, 1], [-1, -1, 1], [13, 15, 0], [17, 19, 1]] });
  });

  it('is tokenize.wat compiled (npm run build:tokenizer)', async () => {
    const committed = readFileSync(path.join(import.meta.dirname, '../../main/core/capture/tokenize-wasm.ts'), 'utf8');
    expect(await tokenizerModuleText()).toBe(committed);
  });
});
