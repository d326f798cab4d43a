// The kubectl / istioctl commands the sandbox can answer, printed the way the real tools print
// them. Anything else is refused with a clear message rather than a made-up answer.
import { ApiError } from '../api/errors.ts';
import type { ToolResult } from '../backend/types.ts';
import type { Mesh } from './mesh.ts';
import { ProxyConfigBuilder } from './proxy-config.ts';
import type { Pod } from './topology.ts';

/** Columns padded like Go's tabwriter (min width 0, padding `pad`). */
export function table(rows: string[][], pad = 3): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + pad))).join('').trimEnd()).join('\n') + '\n';
}

function flagValue(args: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const n of names) {
      if (args[i] === n) return args[i + 1];
      if (args[i].startsWith(`${n}=`)) return args[i].slice(n.length + 1);
    }
  }
  return undefined;
}

function unavailable(argv: string[]): never {
  throw new ApiError(
    'unavailable',
    `The sandbox does not model \`${argv.join(' ')}\`. It answers: kubectl get pods|svc|<istio kind>, kubectl exec <pod> -c istio-proxy -- curl -X POST 127.0.0.1:15000/drain_listeners, istioctl proxy-config clusters|listeners|routes|endpoints|all <pod>, iptables-save for a pod.`,
    'Run this command against a real cluster: switch the backend to a minikube cluster in the Doctor view.',
  );
}

const KIND_ALIASES: Record<string, string> = {
  vs: 'VirtualService', virtualservice: 'VirtualService', virtualservices: 'VirtualService',
  dr: 'DestinationRule', destinationrule: 'DestinationRule', destinationrules: 'DestinationRule',
  gw: 'Gateway', gateway: 'Gateway', gateways: 'Gateway',
  se: 'ServiceEntry', serviceentry: 'ServiceEntry', serviceentries: 'ServiceEntry',
  sidecar: 'Sidecar', sidecars: 'Sidecar',
  pa: 'PeerAuthentication', peerauthentication: 'PeerAuthentication', peerauthentications: 'PeerAuthentication',
  ap: 'AuthorizationPolicy', authorizationpolicy: 'AuthorizationPolicy', authorizationpolicies: 'AuthorizationPolicy',
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
};

export function runSandboxTool(mesh: Mesh, argv: string[]): ToolResult {
  const started = Date.now();
  const done = (stdout: string, exitCode = 0, stderr = ''): ToolResult => ({ argv, exitCode, stdout, stderr, durationMs: Date.now() - started });
  const [tool, ...args] = argv;
  const topo = mesh.config().topology;
  const allNs = args.includes('-A') || args.includes('--all-namespaces');
  const ns = flagValue(args, '-n', '--namespace') ?? 'default';
  const positional = args.filter((a, i) => !a.startsWith('-') && !['-n', '--namespace', '-o', '--output', '-c', '--container'].includes(args[i - 1] ?? ''));

  if (tool === 'kubectl' && positional[0] === 'get') {
    const what = (positional[1] ?? '').toLowerCase();
    if (what === 'pods' || what === 'pod' || what === 'po') {
      const pods = topo.pods.filter((p) => allNs || p.namespace === ns);
      if (pods.length === 0) return done('', 0, `No resources found in ${ns} namespace.\n`);
      const rows = pods.map((p) => [...(allNs ? [p.namespace] : []), p.name, p.workload.injected ? (p.ready ? '2/2' : '1/2') : '1/1', 'Running', '0', '5m']);
      return done(table([[...(allNs ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], ...rows]));
    }
    if (what === 'svc' || what === 'service' || what === 'services') {
      const svcs = topo.services.filter((s) => allNs || s.namespace === ns);
      const rows = svcs.map((s) => [...(allNs ? [s.namespace] : []), s.name, s.name === 'istio-ingressgateway' ? 'LoadBalancer' : 'ClusterIP', s.vip, s.name === 'istio-ingressgateway' ? '<pending>' : '<none>', s.ports.map((p) => `${p.port}/TCP`).join(','), '5m']);
      return done(table([[...(allNs ? ['NAMESPACE'] : []), 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], ...rows]));
    }
    const kind = KIND_ALIASES[what];
    if (kind) {
      const objs = mesh.store.list(kind).filter((o) => allNs || o.metadata.namespace === ns);
      if (objs.length === 0) return done('', 0, `No resources found in ${ns} namespace.\n`);
      return done(table([[...(allNs ? ['NAMESPACE'] : []), 'NAME', 'AGE'], ...objs.map((o) => [...(allNs ? [o.metadata.namespace ?? ''] : []), o.metadata.name, '1m'])]));
    }
    unavailable(argv);
  }

  if (tool === 'kubectl' && positional[0] === 'exec') {
    const pod = findPod(mesh, positional[1], ns);
    const joined = args.join(' ');
    if (/drain_listeners/.test(joined)) {
      pod.drained = true;
      return done('OK\n');
    }
    unavailable(argv);
  }

  if (tool === 'istioctl' && (positional[0] === 'proxy-config' || positional[0] === 'pc')) {
    const sub = positional[1];
    const pod = findPod(mesh, positional[2], ns);
    const builder = new ProxyConfigBuilder(mesh.config(), mesh.settings);
    const json = flagValue(args, '-o', '--output') === 'json';
    if (sub === 'all') return done(JSON.stringify(builder.dump(pod), null, 2) + '\n');
    const view = builder.build(pod);
    if (sub === 'clusters' || sub === 'cluster' || sub === 'c') return done(json ? JSON.stringify(view.clusters, null, 2) + '\n' : clustersTable(view.clusters));
    if (sub === 'listeners' || sub === 'listener' || sub === 'l') return done(json ? JSON.stringify(view.listeners, null, 2) + '\n' : listenersTable(view.listeners));
    if (sub === 'routes' || sub === 'route' || sub === 'r') return done(json ? JSON.stringify(view.routes, null, 2) + '\n' : routesTable(view.routes));
    if (sub === 'endpoints' || sub === 'endpoint' || sub === 'ep') return done(json ? JSON.stringify(view.endpoints, null, 2) + '\n' : endpointsTable(view.endpoints));
    unavailable(argv);
  }
  unavailable(argv);
}

export function findPod(mesh: Mesh, name: string | undefined, ns: string): Pod {
  if (!name) throw new ApiError('bad_request', 'a pod name is required');
  const topo = mesh.config().topology;
  const [pname, pns] = name.includes('.') ? [name.split('.')[0], name.split('.').slice(1).join('.')] : [name, undefined];
  const bare = pname.replace(/^(pod|deploy|deployment)\//, '');
  const pod =
    topo.pods.find((p) => p.name === bare && p.namespace === (pns ?? ns)) ??
    topo.pods.find((p) => p.name === bare) ??
    topo.workloads.find((w) => w.name === bare && w.namespace === (pns ?? ns))?.pods[0] ??
    topo.workloads.find((w) => w.name === bare)?.pods[0];
  if (!pod) throw new ApiError('failed', `pod "${name}" not found in the sandbox`, 'List pods with `kubectl get pods -A`.');
  return pod;
}

function clustersTable(clusters: Record<string, any>[]): string {
  const rows = [['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE']];
  for (const c of clusters) {
    const parts = String(c.name).split('|');
    const dr = c.metadata?.filter_metadata?.istio?.config;
    const drName = typeof dr === 'string' ? `${dr.split('/').pop()}.${dr.split('/')[5]}` : '';
    if (parts.length === 4) rows.push([parts[3], parts[1], parts[2] || '-', parts[0], c.type, drName]);
    else rows.push([c.name, '-', '-', '-', c.type, '']);
  }
  for (const s of ['agent', 'prometheus_stats', 'sds-grpc', 'xds-grpc']) rows.push([s, '-', '-', '-', 'STATIC', '']);
  return table(rows, 5);
}

function chainMatch(m: Record<string, any> | undefined): string {
  if (!m || Object.keys(m).length === 0) return 'ALL';
  const parts: string[] = [];
  if (m.transport_protocol) parts.push(`Trans: ${m.transport_protocol}`);
  if (m.application_protocols) parts.push(`App: ${m.application_protocols.join(',')}`);
  if (m.destination_port) parts.push(`Addr: *:${m.destination_port}`);
  return parts.join('; ');
}

function chainDest(filters: Record<string, any>[]): string {
  const last = filters[filters.length - 1];
  const tc = last?.typed_config ?? {};
  if (tc.rds) return `Route: ${tc.rds.route_config_name}`;
  if (tc.route_config) return `Inline Route: /*`;
  if (tc.cluster) return tc.cluster.includes('|') ? `Cluster: ${tc.cluster}` : tc.cluster;
  return 'Non-HTTP/Non-TCP';
}

function listenersTable(listeners: Record<string, any>[]): string {
  const rows = [['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION']];
  for (const l of listeners) {
    const addr = l.address.socket_address;
    for (const fc of l.filter_chains ?? []) rows.push([addr.address, String(addr.port_value), chainMatch(fc.filter_chain_match), chainDest(fc.filters ?? [])]);
    if (l.default_filter_chain) rows.push([addr.address, String(addr.port_value), 'ALL', chainDest(l.default_filter_chain.filters)]);
  }
  return table(rows, 1);
}

function routesTable(routes: Record<string, any>[]): string {
  const rows = [['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']];
  for (const rc of routes) {
    for (const vh of rc.virtual_hosts ?? []) {
      const d: string[] = vh.domains ?? [];
      const domains = d.length > 2 ? `${d[0]}, ${d[2]} + ${d.length - 2} more...` : d.join(', ');
      for (const r of vh.routes ?? []) {
        const m = r.match ?? {};
        const match = m.path ?? (m.prefix !== undefined ? `${m.prefix}*` : m.safe_regex ? m.safe_regex.regex : '/*');
        const cfg: string | undefined = r.metadata?.filter_metadata?.istio?.config;
        const vs = cfg ? `${cfg.split('/').pop()}.${cfg.split('/')[5]}` : '';
        rows.push([rc.name, vh.name, domains, match, vs]);
      }
    }
  }
  return table(rows, 5);
}

function endpointsTable(eps: Record<string, any>[]): string {
  const rows = [['NAME', 'STATUS', 'LOCALITY', 'CLUSTER']];
  for (const c of eps) {
    for (const group of c.endpoints ?? []) {
      for (const e of group.lb_endpoints ?? []) {
        const a = e.endpoint.address.socket_address;
        rows.push([`${a.address}:${a.port_value}`, e.health_status, `${group.locality.region}/${group.locality.zone}`, c.cluster_name]);
      }
    }
  }
  return table(rows, 5);
}
