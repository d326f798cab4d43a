// What the sandbox models, field by field. Any field of an applied object outside these shapes is
// reported back as a warning (never silently ignored): the learner must know when the sandbox
// would behave differently from a real cluster.
import type { KubeObject } from '../backend/types.ts';
import { groupOf } from './config-store.ts';
import { behaviourFor } from './workloads.ts';

/** `true`: accepted as is; an object: known keys; `[s]`: a list of s; `{'*': s}`: a map of s. */
type Shape = true | { [key: string]: Shape } | [Shape];

const stringMatch: Shape = { exact: true, prefix: true, regex: true };
const percent: Shape = { value: true };
const destination: Shape = { host: true, subset: true, port: { number: true } };
const l4match: Shape = { port: true, sourceLabels: true, gateways: true, sourceNamespace: true };
const httpMatch: Shape = {
  name: true, uri: stringMatch, authority: stringMatch, method: stringMatch, headers: { '*': stringMatch },
  withoutHeaders: { '*': stringMatch }, queryParams: { '*': stringMatch }, ignoreUriCase: true, ...(l4match as object),
};
const trafficPolicy: Shape = {
  loadBalancer: {
    simple: true,
    localityLbSetting: { enabled: true, failover: [{ from: true, to: true }], distribute: [{ from: true, to: { '*': true } }] },
  },
  connectionPool: {
    tcp: { maxConnections: true, connectTimeout: true },
    http: { http1MaxPendingRequests: true, http2MaxRequests: true, maxRequestsPerConnection: true, maxRetries: true },
  },
  outlierDetection: {
    consecutive5xxErrors: true, consecutiveErrors: true, consecutiveGatewayErrors: true, interval: true,
    baseEjectionTime: true, maxEjectionPercent: true, minHealthPercent: true,
  },
  tls: { mode: true, sni: true },
};
const workloadSelector: Shape = { matchLabels: { '*': true } };

const specs: Record<string, Shape> = {
  'networking.istio.io/VirtualService': {
    hosts: true, gateways: true, exportTo: true,
    http: [{
      name: true, match: [httpMatch], route: [{ destination, weight: true }],
      redirect: { uri: true, authority: true, redirectCode: true, scheme: true, port: true },
      rewrite: { uri: true, authority: true }, directResponse: { status: true, body: { string: true } },
      timeout: true, retries: { attempts: true, perTryTimeout: true, retryOn: true },
      fault: { delay: { fixedDelay: true, percentage: percent, percent: true }, abort: { httpStatus: true, percentage: percent, percent: true } },
      mirror: destination, mirrorPercentage: percent, mirrorPercent: true,
    }],
    tcp: [{ match: [l4match], route: [{ destination, weight: true }] }],
  },
  'networking.istio.io/DestinationRule': {
    host: true, exportTo: true, trafficPolicy,
    subsets: [{ name: true, labels: { '*': true }, trafficPolicy }],
  },
  'networking.istio.io/Gateway': {
    selector: { '*': true },
    servers: [{ name: true, port: { number: true, name: true, protocol: true, targetPort: true }, hosts: true }],
  },
  'networking.istio.io/ServiceEntry': {
    hosts: true, addresses: true, ports: [{ number: true, name: true, protocol: true, targetPort: true }],
    location: true, resolution: true, exportTo: true,
  },
  'networking.istio.io/Sidecar': {
    workloadSelector, egress: [{ hosts: true }], outboundTrafficPolicy: { mode: true },
  },
  'security.istio.io/PeerAuthentication': { selector: workloadSelector, mtls: { mode: true } },
  'security.istio.io/AuthorizationPolicy': {
    selector: workloadSelector, action: true,
    rules: [{
      from: [{ source: { principals: true, notPrincipals: true, namespaces: true, notNamespaces: true } }],
      to: [{ operation: { methods: true, notMethods: true, paths: true, notPaths: true, ports: true, notPorts: true } }],
    }],
  },
};

/** Kinds stored and used as platform objects (their specs are read where the model needs them). */
const platformKinds = new Set(['/Service', '/ServiceAccount', '/Namespace', '/ConfigMap', '/Secret', 'apps/Deployment']);

const enumValues: Record<string, Record<string, string[]>> = {
  'security.istio.io/AuthorizationPolicy': { 'spec.action': ['ALLOW', 'DENY'] },
  'security.istio.io/PeerAuthentication': { 'spec.mtls.mode': ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] },
  'networking.istio.io/Sidecar': { 'spec.outboundTrafficPolicy.mode': ['ALLOW_ANY', 'REGISTRY_ONLY'] },
  'networking.istio.io/DestinationRule': { 'spec.trafficPolicy.tls.mode': ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] },
  'networking.istio.io/ServiceEntry': { 'spec.resolution': ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] },
};

/** Plain-words warnings for everything in `o` the sandbox does not model. */
export function unsupportedFields(o: KubeObject): string[] {
  const id = `${groupOf(o.apiVersion)}/${o.kind}`;
  const label = `${o.kind} ${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
  if (id === 'apps/Deployment') {
    const containers: any[] = (o.spec as any)?.template?.spec?.containers ?? [];
    const image = String(containers[0]?.image ?? '');
    if (behaviourFor(image) === 'generic') return [`${label}: image "${image}" is not one of the modelled samples; in the sandbox its pods answer every HTTP request with 200 and make no calls`];
    return [];
  }
  if (platformKinds.has(id)) return [];
  const shape = specs[id];
  if (!shape) return [`${label}: the sandbox stores this ${o.kind} but does not model its behaviour`];
  const out: string[] = [];
  walk(o.spec, shape, 'spec', out);
  const enums = enumValues[id];
  if (enums) {
    for (const [path, allowed] of Object.entries(enums)) {
      const v = path.split('.').reduce<unknown>((acc, k) => (acc && typeof acc === 'object' ? (acc as Record<string, unknown>)[k] : undefined), o);
      if (typeof v === 'string' && !allowed.includes(v)) out.push(`${path}: "${v}" is not modelled (the sandbox knows ${allowed.join(', ')})`);
    }
  }
  return out.map((w) => `${label}: ${w}`);
}

function walk(value: unknown, shape: Shape, path: string, out: string[]): void {
  if (shape === true || value === null || value === undefined) return;
  if (Array.isArray(shape)) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, shape[0], `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const any = shape['*'];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = any ?? shape[k];
    if (sub === undefined) out.push(`field ${path}.${k} is not modelled by the sandbox and is ignored`);
    else walk(v, sub, `${path}.${k}`, out);
  }
}
