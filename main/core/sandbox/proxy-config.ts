// What istiod would push to one proxy, shaped like Envoy's admin config dump
// (`istioctl proxy-config all <pod> -o json`): listeners, routes, clusters and endpoints that
// follow the applied VirtualServices, DestinationRules, ServiceEntries and Sidecar scoping.
import type { ProxyConfigDump } from '../backend/types.ts';
import type { CompiledConfig } from './compiled.ts';
import type { MeshSettings } from './proxy.ts';
import { DEFAULT_RETRY, type CompiledHttpRoute, type StringMatch, type TrafficPolicy } from './routing.ts';
import type { Pod, Service } from './topology.ts';
import { clusterTls } from './cluster-tls.ts';
import { namespaceMtlsMode } from './security.ts';

const T = 'type.googleapis.com/';
const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

interface VisiblePort {
  host: string;
  namespace: string;
  port: number;
  protocol: string;
  svc?: Service;
  external: boolean;
  /** ServiceEntry `resolution` (external hosts only). */
  resolution?: string;
  /** ServiceEntry `location` (external hosts only). */
  location?: string;
}

export interface ProxyView {
  pod: Pod;
  gateway: boolean;
  listeners: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  clusters: Record<string, unknown>[];
  endpoints: Record<string, unknown>[];
}

function socket(address: string, port: number) {
  return { socket_address: { address, port_value: port } };
}

function tcpProxy(statPrefix: string, cluster: string) {
  return { name: TCP_PROXY, typed_config: { '@type': `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`, stat_prefix: statPrefix, cluster } };
}

function hcmRds(statPrefix: string, routeName: string) {
  return {
    name: HCM,
    typed_config: {
      '@type': `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
      stat_prefix: statPrefix,
      rds: { config_source: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' }, route_config_name: routeName },
      http_filters: [{ name: 'istio.metadata_exchange' }, { name: 'envoy.filters.http.fault' }, { name: 'envoy.filters.http.cors' }, { name: 'istio.stats' }, { name: 'envoy.filters.http.router' }],
      access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`, path: '/dev/stdout' } }],
    },
  };
}

function matchJson(m: StringMatch | undefined): Record<string, unknown> {
  if (!m) return { prefix: '/' };
  if (m.kind === 'exact') return { path: m.value, case_sensitive: true };
  if (m.kind === 'prefix') return { prefix: m.value, case_sensitive: true };
  return { safe_regex: { regex: m.value } };
}

function retryJson(r: CompiledHttpRoute | null) {
  const spec = r?.retries ?? DEFAULT_RETRY;
  if (spec.attempts === 0) return undefined;
  return {
    retry_on: [...spec.retryOn].join(','),
    num_retries: spec.attempts,
    ...(spec.perTryMs ? { per_try_timeout: `${spec.perTryMs / 1000}s` } : {}),
    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': `${T}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate` } }],
    host_selection_retry_max_attempts: '5',
    retriable_status_codes: [...spec.retriableStatus],
  };
}

export class ProxyConfigBuilder {
  constructor(
    private readonly cfg: CompiledConfig,
    private readonly settings: MeshSettings,
  ) {}

  private policy(pod: Pod): 'ALLOW_ANY' | 'REGISTRY_ONLY' {
    return this.cfg.sidecarFor(pod)?.outboundPolicy ?? this.settings.outboundTrafficPolicy;
  }

  /** Service ports this proxy is programmed for (Sidecar egress shrinks the list). */
  visible(pod: Pod, gateway: boolean): VisiblePort[] {
    const out: VisiblePort[] = [];
    for (const s of this.cfg.topology.services) {
      if (!gateway && !this.cfg.visible(pod, s.namespace, s.fqdn)) continue;
      for (const p of s.ports) out.push({ host: s.fqdn, namespace: s.namespace, port: p.port, protocol: p.protocol, svc: s, external: false });
    }
    for (const se of this.cfg.serviceEntries) {
      for (const h of se.hosts) {
        if (!gateway && !this.cfg.visible(pod, se.namespace, h)) continue;
        for (const p of se.ports) out.push({ host: h, namespace: se.namespace, port: p.port, protocol: p.protocol, external: true, resolution: se.resolution, location: se.location });
      }
    }
    return out;
  }

  build(pod: Pod): ProxyView {
    const gateway = pod.workload.gateway;
    const vis = this.visible(pod, gateway);
    return {
      pod,
      gateway,
      listeners: gateway ? this.gatewayListeners(pod) : this.sidecarListeners(pod, vis),
      routes: gateway ? this.gatewayRoutes(pod) : this.sidecarRoutes(pod, vis),
      clusters: this.clusters(pod, vis, gateway),
      endpoints: this.endpoints(vis),
    };
  }

  private ownPorts(pod: Pod): { port: number; protocol: string }[] {
    const seen = new Map<number, string>();
    for (const s of this.cfg.topology.services) if (s.pods.includes(pod)) for (const p of s.ports) seen.set(p.targetPort, p.protocol);
    return [...seen].map(([port, protocol]) => ({ port, protocol }));
  }

  private sidecarListeners(pod: Pod, vis: VisiblePort[]): Record<string, unknown>[] {
    const policy = this.policy(pod);
    const catchall = policy === 'REGISTRY_ONLY' ? 'BlackHoleCluster' : 'PassthroughCluster';
    const out: Record<string, unknown>[] = [
      {
        name: 'virtualOutbound',
        address: socket('0.0.0.0', 15001),
        use_original_dst: true,
        traffic_direction: 'OUTBOUND',
        filter_chains: [
          { name: 'virtualOutbound-blackhole', filter_chain_match: { destination_port: 15001 }, filters: [tcpProxy('BlackHoleCluster', 'BlackHoleCluster')] },
          { name: 'virtualOutbound-catchall-tcp', filters: [tcpProxy(catchall, catchall)] },
        ],
      },
    ];
    const inboundChains: Record<string, unknown>[] = [{ name: 'virtualInbound-blackhole', filter_chain_match: { destination_port: 15006 }, filters: [tcpProxy('BlackHoleCluster', 'BlackHoleCluster')] }];
    for (const p of this.ownPorts(pod)) {
      const cluster = `inbound|${p.port}||`;
      const filters = p.protocol === 'HTTP' || p.protocol === 'GRPC' ? [{ name: 'istio_authn' }, { name: 'envoy.filters.network.rbac' }, hcmInline(cluster, p.port)] : [{ name: 'istio_authn' }, { name: 'envoy.filters.network.rbac' }, tcpProxy(cluster, cluster)];
      inboundChains.push({ name: `0.0.0.0_${p.port}`, filter_chain_match: { destination_port: p.port, transport_protocol: 'tls', application_protocols: ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'] }, filters });
      inboundChains.push({ name: `0.0.0.0_${p.port}`, filter_chain_match: { destination_port: p.port, transport_protocol: 'raw_buffer' }, filters });
    }
    inboundChains.push({ name: 'virtualInbound-catchall-http', filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] }, filters: [tcpProxy('InboundPassthroughCluster', 'InboundPassthroughCluster')] });
    inboundChains.push({ name: 'virtualInbound', filters: [tcpProxy('InboundPassthroughCluster', 'InboundPassthroughCluster')] });
    out.push({ name: 'virtualInbound', address: socket('0.0.0.0', 15006), traffic_direction: 'INBOUND', listener_filters: [{ name: 'envoy.filters.listener.original_dst' }, { name: 'envoy.filters.listener.tls_inspector' }, { name: 'envoy.filters.listener.http_inspector' }], filter_chains: inboundChains });
    const httpPorts = new Set<number>();
    for (const v of vis) {
      if (v.protocol === 'HTTP' || v.protocol === 'GRPC') {
        if (httpPorts.has(v.port)) continue;
        httpPorts.add(v.port);
        out.push({
          name: `0.0.0.0_${v.port}`,
          address: socket('0.0.0.0', v.port),
          traffic_direction: 'OUTBOUND',
          bind_to_port: false,
          filter_chains: [{ filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] }, filters: [hcmRds(`outbound_0.0.0.0_${v.port}`, String(v.port))] }],
          default_filter_chain: { name: 'PassthroughFilterChain', filters: [tcpProxy(catchall, catchall)] },
        });
      } else {
        const addr = v.svc?.vip ?? '0.0.0.0';
        const cluster = `outbound|${v.port}||${v.host}`;
        out.push({ name: `${addr}_${v.port}`, address: socket(addr, v.port), traffic_direction: 'OUTBOUND', bind_to_port: false, filter_chains: [{ filters: [tcpProxy(cluster, this.tcpCluster(v) ?? cluster)] }] });
      }
    }
    return out;
  }

  private tcpCluster(v: VisiblePort): string | null {
    const vs = this.cfg.meshVirtualService(v.host);
    const r = vs?.tcp[0];
    if (!r || r.dests.length !== 1) return null;
    const d = r.dests[0];
    return `outbound|${d.port ?? v.port}|${d.subset}|${d.host}`;
  }

  /**
   * Envoy routes for one VS http route. `bind` is where they are programmed (`mesh` or a Gateway,
   * and the port): istiod drops match clauses whose `gateways` or `port` exclude it.
   */
  private routeJson(r: CompiledHttpRoute | null, host: string, port: number, vsName: string | null, bind?: { gateway: string; port: number }): Record<string, unknown>[] {
    if (!r) return [{ name: 'default', match: { prefix: '/' }, route: { cluster: `outbound|${port}||${host}`, timeout: '0s', retry_policy: retryJson(null), max_grpc_timeout: '0s' }, decorator: { operation: `${host}:${port}/*` } }];
    const bound = bind ? r.matches.filter((m) => (!m.gateways || m.gateways.includes(bind.gateway)) && (m.port === undefined || m.port === bind.port)) : r.matches;
    if (r.matches.length && !bound.length) return [];
    const matches = bound.length ? bound : [undefined];
    return matches.map((m) => {
      const route: Record<string, unknown> = { timeout: r.timeoutMs ? `${r.timeoutMs / 1000}s` : '0s', retry_policy: retryJson(r), max_grpc_timeout: '0s' };
      const cl = (d: { host: string; subset: string; port?: number }) => `outbound|${d.port ?? port}|${d.subset}|${d.host}`;
      if (r.dests.length === 1) route.cluster = cl(r.dests[0]);
      else if (r.dests.length > 1) route.weighted_clusters = { clusters: r.dests.map((d) => ({ name: cl(d), weight: d.weight })) };
      if (r.mirror) route.request_mirror_policies = [{ cluster: cl(r.mirror), runtime_fraction: { default_value: { numerator: Math.round(r.mirror.pct * 10000), denominator: 'MILLION' } } }];
      const entry: Record<string, unknown> = {
        ...(r.name ? { name: r.name } : {}),
        match: { ...matchJson(m?.uri), ...(m?.headers.length ? { headers: m.headers.map(([k, s]) => ({ name: k, string_match: { [s.kind === 'regex' ? 'safe_regex' : s.kind]: s.kind === 'regex' ? { regex: s.value } : s.value } })) } : {}) },
        metadata: { filter_metadata: { istio: { config: `/apis/networking.istio.io/v1/namespaces/${vsName?.split('/')[0]}/virtual-service/${vsName?.split('/')[1]?.split('#')[0]}` } } },
        decorator: { operation: `${host}:${port}/*` },
      };
      if (r.directResponse) entry.direct_response = { status: r.directResponse.status };
      else if (r.redirect) entry.redirect = { ...(r.redirect.uri ? { path_redirect: r.redirect.uri } : {}), ...(r.redirect.authority ? { host_redirect: r.redirect.authority } : {}) };
      else entry.route = route;
      if (r.fault) entry.typed_per_filter_config = { 'envoy.filters.http.fault': { '@type': `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`, ...(r.fault.delayPct ? { delay: { fixed_delay: `${r.fault.delayMs / 1000}s`, percentage: { numerator: Math.round(r.fault.delayPct * 10000), denominator: 'MILLION' } } } : {}), ...(r.fault.abortPct ? { abort: { http_status: r.fault.abortStatus, percentage: { numerator: Math.round(r.fault.abortPct * 10000), denominator: 'MILLION' } } } : {}) } };
      return entry;
    });
  }

  private sidecarRoutes(pod: Pod, vis: VisiblePort[]): Record<string, unknown>[] {
    const byPort = new Map<number, VisiblePort[]>();
    for (const v of vis) if (v.protocol === 'HTTP' || v.protocol === 'GRPC') byPort.set(v.port, [...(byPort.get(v.port) ?? []), v]);
    const policy = this.policy(pod);
    const out: Record<string, unknown>[] = [];
    for (const [port, list] of [...byPort].sort((a, b) => a[0] - b[0])) {
      const vhosts: Record<string, unknown>[] = list.map((v) => {
        const vs = this.cfg.meshVirtualService(v.host);
        const short = v.host.split('.')[0];
        const domains = v.svc
          ? [short, `${short}:${port}`, `${short}.${v.namespace}`, `${short}.${v.namespace}:${port}`, `${short}.${v.namespace}.svc`, `${short}.${v.namespace}.svc:${port}`, v.host, `${v.host}:${port}`, v.svc.vip, `${v.svc.vip}:${port}`]
          : [v.host, `${v.host}:${port}`];
        const routes = vs ? vs.http.flatMap((r) => this.routeJson(r, v.host, port, r.vs, { gateway: 'mesh', port })) : this.routeJson(null, v.host, port, null);
        return { name: `${v.host}:${port}`, domains: v.svc && v.namespace !== pod.namespace ? domains.slice(2) : domains, routes, include_request_attempt_count: true };
      });
      vhosts.push(
        policy === 'REGISTRY_ONLY'
          ? { name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }] }
          : { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster', timeout: '0s' } }] },
      );
      out.push({ '@type': `${T}envoy.config.route.v3.RouteConfiguration`, name: String(port), virtual_hosts: vhosts, validate_clusters: false, ignore_port_in_host_matching: true });
    }
    return out;
  }

  private gatewayServers(pod: Pod) {
    const out: { ref: string; port: number; protocol: string; hosts: string[] }[] = [];
    for (const g of this.cfg.gateways) {
      if (!Object.entries(g.selector).every(([k, v]) => pod.workload.labels[k] === v)) continue;
      for (const s of g.servers) {
        // A server port may name the Service port; the listener is on the pod's target port.
        const svc = this.cfg.topology.services.find((x) => x.pods.includes(pod));
        const target = svc?.ports.find((p) => p.port === s.port)?.targetPort ?? s.port;
        out.push({ ref: `${g.namespace}/${g.name}`, port: target, protocol: s.protocol, hosts: s.hosts });
      }
    }
    return out;
  }

  private gatewayListeners(pod: Pod): Record<string, unknown>[] {
    const seen = new Set<number>();
    const out: Record<string, unknown>[] = [];
    for (const s of this.gatewayServers(pod)) {
      if (seen.has(s.port)) continue;
      seen.add(s.port);
      const http = s.protocol === 'HTTP' || s.protocol === 'HTTP2';
      const vs = http ? undefined : this.cfg.virtualServices.find((v) => v.gateways.includes(s.ref) && v.tcp.length);
      const d = vs?.tcp[0]?.dests[0];
      const cluster = d ? `outbound|${d.port ?? s.port}|${d.subset}|${d.host}` : 'BlackHoleCluster';
      out.push({ name: `0.0.0.0_${s.port}`, address: socket('0.0.0.0', s.port), traffic_direction: 'OUTBOUND', filter_chains: [{ filters: [http ? hcmRds(`outbound_0.0.0.0_${s.port}`, `http.${s.port}`) : tcpProxy(cluster, cluster)] }] });
    }
    return out;
  }

  private gatewayRoutes(pod: Pod): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const svc = this.cfg.topology.services.find((x) => x.pods.includes(pod));
    for (const s of this.gatewayServers(pod)) {
      if (s.protocol !== 'HTTP' && s.protocol !== 'HTTP2') continue;
      const svcPort = svc?.ports.find((p) => p.targetPort === s.port)?.port ?? s.port;
      const vss = this.cfg.virtualServices.filter((v) => v.gateways.includes(s.ref));
      const vhosts = vss.flatMap((vs) =>
        vs.hosts.map((h) => ({
          name: `${h}:${svcPort}`,
          domains: [h, `${h}:*`],
          routes: vs.http.flatMap((r) => {
            const d = r.dests[0];
            const port = d?.port ?? this.cfg.topology.services.find((x) => x.fqdn === d?.host)?.ports[0]?.port ?? 80;
            return this.routeJson(r, d?.host ?? h, port, r.vs, { gateway: s.ref, port: svcPort });
          }),
        })),
      );
      out.push({ '@type': `${T}envoy.config.route.v3.RouteConfiguration`, name: `http.${s.port}`, virtual_hosts: vhosts, validate_clusters: false, ignore_port_in_host_matching: true });
    }
    return out;
  }

  private clusters(pod: Pod, vis: VisiblePort[], gateway: boolean): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const mk = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ '@type': `${T}envoy.config.cluster.v3.Cluster`, name, type, connect_timeout: '10s', ...extra });
    for (const v of vis) {
      const base = `outbound|${v.port}||${v.host}`;
      const dr = this.cfg.destinationRule(v.host);
      const meta = { filter_metadata: { istio: { services: [{ host: v.host, name: v.host.split('.')[0], namespace: v.namespace }], ...(dr ? { config: `/apis/networking.istio.io/v1/namespaces/${dr.namespace}/destination-rule/${dr.name}` } : {}) } } };
      const policyJson = (p: TrafficPolicy | undefined, subset: string) => {
        const tls = clusterTls({
          mode: p?.tlsMode,
          sni: p?.tlsSni,
          port: v.port,
          subset,
          host: v.host,
          external: v.external && v.location !== 'MESH_INTERNAL',
          peerDisabled: !v.external && this.cfg.peerAuthn.length > 0 && namespaceMtlsMode(v.namespace, this.cfg.peerAuthn) === 'DISABLE',
          sans: v.svc ? serviceAccounts(v.svc) : [],
        });
        const http = {
          ...(p?.maxRequestsPerConnection ? { common_http_protocol_options: { max_requests_per_connection: p.maxRequestsPerConnection } } : {}),
          ...(tls.autoSni ? { upstream_http_protocol_options: { auto_sni: true } } : {}),
        };
        return {
          circuit_breakers: { thresholds: [{ max_connections: p?.maxConnections ?? 4294967295, max_pending_requests: p?.maxPending ?? 4294967295, max_requests: p?.maxRequests ?? 4294967295, max_retries: 4294967295 }] },
          ...(Object.keys(http).length ? { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`, ...http } } } : {}),
          ...(p?.outlier ? { outlier_detection: { consecutive_5xx: p.outlier.consecutive5xx, interval: `${p.outlier.intervalMs / 1000}s`, base_ejection_time: `${p.outlier.baseEjectionMs / 1000}s`, max_ejection_percent: p.outlier.maxEjectionPercent } } : {}),
          lb_policy: p?.lb === 'ROUND_ROBIN' ? 'ROUND_ROBIN' : p?.lb === 'RANDOM' ? 'RANDOM' : 'LEAST_REQUEST',
          ...(tls.transport_socket ? { transport_socket: tls.transport_socket } : {}),
          ...(tls.transport_socket_matches ? { transport_socket_matches: tls.transport_socket_matches } : {}),
        };
      };
      const discovery = (name: string) => (v.external ? externalDiscovery(name, v) : { type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' }, service_name: name } });
      const { type, ...disc } = discovery(base);
      out.push(mk(base, type, { ...policyJson(dr?.policy, ''), ...disc, metadata: meta }));
      if (dr) for (const s of dr.subsets.values()) {
        const name = `outbound|${v.port}|${s.name}|${v.host}`;
        const { type: st, ...sdisc } = discovery(name);
        out.push(mk(name, st, { ...policyJson(s.policy, s.name), ...sdisc, metadata: { filter_metadata: { istio: { ...meta.filter_metadata.istio, subset: s.name } } } }));
      }
    }
    if (!gateway) {
      for (const p of this.ownPorts(pod)) out.push(mk(`inbound|${p.port}||`, 'STATIC', { upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } }, load_assignment: { cluster_name: `inbound|${p.port}||`, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(pod.ip, p.port) } }] }] } }));
      out.push(mk('InboundPassthroughCluster', 'ORIGINAL_DST', { lb_policy: 'CLUSTER_PROVIDED', upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } }));
    }
    out.push(mk('PassthroughCluster', 'ORIGINAL_DST', { lb_policy: 'CLUSTER_PROVIDED' }));
    out.push(mk('BlackHoleCluster', 'STATIC'));
    return out;
  }

  private endpoints(vis: VisiblePort[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const emit = (name: string, pods: Pod[], targetPort: number) => {
      const byLoc = new Map<string, Pod[]>();
      for (const p of pods) byLoc.set(`${p.locality.region}/${p.locality.zone}`, [...(byLoc.get(`${p.locality.region}/${p.locality.zone}`) ?? []), p]);
      out.push({
        '@type': `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
        cluster_name: name,
        endpoints: [...byLoc].map(([loc, list]) => ({
          locality: { region: loc.split('/')[0], zone: loc.split('/')[1] },
          lb_endpoints: list.map((p) => ({
            endpoint: { address: socket(p.ip, targetPort) },
            health_status: p.drained ? 'UNHEALTHY' : 'HEALTHY',
            // The injector labels pods security.istio.io/tlsMode=istio; auto mTLS keys on it.
            metadata: { filter_metadata: { ...(p.workload.injected ? { 'envoy.transport_socket_match': { tlsMode: 'istio' } } : {}), istio: { workload: `${p.workload.name};${p.namespace};${p.workload.app};${p.workload.version};Kubernetes` } } },
            load_balancing_weight: 1,
          })),
          load_balancing_weight: list.length,
        })),
        policy: { overprovisioning_factor: 140 },
      });
    };
    for (const v of vis) {
      if (!v.svc) continue;
      const targetPort = v.svc.ports.find((p) => p.port === v.port)?.targetPort ?? v.port;
      emit(`outbound|${v.port}||${v.host}`, v.svc.pods, targetPort);
      const dr = this.cfg.destinationRule(v.host);
      if (dr) for (const s of dr.subsets.values()) emit(`outbound|${v.port}|${s.name}|${v.host}`, v.svc.pods.filter((p) => Object.entries(s.labels).every(([k, val]) => p.workload.labels[k] === val)), targetPort);
    }
    return out;
  }

  /** `istioctl proxy-config all <pod> -o json`: the admin config dump. */
  dump(pod: Pod): ProxyConfigDump {
    const v = this.build(pod);
    const now = '2026-01-01T00:00:00Z';
    return {
      configs: [
        { '@type': `${T}envoy.admin.v3.BootstrapConfigDump`, bootstrap: { node: { id: `${v.gateway ? 'router' : 'sidecar'}~${pod.ip}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`, cluster: `${pod.workload.app}.${pod.namespace}`, metadata: { ISTIO_VERSION: '1.30.3', NAMESPACE: pod.namespace, WORKLOAD_NAME: pod.workload.name } } } },
        {
          '@type': `${T}envoy.admin.v3.ClustersConfigDump`,
          static_clusters: ['agent', 'prometheus_stats', 'sds-grpc', 'xds-grpc'].map((name) => ({ cluster: { '@type': `${T}envoy.config.cluster.v3.Cluster`, name, type: 'STATIC' } })),
          dynamic_active_clusters: v.clusters.map((cluster) => ({ version_info: now, cluster, last_updated: now })),
        },
        { '@type': `${T}envoy.admin.v3.ListenersConfigDump`, dynamic_listeners: v.listeners.map((l) => ({ name: l.name, active_state: { version_info: now, listener: { '@type': `${T}envoy.config.listener.v3.Listener`, ...l }, last_updated: now } })) },
        { '@type': `${T}envoy.admin.v3.RoutesConfigDump`, dynamic_route_configs: v.routes.map((route_config) => ({ version_info: now, route_config, last_updated: now })) },
        { '@type': `${T}envoy.admin.v3.EndpointsConfigDump`, dynamic_endpoint_configs: v.endpoints.map((endpoint_config) => ({ endpoint_config })) },
      ],
    };
  }
}

/** The Service's workload identities, sorted as istiod lists them. */
function serviceAccounts(svc: Service): string[] {
  return [...new Set(svc.pods.map((p) => `spiffe://cluster.local/ns/${p.namespace}/sa/${p.workload.serviceAccount}`))].sort();
}

/**
 * How Envoy finds a ServiceEntry host's endpoints: DNS resolution carries the hostname as the
 * endpoint (load_assignment), NONE forwards to the original destination.
 */
function externalDiscovery(name: string, v: VisiblePort): Record<string, unknown> & { type: string } {
  if (v.resolution === 'NONE') return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
  const dns = v.resolution === 'DNS_ROUND_ROBIN' ? 'LOGICAL_DNS' : 'STRICT_DNS';
  return {
    type: dns,
    dns_refresh_rate: '60s',
    respect_dns_ttl: true,
    dns_lookup_family: 'V4_ONLY',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ locality: {}, lb_endpoints: [{ endpoint: { address: socket(v.host, v.port) }, load_balancing_weight: 1 }], load_balancing_weight: 1 }],
    },
  };
}

function hcmInline(cluster: string, port: number) {
  return {
    name: HCM,
    typed_config: {
      '@type': `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
      stat_prefix: cluster,
      route_config: { name: 'inbound|http|' + port, virtual_hosts: [{ name: `inbound|http|${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } }] }], validate_clusters: false },
      http_filters: [{ name: 'istio.metadata_exchange' }, { name: 'envoy.filters.http.rbac' }, { name: 'istio.stats' }, { name: 'envoy.filters.http.router' }],
    },
  };
}
