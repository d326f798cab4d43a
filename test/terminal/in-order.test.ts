// The socket worker's ordering: terminal frames inflate asynchronously, yet replies and events
// that arrive after them must reach the page after them, and a corrupt frame must not stall the rest.
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeTerminalFrame, encodeTerminalFrame, DEFLATE_MIN_BYTES } from '../../main/core/api/terminal-frame.ts';
import { inOrder } from '../../renderer/api/in-order.ts';

const deflate = (b: Uint8Array) => deflateRawSync(b, { level: 1 });

describe('reports in socket order', () => {
  it('delivers a text reply after the big deflated frame that arrived before it', async () => {
    const got: string[] = [];
    const dropped: unknown[] = [];
    const report = inOrder<string>((v) => got.push(v), (e) => dropped.push(e));
    const big = 'x'.repeat(DEFLATE_MIN_BYTES * 64);
    const frame = encodeTerminalFrame('s-1', big, deflate);
    expect(frame[0]).toBe(1); // deflated: decoding takes a while
    report(decodeTerminalFrame(frame).then((f) => `terminal ${f.chars}`));
    report('reply');
    report(Promise.resolve('exit'));
    await expect.poll(() => got.length).toBe(3);
    expect(got).toEqual([`terminal ${big.length}`, 'reply', 'exit']);
    expect(dropped).toEqual([]);
  });

  it('drops a corrupt frame with its reason and goes on with what follows', async () => {
    const got: string[] = [];
    const dropped: string[] = [];
    const report = inOrder<string>((v) => got.push(v), (e) => dropped.push((e as Error).message));
    const frame = encodeTerminalFrame('s-2', 'y'.repeat(DEFLATE_MIN_BYTES * 2), deflate);
    const corrupt = frame.slice();
    corrupt.fill(0xff, 1, 9);
    report('before');
    report(decodeTerminalFrame(corrupt).then(() => 'corrupt frame'));
    report(decodeTerminalFrame(Uint8Array.of(7, 0, 0, 0, 0)).then(() => 'unknown encoding'));
    report('after');
    await expect.poll(() => got.length + dropped.length).toBe(4);
    expect(got).toEqual(['before', 'after']);
    expect(dropped).toHaveLength(2);
    expect(dropped[1]).toMatch(/unknown encoding/);
  });
});
