// Terminal output in web mode travels as binary WebSocket frames rather than JSON text.
//
// Chromium hands a WebSocket's bytes from its network service to the page (or worker) through a
// pipe, a piece at a time, so bytes on the wire cost more than CPU here. Terminal output deflates
// about 8× (escape sequences and repeated text), so big batches go deflated: `npm run bench
// terminal` went from ~6 to ~10 MB/s when the socket was on the page, and with the socket in its
// worker plain frames still reach only 7.5–8.6 MB/s against 11–15 deflated.
// (permessage-deflate cannot do this: the browser inflates before that pipe.) The page hands
// the UTF-8 bytes straight to xterm.js, which decodes UTF-8 itself, so JSON escaping (every ESC
// becomes `\u001b`), JSON.parse and a string decode per batch are gone too.
//
// Layout: one byte of encoding (0 plain, 1 deflate-raw of the rest), then a u32 (little-endian)
// header length, the header as JSON ({id, chars}), and the UTF-8 payload. `chars` is the batch's
// length as the core counts it (UTF-16 units), which is what the view acknowledges for flow control.
// Platform-neutral: the core (Node) encodes with its own zlib; the socket worker
// (renderer/api/socket-worker.ts) decodes with the platform's DecompressionStream, native zlib in
// both Chromium and Node. (fflate's JS inflate ran at ~30 MB/s there until the JIT warmed up, and
// took the worker ~220 ms of CPU per 8 MB flood against ~150 ms now; on two cores the page's
// main thread gets that CPU back: `npm run bench terminal` went from ~13 to ~15 MB/s.)

export interface TerminalFrame {
  id: string;
  data: Uint8Array;
  chars: number;
}

const PLAIN = 0;
const DEFLATED = 1;
/** Smaller frames (a keystroke's echo) are not worth deflating. */
export const DEFLATE_MIN_BYTES = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeTerminalFrame(id: string, data: string, deflateRaw?: (bytes: Uint8Array) => Uint8Array): Uint8Array {
  const header = encoder.encode(JSON.stringify({ id, chars: data.length }));
  const payload = encoder.encode(data);
  const frame = new Uint8Array(1 + 4 + header.length + payload.length);
  frame[0] = PLAIN;
  new DataView(frame.buffer).setUint32(1, header.length, true);
  frame.set(header, 5);
  frame.set(payload, 5 + header.length);
  if (!deflateRaw || frame.length < DEFLATE_MIN_BYTES) return frame;
  const body = deflateRaw(frame.subarray(1));
  const deflated = new Uint8Array(1 + body.length);
  deflated[0] = DEFLATED;
  deflated.set(body, 1);
  return deflated;
}

export async function decodeTerminalFrame(frame: ArrayBuffer | Uint8Array): Promise<TerminalFrame> {
  const raw = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (raw.length < 1 || (raw[0] !== PLAIN && raw[0] !== DEFLATED)) throw new Error('not a terminal frame (unknown encoding)');
  const bytes = raw[0] === DEFLATED ? await inflateRaw(raw.subarray(1)) : raw.subarray(1);
  if (bytes.length < 4) throw new Error('terminal frame too short');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + headerLength > bytes.length) throw new Error('terminal frame header overruns the frame');
  const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength))) as { id?: unknown; chars?: unknown };
  if (typeof header.id !== 'string' || typeof header.chars !== 'number') throw new Error('terminal frame header lacks id or chars');
  return { id: header.id, chars: header.chars, data: bytes.subarray(4 + headerLength) };
}

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // A corrupt body fails both sides of the stream; the reader below reports it. (The cast: the DOM
  // lib types exclude views of a SharedArrayBuffer, which frames never are.)
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    chunks.push(r.value);
    size += r.value.length;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
