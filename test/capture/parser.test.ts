import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessLogParseError,
  CONNECTION_KEY,
  HOP_SLOTS,
  hopFieldsAt,
  keepHopOffsets,
  lastDownstreamLocalAddress,
  parseAccessLog,
  parseUpstreamCluster,
  scanAccessLog,
  scanAccessLogBytes,
  useTokenizerChecks,
} from '../../main/core/capture/parser.ts';
import { ADDRESS_INTS, AREA_START, CURRENT_OK, TokenArea } from '../../main/core/capture/tokenizer.ts';
import { RESPONSE_FLAGS, describeFlag } from '../../main/core/capture/flags.ts';

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'capture');
const lines = (f: string) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim() !== '');

describe('parseAccessLog: Istio docs TEXT format (1.9+)', () => {
  const [out, inn, egressHttp, egressTls, passthrough] = lines('istio-docs-text-format.log');

  it('names every field of the outbound curl → httpbin line', () => {
    expect(parseAccessLog(out!, 'text')).toEqual({
      startTime: '2020-11-25T21:26:18.409Z',
      method: 'GET',
      path: '/status/418',
      protocol: 'HTTP/1.1',
      responseCode: 418,
      responseFlags: [],
      responseCodeDetails: 'via_upstream',
      connectionTerminationDetails: null,
      upstreamTransportFailureReason: null,
      bytesReceived: 0,
      bytesSent: 135,
      durationMs: 4,
      upstreamServiceTimeMs: 4,
      xForwardedFor: null,
      userAgent: 'curl/7.73.0-DEV',
      requestId: '84961386-6d84-929d-98bd-c5aee93b5c88',
      authority: 'httpbin:8000',
      upstreamHost: '10.44.1.27:80',
      upstreamCluster: { raw: 'outbound|8000||httpbin.foo.svc.cluster.local', direction: 'outbound', port: 8000, subset: null, host: 'httpbin.foo.svc.cluster.local' },
      upstreamLocalAddress: '10.44.1.23:37652',
      downstreamLocalAddress: '10.0.45.184:8000',
      downstreamRemoteAddress: '10.44.1.23:46520',
      requestedServerName: null,
      routeName: 'default',
    });
  });

  it('reads the inbound line: cluster inbound|8000||, SNI, and the address that pairs it with the outbound line', () => {
    const e = parseAccessLog(inn!);
    expect(e.upstreamCluster).toEqual({ raw: 'inbound|8000||', direction: 'inbound', port: 8000, subset: null, host: null });
    expect(e.requestedServerName).toBe('outbound_.8000_._.httpbin.foo.svc.cluster.local');
    expect(e.upstreamHost).toBe('127.0.0.1:80');
    expect(e.durationMs).toBe(3);
    expect(e.upstreamServiceTimeMs).toBe(1);
    expect(e.downstreamRemoteAddress).toBe(parseAccessLog(out!).upstreamLocalAddress);
  });

  it('reads the egress gateway HTTP line with its long route name and XFF', () => {
    const e = parseAccessLog(egressHttp!);
    expect(e.responseCode).toBe(301);
    expect(e.xForwardedFor).toBe('172.30.239.55');
    expect(e.authority).toBe('edition.cnn.com');
    expect(e.routeName).toBe('default.forward-cnn-from-egress-gateway.0');
    expect(e.upstreamCluster?.host).toBe('edition.cnn.com');
  });

  it('reads TCP lines ("- - -", response code 0) with SNI', () => {
    const e = parseAccessLog(egressTls!);
    expect(e).toMatchObject({ method: null, path: null, protocol: null, responseCode: 0, responseCodeDetails: null, bytesReceived: 839, bytesSent: 2504306, durationMs: 231, upstreamServiceTimeMs: null, requestId: null, requestedServerName: 'edition.cnn.com', routeName: null });
    const p = parseAccessLog(passthrough!);
    expect(p.upstreamCluster).toEqual({ raw: 'PassthroughCluster', direction: 'other', port: null, subset: null, host: null });
    expect(p.requestedServerName).toBe('cloud.ibm.com');
    expect(p.upstreamHost).toBe('104.102.54.251:443');
  });
});

describe('parseAccessLog: community TEXT lines', () => {
  const l = lines('community-text-format.log');
  it('productpage outbound to reviews and inbound from the gateway (127.0.0.6)', () => {
    expect(parseAccessLog(l[0]!)).toMatchObject({ path: '/reviews/0', authority: 'reviews:9080', upstreamHost: '172.16.184.6:9080', upstreamLocalAddress: '172.16.158.7:55410', downstreamLocalAddress: '10.101.97.213:9080' });
    expect(parseAccessLog(l[1]!)).toMatchObject({ xForwardedFor: '192.168.10.254', authority: 'www.gasida.dev:30858', upstreamLocalAddress: '127.0.0.6:55471', downstreamRemoteAddress: '192.168.10.254:0', requestedServerName: 'outbound_.9080_._.productpage.default.svc.cluster.local' });
  });
  it('user agent with spaces and parentheses stays one field', () => {
    const e = parseAccessLog(l[2]!);
    expect(e.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/102.0.0.0 Safari/537.36');
    expect(e.durationMs).toBe(412);
    expect(e.routeName).toBeNull();
    expect(e.upstreamCluster?.host).toBe('productpage.default.svc.cluster.local');
  });
  it('BlackHoleCluster with UH', () => {
    expect(parseAccessLog(l[3]!)).toMatchObject({ responseCode: 0, responseFlags: ['UH'], upstreamCluster: { raw: 'BlackHoleCluster', direction: 'other' }, upstreamHost: null, downstreamLocalAddress: '10.111.90.232:8080' });
  });
  it('direct_response 502 from block_all (no cluster)', () => {
    expect(parseAccessLog(l[5]!)).toMatchObject({ method: 'HEAD', responseCode: 502, responseCodeDetails: 'direct_response', upstreamCluster: null, upstreamHost: null, routeName: 'block_all' });
  });
  it('PassthroughCluster allow_any, then a ServiceEntry cluster for the same host', () => {
    expect(parseAccessLog(l[9]!)).toMatchObject({ authority: 'google.com', upstreamCluster: { raw: 'PassthroughCluster', direction: 'other' }, routeName: 'allow_any' });
    expect(parseAccessLog(l[10]!)).toMatchObject({ upstreamCluster: { direction: 'outbound', port: 80, subset: null, host: 'google.com' }, routeName: 'default', durationMs: 39, upstreamServiceTimeMs: 35 });
  });
  it('parses all 12 lines', () => {
    for (const line of l) expect(() => parseAccessLog(line)).not.toThrow();
  });
});

describe('parseAccessLog: pre-1.9 layouts', () => {
  const l = lines('istio-docs-legacy-format.log');
  it('pre-1.5 HTTP line without details, termination and transport fields', () => {
    expect(parseAccessLog(l[0]!)).toMatchObject({ responseCode: 200, responseCodeDetails: null, bytesReceived: 0, bytesSent: 599, durationMs: 214, upstreamServiceTimeMs: 214, authority: 'httpbin.org', upstreamHost: '35.173.6.94:80', upstreamLocalAddress: null, downstreamLocalAddress: '35.173.6.94:80', downstreamRemoteAddress: '172.30.109.82:55314', requestedServerName: null, routeName: null });
  });
  it('pre-1.5 TCP line', () => {
    expect(parseAccessLog(l[1]!)).toMatchObject({ responseCode: 0, bytesReceived: 601, bytesSent: 17766, durationMs: 1289, upstreamCluster: { host: 'www.google.com', port: 443 }, requestedServerName: 'www.google.com' });
  });
  it('1.5–1.8 line with the mixer-status and transport-failure quotes', () => {
    expect(parseAccessLog(l[2]!)).toMatchObject({ protocol: 'HTTP/2', responseCode: 301, upstreamTransportFailureReason: null, durationMs: 90, upstreamServiceTimeMs: 89, xForwardedFor: '10.244.2.10', requestedServerName: 'edition.cnn.com', routeName: null });
  });
});

describe('parseAccessLog: JSON', () => {
  it('typed numbers, nulls, string upstream_service_time, "-" flags', () => {
    const [line] = lines('community-json-format.jsonl');
    const e = parseAccessLog(line!);
    expect(e).toMatchObject({ responseCode: 404, path: '/wrongpath', durationMs: 3, upstreamServiceTimeMs: 2, bytesSent: 19, responseFlags: [], routeName: null, requestedServerName: null, xForwardedFor: '172.17.0.1', upstreamCluster: { direction: 'outbound', port: 80, host: 'frontend.online-boutique.svc.cluster.local' } });
    expect(parseAccessLog(line!, 'json')).toEqual(e);
  });
  it('pretty-printed record joined into one line, key order irrelevant', () => {
    const line = readFileSync(path.join(dir, 'community-json-format-pretty.json'), 'utf8').replace(/\n/g, ' ');
    expect(parseAccessLog(line)).toMatchObject({ startTime: '2022-12-15T01:03:02.725Z', upstreamCluster: { raw: 'inbound|10000||', direction: 'inbound', port: 10000 }, upstreamLocalAddress: '127.0.0.6:42313', upstreamServiceTimeMs: 0, connectionTerminationDetails: null });
  });
  it('comma-joined flags decode into an array', () => {
    expect(parseAccessLog('{"response_code":503,"response_flags":"UO,URX","request_id":"x"}').responseFlags).toEqual(['UO', 'URX']);
  });
  it('--format text refuses JSON with a clear message', () => {
    expect(() => parseAccessLog('{"response_code":200}', 'text')).toThrow(/start time/);
  });
});

describe('broken lines', () => {
  it('every line of the broken corpus throws AccessLogParseError with a message', () => {
    const l = lines('broken-lines.log');
    expect(l.length).toBeGreaterThanOrEqual(14);
    for (const line of l) {
      let err: unknown;
      try {
        parseAccessLog(line);
      } catch (e) {
        err = e;
      }
      expect(err, line).toBeInstanceOf(AccessLogParseError);
      expect((err as Error).message.length).toBeGreaterThan(5);
    }
  });
  it('says which field is wrong', () => {
    expect(() => parseAccessLog(lines('broken-lines.log')[4]!)).toThrow(/bytesReceived is not a number: "zero"/);
    expect(() => parseAccessLog('')).toThrow(/empty/);
  });
});

describe('scanAccessLog', () => {
  // Capture checks a line with scanAccessLog on arrival and parses it only when its request is
  // built: a line the scan passes must parse, and a line parsing rejects must fail the scan alike.
  const outcome = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  const corpus = ['istio-docs-text-format.log', 'istio-docs-legacy-format.log', 'community-text-format.log', 'community-json-format.jsonl', 'broken-lines.log'].flatMap(lines);

  it('fails exactly where parseAccessLog fails, with the same error', () => {
    expect(corpus.length).toBeGreaterThan(30);
    for (const line of [...corpus, '', '   ', '{}', '{"start_time": 5}']) expect(outcome(() => scanAccessLog(line)), line).toBe(outcome(() => parseAccessLog(line)));
  });

  it('returns the fields correlation needs, as parseAccessLog reads them', () => {
    for (const line of corpus) {
      if (outcome(() => parseAccessLog(line)) !== 'ok') continue;
      const e = parseAccessLog(line);
      const key = scanAccessLog(line);
      const json = line.trimStart().startsWith('{');
      expect(key, line).toMatchObject({
        requestId: json ? e.requestId : null,
        startMs: e.startTime === null ? NaN : Date.parse(e.startTime),
        durationMs: e.durationMs,
        upstreamCluster: e.upstreamCluster,
      });
      expect(lastDownstreamLocalAddress(), line).toBe(e.downstreamLocalAddress);
      // Where the id's bytes are (TEXT lines): capture looks the request up from there.
      if (key.requestIdAt >= 0) expect(Buffer.from(line).subarray(key.requestIdAt, key.requestIdEnd).toString(), line).toBe(e.requestId);
      else expect(json || e.requestId === null, line).toBe(true);
    }
  });

  it('reads the fields a hop is built from as parseAccessLog does, from UTF-8 bytes and the offsets noted when the line was checked (every layout, JSON)', () => {
    const [out] = lines('istio-docs-text-format.log');
    const utf8 = out!.replace('"curl/7.73.0-DEV"', '"Mozilla/5.0 (한국어)"').replace('/status/418', '/café/418');
    const hopKeys = ['startTime', 'method', 'path', 'responseCode', 'responseFlags', 'durationMs', 'authority', 'upstreamHost', 'upstreamCluster', 'upstreamLocalAddress', 'downstreamLocalAddress', 'downstreamRemoteAddress', 'requestedServerName'] as const;
    const area = new TokenArea(1 << 16);
    const bytes = area.bytes;
    const at = AREA_START + 7;
    let checked = 0;
    for (const line of [...corpus, utf8, `${utf8}\r`]) {
      const n = new TextEncoder().encodeInto(line, bytes.subarray(at)).written;
      // A line is checked on arrival; one that fails is never built.
      const parsed = outcome(() => parseAccessLog(line));
      expect(outcome(() => scanAccessLogBytes(area, at, n)), line).toBe(parsed);
      if (parsed !== 'ok') continue;
      const key = scanAccessLogBytes(area, at, n);
      const offsets = new Int32Array(3 * HOP_SLOTS).fill(99);
      keepHopOffsets(offsets, HOP_SLOTS);
      parseAccessLog(corpus[0]!); // other lines are parsed in between, as when requests are built
      const e = parseAccessLog(line);
      const h = hopFieldsAt(area, at, n, line, offsets, HOP_SLOTS, key.upstreamCluster);
      for (const k of hopKeys) expect(h[k], `${k} of ${line}`).toEqual(e[k]);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('reads lines with non-ASCII text (UTF-8 bytes, where byte and character offsets differ) and CRLF endings', () => {
    const [out] = lines('istio-docs-text-format.log');
    const utf8 = out!.replace('"curl/7.73.0-DEV"', '"Mozilla/5.0 (한국어; Français)"').replace('/status/418', '/café/418');
    const e = parseAccessLog(`${utf8}\r\n`);
    expect(e).toEqual({ ...parseAccessLog(out!), userAgent: 'Mozilla/5.0 (한국어; Français)', path: '/café/418' });
    const key = scanAccessLog(utf8);
    expect(Buffer.from(utf8).subarray(key.requestIdAt, key.requestIdEnd).toString()).toBe('84961386-6d84-929d-98bd-c5aee93b5c88');
  });

  it('reads START_TIME as Date.parse does, across minutes and for other forms', () => {
    const [out] = lines('istio-docs-text-format.log');
    const at = (t: string) => scanAccessLog(out!.replace('[2020-11-25T21:26:18.409Z]', `[${t}]`)).startMs;
    for (const t of ['2026-11-25T07:00:01.234Z', '2026-11-25T07:00:59.999Z', '2026-11-25T07:01:00.000Z', '2026-11-25T07:00:02.005Z', '2026-11-25T08:00:02.005Z', '2026-11-25T07:00:03Z', '2026-11-25T07:00:03.123456Z', '2026-11-25T07:00:03.123+02:00']) {
      expect(at(t), t).toBe(Date.parse(t));
    }
    expect(at('2026-11-25T07:00:0/.123Z')).toBeNaN();
    expect(at('2026-13-25T07:00:01.234Z')).toBeNaN();
    expect(at('not-a-time')).toBeNaN();
  });

  it('finds a cluster again from its bytes, and tells clusters that share a cache entry apart', () => {
    const [out] = lines('istio-docs-text-format.log');
    const raw = 'outbound|8000||httpbin.foo.svc.cluster.local';
    const first = scanAccessLog(out!).upstreamCluster;
    expect(scanAccessLog(out!).upstreamCluster).toBe(first);
    // Many clusters: some share an entry of the cache, and each line still gets its own.
    for (let i = 0; i < 3_000; i++) {
      const other = `outbound|${i}||svc-${i}.foo.svc.cluster.local`;
      expect(scanAccessLog(out!.replace(raw, other)).upstreamCluster?.raw).toBe(other);
      expect(scanAccessLog(out!).upstreamCluster?.raw).toBe(raw);
    }
  });
});

/** An address as the tokenizer packs it, worked out from its text: a character per four bits, or 0s. */
function packedAddress(text: string | null): number[] {
  const words = [0, 0, 0];
  if (text === null || !/^[0-9.:]{1,24}$/.test(text)) return words;
  for (let c = 0; c < text.length; c++) {
    const ch = text[c]!;
    const code = ch === '.' ? 11 : ch === ':' ? 12 : Number(ch) + 1;
    words[c >> 3] = (words[c >> 3]! | (code << (4 * (c & 7)))) | 0;
  }
  return words;
}

describe('the tokenizer\'s checks of 1.9+ lines', () => {
  // tokenize.wat checks a 1.9+ line's fields as it splits it, and the parser takes its verdict;
  // every other line is checked in parser.ts. Both ways must agree on every line: the same error,
  // key, hop offsets and entry.
  const area = new TokenArea(1 << 16);
  const at = AREA_START + 3;
  const encoder = new TextEncoder();
  /** Everything a line yields, read one way; its packed addresses checked against their text. */
  const reading = (line: string, fast: boolean) => {
    useTokenizerChecks(fast);
    try {
      const n = encoder.encodeInto(line, area.bytes.subarray(at)).written;
      const key = { ...scanAccessLogBytes(area, at, n) };
      const tokenizerChecked = fast && area.current[CURRENT_OK] === 1;
      const offsets = new Int32Array(HOP_SLOTS);
      keepHopOffsets(offsets, 0);
      const local = lastDownstreamLocalAddress();
      const entry = parseAccessLog(line);
      if (!line.trimStart().startsWith('{')) {
        // The line's end of its connection: the client's address in an inbound line, its own in any other.
        const text = entry.upstreamCluster?.direction === 'inbound' ? entry.downstreamRemoteAddress : entry.upstreamLocalAddress;
        expect([...offsets.subarray(CONNECTION_KEY, CONNECTION_KEY + ADDRESS_INTS)], `${text} in ${line}`).toEqual(tokenizerChecked ? packedAddress(text) : [0, 0, 0]);
      }
      return { result: { key, offsets: [...offsets.subarray(0, CONNECTION_KEY)], local, entry }, tokenizerChecked };
    } catch (e) {
      return { result: `${(e as Error).name}: ${(e as Error).message}`, tokenizerChecked: false };
    } finally {
      useTokenizerChecks(true);
    }
  };
  const current = [...lines('istio-docs-text-format.log'), ...lines('community-text-format.log')];

  it('packs an address of up to 24 digits, dots and colons, so that equal numbers are equal text; any other is left as text', () => {
    const [out] = lines('istio-docs-text-format.log');
    // An outbound line: its key is its UPSTREAM_LOCAL_ADDRESS.
    const keysOf = (address: string) => {
      const line = out!.replace('10.44.1.23:37652', address);
      const n = encoder.encodeInto(line, area.bytes.subarray(at)).written;
      scanAccessLogBytes(area, at, n);
      const offsets = new Int32Array(HOP_SLOTS);
      keepHopOffsets(offsets, 0);
      return [...offsets.subarray(CONNECTION_KEY, CONNECTION_KEY + ADDRESS_INTS)];
    };
    // `10.44.1.23:37652`: 2 1 11 5 5 11 2 11 | 3 4 12 4 8 7 6 3, a character per four bits from the lowest
    expect(keysOf('10.44.1.23:37652')).toEqual([0xb2b55b12 | 0, 0x3678_4c43, 0]);
    expect(keysOf('255.255.255.255:65535')[2]).not.toBe(0);
    for (const other of ['[::1]:80', 'my-host:80', '10.44.1.23:376520000000000', '1.2.3.4:5x', 'é']) expect(keysOf(other), other).toEqual([0, 0, 0]);
    // Packed alike exactly when written alike, whatever their length (up to 24).
    const addresses = ['1.2.3.4:5', '1.2.3.4:50', '1.2.3.4:05', '01.2.3.4:5', '1.2.3.45:0', '12.3.4.5:0', '0.0.0.1:1', '0.0.1.0:1', '10.244.123.123:45678', '10.244.123.123:45679', '10.244.123.123:4567', '::1', '1:2:3:4:5:6:7:8:9:10:1234', '1:2:3:4:5:6:7:8:9:10:123'];
    for (const a of addresses) {
      expect(keysOf(a), a).toEqual(packedAddress(a));
      for (const b of addresses) expect(keysOf(a).join() === keysOf(b).join(), `${a} ${b}`).toBe(a === b);
    }
  });
  const others = [...lines('istio-docs-legacy-format.log'), ...lines('community-json-format.jsonl'), ...lines('broken-lines.log')];

  it('takes nearly every real 1.9+ line and no other, and reads each as the parser\'s own checks do', () => {
    let taken = 0;
    for (const line of current) {
      const fast = reading(line, true);
      expect(fast.result, line).toEqual(reading(line, false).result);
      if (fast.tokenizerChecked) taken++;
    }
    expect(taken).toBeGreaterThanOrEqual(current.length - 2);
    for (const line of others) {
      const fast = reading(line, true);
      expect(fast.tokenizerChecked, line).toBe(false);
      expect(fast.result, line).toEqual(reading(line, false).result);
    }
  });

  it('agrees with the parser\'s checks on thousands of damaged 1.9+ lines', () => {
    // A byte replaced, removed or doubled anywhere, deterministic (a small LCG).
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const bytes = [' ', '"', '-', 'x', '0', '9', '[', ']', '\t', 'é', ':', '.', 'Z', '', '12345678901'];
    let taken = 0;
    let declined = 0;
    for (let i = 0; i < 4_000; i++) {
      const line = current[rand(current.length)]!;
      const p = rand(line.length);
      const edit = rand(3);
      const b = bytes[rand(bytes.length)]!;
      const damaged = edit === 0 ? line.slice(0, p) + b + line.slice(p + 1) : edit === 1 ? line.slice(0, p) + line.slice(p + 1) : line.slice(0, p) + b + line.slice(p);
      const fast = reading(damaged, true);
      expect(fast.result, damaged).toEqual(reading(damaged, false).result);
      if (fast.tokenizerChecked) taken++;
      else declined++;
    }
    // Both ways were exercised: lines the tokenizer took, and lines it left to the parser.
    expect(taken).toBeGreaterThan(1_000);
    expect(declined).toBeGreaterThan(500);
  });

  it('agrees with the parser\'s checks on requests of every shape', () => {
    const [out] = lines('istio-docs-text-format.log');
    for (const request of ['GET ', ' GET', 'GET', 'GET /', 'GET / ', '  ', '   ', 'GET  HTTP/1.1', '- - -', ' / ', 'G / H', 'GET /a b HTTP/1.1']) {
      const line = out!.replace('"GET /status/418 HTTP/1.1"', `"${request}"`);
      expect(line).not.toBe(out);
      expect(reading(line, true).result, request).toEqual(reading(line, false).result);
    }
  });

  it('leaves numbers of ten digits and more to the parser, which reads them whole', () => {
    const [out] = lines('istio-docs-text-format.log');
    const big = out!.replace(' 0 135 4 4 ', ' 0 12345678901 4 4 ');
    expect(big).not.toBe(out);
    const fast = reading(big, true);
    expect(fast.tokenizerChecked).toBe(false);
    expect(parseAccessLog(big).bytesSent).toBe(12345678901);
    expect(fast.result).toEqual(reading(big, false).result);
  });
});

describe('upstream cluster and flags', () => {
  it('splits subset clusters', () => {
    expect(parseUpstreamCluster('outbound|9080|v2|reviews.default.svc.cluster.local')).toEqual({ raw: 'outbound|9080|v2|reviews.default.svc.cluster.local', direction: 'outbound', port: 9080, subset: 'v2', host: 'reviews.default.svc.cluster.local' });
    expect(parseUpstreamCluster('inbound|9080||')).toMatchObject({ direction: 'inbound', port: 9080, subset: null, host: null });
    expect(parseUpstreamCluster('BlackHoleCluster').direction).toBe('other');
  });
  it('explains flags', () => {
    expect(RESPONSE_FLAGS.UO?.name).toBe('UpstreamOverflow');
    expect(describeFlag('DI').category).toBe('fault');
    expect(describeFlag('ZZ').name).toBe('ZZ');
    expect(Object.keys(RESPONSE_FLAGS)).toHaveLength(27);
  });
});
