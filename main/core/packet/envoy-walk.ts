// Follows one connection (and, for HTTP, one request) through an Envoy config dump: listener →
// filter chain → route (virtual host, route match) → cluster → endpoint, with the same selection
// rules Envoy applies. Every hop carries the config object it was decided by.
import { BlockList, isIP } from 'node:net';
import { arr, clusterByName, f, listenerName, routeConfigByName, socketAddress, type Obj, type ProxyConfig } from './config-dump.ts';
import type { Hop, Place } from './types.ts';

export interface EnvoyRequest {
  /** The connection's original destination (SO_ORIGINAL_DST for captured traffic). */
  dstIp?: string;
  dstPort: number;
  /** The name the client resolved, when the address itself is not known. */
  dstName?: string;
  /** What the client speaks: plain HTTP, TLS (HTTPS or mTLS), or opaque TCP. */
  protocol: 'http' | 'tls' | 'tcp';
  /** Transport and ALPN as Envoy's tls_inspector / http_inspector see them. */
  transport?: 'tls' | 'raw_buffer';
  alpn?: string[];
  sni?: string;
  /** HTTP request. */
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
}

export type Entry = 'outbound' | 'inbound' | 'gateway';

export interface EnvoyResult {
  hops: Hop[];
  warnings: string[];
  listener?: string;
  filterChain?: string;
  route?: string;
  cluster?: string;
  endpoint?: { address: string; port: number; tls?: string };
  /** The upstream connection's source address when the cluster binds one (127.0.0.6 inbound). */
  bindAddress?: string;
  /** The proxy answered or dropped the request itself (BlackHoleCluster, direct_response). */
  terminated?: { status?: number; reason: string };
}

const json = (o: unknown) => JSON.stringify(o, null, 2);
const SIDECAR_OUTBOUND_PORT = 15001;
const SIDECAR_INBOUND_PORT = 15006;

/** Trim huge typed configs out of a filter chain so the raw view stays readable. */
function compactChain(fc: Obj): Obj {
  return {
    ...(f(fc, 'name') ? { name: f(fc, 'name') } : {}),
    filter_chain_match: f(fc, 'filter_chain_match') ?? {},
    filters: arr(f(fc, 'filters')).map((x) => f(x, 'name')),
  };
}

/** A name for an unnamed filter chain, from what it matches. */
function describeChainMatch(m: Obj): string {
  const parts: string[] = [];
  if (f(m, 'destination_port') !== undefined) parts.push(`port ${String(f(m, 'destination_port'))}`);
  if (f(m, 'transport_protocol')) parts.push(String(f(m, 'transport_protocol')));
  const alpn = arr<string>(f(m, 'application_protocols'));
  if (alpn.length) parts.push(alpn.join(','));
  const sni = arr<string>(f(m, 'server_names'));
  if (sni.length) parts.push(`SNI ${sni.join(',')}`);
  return parts.length ? `[${parts.join('; ')}]` : '[any]';
}

function cidrContains(ip: string, prefix: string, len: number): boolean {
  const fam = isIP(ip);
  const pfam = isIP(prefix);
  if (!fam || fam !== pfam) return false;
  const bl = new BlockList();
  bl.addSubnet(prefix, len, pfam === 4 ? 'ipv4' : 'ipv6');
  return bl.check(ip, fam === 4 ? 'ipv4' : 'ipv6');
}

function serverNameMatches(pattern: string, sni: string): boolean {
  if (pattern === sni) return true;
  return pattern.startsWith('*.') && sni.endsWith(pattern.slice(1));
}

/**
 * Envoy's filter chain match: criteria are applied in a fixed order, and at each step the most
 * specific chains win; chains that leave a criterion empty only qualify when none is specific.
 */
export function selectFilterChain(listener: Obj, req: EnvoyRequest): { chain?: Obj; isDefault: boolean; ambiguous: number } {
  let cands = arr(f(listener, 'filter_chains'));
  const m = (fc: Obj) => f<Obj>(fc, 'filter_chain_match') ?? {};
  const narrow = (pred: (fc: Obj) => 'specific' | 'wild' | 'no') => {
    const specific = cands.filter((fc) => pred(fc) === 'specific');
    cands = specific.length ? specific : cands.filter((fc) => pred(fc) === 'wild');
  };
  // destination_port
  narrow((fc) => {
    const p = f<number>(m(fc), 'destination_port');
    return p === undefined ? 'wild' : Number(p) === req.dstPort ? 'specific' : 'no';
  });
  // prefix_ranges: longest prefix wins
  if (req.dstIp) {
    let best = -1;
    const lenOf = (fc: Obj): number => {
      let l = -1;
      for (const r of arr(f(m(fc), 'prefix_ranges'))) {
        const len = Number(f(r, 'prefix_len') ?? 0);
        if (cidrContains(req.dstIp!, String(f(r, 'address_prefix')), len)) l = Math.max(l, len);
      }
      return l;
    };
    for (const fc of cands) if (arr(f(m(fc), 'prefix_ranges')).length) best = Math.max(best, lenOf(fc));
    narrow((fc) => (arr(f(m(fc), 'prefix_ranges')).length === 0 ? 'wild' : best >= 0 && lenOf(fc) === best ? 'specific' : 'no'));
  }
  // server_names (SNI)
  narrow((fc) => {
    const names = arr<string>(f(m(fc), 'server_names'));
    if (!names.length) return 'wild';
    return req.sni && names.some((n) => serverNameMatches(n, req.sni!)) ? 'specific' : 'no';
  });
  // transport_protocol
  const transport = req.transport ?? (req.protocol === 'tls' ? 'tls' : 'raw_buffer');
  narrow((fc) => {
    const t = f<string>(m(fc), 'transport_protocol');
    return !t ? 'wild' : t === transport ? 'specific' : 'no';
  });
  // application_protocols
  const alpn = req.alpn ?? (req.protocol === 'http' ? ['http/1.1'] : []);
  narrow((fc) => {
    const ap = arr<string>(f(m(fc), 'application_protocols'));
    return !ap.length ? 'wild' : ap.some((a) => alpn.includes(a)) ? 'specific' : 'no';
  });
  if (cands.length) return { chain: cands[0], isDefault: false, ambiguous: cands.length };
  const def = f<Obj>(listener, 'default_filter_chain');
  return def ? { chain: def, isDefault: true, ambiguous: 1 } : { isDefault: false, ambiguous: 0 };
}

/** The listener Envoy hands a connection to after reading its original destination. */
export function listenerForDestination(pc: ProxyConfig, ip: string | undefined, port: number, exclude: Obj[] = []): Obj | undefined {
  const candidates = pc.listeners.filter((l) => !exclude.includes(l) && f(l, 'name') !== 'virtualOutbound' && f(l, 'name') !== 'virtualInbound');
  const at = (addr: string) => candidates.find((l) => {
    const sa = socketAddress(l);
    return sa && sa.port === port && sa.address === addr;
  });
  return (ip ? at(ip) : undefined) ?? at('0.0.0.0') ?? at('::');
}

function findListener(pc: ProxyConfig, name: string, port: number): Obj | undefined {
  return pc.listeners.find((l) => f(l, 'name') === name) ?? pc.listeners.find((l) => socketAddress(l)?.port === port && f(l, 'use_original_dst') !== undefined);
}

// ---- routes -------------------------------------------------------------------------------

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return i > 0 && host.indexOf(':') === i ? host.slice(0, i) : host;
}

/** Envoy's virtual host choice: exact, then longest `*.suffix`, then longest `prefix.*`, then `*`. */
export function selectVirtualHost(rc: Obj, authority: string): { vhost?: Obj; matchedDomain?: string } {
  const vhosts = arr(f(rc, 'virtual_hosts'));
  const tryHost = (host: string) => {
    const h = host.toLowerCase();
    let exact: [Obj, string] | undefined;
    let suffix: [Obj, string] | undefined;
    let prefix: [Obj, string] | undefined;
    let star: [Obj, string] | undefined;
    for (const vh of vhosts) {
      for (const d0 of arr<string>(f(vh, 'domains'))) {
        const d = d0.toLowerCase();
        if (d === h) exact ??= [vh, d0];
        else if (d === '*') star ??= [vh, d0];
        else if (d.startsWith('*') && h.endsWith(d.slice(1)) && h.length > d.length - 1) {
          if (!suffix || d.length > suffix[1].length) suffix = [vh, d0];
        } else if (d.endsWith('*') && h.startsWith(d.slice(0, -1)) && h.length > d.length - 1) {
          if (!prefix || d.length > prefix[1].length) prefix = [vh, d0];
        }
      }
    }
    return exact ?? suffix ?? prefix ?? star;
  };
  const ignorePort = f<boolean>(rc, 'ignore_port_in_host_matching') === true;
  const hit = tryHost(ignorePort ? stripPort(authority) : authority);
  return hit ? { vhost: hit[0], matchedDomain: hit[1] } : {};
}

function stringMatch(sm: Obj, value: string): boolean {
  const ci = f<boolean>(sm, 'ignore_case') === true;
  const v = ci ? value.toLowerCase() : value;
  const norm = (s: unknown) => (ci ? String(s).toLowerCase() : String(s));
  if (f(sm, 'exact') !== undefined) return v === norm(f(sm, 'exact'));
  if (f(sm, 'prefix') !== undefined) return v.startsWith(norm(f(sm, 'prefix')));
  if (f(sm, 'suffix') !== undefined) return v.endsWith(norm(f(sm, 'suffix')));
  if (f(sm, 'contains') !== undefined) return v.includes(norm(f(sm, 'contains')));
  const re = f<string>(f(sm, 'safe_regex'), 'regex');
  if (re !== undefined) return new RegExp(`^(?:${re})$`).test(value);
  return false;
}

/** Does a route's match accept the request? `unsupported` names a criterion we cannot evaluate. */
export function routeMatches(match: Obj, req: { path: string; method: string; headers: Record<string, string>; authority: string }): { ok: boolean; unsupported?: string } {
  const caseSensitive = f<boolean>(match, 'case_sensitive') !== false;
  const fullPath = req.path;
  const path = fullPath.split('?')[0];
  const cmp = (s: string) => (caseSensitive ? s : s.toLowerCase());
  let ok: boolean;
  if (f(match, 'prefix') !== undefined) ok = cmp(path).startsWith(cmp(String(f(match, 'prefix'))));
  else if (f(match, 'path') !== undefined) ok = cmp(path) === cmp(String(f(match, 'path')));
  else if (f(match, 'safe_regex') !== undefined) ok = new RegExp(`^(?:${String(f(f(match, 'safe_regex'), 'regex'))})$`).test(path);
  else if (f(match, 'path_separated_prefix') !== undefined) {
    const p = String(f(match, 'path_separated_prefix'));
    ok = path === p || path.startsWith(p + '/');
  } else if (f(match, 'connect_matcher') !== undefined) ok = req.method === 'CONNECT';
  else return { ok: false, unsupported: `path matcher ${Object.keys(match).join(',')}` };
  if (!ok) return { ok };
  for (const h of arr(f(match, 'headers'))) {
    const name = String(f(h, 'name')).toLowerCase();
    const value = name === ':authority' ? req.authority : name === ':method' ? req.method : name === ':path' ? fullPath : req.headers[name];
    let hit: boolean;
    if (f(h, 'present_match') !== undefined) hit = (value !== undefined) === Boolean(f(h, 'present_match'));
    else if (value === undefined) hit = false;
    else if (f(h, 'string_match')) hit = stringMatch(f<Obj>(h, 'string_match')!, value);
    else if (f(h, 'exact_match') !== undefined) hit = value === f(h, 'exact_match');
    else if (f(h, 'prefix_match') !== undefined) hit = value.startsWith(String(f(h, 'prefix_match')));
    else if (f(h, 'suffix_match') !== undefined) hit = value.endsWith(String(f(h, 'suffix_match')));
    else if (f(h, 'contains_match') !== undefined) hit = value.includes(String(f(h, 'contains_match')));
    else if (f(h, 'safe_regex_match') !== undefined) hit = new RegExp(`^(?:${String(f(f(h, 'safe_regex_match'), 'regex'))})$`).test(value);
    else return { ok: false, unsupported: `header matcher on "${name}"` };
    if (f(h, 'invert_match') === true) hit = !hit;
    if (!hit) return { ok: false };
  }
  if (arr(f(match, 'query_parameters')).length) return { ok: false, unsupported: 'query parameter match' };
  if (f(match, 'runtime_fraction') !== undefined) return { ok: false, unsupported: 'runtime_fraction match' };
  return { ok: true };
}

function describeMatch(match: Obj): string {
  for (const k of ['prefix', 'path', 'path_separated_prefix']) if (f(match, k) !== undefined) return `${k} ${String(f(match, k))}`;
  if (f(match, 'safe_regex') !== undefined) return `regex ${String(f(f(match, 'safe_regex'), 'regex'))}`;
  return JSON.stringify(match);
}

// ---- clusters and endpoints ---------------------------------------------------------------

export function parseClusterName(name: string): { direction: string; port: string; subset: string; host: string } | undefined {
  const p = name.split('|');
  return p.length === 4 ? { direction: p[0], port: p[1], subset: p[2], host: p[3] } : undefined;
}

function clusterFacts(cl: Obj | undefined, name: string): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  const parts = parseClusterName(name);
  if (parts?.subset) facts.subset = parts.subset;
  if (!cl) return facts;
  facts.type = f(cl, 'type') ?? f(f(cl, 'cluster_type'), 'name') ?? 'EDS';
  facts.lbPolicy = f(cl, 'lb_policy') ?? 'ROUND_ROBIN';
  if (f(cl, 'connect_timeout')) facts.connectTimeout = f(cl, 'connect_timeout');
  const tsm = arr(f(cl, 'transport_socket_matches'));
  const istio = tsm.find((m) => String(f(m, 'name')).startsWith('tlsMode-istio'));
  const ts = f<Obj>(cl, 'transport_socket');
  if (istio) {
    facts.tls = 'ISTIO_MUTUAL (auto mTLS: used for endpoints labelled tlsMode=istio, plaintext otherwise)';
    const sni = f(f(f(istio, 'transport_socket'), 'typed_config'), 'sni');
    if (sni) facts.sni = sni;
  } else if (ts && String(f(ts, 'name')).includes('tls')) {
    facts.tls = 'TLS origination';
    const sni = f(f(ts, 'typed_config'), 'sni');
    if (sni) facts.sni = sni;
  } else facts.tls = 'none (plaintext)';
  const th = arr(f(f(cl, 'circuit_breakers'), 'thresholds'))[0];
  if (th) {
    const cb: Record<string, unknown> = {};
    for (const k of ['max_connections', 'max_pending_requests', 'max_requests', 'max_retries']) if (f(th, k) !== undefined) cb[k] = f(th, k);
    facts.circuitBreakers = cb;
  }
  const od = f<Obj>(cl, 'outlier_detection');
  if (od) facts.outlierDetection = od;
  const istioMeta = f(f(f(cl, 'metadata'), 'filter_metadata'), 'istio');
  const svc = arr(f(istioMeta, 'services'));
  if (svc.length) facts.services = svc.map((s) => f(s, 'host'));
  const cfg = f(istioMeta, 'config');
  if (cfg) facts.destinationRule = cfg;
  return facts;
}

interface LbEndpoint {
  address: string;
  port: number;
  health: string;
  locality: string;
  workload?: string;
  tlsMode?: string;
  priority: number;
}

export function endpointsOf(pc: ProxyConfig, cl: Obj | undefined, clusterName: string): LbEndpoint[] | undefined {
  const svcName = f<string>(f(cl, 'eds_cluster_config'), 'service_name') ?? clusterName;
  const cla = pc.endpoints.get(svcName) ?? pc.endpoints.get(clusterName) ?? f<Obj>(cl, 'load_assignment');
  if (!cla) return undefined;
  const out: LbEndpoint[] = [];
  for (const group of arr(f(cla, 'endpoints'))) {
    const loc = f<Obj>(group, 'locality') ?? {};
    const locality = ['region', 'zone', 'sub_zone'].map((k) => f<string>(loc, k)).filter(Boolean).join('/');
    for (const lbe of arr(f(group, 'lb_endpoints'))) {
      const sa = socketAddress(f(lbe, 'endpoint'));
      if (!sa) continue;
      const md = f(f(lbe, 'metadata'), 'filter_metadata');
      out.push({
        address: sa.address,
        port: sa.port,
        health: String(f(lbe, 'health_status') ?? 'UNKNOWN'),
        locality,
        ...(f(f(md, 'istio'), 'workload') ? { workload: String(f(f(md, 'istio'), 'workload')) } : {}),
        ...(f(f(md, 'envoy.transport_socket_match'), 'tlsMode') ? { tlsMode: String(f(f(md, 'envoy.transport_socket_match'), 'tlsMode')) } : {}),
        priority: Number(f(group, 'priority') ?? 0),
      });
    }
  }
  return out;
}

// ---- the walk -----------------------------------------------------------------------------

export interface WalkOptions {
  entry: Entry;
  /** Where this proxy sits in the diagram: a sidecar ('envoy') or the ingress gateway. */
  at?: Place;
  /** Pick among weighted clusters; default: the heaviest (ties: the first). */
  pickWeighted?: (clusters: Array<{ name: string; weight: number }>) => string;
}

export function walkEnvoy(pc: ProxyConfig, req: EnvoyRequest, opts: WalkOptions): EnvoyResult {
  const at: Place = opts.at ?? (opts.entry === 'gateway' ? 'gateway' : 'envoy');
  const hops: Hop[] = [];
  const warnings: string[] = [];
  const res: EnvoyResult = { hops, warnings };
  const dst = `${req.dstIp ?? '*'}:${req.dstPort}`;

  // 1. listener
  let listener: Obj | undefined;
  if (opts.entry === 'outbound') {
    const vo = findListener(pc, 'virtualOutbound', SIDECAR_OUTBOUND_PORT);
    const target = listenerForDestination(pc, req.dstIp, req.dstPort);
    if (vo) {
      hops.push({
        kind: 'listener', at, name: listenerName(vo),
        explain: target
          ? `virtualOutbound (0.0.0.0:15001, use_original_dst) reads the original destination ${dst} and hands the connection to listener ${listenerName(target)}.`
          : `virtualOutbound (0.0.0.0:15001) finds no listener for ${dst} and uses its own filter chains.`,
        detail: { port: SIDECAR_OUTBOUND_PORT, useOriginalDst: f(vo, 'use_original_dst') === true, originalDestination: dst },
        raw: json({ name: f(vo, 'name'), address: f(vo, 'address'), use_original_dst: f(vo, 'use_original_dst'), filter_chains: arr(f(vo, 'filter_chains')).map(compactChain) }),
      });
    } else if (!target) {
      warnings.push(`no virtualOutbound listener and no listener for ${dst} in the config dump`);
    }
    listener = target ?? vo;
  } else if (opts.entry === 'inbound') {
    listener = findListener(pc, 'virtualInbound', SIDECAR_INBOUND_PORT);
    if (!listener) warnings.push('no virtualInbound listener (0.0.0.0:15006) in the config dump');
  } else {
    listener = listenerForDestination(pc, req.dstIp, req.dstPort);
    // A route-only dump (proxy-config routes): Istio names a gateway's route config http.<port>.
    const gwRoutes = routeConfigByName(pc, `http.${req.dstPort}`);
    if (!listener && gwRoutes) {
      const name = `0.0.0.0_${req.dstPort}`;
      const w = `listener ${name} is not in the config dump; following its route configuration http.${req.dstPort}`;
      warnings.push(w);
      hops.push({ kind: 'listener', at, name, explain: `Gateway listener ${name} (the gateway pod's port ${req.dstPort}) passes the request to its HTTP connection manager with route http.${req.dstPort}.`, warning: w });
      res.listener = name;
      return followRoutes(pc, req, opts, res, gwRoutes, `http.${req.dstPort}`);
    }
    if (!listener) warnings.push(`no listener on port ${req.dstPort} in the gateway's config dump`);
  }
  if (!listener) {
    hops.push({ kind: 'listener', at, explain: `No listener accepts ${dst}: the connection is refused.`, warning: warnings[warnings.length - 1] });
    res.terminated = { reason: 'no listener' };
    return res;
  }
  res.listener = listenerName(listener);

  // 2. filter chain
  const sel = selectFilterChain(listener, req);
  if (!sel.chain) {
    hops.push({ kind: 'listener', at, name: res.listener, explain: `Listener ${res.listener} has no filter chain for ${dst} (${req.transport ?? req.protocol}); Envoy closes the connection.`, raw: json({ name: res.listener, filter_chains: arr(f(listener, 'filter_chains')).map(compactChain) }) });
    res.terminated = { reason: 'no filter chain matched' };
    return res;
  }
  const fcName = f<string>(sel.chain, 'name') ?? (sel.isDefault ? 'default_filter_chain' : describeChainMatch(f<Obj>(sel.chain, 'filter_chain_match') ?? {}));
  res.filterChain = fcName;
  const filters = arr(f(sel.chain, 'filters'));
  const filterNames = filters.map((x) => String(f(x, 'name')));
  const fcm = f<Obj>(sel.chain, 'filter_chain_match') ?? {};
  const policy = filterNames.filter((n) => /rbac|authn|authz/.test(n));
  hops.push({
    kind: 'listener', at, name: res.listener,
    explain: `Listener ${res.listener} accepts it on filter chain ${fcName}${sel.isDefault ? ' (the default chain: nothing more specific matched)' : ''}; filters: ${filterNames.join(', ')}.`,
    detail: { filterChain: fcName, match: fcm, filters: filterNames, ...(policy.length ? { policyFilters: policy } : {}), ...(sel.ambiguous > 1 ? { candidates: sel.ambiguous } : {}) },
    raw: json(compactChain(sel.chain)),
  });

  // 3. network filter: HTTP connection manager or TCP proxy
  const hcm = filters.find((x) => String(f(x, 'name')).includes('http_connection_manager'));
  const tcp = filters.find((x) => String(f(x, 'name')).includes('tcp_proxy'));
  let clusterName: string | undefined;
  if (hcm) {
    const tc = f<Obj>(hcm, 'typed_config') ?? {};
    const rdsName = f<string>(f(tc, 'rds'), 'route_config_name');
    const rc = rdsName ? routeConfigByName(pc, rdsName) : f<Obj>(tc, 'route_config');
    if (!rc) {
      const w = `route configuration "${rdsName}" is not in the config dump (add the routes: istioctl proxy-config routes <pod> -o json)`;
      warnings.push(w);
      hops.push({ kind: 'route', at, name: rdsName, explain: `The HTTP connection manager uses RDS route ${rdsName}, which the dump does not include.`, warning: w });
      return res;
    }
    return followRoutes(pc, req, opts, res, rc, rdsName ?? f<string>(rc, 'name') ?? 'inline');
  } else if (tcp) {
    const tc = f<Obj>(tcp, 'typed_config') ?? {};
    const wc = arr(f(f(tc, 'weighted_clusters'), 'clusters'));
    if (wc.length) {
      const weights = wc.map((c) => ({ name: String(f(c, 'name')), weight: Number(f(c, 'weight') ?? 0) }));
      clusterName = (opts.pickWeighted ?? heaviest)(weights);
      hops[hops.length - 1].detail = { ...hops[hops.length - 1].detail, weightedClusters: weights, chosen: clusterName };
    } else clusterName = f<string>(tc, 'cluster');
    if (!clusterName) warnings.push(`tcp_proxy on ${fcName} names no cluster`);
  } else {
    warnings.push(`filter chain ${fcName} has neither an HTTP connection manager nor a TCP proxy`);
    return res;
  }
  if (!clusterName) return res;
  return followCluster(pc, req, opts, res, clusterName);
}

const heaviest = (w: Array<{ name: string; weight: number }>) => w.reduce((a, b) => (b.weight > a.weight ? b : a)).name;

function followRoutes(pc: ProxyConfig, req: EnvoyRequest, opts: WalkOptions, res: EnvoyResult, rc: Obj, routeName: string): EnvoyResult {
  const at: Place = opts.at ?? (opts.entry === 'gateway' ? 'gateway' : 'envoy');
  const { hops, warnings } = res;
  let clusterName: string | undefined;
  {
    const authority = req.host ?? `${req.dstIp ?? 'localhost'}:${req.dstPort}`;
    const { vhost, matchedDomain } = selectVirtualHost(rc, authority);
    if (!vhost) {
      hops.push({ kind: 'route', at, name: routeName, explain: `No virtual host in route ${routeName} matches Host "${authority}": Envoy answers 404 (NR).`, raw: json({ name: routeName, virtual_hosts: arr(f(rc, 'virtual_hosts')).map((v) => ({ name: f(v, 'name'), domains: f(v, 'domains') })) }) });
      res.route = routeName;
      res.terminated = { status: 404, reason: 'NR: no route' };
      return res;
    }
    const vhName = String(f(vhost, 'name'));
    const reqInfo = { path: req.path ?? '/', method: req.method ?? 'GET', headers: Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), authority };
    let chosen: Obj | undefined;
    for (const r of arr(f(vhost, 'routes'))) {
      const m = routeMatches(f<Obj>(r, 'match') ?? {}, reqInfo);
      if (m.unsupported) warnings.push(`route ${String(f(r, 'name') ?? describeMatch(f<Obj>(r, 'match') ?? {}))} in ${vhName} uses a ${m.unsupported}, which Meshwalk does not evaluate; treated as not matching`);
      if (m.ok) {
        chosen = r;
        break;
      }
    }
    res.route = routeName;
    if (!chosen) {
      hops.push({ kind: 'route', at, name: routeName, explain: `Virtual host ${vhName} has no route matching ${reqInfo.method} ${reqInfo.path}: Envoy answers 404 (NR).`, detail: { virtualHost: vhName, domain: matchedDomain }, raw: json(vhost) });
      res.terminated = { status: 404, reason: 'NR: no route' };
      return res;
    }
    const match = f<Obj>(chosen, 'match') ?? {};
    const action = f<Obj>(chosen, 'route');
    const direct = f<Obj>(chosen, 'direct_response');
    const detail: Record<string, unknown> = { virtualHost: vhName, domain: matchedDomain, match: describeMatch(match), routeName: f(chosen, 'name') ?? 'default' };
    const vs = f(f(f(f(chosen, 'metadata'), 'filter_metadata'), 'istio'), 'config');
    if (vs) detail.virtualService = vs;
    if (action) {
      for (const k of ['timeout', 'retry_policy']) if (f(action, k) !== undefined) detail[k === 'retry_policy' ? 'retries' : k] = f(action, k);
      const mirrors = arr(f(action, 'request_mirror_policies')).map((m) => f(m, 'cluster'));
      if (mirrors.length) detail.mirror = mirrors;
      const wc = arr(f(f(action, 'weighted_clusters'), 'clusters'));
      if (wc.length) {
        const weights = wc.map((c) => ({ name: String(f(c, 'name')), weight: Number(f(c, 'weight') ?? 0) }));
        clusterName = (opts.pickWeighted ?? heaviest)(weights);
        detail.weightedClusters = weights;
        detail.chosen = clusterName;
      } else clusterName = f<string>(action, 'cluster');
      if (!clusterName && f(action, 'cluster_header')) warnings.push(`route picks its cluster from header ${String(f(action, 'cluster_header'))}; not followed`);
    }
    const fault = f(f(chosen, 'typed_per_filter_config'), 'envoy.filters.http.fault');
    if (fault) detail.fault = fault;
    hops.push({
      kind: 'route', at, name: routeName,
      explain: direct
        ? `Route ${routeName} → virtual host ${vhName} (domain ${matchedDomain}) → ${describeMatch(match)}: Envoy answers ${String(f(direct, 'status'))} itself (direct_response).`
        : `Route ${routeName} → virtual host ${vhName} (domain ${matchedDomain}) → match ${describeMatch(match)} → cluster ${clusterName}${detail.weightedClusters ? ` (weighted: ${(detail.weightedClusters as Array<{ name: string; weight: number }>).map((w) => `${w.name} ${w.weight}`).join(', ')}; Envoy picks per request at random by weight, this walk follows the heaviest)` : ''}.`,
      detail,
      raw: json({ route_config: routeName, virtual_host: { name: vhName, domains: f(vhost, 'domains') }, route: chosen }),
    });
    if (direct) {
      res.terminated = { status: Number(f(direct, 'status')), reason: vhName === 'block_all' ? 'block_all: REGISTRY_ONLY, destination not in the registry' : 'direct_response' };
      return res;
    }
  }
  if (!clusterName) return res;
  return followCluster(pc, req, opts, res, clusterName);
}

function followCluster(pc: ProxyConfig, req: EnvoyRequest, opts: WalkOptions, res: EnvoyResult, clusterName: string): EnvoyResult {
  const at: Place = opts.at ?? (opts.entry === 'gateway' ? 'gateway' : 'envoy');
  const { hops, warnings } = res;
  // 4. cluster
  res.cluster = clusterName;
  const cl = clusterByName(pc, clusterName);
  const facts = clusterFacts(cl, clusterName);
  const bind = f<string>(f(f(f(cl, 'upstream_bind_config'), 'source_address'), 'socket_address') ?? f(f(cl, 'upstream_bind_config'), 'source_address'), 'address');
  if (bind) res.bindAddress = bind;
  else if (clusterName.startsWith('inbound|') || clusterName.startsWith('InboundPassthroughCluster')) res.bindAddress = '127.0.0.6';
  const special =
    clusterName === 'BlackHoleCluster'
      ? 'BlackHoleCluster has no endpoints: the connection is dropped (response flag UH; REGISTRY_ONLY or a Sidecar-scoped miss).'
      : clusterName === 'PassthroughCluster'
        ? 'PassthroughCluster (ORIGINAL_DST) forwards to the original destination unchanged: no routing, no mTLS (ALLOW_ANY).'
        : clusterName.startsWith('InboundPassthroughCluster')
          ? 'InboundPassthroughCluster forwards to the original destination in the pod (a port no Service declares).'
          : undefined;
  hops.push({
    kind: 'cluster', at, name: clusterName,
    explain: special ?? (cl ? `Cluster ${clusterName}: ${String(facts.type)}${facts.subset ? `, subset ${String(facts.subset)}` : ''}, ${String(facts.lbPolicy)}, TLS ${String(facts.tls)}.` : `Cluster ${clusterName}${facts.subset ? ` (subset ${String(facts.subset)})` : ''}; its definition is not in the dump.`),
    detail: facts,
    ...(cl ? { raw: json(cl) } : {}),
    ...(!cl && !special ? { warning: `cluster ${clusterName} is not in the config dump` } : {}),
  });
  if (clusterName === 'BlackHoleCluster') {
    res.terminated = { reason: 'UH: BlackHoleCluster' };
    return res;
  }

  // 5. endpoint
  const type = String(facts.type ?? '');
  const original = type === 'ORIGINAL_DST' || clusterName === 'PassthroughCluster' || clusterName.startsWith('InboundPassthroughCluster') || (!cl && clusterName.startsWith('inbound|'));
  if (original) {
    const host = req.dstIp ?? req.dstName ?? '(original destination)';
    const address = `${host}:${req.dstPort}`;
    res.endpoint = { address: req.dstIp ?? req.dstName ?? '', port: req.dstPort };
    hops.push({ kind: 'endpoint', at, address, explain: `The endpoint is the connection's original destination ${address}${res.bindAddress ? `, connected from ${res.bindAddress}` : ''}.`, detail: { source: res.bindAddress } });
    return res;
  }
  const eps = endpointsOf(pc, cl, clusterName);
  const parts = parseClusterName(clusterName);
  if ((!eps || !eps.length) && (type === 'STRICT_DNS' || type === 'LOGICAL_DNS') && parts) {
    // A DNS cluster (ServiceEntry with resolution DNS): Envoy resolves the host itself.
    const port = Number(parts.port) || req.dstPort;
    res.endpoint = { address: parts.host, port };
    hops.push({ kind: 'endpoint', at, address: `${parts.host}:${port}`, explain: `${type} cluster: Envoy resolves ${parts.host} with DNS and connects to one of the addresses on port ${port}.`, detail: { resolution: type } });
    return res;
  }
  if (!eps) {
    const w = `no endpoints for ${clusterName} in the config dump (add them: istioctl proxy-config endpoints <pod> -o json)`;
    warnings.push(w);
    hops.push({ kind: 'endpoint', at, explain: `Envoy load-balances over the cluster's endpoints; the dump has none for ${clusterName}.`, warning: w });
    return res;
  }
  const healthy = eps.filter((e) => e.health === 'HEALTHY' || e.health === 'UNKNOWN');
  const minPrio = Math.min(...healthy.map((e) => e.priority));
  const pick = healthy.find((e) => e.priority === minPrio);
  if (!pick) {
    hops.push({ kind: 'endpoint', at, explain: `Cluster ${clusterName} has ${eps.length} endpoint(s), none healthy: Envoy answers 503 (UH).`, detail: { endpoints: eps } });
    res.terminated = { status: 503, reason: 'UH: no healthy upstream' };
    return res;
  }
  const tlsUsed = facts.tls === undefined ? undefined : String(facts.tls).startsWith('ISTIO_MUTUAL') ? (pick.tlsMode === 'istio' ? 'mTLS (ISTIO_MUTUAL)' : 'plaintext (endpoint has no tlsMode=istio)') : String(facts.tls);
  res.endpoint = { address: pick.address, port: pick.port, ...(tlsUsed ? { tls: tlsUsed } : {}) };
  hops.push({
    kind: 'endpoint', at, address: `${pick.address}:${pick.port}`,
    explain: `Endpoint ${pick.address}:${pick.port}${pick.workload ? ` (${pick.workload.split(';')[0]})` : ''}, ${pick.health}${pick.locality ? `, locality ${pick.locality}` : ''}: one of ${healthy.length} healthy of ${eps.length} (${String(facts.lbPolicy ?? 'ROUND_ROBIN')} picks per request)${tlsUsed ? `; ${tlsUsed}` : ''}.`,
    detail: { endpoints: eps, healthy: healthy.length, lbPolicy: facts.lbPolicy, tls: tlsUsed },
  });
  return res;
}
