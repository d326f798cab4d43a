// The Istio config store compiled for the data plane, rebuilt when the store's revision changes.
import type { ConfigStore } from './config-store.ts';
import {
  compileDestinationRule, compileGateway, compileVirtualService, hostMatches, normalizeHost,
  type CompiledDr, type CompiledGateway, type CompiledVs,
} from './routing.ts';
import { compileAuthz, compilePeerAuthn, ROOT_NAMESPACE, type AuthzPolicy, type PeerAuthn } from './security.ts';
import { matches, protocolOf, Topology, type Pod, type ServicePort } from './topology.ts';
import { hash32 } from './random.ts';

export interface CompiledServiceEntry {
  name: string;
  namespace: string;
  hosts: string[];
  ports: ServicePort[];
  location: string;
  resolution: string;
}

export interface SidecarScope {
  name: string;
  namespace: string;
  selector?: Record<string, string>;
  /** [namespace pattern, host pattern]; namespace `.` is the Sidecar's own namespace. */
  egress: [string, string][];
  outboundPolicy?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
}

export class CompiledConfig {
  readonly revision: number;
  readonly topology: Topology;
  readonly virtualServices: CompiledVs[];
  /** Mesh-bound VirtualServices by exact destination FQDN; wildcard ones separately. */
  private readonly meshVsByHost = new Map<string, CompiledVs>();
  private readonly meshVsWildcard: CompiledVs[] = [];
  private readonly drByHost = new Map<string, CompiledDr>();
  readonly gateways: CompiledGateway[];
  readonly serviceEntries: CompiledServiceEntry[];
  readonly sidecars: SidecarScope[];
  readonly peerAuthn: PeerAuthn[];
  readonly authz: AuthzPolicy[];
  private readonly scopeCache = new Map<string, SidecarScope | null>();

  constructor(store: ConfigStore, previous?: CompiledConfig) {
    this.revision = store.revision;
    this.topology = new Topology(store, previous?.topology);
    // Oldest first, as istiod resolves conflicts by creation order.
    this.virtualServices = store.list('VirtualService').map(compileVirtualService);
    for (const vs of this.virtualServices) {
      if (!vs.gateways.includes('mesh')) continue;
      for (const h of vs.hosts) {
        if (h.includes('*')) this.meshVsWildcard.push(vs);
        else if (!this.meshVsByHost.has(h)) this.meshVsByHost.set(h, vs);
      }
    }
    for (const dr of store.list('DestinationRule').map(compileDestinationRule)) if (!this.drByHost.has(dr.host)) this.drByHost.set(dr.host, dr);
    this.gateways = store.list('Gateway').map(compileGateway);
    this.serviceEntries = store.list('ServiceEntry').map((o) => {
      const spec = (o.spec ?? {}) as any;
      return {
        name: o.metadata.name,
        namespace: o.metadata.namespace ?? 'default',
        hosts: (spec.hosts ?? []).map((h: string) => h.toLowerCase()),
        ports: (spec.ports ?? []).map((p: any) => ({ name: String(p.name ?? ''), port: Number(p.number), targetPort: Number(p.targetPort ?? p.number), protocol: protocolOf(p.protocol ?? p.name) })),
        location: String(spec.location ?? 'MESH_EXTERNAL'),
        resolution: String(spec.resolution ?? 'NONE'),
      };
    });
    this.sidecars = store.list('Sidecar').map((o) => {
      const spec = (o.spec ?? {}) as any;
      const egress: [string, string][] = [];
      for (const e of spec.egress ?? []) for (const h of e.hosts ?? []) {
        const [ns, host] = String(h).includes('/') ? String(h).split('/', 2) : ['*', String(h)];
        egress.push([ns, host.toLowerCase()]);
      }
      const mode = spec.outboundTrafficPolicy?.mode;
      return { name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', selector: spec.workloadSelector?.labels ?? spec.workloadSelector?.matchLabels, egress, outboundPolicy: mode === 'REGISTRY_ONLY' || mode === 'ALLOW_ANY' ? mode : undefined };
    });
    this.peerAuthn = store.list('PeerAuthentication').map(compilePeerAuthn);
    this.authz = store.list('AuthorizationPolicy').map(compileAuthz);
  }

  meshVirtualService(fqdn: string): CompiledVs | undefined {
    const vs = this.meshVsByHost.get(fqdn);
    if (vs) return vs;
    for (const w of this.meshVsWildcard) if (w.hosts.some((h) => hostMatches(h, fqdn))) return w;
    return undefined;
  }

  /** VirtualServices bound to gateway `ns/name` whose hosts cover `host`. */
  gatewayVirtualService(gatewayRef: string, host: string): CompiledVs | undefined {
    const h = host.toLowerCase();
    return this.virtualServices.find((vs) => vs.gateways.includes(gatewayRef) && vs.hosts.some((p) => hostMatches(p, h) || p === normalizeHost(h, vs.namespace)));
  }

  destinationRule(fqdn: string): CompiledDr | undefined {
    return this.drByHost.get(fqdn);
  }

  serviceEntry(host: string): CompiledServiceEntry | undefined {
    const h = host.toLowerCase();
    return this.serviceEntries.find((se) => se.hosts.some((p) => hostMatches(p, h)));
  }

  /** The Sidecar resource that configures `pod`'s proxy, if any. */
  sidecarFor(pod: Pod): SidecarScope | null {
    if (this.sidecars.length === 0) return null;
    const key = `${pod.namespace}/${pod.name}`;
    let s = this.scopeCache.get(key);
    if (s === undefined) {
      s =
        this.sidecars.find((c) => c.namespace === pod.namespace && c.selector && matches(c.selector, pod.workload.labels)) ??
        this.sidecars.find((c) => c.namespace === pod.namespace && !c.selector) ??
        this.sidecars.find((c) => c.namespace === ROOT_NAMESPACE && !c.selector) ??
        null;
      this.scopeCache.set(key, s);
    }
    return s;
  }

  /** Whether `pod`'s proxy knows the host `fqdn` declared in namespace `ns` (Sidecar egress). */
  visible(pod: Pod, ns: string, fqdn: string): boolean {
    const scope = this.sidecarFor(pod);
    if (!scope) return true;
    for (const [nsPat, hostPat] of scope.egress) {
      if (nsPat === '~') continue;
      const nsOk = nsPat === '*' || (nsPat === '.' ? ns === scope.namespace : nsPat === ns);
      if (nsOk && hostMatches(hostPat, fqdn)) return true;
    }
    return false;
  }
}

/** A stable public-looking address for an external host name. */
export function externalIp(host: string): string {
  const h = hash32(host);
  return `${[34, 52, 104, 142, 151][h % 5]}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${((h >>> 24) % 250) + 2}`;
}
