import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFLATE_MIN_BYTES, decodeTerminalFrame, encodeTerminalFrame } from '../../main/core/api/terminal-frame.ts';

const deflate = (b: Uint8Array) => deflateRawSync(b, { level: 1 });
const text = (f: { data: Uint8Array }) => new TextDecoder().decode(f.data);

describe('terminal frames (web mode terminal output)', () => {
  it('round-trips text with escapes, Korean and astral characters; chars is the text length the core counted', async () => {
    const s = '\x1b[32m200\x1b[0m 서비스 메시 🚀 "quoted" \\ back\r\n';
    const frame = await decodeTerminalFrame(encodeTerminalFrame('s-1', s, deflate));
    expect(frame.id).toBe('s-1');
    expect(frame.chars).toBe(s.length);
    expect(text(frame)).toBe(s);
    // Bytes, not UTF-16 units: the payload is longer than the text here.
    expect(frame.data.length).toBeGreaterThan(s.length);
  });

  it('deflates big batches (what a flood sends) and leaves small ones plain', async () => {
    const line = '[2026-11-25T07:00:01.234Z] "GET /reviews/0 HTTP/1.1" \x1b[32m200\x1b[0m - via_upstream - "-" 0 295 5 4\r\n';
    const big = line.repeat(Math.ceil((DEFLATE_MIN_BYTES * 4) / line.length));
    const small = encodeTerminalFrame('s-2', 'echo\r\n', deflate);
    const flood = encodeTerminalFrame('s-2', big, deflate);
    expect(small[0]).toBe(0);
    expect(flood[0]).toBe(1);
    expect(flood.length).toBeLessThan(big.length / 4);
    const decoded = await decodeTerminalFrame(flood);
    expect(text(decoded)).toBe(big);
    expect(decoded.chars).toBe(big.length);
    // Without a compressor (another transport, a test) frames stay plain.
    expect(encodeTerminalFrame('s-2', big)[0]).toBe(0);
  });

  it('decodes from an ArrayBuffer and from a view into a larger buffer', async () => {
    const encoded = encodeTerminalFrame('s-3', 'hello');
    const padded = new Uint8Array(encoded.length + 8);
    padded.set(encoded, 8);
    expect(text(await decodeTerminalFrame(padded.subarray(8)))).toBe('hello');
    expect((await decodeTerminalFrame(encoded.slice().buffer)).chars).toBe(5);
  });

  it('rejects frames that are cut short, of an unknown encoding, without an id, or with a corrupt deflated body', async () => {
    const encoded = encodeTerminalFrame('s-4', 'x');
    await expect(decodeTerminalFrame(encoded.subarray(0, 3))).rejects.toThrow(/too short/);
    await expect(decodeTerminalFrame(encoded.subarray(0, 10))).rejects.toThrow(/overruns/);
    await expect(decodeTerminalFrame(Uint8Array.of(7, 0, 0, 0, 0))).rejects.toThrow(/unknown encoding/);
    const bad = new TextEncoder().encode('{"chars":1}');
    const frame = new Uint8Array(5 + bad.length);
    new DataView(frame.buffer).setUint32(1, bad.length, true);
    frame.set(bad, 5);
    await expect(decodeTerminalFrame(frame)).rejects.toThrow(/lacks id/);
    const flood = encodeTerminalFrame('s-4', 'x'.repeat(DEFLATE_MIN_BYTES * 2), deflate);
    await expect(decodeTerminalFrame(flood.subarray(0, flood.length >> 1))).rejects.toThrow();
    const garbled = flood.slice();
    garbled.fill(0xff, 1, 9);
    await expect(decodeTerminalFrame(garbled)).rejects.toThrow();
  });
});
