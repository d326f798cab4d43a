import { describe, expect, it } from 'vitest';
import type { AccessLogLine } from '../../main/core/backend/types.ts';
import { PendingRequests } from '../../main/core/capture/pending.ts';

const source = (pod: string): AccessLogLine['source'] => ({ namespace: 'default', pod, workload: pod, kind: 'sidecar' });

function linesOf(p: PendingRequests, s: number): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (let r = p.firstLine(s); r !== -1; r = p.nextLine(r)) out.push([p.lineHandle(r), p.lineBytes(r), p.lineSource(r).pod]);
  return out;
}

describe('pending requests in typed arrays', () => {
  it('keeps each request its lines, in arrival order, past the first capacity and after slots and records are reused', () => {
    const p = new PendingRequests();
    const pods = [source('a'), source('b')];
    const open = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const s = p.open(`r${i}`, i);
        for (let k = 0; k < 5; k++) p.addLine(s, i * 10 + k, 100 + k, pods[k % 2]!, null);
      }
    };
    open(0, 300); // 300 slots and 1,500 line records: beyond what is allocated at first
    for (let i = 0; i < 300; i += 2) p.close(p.slotOf(`r${i}`)!);
    open(300, 450); // reuses the freed slots and records
    expect(p.size).toBe(300);
    expect([...p.inOrder()].map((s) => p.id(s))).toEqual([...Array.from({ length: 150 }, (_, k) => `r${2 * k + 1}`), ...Array.from({ length: 150 }, (_, k) => `r${300 + k}`)]);
    for (const i of [1, 299, 300, 449]) {
      const s = p.slotOf(`r${i}`)!;
      expect(linesOf(p, s)).toEqual([0, 1, 2, 3, 4].map((k) => [i * 10 + k, 100 + k, k % 2 ? 'b' : 'a']));
      expect(p.lastAtOf(s)).toBe(i);
    }
    expect(p.oldest()).toBe(p.slotOf('r1'));
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
    for (let i = 0; i < 2_000; i++) p.addLine(p.open(`r${i}`, i), i, 1, source('a'), null);
    p.trim(); // requests pending: nothing is given back
    expect(linesOf(p, p.slotOf('r1999')!)).toEqual([[1999, 1, 'a']]);
    for (const s of [...p.inOrder()]) p.close(s);
    p.trim();
    const s = p.open('again', 1);
    p.addLine(s, 7, 70, source('b'), null);
    expect(linesOf(p, s)).toEqual([[7, 70, 'b']]);
    expect(p.size).toBe(1);
  });
});
