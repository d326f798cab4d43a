// VirtualService, DestinationRule and Gateway compiled once per config revision into plain
// lookup structures, so a request costs map look-ups and a few string comparisons — no YAML work.
import type { KubeObject } from '../backend/types.ts';
import { parseDuration } from './clock.ts';
import type { Rng } from './random.ts';

export interface StringMatch {
  kind: 'exact' | 'prefix' | 'regex';
  value: string;
  re?: RegExp;
}

export interface CompiledMatch {
  uri?: StringMatch;
  authority?: StringMatch;
  method?: StringMatch;
  headers: [string, StringMatch][];
  withoutHeaders: [string, StringMatch][];
  query: [string, StringMatch][];
  ignoreUriCase: boolean;
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  /** Normalised `ns/name` or `mesh`. */
  gateways?: string[];
}

export interface RouteDest {
  host: string;
  subset: string;
  port?: number;
  weight: number;
}

export interface RetrySpec {
  attempts: number;
  perTryMs: number | null;
  retryOn: Set<string>;
  retriableStatus: Set<number>;
}

export interface CompiledHttpRoute {
  /** VS http route `name`; null prints `-` in the access log. */
  name: string | null;
  vs: string;
  matches: CompiledMatch[];
  dests: RouteDest[];
  totalWeight: number;
  redirect?: { uri?: string; authority?: string; code: number };
  rewrite?: { uri?: string; authority?: string };
  directResponse?: { status: number; body?: string };
  timeoutMs: number | null;
  retries: RetrySpec | null;
  fault?: { delayMs: number; delayPct: number; abortStatus: number; abortPct: number };
  mirror?: { host: string; subset: string; port?: number; pct: number };
}

export interface CompiledTcpRoute {
  matches: CompiledMatch[];
  dests: RouteDest[];
  totalWeight: number;
}

export interface CompiledVs {
  name: string;
  namespace: string;
  hosts: string[];
  /** `mesh` and/or `ns/name`. Empty in the manifest means `mesh`. */
  gateways: string[];
  http: CompiledHttpRoute[];
  tcp: CompiledTcpRoute[];
}

export interface Subset {
  name: string;
  labels: Record<string, string>;
  policy: TrafficPolicy;
}

export interface TrafficPolicy {
  lb: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';
  locality?: { enabled: boolean; failover: { from: string; to: string }[]; distribute: { from: string; to: Record<string, number> }[] };
  maxConnections: number;
  maxPending: number;
  maxRequests: number;
  maxRequestsPerConnection: number;
  outlier?: { consecutive5xx: number; consecutiveGateway: number; intervalMs: number; baseEjectionMs: number; maxEjectionPercent: number };
  tlsMode?: string;
  /** `tls.sni` for TLS origination (SIMPLE/MUTUAL). */
  tlsSni?: string;
}

export interface CompiledDr {
  name: string;
  namespace: string;
  host: string;
  policy: TrafficPolicy;
  subsets: Map<string, Subset>;
}

export interface CompiledGateway {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  servers: { port: number; protocol: string; hosts: string[] }[];
}

const MAX = 2 ** 32 - 1;
export const DEFAULT_RETRY: RetrySpec = {
  attempts: 2,
  perTryMs: null,
  retryOn: new Set(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']),
  retriableStatus: new Set([503]),
};

/** Short names are relative to the resource's namespace, as istiod resolves them. */
export function normalizeHost(host: string, ns: string): string {
  if (host === '*' || host.includes('.')) return host.toLowerCase();
  return `${host.toLowerCase()}.${ns}.svc.cluster.local`;
}

export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return false;
}

function stringMatch(m: any, ignoreCase = false): StringMatch | undefined {
  if (!m || typeof m !== 'object') return undefined;
  if (typeof m.exact === 'string') return { kind: 'exact', value: ignoreCase ? m.exact.toLowerCase() : m.exact };
  if (typeof m.prefix === 'string') return { kind: 'prefix', value: ignoreCase ? m.prefix.toLowerCase() : m.prefix };
  if (typeof m.regex === 'string') return { kind: 'regex', value: m.regex, re: new RegExp(`^(?:${m.regex})$`, ignoreCase ? 'i' : '') };
  return undefined;
}

export function testString(m: StringMatch, v: string | undefined): boolean {
  if (v === undefined) return false;
  if (m.kind === 'exact') return v === m.value;
  if (m.kind === 'prefix') return v.startsWith(m.value);
  return m.re!.test(v);
}

function gatewayRef(g: string, ns: string): string {
  return g === 'mesh' || g.includes('/') ? g : `${ns}/${g}`;
}

function compileMatch(m: any, ns: string): CompiledMatch {
  const ignoreUriCase = m.ignoreUriCase === true;
  const pairs = (o: any): [string, StringMatch][] =>
    Object.entries(o ?? {}).flatMap(([k, v]) => {
      const s = stringMatch(v);
      return s ? [[k.toLowerCase(), s] as [string, StringMatch]] : [];
    });
  return {
    uri: stringMatch(m.uri, ignoreUriCase),
    authority: stringMatch(m.authority),
    method: stringMatch(m.method),
    headers: pairs(m.headers),
    withoutHeaders: pairs(m.withoutHeaders),
    query: pairs(m.queryParams),
    ignoreUriCase,
    port: typeof m.port === 'number' ? m.port : undefined,
    sourceLabels: m.sourceLabels,
    sourceNamespace: m.sourceNamespace,
    gateways: Array.isArray(m.gateways) ? m.gateways.map((g: string) => gatewayRef(g, ns)) : undefined,
  };
}

function compileDests(route: any[] | undefined, ns: string): { dests: RouteDest[]; totalWeight: number } {
  const dests: RouteDest[] = (route ?? []).map((r: any) => ({
    host: normalizeHost(String(r.destination?.host ?? ''), ns),
    subset: String(r.destination?.subset ?? ''),
    port: typeof r.destination?.port?.number === 'number' ? r.destination.port.number : undefined,
    weight: typeof r.weight === 'number' ? r.weight : route!.length === 1 ? 100 : 0,
  }));
  return { dests, totalWeight: dests.reduce((a, d) => a + d.weight, 0) };
}

function pct(p: any, legacy: any): number {
  if (p && typeof p.value === 'number') return p.value;
  if (typeof legacy === 'number') return legacy;
  return 100;
}

export function compileVirtualService(o: KubeObject): CompiledVs {
  const spec = (o.spec ?? {}) as any;
  const ns = o.metadata.namespace ?? 'default';
  const http: CompiledHttpRoute[] = (spec.http ?? []).map((h: any, i: number) => {
    const { dests, totalWeight } = compileDests(h.route, ns);
    const r: CompiledHttpRoute = {
      name: typeof h.name === 'string' ? h.name : null,
      vs: `${ns}/${o.metadata.name}#${i}`,
      matches: (h.match ?? []).map((m: any) => compileMatch(m, ns)),
      dests,
      totalWeight,
      timeoutMs: h.timeout !== undefined ? parseDuration(h.timeout) : null,
      retries: null,
    };
    if (h.retries) {
      const on = String(h.retries.retryOn ?? 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
      const set = new Set<string>();
      const codes = new Set<number>([503]);
      for (const p of on.split(',').map((s) => s.trim()).filter(Boolean)) {
        if (/^\d{3}$/.test(p)) {
          codes.add(Number(p));
          set.add('retriable-status-codes');
        } else set.add(p);
      }
      r.retries = { attempts: Number(h.retries.attempts ?? 0), perTryMs: parseDuration(h.retries.perTryTimeout), retryOn: set, retriableStatus: codes };
    }
    if (h.fault) {
      const d = h.fault.delay;
      const a = h.fault.abort;
      r.fault = {
        delayMs: d ? parseDuration(d.fixedDelay) ?? 0 : 0,
        delayPct: d ? pct(d.percentage, d.percent) : 0,
        abortStatus: a ? Number(a.httpStatus ?? 0) : 0,
        abortPct: a ? pct(a.percentage, a.percent) : 0,
      };
    }
    if (h.mirror) {
      r.mirror = {
        host: normalizeHost(String(h.mirror.host), ns),
        subset: String(h.mirror.subset ?? ''),
        port: h.mirror.port?.number,
        pct: pct(h.mirrorPercentage, h.mirrorPercent),
      };
    }
    if (h.redirect) r.redirect = { uri: h.redirect.uri, authority: h.redirect.authority, code: Number(h.redirect.redirectCode ?? 301) };
    if (h.rewrite) r.rewrite = { uri: h.rewrite.uri, authority: h.rewrite.authority };
    if (h.directResponse) r.directResponse = { status: Number(h.directResponse.status), body: h.directResponse.body?.string };
    return r;
  });
  const tcp: CompiledTcpRoute[] = (spec.tcp ?? []).map((t: any) => ({ matches: (t.match ?? []).map((m: any) => compileMatch(m, ns)), ...compileDests(t.route, ns) }));
  const gateways: string[] = Array.isArray(spec.gateways) && spec.gateways.length ? spec.gateways.map((g: string) => gatewayRef(g, ns)) : ['mesh'];
  return { name: o.metadata.name, namespace: ns, hosts: (spec.hosts ?? []).map((h: string) => normalizeHost(h, ns)), gateways, http, tcp };
}

function compilePolicy(tp: any, base?: TrafficPolicy): TrafficPolicy {
  const p: TrafficPolicy = base
    ? { ...base }
    : { lb: 'LEAST_REQUEST', maxConnections: MAX, maxPending: MAX, maxRequests: MAX, maxRequestsPerConnection: 0 };
  if (!tp) return p;
  const lb = tp.loadBalancer;
  if (lb?.simple) p.lb = lb.simple === 'LEAST_CONN' ? 'LEAST_REQUEST' : lb.simple;
  if (lb?.localityLbSetting) {
    const l = lb.localityLbSetting;
    p.locality = { enabled: l.enabled !== false, failover: l.failover ?? [], distribute: l.distribute ?? [] };
  }
  const cp = tp.connectionPool;
  if (cp?.tcp?.maxConnections !== undefined) p.maxConnections = Number(cp.tcp.maxConnections);
  if (cp?.http?.http1MaxPendingRequests !== undefined) p.maxPending = Number(cp.http.http1MaxPendingRequests);
  if (cp?.http?.http2MaxRequests !== undefined) p.maxRequests = Number(cp.http.http2MaxRequests);
  if (cp?.http?.maxRequestsPerConnection !== undefined) p.maxRequestsPerConnection = Number(cp.http.maxRequestsPerConnection);
  const od = tp.outlierDetection;
  if (od) {
    p.outlier = {
      consecutive5xx: Number(od.consecutive5xxErrors ?? od.consecutiveErrors ?? 5),
      consecutiveGateway: Number(od.consecutiveGatewayErrors ?? 0),
      intervalMs: parseDuration(od.interval) ?? 10_000,
      baseEjectionMs: parseDuration(od.baseEjectionTime) ?? 30_000,
      maxEjectionPercent: Number(od.maxEjectionPercent ?? 10),
    };
  }
  if (tp.tls?.mode) p.tlsMode = String(tp.tls.mode);
  if (typeof tp.tls?.sni === 'string') p.tlsSni = tp.tls.sni;
  return p;
}

export function compileDestinationRule(o: KubeObject): CompiledDr {
  const spec = (o.spec ?? {}) as any;
  const ns = o.metadata.namespace ?? 'default';
  const policy = compilePolicy(spec.trafficPolicy);
  const subsets = new Map<string, Subset>();
  for (const s of spec.subsets ?? []) subsets.set(String(s.name), { name: String(s.name), labels: s.labels ?? {}, policy: compilePolicy(s.trafficPolicy, policy) });
  return { name: o.metadata.name, namespace: ns, host: normalizeHost(String(spec.host ?? ''), ns), policy, subsets };
}

export function compileGateway(o: KubeObject): CompiledGateway {
  const spec = (o.spec ?? {}) as any;
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? 'default',
    selector: spec.selector ?? {},
    servers: (spec.servers ?? []).map((s: any) => ({
      port: Number(s.port?.number),
      protocol: String(s.port?.protocol ?? 'HTTP').toUpperCase(),
      hosts: (s.hosts ?? []).map((h: string) => (h.includes('/') ? h.split('/')[1] : h).toLowerCase()),
    })),
  };
}

export interface MatchInput {
  path: string;
  query: string;
  method: string;
  authority: string;
  headers: Record<string, string>;
  port: number;
  sourceLabels: Record<string, string>;
  sourceNamespace: string;
  /** `mesh` for sidecars, `ns/name` of the Gateway for gateway proxies. */
  gateway: string;
}

function queryValue(q: string, key: string): string | undefined {
  if (!q) return undefined;
  for (const part of q.split('&')) {
    const i = part.indexOf('=');
    const k = i === -1 ? part : part.slice(0, i);
    if (k === key) return i === -1 ? '' : decodeURIComponent(part.slice(i + 1));
  }
  return undefined;
}

export function matchHttp(m: CompiledMatch, r: MatchInput): boolean {
  if (m.gateways && !m.gateways.includes(r.gateway)) return false;
  if (m.port !== undefined && m.port !== r.port) return false;
  if (m.uri && !testString(m.uri, m.ignoreUriCase ? r.path.toLowerCase() : r.path)) return false;
  if (m.method && !testString(m.method, r.method)) return false;
  if (m.authority && !testString(m.authority, r.authority)) return false;
  for (const [k, s] of m.headers) if (!testString(s, r.headers[k])) return false;
  for (const [k, s] of m.withoutHeaders) if (testString(s, r.headers[k])) return false;
  for (const [k, s] of m.query) if (!testString(s, queryValue(r.query, k))) return false;
  if (m.sourceNamespace && m.sourceNamespace !== r.sourceNamespace) return false;
  if (m.sourceLabels) for (const k in m.sourceLabels) if (r.sourceLabels[k] !== m.sourceLabels[k]) return false;
  return true;
}

export function firstHttpRoute(vs: CompiledVs, r: MatchInput): CompiledHttpRoute | null {
  for (const h of vs.http) {
    if (h.matches.length === 0) return h;
    for (const m of h.matches) if (matchHttp(m, r)) return h;
  }
  return null;
}

export function pickWeighted(dests: RouteDest[], total: number, rng: Rng): RouteDest | null {
  if (dests.length === 0) return null;
  if (dests.length === 1 || total <= 0) return dests[0];
  let x = rng.next() * total;
  for (const d of dests) {
    x -= d.weight;
    if (x < 0) return d;
  }
  return dests[dests.length - 1];
}
