import { describe, expect, it } from 'vitest';
import { decodeTerminalFrame, encodeTerminalFrame } from '../../main/core/api/terminal-frame.ts';

describe('terminal frames (web mode terminal output)', () => {
  it('round-trips text with escapes, Korean and astral characters; chars is the text length the core counted', () => {
    const text = '\x1b[32m200\x1b[0m 서비스 메시 🚀 "quoted" \\ back\r\n';
    const frame = decodeTerminalFrame(encodeTerminalFrame('s-1', text));
    expect(frame.id).toBe('s-1');
    expect(frame.chars).toBe(text.length);
    expect(new TextDecoder().decode(frame.data)).toBe(text);
    // Bytes, not UTF-16 units: the payload is longer than the text here.
    expect(frame.data.length).toBeGreaterThan(text.length);
  });

  it('decodes from an ArrayBuffer and from a view into a larger buffer', () => {
    const encoded = encodeTerminalFrame('s-2', 'hello');
    const padded = new Uint8Array(encoded.length + 8);
    padded.set(encoded, 8);
    expect(new TextDecoder().decode(decodeTerminalFrame(padded.subarray(8)).data)).toBe('hello');
    expect(decodeTerminalFrame(encoded.slice().buffer).chars).toBe(5);
  });

  it('rejects frames that are cut short or carry no id', () => {
    const encoded = encodeTerminalFrame('s-3', 'x');
    expect(() => decodeTerminalFrame(encoded.subarray(0, 3))).toThrow(/too short/);
    expect(() => decodeTerminalFrame(encoded.subarray(0, 10))).toThrow(/overruns/);
    const bad = new TextEncoder().encode('{"chars":1}');
    const frame = new Uint8Array(4 + bad.length);
    new DataView(frame.buffer).setUint32(0, bad.length, true);
    frame.set(bad, 4);
    expect(() => decodeTerminalFrame(frame)).toThrow(/lacks id/);
  });
});
