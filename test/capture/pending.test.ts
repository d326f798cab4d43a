import { describe, expect, it } from 'vitest';
import type { AccessLogSource } from '../../main/core/backend/types.ts';
import { NONE, PendingRequests } from '../../main/core/capture/pending.ts';

const source = (pod: string): AccessLogSource => ({ namespace: 'default', pod, workload: pod, kind: 'sidecar' });

function inOrder(p: PendingRequests): number[] {
  const out: number[] = [];
  for (let s = p.oldest(); s !== NONE; s = p.arrivedAfter(s)) out.push(s);
  return out;
}

function linesOf(p: PendingRequests, s: number): [number, number, number, string][] {
  const out: [number, number, number, string][] = [];
  for (let r = p.firstLine(s); r !== -1; r = p.nextLine(r)) out.push([p.lineHandle(r), p.lineBytes(r), p.lineStartMs(r), p.lineSource(r).pod]);
  return out;
}

describe('pending requests in typed arrays', () => {
  it('reuses line records and slots in the order they were freed (consecutive records for a burst of requests that complete in order)', () => {
    const p = new PendingRequests();
    const src = source('a');
    const records = (id: string) => {
      const s = p.open(id, 0);
      return [0, 1, 2].map((k) => p.addLine(s, k, 10, 0, src, null));
    };
    const a = records('a');
    const b = records('b');
    const sa = p.slotOf('a');
    const sb = p.slotOf('b');
    p.close(sa);
    p.close(sb);
    expect([...records('c'), ...records('d')]).toEqual([...a, ...b]);
    expect([p.slotOf('c'), p.slotOf('d')]).toEqual([sa, sb]);
  });

  it('keeps each request its lines, in arrival order, past the first capacity and after slots and records are reused', () => {
    const p = new PendingRequests();
    const pods = [source('a'), source('b')];
    const open = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const s = p.open(`r${i}`, i);
        for (let k = 0; k < 5; k++) p.addLine(s, i * 10 + k, 100 + k, i * 10 + k + 0.5, pods[k % 2]!, null);
      }
    };
    open(0, 300); // 300 slots and 1,500 line records: beyond what is allocated at first
    for (let i = 0; i < 300; i += 2) p.close(p.slotOf(`r${i}`)!);
    open(300, 450); // reuses the freed slots and records
    expect(p.size).toBe(300);
    expect(inOrder(p).map((s) => p.id(s))).toEqual([...Array.from({ length: 150 }, (_, k) => `r${2 * k + 1}`), ...Array.from({ length: 150 }, (_, k) => `r${300 + k}`)]);
    for (const i of [1, 299, 300, 449]) {
      const s = p.slotOf(`r${i}`)!;
      expect(linesOf(p, s)).toEqual([0, 1, 2, 3, 4].map((k) => [i * 10 + k, 100 + k, i * 10 + k + 0.5, k % 2 ? 'b' : 'a']));
      expect(p.lastAtOf(s)).toBe(i);
    }
    expect(p.oldest()).toBe(p.slotOf('r1'));
  });

  it('lists a request\'s line records by index as its line list has them, past the first few', () => {
    const p = new PendingRequests();
    for (const n of [1, 7, 8, 9, 40]) {
      const s = p.open(`n${n}`, 0);
      for (let k = 0; k < n; k++) p.addLine(s, k, 10, 0, source('a'), null);
      const chain: number[] = [];
      for (let r = p.firstLine(s); r !== NONE; r = p.nextLine(r)) chain.push(r);
      const out: number[] = [];
      expect(p.linesOf(s, out)).toBe(n);
      expect(out).toEqual(chain);
    }
  });

  it('a line marks its request changed once and keeps the latest arrival', () => {
    const p = new PendingRequests();
    const s = p.open('r', 10);
    expect(p.takeDirty(s)).toBe(true);
    expect(p.takeDirty(s)).toBe(false);
    p.touch(s, 5);
    expect(p.takeDirty(s)).toBe(true);
    expect(p.lastAtOf(s)).toBe(10);
    p.touch(s, 20);
    expect(p.lastAtOf(s)).toBe(20);
  });

  it('gives back its grown arrays once nothing is pending, and works on after', () => {
    const p = new PendingRequests();
    for (let i = 0; i < 2_000; i++) p.addLine(p.open(`r${i}`, i), i, 1, i, source('a'), null);
    p.trim(); // requests pending: nothing is given back
    expect(linesOf(p, p.slotOf('r1999')!)).toEqual([[1999, 1, 1999, 'a']]);
    for (const s of inOrder(p)) p.close(s);
    p.trim();
    const s = p.open('again', 1);
    p.addLine(s, 7, 70, 7, source('b'), null);
    expect(linesOf(p, s)).toEqual([[7, 70, 7, 'b']]);
    expect(p.size).toBe(1);
  });

  it('finds requests by id (ASCII or not, short or long), as a string and as bytes, through opening and closing in any order', () => {
    // A model (a Map) against the table: random ids opened and closed in a seeded random order,
    // enough of them that probe sequences run into each other and removals move entries back.
    const p = new PendingRequests();
    const model = new Map<string, number>();
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const ids = Array.from({ length: 3_000 }, (_, i) => (i % 7 === 0 ? `tcp-${i}` : i % 11 === 0 ? `요청-${i}` : i % 13 === 0 ? `${'long-'.repeat(12)}${i}` : `${Math.floor(random() * 1e12).toString(16)}-${i}`));
    // Each id's bytes where its first line was written (odd ones opened from a string alone), and
    // each new line's id at the end. A request keeps a copy of its id: the line's bytes are
    // overwritten once it is opened.
    const pool = new Uint8Array(ids.length * 128 + 128);
    const view = new DataView(pool.buffer);
    const home = (i: number) => i * 128 + (i % 5);
    const line = ids.length * 128;
    for (let step = 0; step < 20_000; step++) {
      const i = Math.floor(random() * ids.length);
      const id = ids[i]!;
      const s = model.get(id);
      expect(p.slotOf(id)).toBe(s ?? NONE);
      pool.fill(0, line);
      const bytes = Buffer.from(id);
      pool.set(bytes, line + (step % 4));
      expect(p.slotOfBytes(view, line + (step % 4), line + (step % 4) + bytes.length)).toBe(s ?? NONE);
      if (s === undefined) {
        pool.set(bytes, home(i));
        model.set(id, i % 2 === 0 ? p.open(id, step, view, home(i), home(i) + bytes.length) : p.open(id, step));
        pool.fill(0x7e, home(i), home(i) + bytes.length);
      }
      else if (random() < 0.6) {
        p.close(s);
        model.delete(id);
      }
    }
    expect(p.size).toBe(model.size);
    expect(inOrder(p).map((s) => p.id(s))).toEqual([...model.keys()]);
    for (const [id, s] of model) expect(p.slotOf(id)).toBe(s);
  });
});
