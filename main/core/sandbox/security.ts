// PeerAuthentication (mTLS mode per workload) and AuthorizationPolicy (Envoy RBAC) as the
// server-side sidecar enforces them.
import type { KubeObject } from '../backend/types.ts';
import { matches, type Pod } from './topology.ts';

export const ROOT_NAMESPACE = 'istio-system';

export interface PeerAuthn {
  name: string;
  namespace: string;
  selector?: Record<string, string>;
  mode: string;
}

export interface AuthzPolicy {
  name: string;
  namespace: string;
  selector?: Record<string, string>;
  action: 'ALLOW' | 'DENY';
  rules: any[];
}

export function compilePeerAuthn(o: KubeObject): PeerAuthn {
  const spec = (o.spec ?? {}) as any;
  return { name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', selector: spec.selector?.matchLabels, mode: String(spec.mtls?.mode ?? 'UNSET') };
}

export function compileAuthz(o: KubeObject): AuthzPolicy {
  const spec = (o.spec ?? {}) as any;
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? 'default',
    selector: spec.selector?.matchLabels,
    action: spec.action === 'DENY' ? 'DENY' : 'ALLOW',
    rules: Array.isArray(spec.rules) ? spec.rules : [],
  };
}

/** Effective mTLS mode: workload selector beats namespace-wide beats mesh-wide (root namespace); default PERMISSIVE. */
export function mtlsMode(pod: Pod, list: PeerAuthn[]): string {
  const labels = pod.workload.labels;
  const pick = (ns: string, withSelector: boolean) =>
    list.find((p) => p.namespace === ns && (withSelector ? !!p.selector && matches(p.selector, labels) : !p.selector) && p.mode !== 'UNSET');
  const p = pick(pod.namespace, true) ?? pick(pod.namespace, false) ?? pick(ROOT_NAMESPACE, false);
  return p?.mode ?? 'PERMISSIVE';
}

/**
 * The mode istiod can infer for a whole Service (BestEffortInferServiceMTLSMode): namespace-wide,
 * else mesh-wide. Workload-selector policies are invisible to the client side.
 */
export function namespaceMtlsMode(namespace: string, list: PeerAuthn[]): string {
  const pick = (ns: string) => list.find((p) => p.namespace === ns && !p.selector && p.mode !== 'UNSET');
  return (pick(namespace) ?? pick(ROOT_NAMESPACE))?.mode ?? 'PERMISSIVE';
}

export interface AuthzInput {
  /** `cluster.local/ns/<ns>/sa/<sa>` when the peer used mTLS, else null. */
  principal: string | null;
  sourceNamespace: string | null;
  method: string;
  path: string;
  port: number;
}

function glob(pattern: string, v: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return v.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return v.startsWith(pattern.slice(0, -1));
  return pattern === v;
}
function anyOf(list: unknown, v: string | null): boolean {
  return Array.isArray(list) && v !== null && list.some((p) => glob(String(p), v));
}

function ruleMatches(rule: any, r: AuthzInput): boolean {
  const from: any[] = rule?.from ?? [];
  const to: any[] = rule?.to ?? [];
  const fromOk =
    from.length === 0 ||
    from.some(({ source: s = {} }) =>
      (s.principals === undefined || anyOf(s.principals, r.principal)) &&
      (s.notPrincipals === undefined || !anyOf(s.notPrincipals, r.principal)) &&
      (s.namespaces === undefined || anyOf(s.namespaces, r.sourceNamespace)) &&
      (s.notNamespaces === undefined || !anyOf(s.notNamespaces, r.sourceNamespace)));
  const toOk =
    to.length === 0 ||
    to.some(({ operation: o = {} }) =>
      (o.methods === undefined || anyOf(o.methods, r.method)) &&
      (o.notMethods === undefined || !anyOf(o.notMethods, r.method)) &&
      (o.paths === undefined || anyOf(o.paths, r.path)) &&
      (o.notPaths === undefined || !anyOf(o.notPaths, r.path)) &&
      (o.ports === undefined || anyOf(o.ports, String(r.port))) &&
      (o.notPorts === undefined || !anyOf(o.notPorts, String(r.port))));
  return fromOk && toOk;
}

/** null when allowed, else the Envoy response code details of the denial. */
export function authorize(pod: Pod, list: AuthzPolicy[], r: AuthzInput): string | null {
  if (list.length === 0) return null;
  const applicable = list.filter((p) => (p.namespace === pod.namespace || p.namespace === ROOT_NAMESPACE) && (!p.selector || matches(p.selector, pod.workload.labels)));
  for (const p of applicable) {
    if (p.action !== 'DENY') continue;
    const i = p.rules.findIndex((rule) => ruleMatches(rule, r));
    if (i !== -1) return `rbac_access_denied_matched_policy[ns[${p.namespace}]-policy[${p.name}]-rule[${i}]]`;
  }
  const allows = applicable.filter((p) => p.action === 'ALLOW');
  if (allows.length === 0) return null;
  for (const p of allows) if (p.rules.some((rule) => ruleMatches(rule, r))) return null;
  return 'rbac_access_denied_matched_policy[none]';
}
