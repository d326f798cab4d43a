// The Envoy model: what a sidecar or gateway does with one request — route, fault, pick an
// endpoint, enforce circuit breakers, retry, time out, mirror — and the access-log line it writes.
// Everything runs in virtual milliseconds; nothing here sleeps.
import type { LogRecord } from './access-log-format.ts';
import { externalIp, type CompiledConfig } from './compiled.ts';
import type { Rng } from './random.ts';
import { DEFAULT_RETRY, firstHttpRoute, hostMatches, pickWeighted, type CompiledHttpRoute, type MatchInput, type RouteDest, type TrafficPolicy } from './routing.ts';
import { authorize, mtlsMode, namespaceMtlsMode } from './security.ts';
import type { Pod, Service } from './topology.ts';
import { serve, type AppCallResult, type AppData, type AppEnv, type AppRequest } from './workloads.ts';
import { pickEndpoint, ProxyState } from './upstream.ts';

export interface MeshSettings {
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  accessLogEncoding: 'TEXT' | 'JSON';
}

/** One request tree being simulated: shared id, the lines written, the hops seen. */
export interface Trace {
  requestId: string;
  records: LogRecord[];
  hops: SimHop[];
  userAgent: string;
}

export interface SimHop {
  from: string;
  to: string;
  service: string | null;
  version: string | null;
  status: number;
  flags: string;
  durationMs: number;
  startMs: number;
  mirror?: boolean;
}

export interface OutRequest {
  method: string;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  tcp: boolean;
  tls: boolean;
  payload?: string;
  sessionUser?: string;
}

/** How the request reached the proxy: addresses for its log line and which routes bind. */
interface Listener {
  gateway: string;
  downstreamLocal: string;
  downstreamRemote: string;
  xff: string | null;
}

interface Forwarded {
  status: number;
  endMs: number;
  data?: AppData;
  connectFailure: boolean;
  bytes: number;
  /** The server-side line, patched if the client cancels the stream. */
  inbound?: LogRecord;
  upstreamHost: string;
  upstreamLocal: string;
}

const SIDECAR_UA = 'curl/8.16.0';
const OVERFLOW = 'upstream_reset_before_response_started{overflow}';
const CONNECT_FAILURE = 'upstream_reset_before_response_started{connection_failure}';

/** Everything about a route destination that does not change between requests. */
interface ClusterInfo {
  svc?: Service;
  known: boolean;
  port: number;
  fqdn: string;
  cluster: string;
  subsetMissing: boolean;
  policy: TrafficPolicy;
  targetPort: number;
  endpoints: Pod[];
  sni: string;
  short: string;
}

export class DataPlane {
  readonly state = new ProxyState();
  private port = 32768;
  /** Resolved destinations, valid for one config revision and one readiness state. */
  private clusterCache = new Map<string, ClusterInfo>();
  /** The same, keyed by the compiled route destination (stable per revision): no key string per request. */
  private destCache = new WeakMap<RouteDest, { ns: string; port: number; info: ClusterInfo }[]>();
  private cacheRevision = -1;
  private readonly envs = new Map<Pod | typeof NO_POD, PodEnv>();

  constructor(
    public cfg: CompiledConfig,
    readonly rng: Rng,
    public settings: MeshSettings,
  ) {}

  /** New config: pods may have been recreated, pools and ejections start afresh. */
  reconfigure(cfg: CompiledConfig): void {
    this.cfg = cfg;
    this.state.clear();
    this.envs.clear();
    this.clusterCache.clear();
  }

  private ephemeral(): number {
    this.port = this.port >= 60999 ? 32768 : this.port + 1;
    return this.port;
  }

  private net(): number {
    return this.rng.between(0.05, 0.25);
  }

  // ---- entry points ----

  /** A request sent by the app in `client`'s pod (through its sidecar when injected). */
  fromPod(client: Pod, req: OutRequest, at: number, trace: Trace, appTimeoutMs = 0): AppCallResult {
    if (!client.workload.injected) return this.direct(client, req, at, trace);
    const svc = this.cfg.topology.service(req.host, client.namespace);
    const dstIp = svc ? svc.vip : externalIp(req.host);
    const listener: Listener = { gateway: 'mesh', downstreamLocal: `${dstIp}:${req.port}`, downstreamRemote: `${client.ip}:${this.ephemeral()}`, xff: null };
    return this.outbound(client, listener, req, at, trace, appTimeoutMs);
  }

  /** A request entering through a gateway pod (ingress from outside, or egress from a sidecar). */
  atGateway(gw: Pod, req: OutRequest, podPort: number, servicePort: number, at: number, trace: Trace, remote: string, xff: string | null): AppCallResult & { refused?: boolean } {
    const refs: string[] = [];
    let protocol = 'HTTP';
    let listening = false;
    const host = (req.headers.host ?? req.host).split(':')[0].toLowerCase();
    for (const g of this.cfg.gateways) {
      if (!Object.entries(g.selector).every(([k, v]) => gw.workload.labels[k] === v)) continue;
      for (const s of g.servers) {
        if (s.port !== podPort && s.port !== servicePort) continue;
        listening = true;
        protocol = s.protocol;
        // HTTP servers only take the hosts they declare; TCP servers have no Host to check.
        if ((s.protocol === 'HTTP' || s.protocol === 'HTTP2') && !s.hosts.some((h) => hostMatches(h, host))) continue;
        refs.push(`${g.namespace}/${g.name}`);
      }
    }
    // A server for this port but not this Host: the listener exists, no route matches.
    if (listening && refs.length === 0) {
      const l: Listener = { gateway: '', downstreamLocal: `${gw.ip}:${podPort}`, downstreamRemote: remote, xff };
      return this.localReply(gw, l, req, at, trace, 404, 'NR', 'route_not_found', null, null, false);
    }
    // No Gateway server on this port: nothing listens, the client's connection is refused.
    if (!listening) return { status: 0, endMs: at + 0.5, refused: true };
    const listener: Listener = { gateway: refs[0], downstreamLocal: `${gw.ip}:${podPort}`, downstreamRemote: remote, xff };
    const tcp = protocol === 'TCP' || protocol === 'TLS';
    return this.outbound(gw, listener, { ...req, tcp: tcp || req.tcp, port: servicePort }, at, trace, 0, refs);
  }

  // ---- outbound ----

  private outbound(proxy: Pod, l: Listener, req: OutRequest, at: number, trace: Trace, appTimeoutMs: number, gatewayRefs?: string[]): AppCallResult {
    const cfg = this.cfg;
    const isGateway = gatewayRefs !== undefined;
    let svc: Service | undefined;
    let fqdn = req.host;
    let known = false;
    let portProto: string | undefined;
    if (!isGateway) {
      svc = cfg.topology.service(req.host, proxy.namespace);
      if (svc && cfg.visible(proxy, svc.namespace, svc.fqdn)) {
        fqdn = svc.fqdn;
        known = true;
        portProto = svc.ports.find((p) => p.port === req.port)?.protocol;
      } else {
        const se = cfg.serviceEntry(req.host);
        if (se && cfg.visible(proxy, se.namespace, req.host.toLowerCase())) {
          known = true;
          fqdn = req.host.toLowerCase();
          portProto = se.ports.find((p) => p.port === req.port)?.protocol;
        }
      }
    }
    const tcp = req.tcp || req.tls || portProto === 'TCP' || portProto === 'TLS' || portProto === 'HTTPS';
    if (!isGateway && !known) return this.unknownDestination(proxy, l, req, at, trace, svc, tcp);

    const input: MatchInput = {
      path: pathOnly(req.path),
      query: req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : '',
      method: req.method,
      authority: req.headers.host ?? req.host,
      headers: req.headers,
      port: req.port,
      sourceLabels: proxy.workload.labels,
      sourceNamespace: proxy.namespace,
      gateway: l.gateway,
    };

    if (tcp) {
      const vs = isGateway ? gatewayRefs!.map((g) => cfg.virtualServices.find((v) => v.gateways.includes(g) && v.tcp.length > 0)).find(Boolean) : cfg.meshVirtualService(fqdn);
      let dests: RouteDest[] = [{ host: fqdn, subset: '', weight: 100 }];
      let total = 100;
      if (vs && vs.tcp.length) {
        const r = vs.tcp.find((t) => t.matches.length === 0 || t.matches.some((m) => (m.port === undefined || m.port === req.port) && (!m.gateways || m.gateways.includes(l.gateway)) && (!m.sourceLabels || Object.entries(m.sourceLabels).every(([k, v]) => proxy.workload.labels[k] === v))));
        if (r) {
          dests = r.dests;
          total = r.totalWeight;
        } else if (isGateway) return this.localReply(proxy, l, req, at, trace, 0, 'NR', 'filter_chain_not_found', null, null, true);
      } else if (isGateway) return this.localReply(proxy, l, req, at, trace, 0, 'NR', 'filter_chain_not_found', null, null, true);
      const d = pickWeighted(dests, total, this.rng)!;
      return this.toCluster(proxy, l, req, at, trace, d, null, null, appTimeoutMs, true);
    }

    const vs = isGateway ? gatewayRefs!.map((g) => cfg.gatewayVirtualService(g, (req.headers.host ?? req.host).split(':')[0])).find(Boolean) : cfg.meshVirtualService(fqdn);
    let route: CompiledHttpRoute | null = null;
    if (vs) {
      route = firstHttpRoute(vs, input);
      if (!route) return this.localReply(proxy, l, req, at, trace, 404, 'NR', 'route_not_found', null, null, false);
    } else if (isGateway) {
      return this.localReply(proxy, l, req, at, trace, 404, 'NR', 'route_not_found', null, null, false);
    }
    const routeName = route ? route.name : 'default';
    if (route?.directResponse) return this.localReply(proxy, l, req, at, trace, route.directResponse.status, '-', 'direct_response', null, routeName, false);
    if (route?.redirect) return this.localReply(proxy, l, req, at, trace, route.redirect.code, '-', 'direct_response', null, routeName, false);

    let t = at;
    let flags = '';
    if (route?.fault) {
      const f = route.fault;
      if (f.delayMs > 0 && this.rng.percent(f.delayPct)) {
        t += f.delayMs;
        flags = 'DI';
      }
      if (f.abortStatus > 0 && this.rng.percent(f.abortPct)) {
        return this.localReply(proxy, l, req, at, trace, f.abortStatus, flags ? `${flags},FI` : 'FI', 'fault_filter_abort', null, routeName, false, t - at);
      }
    }
    let sendReq = req;
    if (route?.rewrite) {
      sendReq = { ...req, headers: { ...req.headers } };
      if (route.rewrite.uri !== undefined) {
        const m = route.matches.find((mm) => mm.uri?.kind === 'prefix');
        sendReq.path = m?.uri && req.path.startsWith(m.uri.value) ? route.rewrite.uri + req.path.slice(m.uri.value.length) : route.rewrite.uri;
      }
      if (route.rewrite.authority) sendReq.headers.host = route.rewrite.authority;
    }
    const dest = route ? pickWeighted(route.dests, route.totalWeight, this.rng) : { host: fqdn, subset: '', weight: 100 };
    if (!dest) return this.localReply(proxy, l, req, at, trace, 404, 'NR', 'route_not_found', null, routeName, false);
    if (route?.mirror && this.rng.percent(route.mirror.pct)) {
      const m = route.mirror;
      const mirrorTrace: Trace = { ...trace, hops: trace.hops };
      const before = trace.hops.length;
      const firstRecord = trace.records.length;
      this.toCluster(proxy, { ...l, downstreamRemote: l.downstreamRemote }, sendReq, t, mirrorTrace, { host: m.host, subset: m.subset, port: m.port, weight: 100 }, routeName, null, 0, false, '');
      for (let i = before; i < trace.hops.length; i++) if (trace.hops[i].from === proxy.workload.name) trace.hops[i].mirror = true;
      // Envoy's access log records only the primary upstream call: the shadow request shows up
      // only in the mirror target's inbound log (envoyproxy/envoy#8505).
      for (let i = trace.records.length - 1; i >= firstRecord; i--) if (trace.records[i].proxy === proxy) trace.records.splice(i, 1);
    }
    return this.toCluster(proxy, l, sendReq, at, trace, dest, routeName, route, appTimeoutMs, false, flags, t);
  }

  /** No Service or ServiceEntry known to this proxy: PassthroughCluster or BlackHole / block_all. */
  private unknownDestination(proxy: Pod, l: Listener, req: OutRequest, at: number, trace: Trace, scopedOut: Service | undefined, tcp: boolean): AppCallResult {
    const scope = this.cfg.sidecarFor(proxy);
    const mode = scope?.outboundPolicy ?? this.settings.outboundTrafficPolicy;
    if (mode === 'REGISTRY_ONLY') {
      if (tcp) {
        this.record(proxy, trace, at, at + 0.1, null, 0, 'UH', null, 0, 0, null, 'BlackHoleCluster', null, l, null, null, null);
        this.hop(trace, proxy, 'BlackHoleCluster', req.host, null, 0, 'UH', at, at + 0.1);
        return { status: 0, endMs: at + 0.1 };
      }
      return this.localReply(proxy, l, req, at, trace, 502, '-', 'direct_response', null, 'block_all', false);
    }
    // ALLOW_ANY: forwarded to the original destination, no Istio routing and no mTLS.
    const server = scopedOut ? scopedOut.pods[this.rng.int(Math.max(1, scopedOut.pods.length))] : undefined;
    const targetPort = scopedOut?.ports.find((p) => p.port === req.port)?.targetPort ?? req.port;
    const upstreamLocal = `${proxy.ip}:${this.ephemeral()}`;
    const t0 = at + this.net();
    let fw: Forwarded;
    if (server) fw = this.deliver(proxy, server, targetPort, `outbound|${req.port}||${scopedOut!.fqdn}`, null, req, t0, trace, upstreamLocal, false);
    else {
      const res = serve('external', { method: req.method, path: req.path, headers: req.headers, tcp }, t0, this.appEnv(null, trace));
      fw = { status: res.status, endMs: res.endMs + this.net(), data: res.data, connectFailure: false, bytes: res.bytes, upstreamHost: `${externalIp(req.host)}:${req.port}`, upstreamLocal };
    }
    const end = fw.endMs + this.net();
    this.record(proxy, trace, at, end, tcp ? null : req, tcp ? 0 : fw.status, '-', tcp ? null : 'via_upstream', tcp ? 837 : 0, fw.bytes, tcp ? null : fw.endMs - t0, 'PassthroughCluster', fw.upstreamHost, l, upstreamLocal, tcp && req.tls ? req.host : null, tcp ? null : 'allow_any');
    this.hop(trace, proxy, server ? server.workload.name : req.host, scopedOut?.name ?? req.host, server?.workload.version ?? null, tcp ? 0 : fw.status, '-', at, end);
    return { status: fw.status, endMs: end, data: fw.data };
  }

  /** Send to `dest` (a Service/ServiceEntry host + subset): cluster lookup, breakers, LB, retries, timeouts. */
  private toCluster(
    proxy: Pod, l: Listener, req: OutRequest, at: number, trace: Trace, dest: RouteDest, routeName: string | null,
    route: CompiledHttpRoute | null, appTimeoutMs: number, tcp: boolean, flags0 = '', sendAt = at,
  ): AppCallResult {
    const info = this.clusterInfo(dest, proxy.namespace, req.port);
    const { svc, port, cluster, policy, targetPort, endpoints } = info;
    if (!info.known || info.subsetMissing) {
      return this.localReply(proxy, l, req, at, trace, tcp ? 0 : 503, 'NC', 'cluster_not_found', null, routeName, tcp, sendAt - at, flags0);
    }
    if (svc && endpoints.length === 0) {
      return this.localReply(proxy, l, req, at, trace, tcp ? 0 : 503, 'UH', 'no_healthy_upstream', cluster, routeName, tcp, sendAt - at, flags0);
    }
    const sniFor = info.sni;
    const breaker = this.state.breaker(proxy.name, cluster, policy);
    let start = sendAt;
    if (breaker) {
      const admitted = breaker.admit(sendAt);
      if (admitted === null) {
        return this.localReply(proxy, l, req, at, trace, tcp ? 0 : 503, flags0 ? `${flags0},UO` : 'UO', OVERFLOW, cluster, routeName, tcp, sendAt - at);
      }
      start = admitted;
    }
    const retry = tcp ? null : route?.retries ?? DEFAULT_RETRY;
    const timeoutMs = route?.timeoutMs ?? 0;
    const deadline = timeoutMs > 0 ? start + timeoutMs : Infinity;
    let tried: Set<string> | null = null;
    let fw: Forwarded | null = null;
    let server: Pod | undefined;
    let attempt = 0;
    let t = start;
    let perTryTimedOut = false;
    let timedOut = false;
    const outlier = policy.outlier ? this.state.outlier(proxy.name, cluster) : null;
    for (;;) {
      perTryTimedOut = false;
      let upstreamLocal = `${proxy.ip}:${this.ephemeral()}`;
      if (svc) {
        const ep = pickEndpoint(this.state, proxy, cluster, endpoints, policy, outlier, tried, t, this.rng);
        server = ep;
        if (retry && retry.attempts > attempt) (tried ??= new Set<string>()).add(ep.name);
        const mtls = this.usesMtls(proxy, ep, policy);
        fw = this.deliver(proxy, ep, targetPort, cluster, mtls ? sniFor : null, req, t + this.net(), trace, upstreamLocal, mtls, policy.tlsMode === 'ISTIO_MUTUAL' && !ep.workload.injected);
        outlier?.result(ep.name, fw.connectFailure ? 503 : fw.status, fw.endMs, policy, endpoints.length);
      } else {
        const res = serve('external', { method: req.method, path: req.path, headers: req.headers, tcp }, t + this.net(), this.appEnv(null, trace));
        upstreamLocal = `${proxy.ip}:${this.ephemeral()}`;
        fw = { status: res.status, endMs: res.endMs + this.net(), data: res.data, connectFailure: false, bytes: res.bytes, upstreamHost: `${externalIp(dest.host)}:${port}`, upstreamLocal };
      }
      const perTry = retry?.perTryMs ?? 0;
      if (perTry > 0 && fw.endMs > t + perTry) {
        cancel(fw, t + perTry);
        fw = { ...fw, status: 504, endMs: t + perTry, connectFailure: false, data: undefined };
        perTryTimedOut = true;
      }
      if (fw.endMs > deadline) {
        cancel(fw, deadline);
        fw = { ...fw, status: 504, endMs: deadline, data: undefined };
        timedOut = true;
        break;
      }
      if (!retry || attempt >= retry.attempts || !retriable(retry, fw, perTryTimedOut)) break;
      attempt++;
      // Envoy's default backoff: 25 ms base, jittered, doubling per retry.
      t = fw.endMs + this.rng.between(0, 25 * 2 ** (attempt - 1));
      if (t >= deadline) {
        fw = { ...fw, status: 504, endMs: deadline, data: undefined };
        timedOut = true;
        break;
      }
    }
    breaker?.release(start, fw!.endMs, policy, this.rng);
    let end = fw!.endMs + this.net();
    let status = fw!.status;
    let flags = flags0;
    let details: string | null = 'via_upstream';
    let upstreamService: number | null = fw!.endMs - start;
    if (timedOut || perTryTimedOut) {
      flags = addFlag(flags, 'UT');
      details = 'response_timeout';
      upstreamService = null;
    } else if (fw!.connectFailure) {
      flags = addFlag(flags, 'UF');
      if (attempt > 0) flags = addFlag(flags, 'URX');
      details = CONNECT_FAILURE;
      status = 503;
      upstreamService = null;
    } else if (attempt > 0 && retry && attempt >= retry.attempts && retriable(retry, fw!, false)) flags = addFlag(flags, 'URX');
    let bytesOut = tcp || timedOut || fw!.connectFailure ? (tcp ? fw!.bytes : 0) : fw!.bytes;
    let termination: string | null = null;
    // The app's own client timeout (productpage's 3 s) fires first: the app closes the stream.
    if (appTimeoutMs > 0 && end > at + appTimeoutMs) {
      end = at + appTimeoutMs;
      cancel(fw!, end);
      status = 0;
      flags = flags0 ? `${flags0},DC` : 'DC';
      details = 'downstream_remote_disconnect';
      upstreamService = null;
      bytesOut = 0;
      termination = null;
    }
    if (tcp) {
      this.record(proxy, trace, at, end, null, 0, fw!.connectFailure ? 'UF' : flags || '-', null, (req.payload?.length ?? 0) + 1, bytesOut, null, cluster, fw!.upstreamHost, l, fw!.upstreamLocal, req.tls ? req.host : null, null, termination);
    } else {
      this.record(proxy, trace, at, end, req, status, flags || '-', details, 0, bytesOut, upstreamService, cluster, fw!.upstreamHost, l, fw!.upstreamLocal, null, routeName, termination);
    }
    this.hop(trace, proxy, server?.workload.name ?? dest.host, info.short, server?.workload.version ?? null, tcp ? 0 : status, flags || '-', at, end);
    if (tcp) return { status: fw!.connectFailure ? 0 : 200, endMs: end, data: fw!.data };
    return { status, endMs: end, data: status === fw!.status ? fw!.data : undefined };
  }

  private clusterInfo(dest: RouteDest, fromNs: string, reqPort: number): ClusterInfo {
    const cfg = this.cfg;
    if (this.cacheRevision !== cfg.revision || this.clusterCache.size > 10_000) {
      this.dropClusterCache();
      this.cacheRevision = cfg.revision;
    }
    const byDest = this.destCache.get(dest);
    if (byDest) for (const e of byDest) if (e.ns === fromNs && e.port === reqPort) return e.info;
    const key = `${fromNs}|${dest.host}|${dest.subset}|${dest.port ?? ''}|${reqPort}`;
    let info = this.clusterCache.get(key);
    if (info) {
      this.rememberDest(dest, fromNs, reqPort, info);
      return info;
    }
    const svc = cfg.topology.service(dest.host, fromNs);
    const se = svc ? undefined : cfg.serviceEntry(dest.host);
    const port = dest.port ?? (svc ? (svc.ports.length === 1 ? svc.ports[0].port : svc.ports.find((p) => p.port === reqPort)?.port ?? svc.ports[0]?.port) : se?.ports.find((p) => p.port === reqPort)?.port ?? se?.ports[0]?.port) ?? reqPort;
    const fqdn = svc?.fqdn ?? dest.host;
    const dr = cfg.destinationRule(fqdn);
    const subset = dest.subset ? dr?.subsets.get(dest.subset) : undefined;
    const ready = svc ? svc.pods.filter((p) => p.ready) : [];
    info = {
      svc,
      known: !!(svc || se),
      port,
      fqdn,
      cluster: `outbound|${port}|${dest.subset}|${fqdn}`,
      subsetMissing: !!dest.subset && !subset,
      policy: subset?.policy ?? dr?.policy ?? DEFAULT_POLICY,
      targetPort: svc?.ports.find((p) => p.port === port)?.targetPort ?? port,
      endpoints: subset ? ready.filter((p) => Object.entries(subset.labels).every(([k, v]) => p.workload.labels[k] === v)) : ready,
      sni: `outbound_.${port}_.${dest.subset}_.${fqdn}`,
      short: svc?.name ?? dest.host,
    };
    this.clusterCache.set(key, info);
    this.rememberDest(dest, fromNs, reqPort, info);
    return info;
  }

  private rememberDest(dest: RouteDest, ns: string, port: number, info: ClusterInfo): void {
    const list = this.destCache.get(dest);
    if (!list) this.destCache.set(dest, [{ ns, port, info }]);
    else if (list.length < 16) list.push({ ns, port, info });
  }

  /** Endpoints or config changed: every resolved destination is stale. */
  private dropClusterCache(): void {
    this.clusterCache.clear();
    this.destCache = new WeakMap();
  }

  private usesMtls(client: Pod, server: Pod, policy: TrafficPolicy): boolean {
    if (policy.tlsMode === 'DISABLE' || policy.tlsMode === 'SIMPLE' || policy.tlsMode === 'MUTUAL') return false;
    if (policy.tlsMode === 'ISTIO_MUTUAL') return true;
    // Auto mTLS: the client has a proxy and the endpoint carries tlsMode=istio (injected pods only;
    // gateway pods are not labelled), unless the server's namespace or the mesh disables mTLS.
    if (!(client.workload.injected || client.workload.gateway) || !server.workload.injected) return false;
    return this.cfg.peerAuthn.length === 0 || namespaceMtlsMode(server.namespace, this.cfg.peerAuthn) !== 'DISABLE';
  }

  /** The connection reaches `server`'s pod: its inbound sidecar (or gateway, or the bare app). */
  private deliver(client: Pod, server: Pod, targetPort: number, _cluster: string, sni: string | null, req: OutRequest, at: number, trace: Trace, upstreamLocal: string, mtls: boolean, tlsToPlain = false): Forwarded {
    const upstreamHost = `${server.ip}:${targetPort}`;
    const base = { upstreamHost, upstreamLocal };
    const dsLocal = upstreamHost;
    if (server.drained && server.ready) {
      server.ready = false;
      this.dropClusterCache();
    }
    if (server.drained || tlsToPlain) return { ...base, status: 503, endMs: at + 0.3, connectFailure: true, bytes: 0 };
    if (server.workload.gateway) {
      const svcPort = this.cfg.topology.services.find((s) => s.pods.includes(server))?.ports.find((p) => p.targetPort === targetPort)?.port ?? targetPort;
      const before = trace.records.length;
      // Gateways set use_remote_address: the calling pod's IP becomes X-Forwarded-For.
      const r = this.atGateway(server, req, targetPort, svcPort, at, trace, upstreamLocal, client.ip);
      // The gateway's own line carries the byte count the caller receives.
      let bytes = r.data?.body ? r.data.body.length + 1 : 0;
      for (let i = trace.records.length - 1; i >= before; i--) if (trace.records[i].proxy === server) {
        bytes = trace.records[i].bytesOut;
        break;
      }
      return { ...base, status: r.status, endMs: r.endMs, data: r.data, connectFailure: !!r.refused, bytes };
    }
    if (!server.workload.injected) {
      const res = serve(server.workload.behaviour, this.appRequest(req), at, this.appEnv(server, trace));
      return { ...base, status: res.status, endMs: res.endMs, data: res.data, connectFailure: res.status === 0, bytes: res.bytes };
    }
    const local = `127.0.0.6:${this.ephemeral()}`;
    const inboundCluster = `inbound|${targetPort}||`;
    const mode = this.cfg.peerAuthn.length ? mtlsMode(server, this.cfg.peerAuthn) : 'PERMISSIVE';
    if (mode === 'STRICT' && !mtls) {
      // Plaintext to a STRICT workload: no filter chain matches, the connection is reset.
      const rec = this.rawRecord(server, trace, at, at + 0.1, null, 0, 'NR', 'filter_chain_not_found', 0, 0, null, null, null, null, dsLocal, upstreamLocal, null, null);
      trace.records.push(rec);
      return { ...base, status: 0, endMs: at + 0.2, connectFailure: true, bytes: 0 };
    }
    if (mtls && mode === 'DISABLE') return { ...base, status: 503, endMs: at + 0.3, connectFailure: true, bytes: 0 };
    const hdrs = req.headers;
    const method = req.tcp ? '' : req.method;
    const denied = req.tcp || this.cfg.authz.length === 0
      ? null
      : authorize(server, this.cfg.authz, {
          principal: mtls ? `cluster.local/ns/${client.namespace}/sa/${client.workload.serviceAccount}` : null,
          sourceNamespace: mtls ? client.namespace : null,
          method,
          path: pathOnly(req.path),
          port: targetPort,
        });
    if (denied) {
      const end = at + 0.2;
      trace.records.push(this.rawRecord(server, trace, at, end, req, 403, '-', denied, 0, 19, null, null, inboundCluster, null, dsLocal, upstreamLocal, mtls ? sni : null, 'default', hdrs));
      return { ...base, status: 403, endMs: end + this.net(), connectFailure: false, bytes: 19 };
    }
    const appAt = at + 0.1;
    const res = serve(server.workload.behaviour, req.tls ? this.appRequest(req) : req, appAt, this.appEnv(server, trace));
    const end = res.endMs + 0.1;
    const failed = res.status === 0;
    const rec = req.tcp
      ? this.rawRecord(server, trace, at, end, null, 0, failed ? 'UF' : '-', null, (req.payload?.length ?? 0) + 1, res.bytes, null, upstreamHost, inboundCluster, local, dsLocal, upstreamLocal, mtls ? sni : null, null)
      : this.rawRecord(server, trace, at, end, req, failed ? 503 : res.status, failed ? 'UF' : '-', failed ? CONNECT_FAILURE : 'via_upstream', 0, failed ? 91 : res.bytes, failed ? null : res.endMs - appAt, upstreamHost, inboundCluster, local, dsLocal, upstreamLocal, mtls ? sni : null, 'default', hdrs);
    trace.records.push(rec);
    return { upstreamHost, upstreamLocal, status: failed ? 503 : res.status, endMs: end + this.net(), data: res.data, connectFailure: false, bytes: rec.bytesOut, inbound: rec };
  }

  /** A client without a sidecar: kube-proxy picks a pod behind the VIP; no routing, no mTLS. */
  private direct(client: Pod, req: OutRequest, at: number, trace: Trace): AppCallResult {
    const svc = this.cfg.topology.service(req.host, client.namespace);
    if (!svc) {
      const res = serve('external', { method: req.method, path: req.path, headers: req.headers, tcp: req.tcp || req.tls }, at, this.appEnv(null, trace));
      return { status: res.status, endMs: res.endMs, data: res.data };
    }
    const p = svc.ports.find((x) => x.port === req.port);
    if (!p || svc.pods.length === 0) return { status: 0, endMs: at + 1 };
    const server = svc.pods[this.rng.int(svc.pods.length)];
    const before = trace.records.length;
    const fw = this.deliver(client, server, p.targetPort, '', null, req, at + this.net(), trace, `${client.ip}:${this.ephemeral()}`, false);
    const rec = trace.records.length > before ? trace.records[trace.records.length - 1] : undefined;
    this.hop(trace, client, server.workload.name, svc.name, server.workload.version || null, fw.connectFailure ? 0 : fw.status, rec?.flags ?? '-', at, fw.endMs);
    return { status: fw.connectFailure ? 0 : fw.status, endMs: fw.endMs + this.net(), data: fw.data };
  }

  // ---- helpers ----

  private appRequest(req: OutRequest): AppRequest {
    return { method: req.method, path: req.path, headers: req.headers, tcp: req.tcp || req.tls, payload: req.payload, sessionUser: req.sessionUser };
  }

  /** The app-side view of a pod; one object per pod, re-pointed at the current request's trace. */
  appEnv(pod: Pod | null, trace: Trace): AppEnv {
    const key = pod ?? NO_POD;
    let env = this.envs.get(key);
    if (!env) this.envs.set(key, (env = new PodEnv(this, pod)));
    env.trace = trace;
    return env;
  }

  private localReply(proxy: Pod, l: Listener, req: OutRequest, at: number, trace: Trace, status: number, flags: string, details: string, cluster: string | null, route: string | null, tcp: boolean, extraMs = 0, flags0 = ''): AppCallResult {
    const end = at + extraMs + this.rng.between(0.05, 0.3);
    const f = flags0 && flags !== '-' ? `${flags0},${flags}` : flags0 || flags;
    const bytes = status === 503 ? 19 + details.length : status === 502 || status === 404 ? 0 : 18;
    this.record(proxy, trace, at, end, tcp ? null : req, status, f, details, 0, tcp ? 0 : bytes, null, cluster, null, l, null, null, route);
    this.hop(trace, proxy, '-', req.host, null, status, f, at, end);
    return { status, endMs: end + this.net() };
  }

  private record(proxy: Pod, trace: Trace, at: number, end: number, req: OutRequest | null, code: number, flags: string, details: string | null, bytesIn: number, bytesOut: number, ust: number | null, cluster: string | null, upstreamHost: string | null, l: Listener, upstreamLocal: string | null, sni: string | null, route: string | null, termination: string | null = null): void {
    const r = this.rawRecord(proxy, trace, at, end, req, code, flags, details, bytesIn, bytesOut, ust, upstreamHost, cluster, upstreamLocal, l.downstreamLocal, l.downstreamRemote, sni, route, req?.headers, l.xff);
    r.termination = termination;
    trace.records.push(r);
  }

  private rawRecord(proxy: Pod, trace: Trace, at: number, end: number, req: OutRequest | null, code: number, flags: string, details: string | null, bytesIn: number, bytesOut: number, ust: number | null, upstreamHost: string | null, cluster: string | null, upstreamLocal: string | null, dsLocal: string, dsRemote: string, sni: string | null, route: string | null, headers?: Record<string, string>, xff: string | null = null): LogRecord {
    const http = req !== null && !req.tcp && !req.tls;
    return {
      proxy,
      startMs: at,
      endMs: end,
      method: http ? req!.method : null,
      path: http ? req!.path : null,
      protocol: http ? 'HTTP/1.1' : null,
      code,
      flags,
      details,
      termination: null,
      transportFailure: null,
      bytesIn,
      bytesOut,
      durationMs: end - at,
      upstreamServiceMs: ust,
      xff: http ? xff ?? headers?.['x-forwarded-for'] ?? null : null,
      userAgent: http ? headers?.['user-agent'] ?? trace.userAgent : null,
      requestId: http ? trace.requestId : null,
      authority: http ? headers?.host ?? req!.host : null,
      upstreamHost,
      cluster,
      upstreamLocal,
      downstreamLocal: dsLocal,
      downstreamRemote: dsRemote,
      sni,
      route,
    };
  }

  private hop(trace: Trace, from: Pod, to: string, service: string | null, version: string | null, status: number, flags: string, at: number, end: number): void {
    trace.hops.push({ from: from.workload.name, to, service: service ? shortName(service) : null, version: version || null, status, flags, durationMs: end - at, startMs: at });
  }
}

const NO_POD = Symbol('external');

/** AppEnv without per-call closures: the hot path creates no functions. */
class PodEnv implements AppEnv {
  trace: Trace | null = null;
  readonly rng: Rng;
  readonly podName: string;
  readonly version: string;
  readonly env: Record<string, string>;
  readonly args: string[];
  constructor(
    private readonly plane: DataPlane,
    private readonly pod: Pod | null,
  ) {
    this.rng = plane.rng;
    this.podName = pod?.name ?? '';
    this.version = pod?.workload.version ?? '';
    this.env = pod?.workload.env ?? {};
    this.args = pod?.workload.args ?? [];
  }
  call(host: string, port: number, method: string, path: string, headers: Record<string, string>, at: number, timeoutMs: number): AppCallResult {
    if (!this.pod) return { status: 0, endMs: at };
    // `headers` is a fresh object built by the app for this call.
    headers.host = `${host}:${port}`;
    const trace = this.trace!;
    const r = this.plane.fromPod(this.pod, { method, host, port, path, headers, tcp: false, tls: false }, at, trace, timeoutMs);
    this.trace = trace;
    return r;
  }
}

function pathOnly(p: string): string {
  const i = p.indexOf('?');
  return i === -1 ? p : p.slice(0, i);
}

function shortName(host: string): string {
  const i = host.indexOf('.');
  return i === -1 ? host : host.slice(0, i);
}

function addFlag(flags: string, f: string): string {
  return flags ? `${flags},${f}` : f;
}

const DEFAULT_POLICY: TrafficPolicy = { lb: 'LEAST_REQUEST', maxConnections: 2 ** 32 - 1, maxPending: 2 ** 32 - 1, maxRequests: 2 ** 32 - 1, maxRequestsPerConnection: 0 };

function retriable(r: { retryOn: Set<string>; retriableStatus: Set<number> }, fw: Forwarded, perTryTimeout: boolean): boolean {
  const on = r.retryOn;
  if (fw.connectFailure) return on.has('connect-failure') || on.has('5xx') || on.has('gateway-error') || on.has('reset');
  if (perTryTimeout) return on.has('5xx') || on.has('gateway-error') || on.has('reset');
  const s = fw.status;
  if (on.has('5xx') && s >= 500) return true;
  if (on.has('gateway-error') && (s === 502 || s === 503 || s === 504)) return true;
  if (on.has('retriable-status-codes') && r.retriableStatus.has(s)) return true;
  return false;
}

/** The client gave up at `at`: the server-side line records a downstream disconnect. */
function cancel(fw: Forwarded, at: number): void {
  const r = fw.inbound;
  if (!r || r.endMs <= at) return;
  r.endMs = at;
  r.durationMs = at - r.startMs;
  r.code = 0;
  r.flags = 'DC';
  r.details = 'downstream_remote_disconnect';
  r.upstreamServiceMs = null;
  r.bytesOut = 0;
}
