// Terminal output in web mode travels as binary WebSocket frames rather than JSON text. A flood
// (`kubectl logs -f`, `cat` of a big file) is mostly escape sequences and plain text: as JSON every
// ESC becomes `\u001b`, and the page would pay JSON.parse and a string decode per batch. As bytes,
// the page hands the UTF-8 straight to xterm.js, which decodes UTF-8 itself.
//
// Layout: u32 (little-endian) header length, the header as JSON ({id, chars}), the UTF-8 payload.
// `chars` is the batch's length as the core counts it (UTF-16 units), which is what the view
// acknowledges for flow control. Platform-neutral (TextEncoder/DataView): Node and the page share it.

export interface TerminalFrame {
  id: string;
  data: Uint8Array;
  chars: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeTerminalFrame(id: string, data: string): Uint8Array {
  const header = encoder.encode(JSON.stringify({ id, chars: data.length }));
  const payload = encoder.encode(data);
  const frame = new Uint8Array(4 + header.length + payload.length);
  new DataView(frame.buffer).setUint32(0, header.length, true);
  frame.set(header, 4);
  frame.set(payload, 4 + header.length);
  return frame;
}

export function decodeTerminalFrame(frame: ArrayBuffer | Uint8Array): TerminalFrame {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.length < 4) throw new Error('terminal frame too short');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + headerLength > bytes.length) throw new Error('terminal frame header overruns the frame');
  const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength))) as { id?: unknown; chars?: unknown };
  if (typeof header.id !== 'string' || typeof header.chars !== 'number') throw new Error('terminal frame header lacks id or chars');
  return { id: header.id, chars: header.chars, data: bytes.subarray(4 + headerLength) };
}
