// Lower the Envoy access-log flush interval on a lab namespace's workloads (and the demo
// gateways), so the request views on a real cluster trail the requests by ~100 ms instead of ~1 s.
// The patch plan comes from capture/flush-interval.ts; this applies it and waits for the rollout.
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../backend/types.ts';
import { flushIntervalPatches, supportsFlushInterval } from '../capture/flush-interval.ts';
import type { IstioVersions } from './istio.ts';
import type { Kube } from './kube.ts';

export const FLUSH_FIELD_MANAGER = 'meshwalk-flush-interval';
export const LAB_FLUSH_MS = 100;
const GATEWAYS = new Set(['istio-ingressgateway', 'istio-egressgateway']);

export interface FlushOutcome {
  supported: boolean;
  /** Control-plane version the decision was made on ('' when unknown). */
  istioVersion: string;
  /** Deployments patched, as namespace/name. */
  patched: string[];
  /** Plain words for the progress step. */
  message: string;
}

/** Deployments whose pods get a sidecar: a template that opts out of injection is skipped. */
function injected(d: KubeObject): boolean {
  const t = (d.spec as { template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } } | undefined)?.template?.metadata;
  return (t?.labels?.['sidecar.istio.io/inject'] ?? t?.annotations?.['sidecar.istio.io/inject']) !== 'false';
}

/**
 * The version that decides support: every control plane must support the field (with two
 * revisions installed, pods may be injected by either).
 */
export function controlPlaneVersion(v: IstioVersions): string | null {
  if (!v.controlPlane.length) return null;
  return v.controlPlane.find((c) => !supportsFlushInterval(c)) ?? v.controlPlane[0];
}

export async function lowerFlushInterval(opts: {
  kube: Kube;
  versions: () => Promise<IstioVersions>;
  namespace: string;
  /** Also patch the demo profile's gateways in istio-system (only on Meshwalk's own cluster, whole-namespace runs). */
  gateways: boolean;
  /** Only these deployments (e.g. the ones a lab just applied); all of the namespace when absent. */
  only?: string[];
  intervalMs?: number;
  signal?: AbortSignal;
  rolloutTimeoutMs?: number;
}): Promise<FlushOutcome> {
  const v = await opts.versions().catch(() => null);
  const version = v ? controlPlaneVersion(v) : null;
  if (!version) {
    return { supported: false, istioVersion: '', patched: [], message: 'Istio\'s control-plane version is unknown (istioctl version shows no istiod), so the access-log flush interval stays at 1 s; the views may trail requests by up to ~1 s.' };
  }
  let deployments = (await opts.kube.listDeployments(opts.namespace)).filter(injected);
  if (opts.only) deployments = deployments.filter((d) => opts.only!.includes(d.metadata.name));
  if (opts.gateways && !opts.only) {
    const gws = await opts.kube.listDeployments('istio-system').catch(() => [] as KubeObject[]);
    deployments.push(...gws.filter((d) => GATEWAYS.has(d.metadata.name)));
  }
  const plan = flushIntervalPatches(version, deployments, opts.intervalMs ?? LAB_FLUSH_MS);
  if (!plan.supported) return { supported: false, istioVersion: version, patched: [], message: plan.reason };
  await opts.kube.patchFields(plan.patches, FLUSH_FIELD_MANAGER, { signal: opts.signal });
  // The annotation is read when the proxy starts: the patch rolls the pods; wait like kubectl does.
  const results = await Promise.all(plan.patches.map((p) => opts.kube.rolloutStatus(p.metadata.namespace ?? opts.namespace, p.metadata.name, opts.rolloutTimeoutMs ?? 5 * 60_000, opts.signal).then((r) => ({ name: p.metadata.name, r }))));
  const stuck = results.filter((x) => !x.r.ok);
  const stuckNs = plan.patches.find((p) => p.metadata.name === stuck[0]?.name)?.metadata.namespace ?? opts.namespace;
  if (stuck.length) {
    throw new ApiError('failed', `after setting the access-log flush interval, ${stuck.map((x) => x.name).join(', ')} did not roll out: ${stuck[0].r.reason}`, `See why: kubectl rollout status deployment/${stuck[0].name} -n ${stuckNs}`);
  }
  const patched = plan.patches.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  return {
    supported: true,
    istioVersion: version,
    patched,
    message: patched.length ? `Istio ${version}: access logs flush every ${opts.intervalMs ?? LAB_FLUSH_MS} ms on ${patched.length} deployment(s) (rolled out)` : `Istio ${version}: the access-log flush interval is already ${opts.intervalMs ?? LAB_FLUSH_MS} ms`,
  };
}
