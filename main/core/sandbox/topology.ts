// The platform as the data plane sees it: Services with VIPs, workloads (Deployments) with pods,
// pod IPs and localities. Derived from the stored Kubernetes objects, plus Istio's own gateways.
import type { KubeObject } from '../backend/types.ts';
import type { ConfigStore } from './config-store.ts';
import { hash32 } from './random.ts';
import { behaviourFor, type BehaviourKind } from './workloads.ts';

export interface Locality {
  region: string;
  zone: string;
}

export interface Pod {
  name: string;
  namespace: string;
  ip: string;
  node: string;
  locality: Locality;
  workload: Workload;
  /** `POST /drain_listeners` on its proxy: connections to it fail until the pod is recreated. */
  drained: boolean;
  /**
   * Readiness as Kubernetes sees it. A drained proxy fails its readiness probe (pilot-agent's
   * /healthz/ready checks Envoy), so after the first failed connection the pod leaves the endpoints.
   */
  ready: boolean;
}

export interface Workload {
  name: string;
  namespace: string;
  app: string;
  version: string;
  labels: Record<string, string>;
  serviceAccount: string;
  image: string;
  behaviour: BehaviourKind;
  /** Env of the first container (SERVICE_VERSION, STAR_COLOR…). */
  env: Record<string, string>;
  args: string[];
  injected: boolean;
  gateway: boolean;
  pods: Pod[];
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol: 'HTTP' | 'TCP' | 'HTTPS' | 'TLS' | 'GRPC';
}

export interface Service {
  name: string;
  namespace: string;
  fqdn: string;
  vip: string;
  ports: ServicePort[];
  selector: Record<string, string>;
  pods: Pod[];
}

export interface Node {
  name: string;
  locality: Locality;
}

/** Four nodes labelled with topology labels, so the locality labs work on the sandbox. */
export const NODES: Node[] = [
  { name: 'minikube', locality: { region: 'region1', zone: 'zone1' } },
  { name: 'minikube-m02', locality: { region: 'region1', zone: 'zone2' } },
  { name: 'minikube-m03', locality: { region: 'region2', zone: 'zone3' } },
  { name: 'minikube-m04', locality: { region: 'region3', zone: 'zone4' } },
];

export function protocolOf(name: string | undefined, appProtocol?: unknown): ServicePort['protocol'] {
  const p = String(appProtocol ?? name ?? '').toLowerCase();
  if (p === 'http' || p.startsWith('http-') || p === 'http2' || p.startsWith('http2-')) return 'HTTP';
  if (p === 'grpc' || p.startsWith('grpc-')) return 'GRPC';
  if (p === 'https' || p.startsWith('https-')) return 'HTTPS';
  if (p === 'tls' || p.startsWith('tls-')) return 'TLS';
  return 'TCP';
}

const POD_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
function podSuffix(seed: number, len: number): string {
  let s = '';
  let h = seed;
  for (let i = 0; i < len; i++) {
    s += POD_CHARS[h % POD_CHARS.length];
    h = Math.floor(h / POD_CHARS.length) ^ Math.imul(h, 2654435761) >>> 7;
    h >>>= 0;
  }
  return s;
}

export class Topology {
  readonly services: Service[] = [];
  readonly workloads: Workload[] = [];
  readonly pods: Pod[] = [];
  private readonly byHost = new Map<string, Service>();
  private readonly podByIp = new Map<string, Pod>();
  readonly injectedNamespaces = new Set<string>();

  constructor(store: ConfigStore, previous?: Topology) {
    for (const ns of store.list('Namespace')) {
      if (ns.metadata.labels?.['istio-injection'] === 'enabled') this.injectedNamespaces.add(ns.metadata.name);
    }
    const usedIps = new Set<string>();
    let nextIp = 10;
    const allocIp = (key: string): string => {
      const old = previous?.pods.find((p) => `${p.namespace}/${p.name}` === key)?.ip;
      if (old && !usedIps.has(old)) {
        usedIps.add(old);
        return old;
      }
      for (;;) {
        const ip = `10.244.0.${nextIp++}`;
        if (nextIp > 254) throw new Error('sandbox: pod IP range 10.244.0.0/24 exhausted');
        if (!usedIps.has(ip) && !previous?.pods.some((p) => p.ip === ip && `${p.namespace}/${p.name}` !== key)) {
          usedIps.add(ip);
          return ip;
        }
      }
    };
    for (const d of store.list('Deployment')) this.addDeployment(d, allocIp, previous);
    const vips = new Set<string>();
    for (const s of store.list('Service')) this.addService(s, vips);
  }

  private addDeployment(d: KubeObject, allocIp: (key: string) => string, previous?: Topology): void {
    const spec = (d.spec ?? {}) as Record<string, any>;
    const tpl = spec.template ?? {};
    const labels: Record<string, string> = { ...(tpl.metadata?.labels ?? {}) };
    const annotations: Record<string, string> = tpl.metadata?.annotations ?? {};
    const podSpec = tpl.spec ?? {};
    const c = (podSpec.containers ?? [])[0] ?? {};
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) if (e && typeof e.name === 'string') env[e.name] = String(e.value ?? '');
    const ns = d.metadata.namespace ?? 'default';
    const istioSystem = ns === 'istio-system';
    const injectLabel = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
    const injected = !istioSystem && injectLabel !== 'false' && (this.injectedNamespaces.has(ns) || injectLabel === 'true');
    const image = String(c.image ?? '');
    const gateway = labels.istio === 'ingressgateway' || labels.istio === 'egressgateway';
    const w: Workload = {
      name: d.metadata.name,
      namespace: ns,
      app: labels.app ?? d.metadata.name,
      version: labels.version ?? '',
      labels,
      serviceAccount: String(podSpec.serviceAccountName ?? 'default'),
      image,
      behaviour: gateway ? 'gateway' : behaviourFor(image),
      env,
      args: Array.isArray(c.args) ? c.args.map(String) : [],
      injected,
      gateway,
      pods: [],
    };
    const sel: Record<string, string> = podSpec.nodeSelector ?? {};
    const node =
      NODES.find((n) => (!sel['topology.kubernetes.io/region'] || sel['topology.kubernetes.io/region'] === n.locality.region) && (!sel['topology.kubernetes.io/zone'] || sel['topology.kubernetes.io/zone'] === n.locality.zone)) ?? NODES[0];
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const rsHash = podSuffix(hash32(`${ns}/${w.name}/${JSON.stringify(tpl)}`), 10);
    for (let i = 0; i < replicas; i++) {
      const name = `${w.name}-${rsHash}-${podSuffix(hash32(`${ns}/${w.name}/${i}`), 5)}`;
      const prev = previous?.pods.find((p) => p.namespace === ns && p.name === name);
      const pod: Pod = { name, namespace: ns, ip: allocIp(`${ns}/${name}`), node: node.name, locality: node.locality, workload: w, drained: prev?.drained ?? false, ready: prev?.ready ?? true };
      w.pods.push(pod);
      this.pods.push(pod);
      this.podByIp.set(pod.ip, pod);
    }
    this.workloads.push(w);
  }

  private addService(s: KubeObject, vips: Set<string>): void {
    const spec = (s.spec ?? {}) as Record<string, any>;
    const ns = s.metadata.namespace ?? 'default';
    const selector: Record<string, string> = spec.selector ?? {};
    const ports: ServicePort[] = (spec.ports ?? []).map((p: any) => ({
      name: String(p.name ?? ''),
      port: Number(p.port),
      targetPort: typeof p.targetPort === 'number' ? p.targetPort : Number(p.port),
      protocol: protocolOf(p.name, p.appProtocol),
    }));
    let h = hash32(`${ns}/${s.metadata.name}`);
    let vip = '';
    do {
      vip = typeof spec.clusterIP === 'string' && !vips.has(spec.clusterIP) ? spec.clusterIP : `10.96.${(h >>> 8) % 256}.${(h % 253) + 2}`;
      h = hash32(String(h));
    } while (vips.has(vip));
    vips.add(vip);
    const pods = Object.keys(selector).length === 0 ? [] : this.pods.filter((p) => p.namespace === ns && matches(selector, p.workload.labels));
    const svc: Service = { name: s.metadata.name, namespace: ns, fqdn: `${s.metadata.name}.${ns}.svc.cluster.local`, vip, ports, selector, pods };
    this.services.push(svc);
    this.byHost.set(svc.fqdn, svc);
  }

  private readonly resolved = new Map<string, Map<string, Service | null>>();

  /** Resolve a host as written by a client in namespace `fromNs` (short, ns-qualified or FQDN). */
  service(host: string, fromNs: string): Service | undefined {
    let byHost = this.resolved.get(fromNs);
    if (!byHost) this.resolved.set(fromNs, (byHost = new Map()));
    let s = byHost.get(host);
    if (s === undefined) {
      s = this.resolve(host, fromNs) ?? null;
      if (byHost.size < 10_000) byHost.set(host, s);
    }
    return s ?? undefined;
  }

  private resolve(host: string, fromNs: string): Service | undefined {
    const h = host.toLowerCase();
    if (h.endsWith('.svc.cluster.local')) return this.byHost.get(h);
    const parts = h.split('.');
    if (parts.length === 1) return this.byHost.get(`${h}.${fromNs}.svc.cluster.local`);
    if (parts.length === 2) return this.byHost.get(`${h}.svc.cluster.local`);
    if (parts.length === 3 && parts[2] === 'svc') return this.byHost.get(`${h}.cluster.local`);
    return undefined;
  }

  serviceByVip(ip: string): Service | undefined {
    return this.services.find((s) => s.vip === ip);
  }

  podByIP(ip: string): Pod | undefined {
    return this.podByIp.get(ip);
  }

  workload(name: string, ns?: string): Workload | undefined {
    return this.workloads.find((w) => w.name === name && (ns === undefined || w.namespace === ns)) ?? this.workloads.find((w) => w.app === name && (ns === undefined || w.namespace === ns));
  }

  pod(name: string, ns?: string): Pod | undefined {
    return this.pods.find((p) => (p.name === name || `${p.name}.${p.namespace}` === name) && (ns === undefined || p.namespace === ns));
  }
}

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** Envoy's locality string "region/zone". */
export function localityString(l: Locality): string {
  return `${l.region}/${l.zone}`;
}
