// What a `Sidecar` resource's egress hosts do to a proxy's configuration: which services it keeps
// (the `namespace/dnsName` semantics of pilot/pkg/model/sidecar.go: `.` = the Sidecar's own
// namespace, `*` = any namespace, a `~` namespace imports nothing; dnsName `*`, `*.suffix` or a
// name), and the before/after counts of listeners, clusters, routes and dump bytes.
import { arr, f, listenerName, proxyConfigFrom, socketAddress, type Obj, type ProxyConfig } from './config-dump.ts';
import { parseClusterName } from './envoy-walk.ts';

export interface EgressHost {
  namespace: string;
  host: string;
}

export class SidecarHostError extends Error {
  override name = 'SidecarHostError';
}

export function parseEgressHost(s: string): EgressHost {
  const i = s.indexOf('/');
  if (i <= 0 || i === s.length - 1) throw new SidecarHostError(`Sidecar egress host "${s}" must be "<namespace>/<host>" (e.g. "./*", "istio-system/*", "*/httpbin.org")`);
  return { namespace: s.slice(0, i), host: s.slice(i + 1) };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** Is a service (host in namespace) imported by the egress hosts of a Sidecar in `sidecarNs`? */
export function imports(hosts: EgressHost[], sidecarNs: string, svc: { host: string; namespace?: string }): boolean {
  return hosts.some((h) => {
    if (h.namespace === '~') return false;
    const ns = h.namespace === '.' ? sidecarNs : h.namespace;
    if (ns !== '*' && ns !== svc.namespace) return false;
    return hostMatches(h.host, svc.host);
  });
}

/** A Kubernetes FQDN names its namespace: `name.ns.svc.<domain>`. */
function namespaceOfHost(host: string): string | undefined {
  const m = /^[^.]+\.([^.]+)\.svc\./.exec(host);
  return m?.[1];
}

function serviceOfCluster(cl: Obj | undefined, name: string): { host: string; namespace?: string } | undefined {
  const parts = parseClusterName(name);
  if (!parts || parts.direction !== 'outbound') return undefined;
  const meta = arr(f(f(f(f(cl, 'metadata'), 'filter_metadata'), 'istio'), 'services'))[0];
  const namespace = (meta && (f<string>(meta, 'namespace') ?? undefined)) ?? namespaceOfHost(parts.host);
  return { host: parts.host, ...(namespace ? { namespace } : {}) };
}

export interface ScopeCounts {
  listeners: number;
  clusters: number;
  routes: number;
  virtualHosts: number;
  endpoints: number;
  bytes: number;
}

/** Compact JSON size of the config, so dumps read from pretty-printed files compare fairly. */
export function configBytes(pc: ProxyConfig): number {
  return Buffer.byteLength(JSON.stringify({ listeners: pc.listeners, clusters: pc.clusters, routes: pc.routes, endpoints: [...pc.endpoints.values()], secrets: pc.secrets }));
}

export function counts(pc: ProxyConfig): ScopeCounts {
  const names = new Set([...pc.clusters.map((c) => String(f(c, 'name'))), ...pc.endpoints.keys()]);
  return {
    listeners: pc.listeners.length,
    clusters: names.size,
    routes: pc.routes.length,
    virtualHosts: pc.routes.reduce((n, r) => n + arr(f(r, 'virtual_hosts')).length, 0),
    endpoints: [...pc.endpoints.values()].reduce((n, cla) => n + arr(f(cla, 'endpoints')).reduce((m, g) => m + arr(f(g, 'lb_endpoints')).length, 0), 0),
    bytes: configBytes(pc),
  };
}

function referencedClusters(l: Obj): string[] {
  const out: string[] = [];
  const chains = [...arr(f(l, 'filter_chains')), ...(f(l, 'default_filter_chain') ? [f<Obj>(l, 'default_filter_chain')!] : [])];
  for (const fc of chains) {
    for (const flt of arr(f(fc, 'filters'))) {
      const tc = f(flt, 'typed_config');
      const c = f<string>(tc, 'cluster');
      if (c) out.push(c);
      for (const w of arr(f(f(tc, 'weighted_clusters'), 'clusters'))) out.push(String(f(w, 'name')));
    }
  }
  return out;
}

/**
 * The configuration istiod would send once a Sidecar with these egress hosts selects the proxy.
 * Outbound clusters, endpoints and route virtual hosts of services that are not imported go away;
 * a per-VIP listener goes with its cluster; a `0.0.0.0_<port>` listener stays while some imported
 * service still uses the port. Inbound, passthrough and bootstrap config is kept.
 */
export function applySidecarEgress(pc: ProxyConfig, hostsText: string[], sidecarNamespace: string): ProxyConfig {
  const hosts = hostsText.map(parseEgressHost);
  const keepCluster = (name: string, cl?: Obj) => {
    const svc = serviceOfCluster(cl, name);
    return !svc || imports(hosts, sidecarNamespace, svc);
  };
  const clusters = pc.clusters.filter((c) => keepCluster(String(f(c, 'name')), c));
  const allClusterNames = new Set([...pc.clusters.map((c) => String(f(c, 'name'))), ...pc.endpoints.keys()]);
  const kept = new Set([...allClusterNames].filter((n) => keepCluster(n, pc.clusters.find((c) => f(c, 'name') === n))));
  const portsInUse = new Set([...kept].map((n) => parseClusterName(n)).filter((p) => p?.direction === 'outbound').map((p) => Number(p!.port)));
  const listeners = pc.listeners.filter((l) => {
    const name = listenerName(l);
    if (f(l, 'traffic_direction') === 'INBOUND' || name === 'virtualOutbound' || name === 'virtualInbound') return true;
    const sa = socketAddress(l);
    const outboundRefs = referencedClusters(l).filter((c) => c.startsWith('outbound|'));
    if (outboundRefs.length) return outboundRefs.some((c) => kept.has(c));
    if (sa && (sa.address === '0.0.0.0' || sa.address === '::') && /^(0\.0\.0\.0|::)_\d+$/.test(name)) return portsInUse.has(sa.port);
    return true;
  });
  const routes = pc.routes
    .map((rc) => {
      const vhosts = arr(f(rc, 'virtual_hosts')).filter((vh) => {
        const routesOf = arr(f(vh, 'routes'));
        const targets = routesOf.flatMap((r) => {
          const a = f(r, 'route');
          const c = f<string>(a, 'cluster');
          return c ? [c] : arr(f(f(a, 'weighted_clusters'), 'clusters')).map((w) => String(f(w, 'name')));
        });
        const outbound = targets.filter((t) => t.startsWith('outbound|'));
        return !outbound.length || outbound.some((t) => keepCluster(t, pc.clusters.find((c) => f(c, 'name') === t)));
      });
      return { ...rc, virtual_hosts: vhosts } as Obj;
    })
    .filter((rc) => {
      const name = String(f(rc, 'name') ?? '');
      // Port-named outbound route configs vanish with their listener.
      return !/^\d+$/.test(name) || portsInUse.has(Number(name));
    });
  const out = proxyConfigFrom([]);
  out.listeners = listeners;
  out.clusters = clusters;
  out.routes = routes;
  out.endpoints = new Map([...pc.endpoints].filter(([name]) => kept.has(name)));
  out.secrets = pc.secrets;
  out.bytes = configBytes(out);
  return out;
}

export interface ScopeComparison {
  before: ScopeCounts;
  after: ScopeCounts;
  removedClusters: string[];
  removedListeners: string[];
  /** Rough Envoy memory saved: each cluster costs tens of KB in Envoy (stats, LB state). */
  estimatedMemorySavedBytes: number;
  explain: string;
}

/** Per cluster, Envoy keeps stats and load-balancer state; ~50 KiB is a commonly observed order of magnitude. */
const BYTES_PER_CLUSTER_ESTIMATE = 50 * 1024;

export function compareScopes(before: ProxyConfig, after: ProxyConfig): ScopeComparison {
  const b = counts(before);
  const a = counts(after);
  const beforeNames = new Set([...before.clusters.map((c) => String(f(c, 'name'))), ...before.endpoints.keys()]);
  const afterNames = new Set([...after.clusters.map((c) => String(f(c, 'name'))), ...after.endpoints.keys()]);
  const removedClusters = [...beforeNames].filter((n) => !afterNames.has(n)).sort();
  const afterListeners = new Set(after.listeners.map(listenerName));
  const removedListeners = before.listeners.map(listenerName).filter((n) => !afterListeners.has(n));
  const saved = Math.max(0, b.clusters - a.clusters) * BYTES_PER_CLUSTER_ESTIMATE;
  const pct = b.bytes ? Math.round((100 * (b.bytes - a.bytes)) / b.bytes) : 0;
  return {
    before: b,
    after: a,
    removedClusters,
    removedListeners,
    estimatedMemorySavedBytes: saved,
    explain: `The Sidecar removes ${b.clusters - a.clusters} of ${b.clusters} clusters and ${b.listeners - a.listeners} of ${b.listeners} listeners; the config dump shrinks by ${pct}%. Every proxy stores (and istiod pushes) less, roughly ${Math.round(saved / 1024)} KiB of Envoy memory per proxy at ~50 KiB per cluster. Calls to removed services fall into PassthroughCluster (ALLOW_ANY) or BlackHoleCluster (REGISTRY_ONLY).`,
  };
}
