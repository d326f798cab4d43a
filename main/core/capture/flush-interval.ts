// Envoy writes access logs through a buffer it flushes every second by default (pilot-agent
// starts it with that file flush interval), so on a cluster a request shows up to ~1 s after it
// ended, plus what `kubectl logs -f` adds. Newer Istio releases expose the interval as the
// ProxyConfig field `fileFlushInterval`, which can be set per pod through the
// `proxy.istio.io/config` annotation (merged field by field over meshConfig.defaultConfig). This
// module produces the Deployment patches for the lab namespaces; the cluster backend applies them
// (the annotation is read at proxy start, so the patch rolls the pods).
import type { KubeObject } from '../backend/types.ts';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';
/**
 * First release whose ProxyConfig has `fileFlushInterval`. Recorded from the release history of
 * istio/api; older proxies ignore the field, so we do not patch them.
 */
export const FLUSH_INTERVAL_MIN_ISTIO = { major: 1, minor: 24 } as const;
export const DEFAULT_FLUSH_MS = 1000;

export interface FlushPlan {
  supported: boolean;
  /** Why nothing is patched (old Istio, nothing to patch). */
  reason: string;
  /** Objects to apply (server-side apply of the pod-template annotation). */
  patches: KubeObject[];
}

export function parseIstioVersion(v: string): { major: number; minor: number } | null {
  const m = /^v?(\d+)\.(\d+)/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

export function supportsFlushInterval(istioVersion: string): boolean {
  const v = parseIstioVersion(istioVersion);
  if (!v) return false;
  return v.major > FLUSH_INTERVAL_MIN_ISTIO.major || (v.major === FLUSH_INTERVAL_MIN_ISTIO.major && v.minor >= FLUSH_INTERVAL_MIN_ISTIO.minor);
}

/** Sets `fileFlushInterval` inside an existing annotation value, keeping the other fields. */
export function withFlushInterval(existing: string | undefined, intervalMs: number): string {
  const line = `fileFlushInterval: ${intervalMs}ms`;
  const kept = (existing ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^fileFlushInterval\s*:/.test(l.trim()));
  return [...kept, line].join('\n') + '\n';
}

/**
 * Patches for every Deployment in `deployments` (the lab namespaces' injected workloads and
 * gateways) that set the access-log flush interval to `intervalMs` (≥ 10 ms).
 */
export function flushIntervalPatches(istioVersion: string, deployments: KubeObject[], intervalMs = 100): FlushPlan {
  if (!Number.isInteger(intervalMs) || intervalMs < 10 || intervalMs > 60_000) {
    throw new RangeError(`flush interval must be an integer between 10 and 60000 ms (got ${intervalMs})`);
  }
  if (!supportsFlushInterval(istioVersion)) {
    return {
      supported: false,
      reason: `Istio ${istioVersion} does not let ProxyConfig set the access-log flush interval (needs ${FLUSH_INTERVAL_MIN_ISTIO.major}.${FLUSH_INTERVAL_MIN_ISTIO.minor} or later); the view may be up to ~1 s behind.`,
      patches: [],
    };
  }
  const patches: KubeObject[] = [];
  for (const d of deployments) {
    if (d.kind !== 'Deployment') continue;
    const template = (d.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template;
    const current = template?.metadata?.annotations?.[PROXY_CONFIG_ANNOTATION];
    const next = withFlushInterval(current, intervalMs);
    if (current === next) continue;
    patches.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: d.metadata.name, namespace: d.metadata.namespace ?? 'default' },
      spec: { template: { metadata: { annotations: { [PROXY_CONFIG_ANNOTATION]: next } } } },
    });
  }
  return {
    supported: true,
    reason: patches.length ? `sets fileFlushInterval to ${intervalMs}ms on ${patches.length} deployment(s); their pods restart` : 'already set',
    patches,
  };
}
