// Reads Envoy configuration in the shapes istioctl and the Envoy admin API produce and indexes it
// by name: `proxy-config all -o json` ({configs:[…ConfigDump]}, snake_case from the admin API or
// camelCase protojson), and the single-type arrays `proxy-config listeners|routes|clusters|endpoints
// -o json` print. Several documents can be merged (a listener dump plus a route dump, …).
import { parse as parseYaml } from 'yaml';

/** A JSON object from a config dump. */
export type Obj = Record<string, unknown>;

/** Field access that accepts both the admin API's snake_case and protojson's camelCase. */
export function f<T = unknown>(o: unknown, snake: string): T | undefined {
  if (!o || typeof o !== 'object') return undefined;
  const r = o as Obj;
  if (snake in r) return r[snake] as T;
  const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return r[camel] as T | undefined;
}

export const arr = <T = Obj>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export interface ProxyConfig {
  listeners: Obj[];
  routes: Obj[];
  clusters: Obj[];
  /** ClusterLoadAssignments, by cluster (EDS service) name. */
  endpoints: Map<string, Obj>;
  secrets: Obj[];
  /** The proxy's node metadata when a bootstrap dump is present. */
  node?: Obj;
  /** Size of the JSON text(s) read, for the Sidecar comparison. */
  bytes: number;
}

export class ConfigDumpError extends Error {
  override name = 'ConfigDumpError';
}

export function emptyProxyConfig(): ProxyConfig {
  return { listeners: [], routes: [], clusters: [], endpoints: new Map(), secrets: [], bytes: 0 };
}

function typeOf(o: unknown): string {
  const t = f<string>(o, '@type') ?? '';
  return t.slice(t.lastIndexOf('.') + 1);
}

function addConfig(pc: ProxyConfig, c: Obj): void {
  switch (typeOf(c)) {
    case 'ListenersConfigDump':
      for (const l of arr(f(c, 'static_listeners'))) pc.listeners.push(f<Obj>(l, 'listener') ?? l);
      for (const l of arr(f(c, 'dynamic_listeners'))) {
        const state = f(l, 'active_state') ?? f(l, 'warming_state');
        const listener = f<Obj>(state, 'listener');
        if (listener) pc.listeners.push(listener);
      }
      return;
    case 'RoutesConfigDump':
      for (const r of [...arr(f(c, 'static_route_configs')), ...arr(f(c, 'dynamic_route_configs'))]) {
        const rc = f<Obj>(r, 'route_config');
        if (rc) pc.routes.push(rc);
      }
      return;
    case 'ClustersConfigDump':
      for (const k of ['static_clusters', 'dynamic_active_clusters', 'dynamic_warming_clusters']) {
        for (const x of arr(f(c, k))) {
          const cl = f<Obj>(x, 'cluster');
          if (cl) pc.clusters.push(cl);
        }
      }
      return;
    case 'EndpointsConfigDump':
      for (const k of ['static_endpoint_configs', 'dynamic_endpoint_configs']) {
        for (const x of arr(f(c, k))) {
          const ec = f<Obj>(x, 'endpoint_config');
          if (ec) addAssignment(pc, ec);
        }
      }
      return;
    case 'SecretsConfigDump':
      pc.secrets.push(c);
      return;
    case 'BootstrapConfigDump':
      pc.node = f<Obj>(f(c, 'bootstrap'), 'node');
      return;
    default:
      // Single objects from the typed arrays carry their own @type.
      addLoose(pc, c);
  }
}

function addAssignment(pc: ProxyConfig, a: Obj): void {
  const name = f<string>(a, 'cluster_name');
  if (name) pc.endpoints.set(name, a);
}

/** An element of a `proxy-config <type> -o json` array: recognise it by its fields. */
function addLoose(pc: ProxyConfig, o: Obj): void {
  if (f(o, 'filter_chains') !== undefined || f(o, 'default_filter_chain') !== undefined || (f(o, 'address') !== undefined && f(o, 'listener_filters') !== undefined)) pc.listeners.push(o);
  else if (f(o, 'virtual_hosts') !== undefined) pc.routes.push(o);
  else if (f(o, 'cluster_name') !== undefined) addAssignment(pc, o);
  else if (f(o, 'connect_timeout') !== undefined || f(o, 'eds_cluster_config') !== undefined || f(o, 'lb_policy') !== undefined || (typeof f(o, 'type') === 'string' && typeof o.name === 'string')) pc.clusters.push(o);
  else if (typeOf(o) === 'Listener') pc.listeners.push(o);
  else if (typeOf(o) === 'Cluster') pc.clusters.push(o);
  else if (typeOf(o) === 'RouteConfiguration') pc.routes.push(o);
}

/** Add one parsed document (object with `configs`, a typed array, or a single object). */
export function addDocument(pc: ProxyConfig, doc: unknown, origin = 'input'): void {
  if (Array.isArray(doc)) {
    for (const o of doc) if (o && typeof o === 'object') addLoose(pc, o as Obj);
    return;
  }
  if (!doc || typeof doc !== 'object') throw new ConfigDumpError(`${origin}: not an Envoy config dump (expected a JSON object or array)`);
  const configs = f(doc, 'configs');
  if (Array.isArray(configs)) {
    for (const c of configs) if (c && typeof c === 'object') addConfig(pc, c as Obj);
    return;
  }
  addConfig(pc, doc as Obj);
}

/** Parse text (JSON, or YAML for `-o yaml` dumps) and merge it in. */
export function addText(pc: ProxyConfig, text: string, origin = 'input'): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (jsonErr) {
    try {
      doc = parseYaml(text);
    } catch {
      throw new ConfigDumpError(`${origin}: not valid JSON or YAML (${(jsonErr as Error).message})`);
    }
  }
  const before = pc.listeners.length + pc.routes.length + pc.clusters.length + pc.endpoints.size;
  addDocument(pc, doc, origin);
  pc.bytes += Buffer.byteLength(text);
  if (pc.listeners.length + pc.routes.length + pc.clusters.length + pc.endpoints.size === before) {
    throw new ConfigDumpError(`${origin}: no listeners, routes, clusters or endpoints found (expected "istioctl proxy-config all <pod> -o json" output)`);
  }
}

export function proxyConfigFrom(docs: Array<{ doc: unknown; origin?: string }>): ProxyConfig {
  const pc = emptyProxyConfig();
  for (const d of docs) {
    addDocument(pc, d.doc, d.origin);
    pc.bytes += Buffer.byteLength(JSON.stringify(d.doc));
  }
  return pc;
}

export function listenerName(l: Obj): string {
  const name = f<string>(l, 'name');
  if (name) return name;
  const sa = socketAddress(l);
  return sa ? `${sa.address}_${sa.port}` : '(unnamed)';
}

export function socketAddress(o: unknown): { address: string; port: number } | undefined {
  const sa = f(f(o, 'address'), 'socket_address');
  if (!sa) return undefined;
  return { address: String(f(sa, 'address') ?? ''), port: Number(f(sa, 'port_value') ?? 0) };
}

export function clusterByName(pc: ProxyConfig, name: string): Obj | undefined {
  return pc.clusters.find((c) => f(c, 'name') === name);
}

export function routeConfigByName(pc: ProxyConfig, name: string): Obj | undefined {
  return pc.routes.find((r) => f(r, 'name') === name);
}
