// Access-log lines as text and as the chunks backends deliver (types.ts: AccessLogChunk).
import type { AccessLogChunk, AccessLogLine, AccessLogSource } from './types.ts';

/** Lines of one proxy as one chunk, each ended by `\n`. */
export function chunkOf(source: AccessLogSource, lines: readonly string[], receivedAt: number): AccessLogChunk {
  return { source, bytes: Buffer.from(lines.map((l) => `${l}\n`).join('')), receivedAt };
}

/** A text line as a chunk of its own. */
export function lineChunk(l: AccessLogLine): AccessLogChunk {
  return chunkOf(l.source, [l.line], l.receivedAt);
}

/** A chunk's lines as text (an empty last piece is no line; a `\r` before `\n` is kept, as capture trims it). */
export function linesOf(c: AccessLogChunk): AccessLogLine[] {
  const texts = Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength).toString('utf8').split('\n');
  if (texts.at(-1) === '') texts.pop();
  return texts.map((line) => ({ source: c.source, line, receivedAt: c.receivedAt }));
}
