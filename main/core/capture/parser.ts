// Parser for Envoy access-log lines as Istio prints them: the default TEXT format (1.9 onwards),
// the older layouts (1.5–1.8 with the mixer-status and transport-failure quotes, and pre-1.5), and
// the JSON encoding. Capture runs for hours on every proxy's log, so the text path splits a line
// in one pass over its bytes (tokenize.wat: no regular expressions, no backtracking), each field
// either `[…]`, `"…"` or a space-free word, and reads the fields from their offsets.
import { hashBytes, hashString, sameBytes, utf8View } from './hash.ts';
import {
  ADDRESS_INTS,
  AREA_START,
  CURRENT_CODE,
  CURRENT_DOWNSTREAM_REMOTE,
  CURRENT_DURATION,
  CURRENT_METHOD_END,
  CURRENT_OK,
  CURRENT_PATH_END,
  CURRENT_START_IN_MINUTE,
  CURRENT_UPSTREAM_LOCAL,
  MAX_FIELDS,
  TokenArea,
  TOO_MANY_FIELDS,
  UNTERMINATED_QUOTE,
  type Utf8Buffer,
} from './tokenizer.ts';
import type { AccessLogEntry, UpstreamCluster } from './types.ts';

export type AccessLogFormat = 'text' | 'json' | 'auto';

export class AccessLogParseError extends Error {
  override name = 'AccessLogParseError';
}

const TAB = 9;
const SPACE = 32;
const DASH = 45;

// The line being read, as UTF-8 bytes: `src[base..base+lineLength)`; token offsets are relative to
// `base`. Capture holds pending lines as bytes in token areas (line-store.ts) and reads them in
// place; a string is encoded into a scratch area first. `text` is the same line as a string when
// the caller has one: when it is ASCII a byte offset is also its character offset, and fields are
// sliced from it; otherwise they are decoded from the bytes. The fields' boundaries are in the
// area's arrays after tokenize().
let scratch: TokenArea | undefined;
let area: TokenArea | undefined;
let src: Uint8Array = new Uint8Array(0);
let srcBuffer: Utf8Buffer = Buffer.alloc(0) as Utf8Buffer;
let tokStart: Int32Array = new Int32Array(MAX_FIELDS);
let tokEnd: Int32Array = new Int32Array(MAX_FIELDS);
let tokQuoted: Uint8Array = new Uint8Array(MAX_FIELDS);
let base = 0;
let lineLength = 0;
let text: string | null = null;
/** `text` is the line, a character per byte. */
let sliceText = false;
const encoder = new TextEncoder();

/** Reads `line` into the scratch area. */
function load(line: string): void {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (scratch === undefined || scratch.capacity < line.length * 3) scratch = new TokenArea(Math.max(line.length * 3, 1 << 20));
  const n = encoder.encodeInto(line, scratch.lines).written;
  loadBytes(scratch, AREA_START, n, line);
}

/** Reads a line already held as bytes in a token area; `line` is the same line as a string, if the caller has one. */
function loadBytes(a: TokenArea, start: number, byteLength: number, line: string | null): void {
  loadText(a, start, byteLength, line);
  area = a;
  tokStart = a.starts;
  tokEnd = a.ends;
  tokQuoted = a.kinds;
}

/** Reads a line held as bytes in a token area, for slicing its fields (not for tokenize()). */
function loadText(a: TokenArea, start: number, byteLength: number, line: string | null): void {
  src = a.bytes;
  srcBuffer = a.buffer;
  base = start;
  text = line;
  sliceText = line !== null && line.length === byteLength;
  // Trailing CR/LF/spaces are not part of the line (a stream split on \n keeps the \r).
  let n = byteLength;
  while (n > 0) {
    const c = src[start + n - 1]!;
    if (c !== 13 && c !== 10 && c !== SPACE) break;
    n--;
  }
  lineLength = n;
}

/** Offset of the first byte that is not a space or tab; throws for an empty line. */
function firstByte(): number {
  let i = 0;
  while (i < lineLength && (src[base + i] === SPACE || src[base + i] === TAB)) i++;
  if (i === lineLength) throw new AccessLogParseError('empty line');
  return i;
}

/** The line's text `[s, e)` (offsets relative to base). */
function slice(s: number, e: number): string {
  return sliceText ? text!.slice(s, e) : srcBuffer.utf8Slice(base + s, base + e);
}

/** The whole line as text. */
function lineText(): string {
  return text ?? slice(0, lineLength);
}

/** Splits the loaded line into fields (tokenize.wat); returns the count. */
function tokenize(): number {
  const n = area!.tokenize(base, lineLength);
  if (n >= 0) return n;
  if (n === TOO_MANY_FIELDS) throw new AccessLogParseError(`too many fields (more than ${MAX_FIELDS}); not an Istio access-log line`);
  if (n === UNTERMINATED_QUOTE) throw new AccessLogParseError(`unterminated quoted field starting at column ${area!.quoteAt()}`);
  throw new AccessLogParseError('unterminated [start time] field');
}

/** Whether field k is `-` or empty (the tokenizer puts it at -1). */
function absent(k: number): boolean {
  return tokStart[k]! < 0;
}

function str(k: number): string | null {
  return absent(k) ? null : slice(tokStart[k]!, tokEnd[k]!);
}

function int(k: number, field: string): number | null {
  if (absent(k)) return null;
  const s = tokStart[k]!;
  const e = tokEnd[k]!;
  let v = 0;
  for (let p = s; p < e; p++) {
    const d = src[base + p]! - 48;
    if (d < 0 || d > 9) throw new AccessLogParseError(`${field} is not a number: "${slice(s, e)}"`);
    v = v * 10 + d;
  }
  return v;
}

// Flag lists by their text (`-`, `UO`, `DI,FI`, …): few distinct values, shared by the entries
// and frozen so that no consumer can change them for the others.
const NO_FLAGS: string[] = Object.freeze([]) as unknown as string[];
const flagLists = new Map<string, string[]>();

/** The frozen, shared flag list of a RESPONSE_FLAGS value (`UO`, `DI,FI`; null for `-`). */
export function flagList(value: string | null): string[] {
  if (value === null) return NO_FLAGS;
  let f = flagLists.get(value);
  if (f === undefined) {
    if (flagLists.size >= 1024) flagLists.clear();
    f = Object.freeze(value.indexOf(',') === -1 ? [value] : value.split(',').filter((x) => x.length > 0)) as unknown as string[];
    flagLists.set(value, f);
  }
  return f;
}

// Parsed clusters by name: a mesh has few, and every line names one. Entries share these objects,
// frozen so that no consumer can change them for the others. A direct-mapped cache by hash: a
// line's cluster is found from its bytes, with no string made (nor hashed) unless it is new here.
const CLUSTER_CACHE = 1024;
const clusterCache: (UpstreamCluster | undefined)[] = new Array<UpstreamCluster | undefined>(CLUSTER_CACHE).fill(undefined);
const clusterHashes = new Int32Array(CLUSTER_CACHE);
/** Each cached cluster's name as UTF-8 bytes. */
const clusterBytes: (DataView | null)[] = new Array<DataView | null>(CLUSTER_CACHE).fill(null);

function cacheCluster(h: number, raw: string): UpstreamCluster {
  const c = Object.freeze(parseUpstreamCluster(raw));
  const i = h & (CLUSTER_CACHE - 1);
  clusterCache[i] = c;
  clusterHashes[i] = h;
  clusterBytes[i] = utf8View(raw);
  return c;
}

function cachedCluster(raw: string): UpstreamCluster {
  const h = hashString(raw);
  const i = h & (CLUSTER_CACHE - 1);
  const c = clusterHashes[i] === h ? clusterCache[i] : undefined;
  return c !== undefined && c.raw === raw ? c : cacheCluster(h, raw);
}

/** The cluster of TEXT field k of the loaded line (null for `-`). */
function clusterAt(k: number): UpstreamCluster | null {
  if (absent(k)) return null;
  const from = base + tokStart[k]!;
  const n = tokEnd[k]! - tokStart[k]!;
  const view = area!.view;
  const h = hashBytes(view, from, from + n);
  const i = h & (CLUSTER_CACHE - 1);
  const known = clusterBytes[i];
  if (clusterHashes[i] === h && known !== null && known.byteLength === n && sameBytes(known, 0, view, from, n)) return clusterCache[i]!;
  // A string of its own: a view of the line would keep the line's whole chunk alive.
  return cacheCluster(h, srcBuffer.utf8Slice(from, from + n));
}

/** `outbound|9080|v2|reviews.default.svc.cluster.local`, `inbound|9080||`, `PassthroughCluster`, … */
export function parseUpstreamCluster(raw: string): UpstreamCluster {
  const p1 = raw.indexOf('|');
  if (p1 === -1) return { raw, direction: 'other', port: null, subset: null, host: null };
  const dir = raw.slice(0, p1);
  if (dir !== 'inbound' && dir !== 'outbound') return { raw, direction: 'other', port: null, subset: null, host: null };
  const p2 = raw.indexOf('|', p1 + 1);
  const p3 = p2 === -1 ? -1 : raw.indexOf('|', p2 + 1);
  const portText = raw.slice(p1 + 1, p2 === -1 ? raw.length : p2);
  const port = /^\d+$/.test(portText) ? Number(portText) : null;
  const third = p2 === -1 ? '' : raw.slice(p2 + 1, p3 === -1 ? raw.length : p3);
  const host = p3 === -1 ? '' : raw.slice(p3 + 1);
  // Before 1.10 inbound clusters carried the port *name* in the third slot, not a subset.
  const subset = dir === 'outbound' && third !== '' ? third : null;
  return { raw, direction: dir, port, subset, host: host === '' ? null : host };
}

/** Checks the request field ("METHOD PATH PROTOCOL") and notes the spaces around its path. */
function checkRequest(): void {
  if (absent(1)) throw new AccessLogParseError('request field has no value, not "METHOD PATH PROTOCOL"');
  const s = tokStart[1]!;
  const e = tokEnd[1]!;
  let a = s;
  while (a < e && src[base + a] !== SPACE) a++;
  let b = e - 1;
  while (b > a && src[base + b] !== SPACE) b--;
  if (a >= e || b <= a) throw new AccessLogParseError(`request field "${slice(s, e)}" is not "METHOD PATH PROTOCOL"`);
  methodEnd = a;
  pathEnd = b;
}

function dashNull(v: string): string | null {
  return v === '-' ? null : v;
}

/** Which text layout a tokenized line has; the offsets of the fields that move between releases. */
interface Layout {
  details: number; // RESPONSE_CODE_DETAILS, -1 when absent
  termination: number; // CONNECTION_TERMINATION_DETAILS
  transport: number; // "UPSTREAM_TRANSPORT_FAILURE_REASON"
  bytesReceived: number; // then bytesSent, duration, upstream service time, 5 quoted, 5–6 bare
}

const CURRENT: Layout = { details: 4, termination: 5, transport: 6, bytesReceived: 7 };
const V15: Layout = { details: -1, termination: -1, transport: 5, bytesReceived: 6 };
const V11: Layout = { details: -1, termination: -1, transport: -1, bytesReceived: 4 };

function pickLayout(n: number): Layout {
  if (n < 2 || tokQuoted[0] !== 2) throw new AccessLogParseError('does not start with a [start time] field (expected Istio\'s TEXT access-log format)');
  if (tokQuoted[1] !== 1) throw new AccessLogParseError('second field is not the quoted request "METHOD PATH PROTOCOL"');
  if (n > 6 && tokQuoted[6] === 1 && tokQuoted[4] === 0) return CURRENT;
  if (n > 5 && tokQuoted[4] === 1 && tokQuoted[5] === 1) return V15;
  if (n > 8 && tokQuoted[8] === 1 && tokQuoted[4] === 0) return V11;
  throw new AccessLogParseError(`found ${n} fields that match no known Istio TEXT layout (1.9+: 22 fields with "UPSTREAM_TRANSPORT_FAILURE_REASON" 7th)`);
}

// Where the fields of the line checkText() last passed are: module state like the token arrays,
// so that checking a line allocates nothing.
let layout: Layout = CURRENT;
let headers = 0; // the first of the five quoted header fields
let tail = 0; // the upstream cluster, then addresses, SNI and route
let tailCount = 0;
let methodEnd = 0;
let pathEnd = 0;
// The numbers every read of the line uses, as checking parsed them.
let responseCode = 0;
let durationMs: number | null = null;
/** START_TIME's milliseconds into its minute when the tokenizer read them, else -1. */
let startInMinute = -1;
/** Whether checkText() takes the tokenizer's verdict on a 1.9+ line (off only in tests, to compare with the checks here). */
let fastPath = true;

/** Turns the tokenizer's checks of 1.9+ lines off or on; for tests, which compare both ways. */
export function useTokenizerChecks(on: boolean): void {
  fastPath = on;
}

const NUMBER_FIELDS = ['bytesReceived', 'bytesSent', 'durationMs', 'upstreamServiceTimeMs'] as const;
const DURATION = NUMBER_FIELDS.indexOf('durationMs');

/**
 * Tokenizes the loaded TEXT line and checks every field; throws what is wrong, so that a checked
 * line parses. A 1.9+ line the tokenizer found sound (nearly all of them) is taken as it read it;
 * any other is checked here, with errors that say what is wrong.
 */
function checkText(): void {
  const n = tokenize();
  const c = area!.current;
  if (fastPath && c[CURRENT_OK] === 1) {
    layout = CURRENT;
    headers = CURRENT.bytesReceived + 4;
    tail = headers + 5;
    tailCount = n - tail;
    responseCode = Math.max(c[CURRENT_CODE]!, 0);
    const d = c[CURRENT_DURATION]!;
    durationMs = d < 0 ? null : d;
    methodEnd = c[CURRENT_METHOD_END]!;
    pathEnd = c[CURRENT_PATH_END]!;
    startInMinute = c[CURRENT_START_IN_MINUTE]!;
    return;
  }
  startInMinute = -1;
  const L = pickLayout(n);
  const q = L.bytesReceived + 4;
  const t = q + 5;
  const count = n - t;
  // 1.9+ and 1.5–1.8 end with cluster, 4 addresses/SNI and route name; pre-1.5 may lack the route.
  const minTail = L === V11 ? 5 : 6;
  if (count < minTail || count > 6) throw new AccessLogParseError(`expected ${L === CURRENT ? 22 : minTail + t} fields, found ${n}`);
  for (let k = q; k < t; k++) {
    if (tokQuoted[k] !== 1) throw new AccessLogParseError(`field ${k + 1} should be quoted (x-forwarded-for, user-agent, request id, authority, upstream host)`);
  }
  for (let k = t; k < n; k++) {
    if (tokQuoted[k] !== 0) throw new AccessLogParseError(`field ${k + 1} should not be quoted (upstream cluster, addresses, SNI, route)`);
  }
  const code = int(2, 'responseCode') ?? 0;
  let duration: number | null = null;
  for (let k = 0; k < NUMBER_FIELDS.length; k++) {
    const v = int(L.bytesReceived + k, NUMBER_FIELDS[k]!);
    if (k === DURATION) duration = v;
  }
  checkRequest();
  responseCode = code;
  durationMs = duration;
  layout = L;
  headers = q;
  tail = t;
  tailCount = count;
}

/** The entry of the TEXT line checkText() last passed. */
function textEntry(): AccessLogEntry {
  const L = layout;
  const q = headers;
  return {
    startTime: str(0),
    method: dashNull(slice(tokStart[1]!, methodEnd)),
    path: dashNull(slice(methodEnd + 1, pathEnd)),
    protocol: dashNull(slice(pathEnd + 1, tokEnd[1]!)),
    responseCode,
    responseFlags: flagList(str(3)),
    responseCodeDetails: L.details >= 0 ? str(L.details) : null,
    connectionTerminationDetails: L.termination >= 0 ? str(L.termination) : null,
    upstreamTransportFailureReason: L.transport >= 0 ? str(L.transport) : null,
    bytesReceived: int(L.bytesReceived, 'bytesReceived'),
    bytesSent: int(L.bytesReceived + 1, 'bytesSent'),
    durationMs,
    upstreamServiceTimeMs: int(L.bytesReceived + 3, 'upstreamServiceTimeMs'),
    xForwardedFor: str(q),
    userAgent: str(q + 1),
    requestId: str(q + 2),
    authority: str(q + 3),
    upstreamHost: str(q + 4),
    upstreamCluster: clusterAt(tail),
    upstreamLocalAddress: str(tail + 1),
    downstreamLocalAddress: str(tail + 2),
    downstreamRemoteAddress: str(tail + 3),
    requestedServerName: str(tail + 4),
    routeName: tailCount === 6 ? str(tail + 5) : null,
  };
}

// ---- JSON ----

function jStr(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  if (v === null || v === undefined || v === '-' || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new AccessLogParseError(`"${key}" should be a string, got ${JSON.stringify(v)}`);
}

function jNum(o: Record<string, unknown>, key: string): number | null {
  const v = o[key];
  if (v === null || v === undefined || v === '-' || v === '') return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // upstream_service_time comes from a header and stays a string; tolerate strings everywhere.
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  throw new AccessLogParseError(`"${key}" should be a number, got ${JSON.stringify(v)}`);
}

const JSON_KEYS = ['start_time', 'response_code', 'request_id', 'upstream_cluster', 'downstream_remote_address', 'method', 'authority'];

function parseJson(line: string): AccessLogEntry {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (err) {
    throw new AccessLogParseError(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new AccessLogParseError('JSON line is not an object');
  const rec = o as Record<string, unknown>;
  if (!JSON_KEYS.some((k) => k in rec)) throw new AccessLogParseError(`JSON object has none of the access-log keys (${JSON_KEYS.join(', ')})`);
  const cluster = jStr(rec, 'upstream_cluster');
  return {
    startTime: jStr(rec, 'start_time'),
    method: jStr(rec, 'method'),
    path: jStr(rec, 'path'),
    protocol: jStr(rec, 'protocol'),
    responseCode: jNum(rec, 'response_code') ?? 0,
    responseFlags: flagList(jStr(rec, 'response_flags')),
    responseCodeDetails: jStr(rec, 'response_code_details'),
    connectionTerminationDetails: jStr(rec, 'connection_termination_details'),
    upstreamTransportFailureReason: jStr(rec, 'upstream_transport_failure_reason'),
    bytesReceived: jNum(rec, 'bytes_received'),
    bytesSent: jNum(rec, 'bytes_sent'),
    durationMs: jNum(rec, 'duration'),
    upstreamServiceTimeMs: jNum(rec, 'upstream_service_time'),
    xForwardedFor: jStr(rec, 'x_forwarded_for'),
    userAgent: jStr(rec, 'user_agent'),
    requestId: jStr(rec, 'request_id'),
    authority: jStr(rec, 'authority'),
    upstreamHost: jStr(rec, 'upstream_host'),
    upstreamCluster: cluster === null ? null : parseUpstreamCluster(cluster),
    upstreamLocalAddress: jStr(rec, 'upstream_local_address'),
    downstreamLocalAddress: jStr(rec, 'downstream_local_address'),
    downstreamRemoteAddress: jStr(rec, 'downstream_remote_address'),
    requestedServerName: jStr(rec, 'requested_server_name'),
    routeName: jStr(rec, 'route_name'),
  };
}

/**
 * What correlation needs of a line as it arrives; the rest is parsed when its request is built.
 * Made of numbers and shared objects (no string per line), and one object reused: it describes the
 * line scanAccessLog*() last passed, until the next scan.
 */
export interface AccessLogKey {
  /** The request id of a JSON line; null for TEXT lines, whose id is at requestIdAt. */
  requestId: string | null;
  /**
   * Where the request id's bytes are in a TEXT line, from its first byte; -1 when the line has
   * none (`-`) or is JSON.
   */
  requestIdAt: number;
  requestIdEnd: number;
  /** START_TIME in epoch milliseconds; NaN when absent or not a time. */
  startMs: number;
  durationMs: number | null;
  /** Shared by every line that names it (frozen). */
  upstreamCluster: UpstreamCluster | null;
}

const key: AccessLogKey = { requestId: null, requestIdAt: -1, requestIdEnd: -1, startMs: NaN, durationMs: null, upstreamCluster: null };
/** Whether the line last scanned was JSON, and its DOWNSTREAM_LOCAL_ADDRESS if so. */
let scannedJson = false;
let jsonDownstreamLocal: string | null = null;

/** Checks the loaded line as parsing would (same errors) and returns its key. */
function scanLoaded(): AccessLogKey {
  scannedJson = src[base + firstByte()] === 123 /* { */;
  if (scannedJson) {
    const e = parseJson(lineText());
    jsonDownstreamLocal = e.downstreamLocalAddress;
    key.requestId = e.requestId;
    key.requestIdAt = key.requestIdEnd = -1;
    key.startMs = e.startTime === null ? NaN : Date.parse(e.startTime);
    key.durationMs = e.durationMs;
    key.upstreamCluster = e.upstreamCluster === null ? null : cachedCluster(e.upstreamCluster.raw);
  } else {
    checkText();
    const id = headers + 2;
    key.requestId = null;
    key.requestIdAt = tokStart[id]!;
    key.requestIdEnd = tokEnd[id]!;
    if (absent(0)) key.startMs = NaN;
    else readStartMillis(tokStart[0]!, tokEnd[0]!);
    key.durationMs = durationMs;
    key.upstreamCluster = clusterAt(tail);
  }
  return key;
}

/**
 * DOWNSTREAM_LOCAL_ADDRESS of the line scanAccessLog*() last passed, sliced only when asked for:
 * ask before another line is read (scanned, parsed or built), as for keepHopOffsets().
 */
export function lastDownstreamLocalAddress(): string | null {
  return scannedJson ? jsonDownstreamLocal : str(tail + 2);
}

// Envoy's START_TIME is `2026-11-25T07:00:01.234Z`; consecutive lines share their minute, so the
// minute is parsed once and only seconds and milliseconds per line. Anything else: Date.parse.
const minute = new Int32Array(4);
let minuteMs = NaN;

/** The number bytes `[from, to)` of the loaded line spell, or -1 when one is not a digit. */
function digitsAt(from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = src[base + i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Sets key.startMs from the START_TIME at `[s, e)`. Written into the key rather than returned: a
 * returned double (epoch ms are beyond small integers) was boxed on every line.
 */
function readStartMillis(s: number, e: number): void {
  const o = base + s;
  let inMinute = startInMinute;
  if (inMinute < 0 && e - s === 24 && src[o + 16] === 58 /* : */ && src[o + 19] === 46 /* . */ && src[o + 23] === 90 /* Z */) {
    const sec = digitsAt(s + 17, s + 19);
    const ms = digitsAt(s + 20, s + 23);
    if (sec >= 0 && sec < 61 && ms >= 0) inMinute = sec * 1000 + ms;
  }
  if (inMinute >= 0) {
    // Compared four bytes at a time.
    const v = area!.view;
    const w0 = v.getInt32(o, true);
    const w1 = v.getInt32(o + 4, true);
    const w2 = v.getInt32(o + 8, true);
    const w3 = v.getInt32(o + 12, true);
    if (Number.isNaN(minuteMs) || minute[0] !== w0 || minute[1] !== w1 || minute[2] !== w2 || minute[3] !== w3) {
      minuteMs = Date.parse(`${slice(s, s + 16)}:00.000Z`);
      minute[0] = w0;
      minute[1] = w1;
      minute[2] = w2;
      minute[3] = w3;
    }
    key.startMs = minuteMs + inMinute;
    return;
  }
  key.startMs = Date.parse(slice(s, e));
}

/**
 * Checks a line as parseAccessLog() does (same errors), but returns only its key. A busy capture
 * holds each line until its request settles, as bytes (line-store.ts), and parses it then.
 */
export function scanAccessLog(line: string): AccessLogKey {
  load(line);
  return scanLoaded();
}

/** scanAccessLog() of a line held as UTF-8 bytes `area.bytes[start..start+byteLength)`. */
export function scanAccessLogBytes(area: TokenArea, start: number, byteLength: number): AccessLogKey {
  loadBytes(area, start, byteLength, null);
  return scanLoaded();
}

/** Parses the loaded line. */
function parseLoaded(format: AccessLogFormat): AccessLogEntry {
  const first = firstByte();
  if (format === 'json' || (format === 'auto' && src[base + first] === 123 /* { */)) return parseJson(lineText());
  checkText();
  return textEntry();
}

/** Parses one access-log line. Throws AccessLogParseError naming what is wrong. */
export function parseAccessLog(line: string, format: AccessLogFormat = 'auto'): AccessLogEntry {
  load(line);
  return parseLoaded(format);
}

/** The fields of an access-log line a request hop is built from (correlate.ts). */
export type HopFields = Pick<
  AccessLogEntry,
  'startTime' | 'method' | 'path' | 'responseCode' | 'responseFlags' | 'durationMs' | 'authority' | 'upstreamHost' | 'upstreamCluster' | 'upstreamLocalAddress' | 'downstreamLocalAddress' | 'downstreamRemoteAddress' | 'requestedServerName'
>;

// ---- Hop fields by offset ----
// A busy capture checks each line as it arrives and builds it into a hop hundreds of milliseconds
// later. The check leaves where the hop's fields are (HOP_SLOTS numbers per line, kept by the
// correlator in typed arrays) and the line's cluster (its key), so that building slices the fields
// without tokenizing the line again.

export const HOP_SLOTS = 25;
/** In a line's first slot: a JSON line, parsed again when built (JSON.parse has no offsets to keep). */
const NOT_TEXT = -2;
// Slot pairs [start, end) of each string field (-1 when null), and two plain numbers.
const H_START = 0;
const H_METHOD = 2;
const H_PATH = 4;
const H_CODE = 6;
const H_FLAGS = 7;
const H_DURATION = 9; // -1 when null
const H_AUTHORITY = 10;
const H_UPSTREAM_HOST = 12;
const H_UPSTREAM_LOCAL = 14;
const H_DOWNSTREAM_LOCAL = 16;
const H_DOWNSTREAM_REMOTE = 18;
const H_SNI = 20;
/** The line's end of its connection, packed (ADDRESS_INTS; see CONNECTION_KEY). */
const H_CONNECTION_KEY = 22;

function putRange(out: Int32Array, at: number, s: number, e: number, isNull: boolean): void {
  out[at] = isNull ? -1 : s;
  out[at + 1] = isNull ? -1 : e;
}

/** Field k's range: -1 for both when it has no value, as the tokenizer leaves it. */
function putField(out: Int32Array, at: number, k: number): void {
  out[at] = tokStart[k]!;
  out[at + 1] = tokEnd[k]!;
}

/** `-` alone: null for method and path (dashNull). */
function isDash(s: number, e: number): boolean {
  return e - s === 1 && src[base + s] === DASH;
}

/**
 * Writes where the HopFields of the line scanAccessLog*() last passed are, at
 * `out[at..at+HOP_SLOTS)`; call before another line is read (scanned, parsed or built).
 */
export function keepHopOffsets(out: Int32Array, at: number): void {
  if (scannedJson) {
    out[at] = NOT_TEXT;
    return;
  }
  const s1 = tokStart[1]!;
  putField(out, at + H_START, 0);
  putRange(out, at + H_METHOD, s1, methodEnd, isDash(s1, methodEnd));
  putRange(out, at + H_PATH, methodEnd + 1, pathEnd, isDash(methodEnd + 1, pathEnd));
  out[at + H_CODE] = responseCode;
  putField(out, at + H_FLAGS, 3);
  out[at + H_DURATION] = durationMs ?? -1;
  putField(out, at + H_AUTHORITY, headers + 3);
  putField(out, at + H_UPSTREAM_HOST, headers + 4);
  putField(out, at + H_UPSTREAM_LOCAL, tail + 1);
  putField(out, at + H_DOWNSTREAM_LOCAL, tail + 2);
  putField(out, at + H_DOWNSTREAM_REMOTE, tail + 3);
  putField(out, at + H_SNI, tail + 4);
  putAddressKey(out, at + H_CONNECTION_KEY, key.upstreamCluster?.direction === 'inbound' ? CURRENT_DOWNSTREAM_REMOTE : CURRENT_UPSTREAM_LOCAL);
}

/** An address as the tokenizer packed it, if checkText() took its verdict on the line; else not packed (0). */
function putAddressKey(out: Int32Array, at: number, k: number): void {
  const c = area!.current;
  const packed = fastPath && c[CURRENT_OK] === 1;
  for (let i = 0; i < ADDRESS_INTS; i++) out[at + i] = packed ? c[k + i]! : 0;
}

function getField(t: Int32Array, at: number): string | null {
  const s = t[at]!;
  return s < 0 ? null : slice(s, t[at + 1]!);
}

/**
 * The HopFields of a line held as UTF-8 bytes `area.bytes[start..start+byteLength)`, as
 * parseAccessLog() reads them, from the offsets keepHopOffsets() wrote at `offsets[at..]` when the
 * line was checked and the cluster of its key; `line` is its text.
 */
export function hopFieldsAt(area: TokenArea, start: number, byteLength: number, line: string, offsets: Int32Array, at: number, cluster: UpstreamCluster | null): HopFields {
  loadText(area, start, byteLength, line);
  if (isJsonAt(offsets, at)) return parseJson(line);
  return {
    startTime: getField(offsets, at + H_START),
    method: getField(offsets, at + H_METHOD),
    path: getField(offsets, at + H_PATH),
    responseCode: responseCodeAt(offsets, at),
    responseFlags: flagList(getField(offsets, at + H_FLAGS)),
    durationMs: durationAt(offsets, at),
    authority: getField(offsets, at + H_AUTHORITY),
    upstreamHost: getField(offsets, at + H_UPSTREAM_HOST),
    upstreamCluster: cluster,
    upstreamLocalAddress: getField(offsets, at + H_UPSTREAM_LOCAL),
    downstreamLocalAddress: getField(offsets, at + H_DOWNSTREAM_LOCAL),
    downstreamRemoteAddress: getField(offsets, at + H_DOWNSTREAM_REMOTE),
    requestedServerName: getField(offsets, at + H_SNI),
  };
}

// ---- One field of a kept line ----
// Working out a request's hops (who called whom) reads a few fields of each of its lines. Most
// requests of a flood are only counted, never shown, so that work compares bytes in place and
// reads the numbers from the offsets; only a tree that is shown is built from the fields' text.

/** Where each string field of HopFields is in a line's offsets (a pair: start, end; -1 when null). */
export const HopField = {
  startTime: H_START,
  method: H_METHOD,
  path: H_PATH,
  flags: H_FLAGS,
  authority: H_AUTHORITY,
  upstreamHost: H_UPSTREAM_HOST,
  upstreamLocalAddress: H_UPSTREAM_LOCAL,
  downstreamLocalAddress: H_DOWNSTREAM_LOCAL,
  downstreamRemoteAddress: H_DOWNSTREAM_REMOTE,
  requestedServerName: H_SNI,
} as const;
export type HopFieldSlot = (typeof HopField)[keyof typeof HopField];

/**
 * Where a kept TEXT line's end of its TCP connection is packed: its DOWNSTREAM_REMOTE_ADDRESS if it
 * is inbound (the client's address), else its UPSTREAM_LOCAL_ADDRESS (its own, as the client), so
 * that a client's line and its server's have the same key. ADDRESS_INTS numbers, the address a
 * character per four bits (tokenize.wat); the first 0 when it was not packed (not up to 24 digits,
 * dots and colons, or a line the tokenizer did not check): then only its text says what it is.
 * Two packed addresses are the same text exactly when their numbers are equal.
 */
export const CONNECTION_KEY = H_CONNECTION_KEY;

/** Whether the kept line whose offsets start at `offsets[at]` is JSON: it has no offsets, only hopFieldsAt(). */
export function isJsonAt(offsets: Int32Array, at: number): boolean {
  return offsets[at] === NOT_TEXT;
}

/** RESPONSE_CODE of a kept TEXT line. */
export function responseCodeAt(offsets: Int32Array, at: number): number {
  return offsets[at + H_CODE]!;
}

/** DURATION of a kept TEXT line. */
export function durationAt(offsets: Int32Array, at: number): number | null {
  const d = offsets[at + H_DURATION]!;
  return d < 0 ? null : d;
}
