// Which Kubernetes versions an Istio release supports, and which one minikube should start.
// Source: istio.io data/compatibility/supportStatus.yml and minikube constants (ISTIO-FACTS §0).

export interface Semver {
  major: number;
  minor: number;
  patch: number;
  raw: string;
}

export function parseVersion(text: string | undefined | null): Semver | null {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: m[0].replace(/^v/, '') };
}

/** Istio minor → supported Kubernetes minors (inclusive). */
const ISTIO_K8S: Record<number, [number, number]> = {
  24: [28, 31],
  25: [29, 32],
  26: [29, 33],
  27: [29, 33],
  28: [30, 34],
  29: [31, 35],
  30: [32, 36],
  31: [33, 37],
};

export interface K8sRange {
  min: number;
  max: number;
  /** True when the range was extrapolated for an Istio newer than the table. */
  guessed: boolean;
}

/** Supported Kubernetes 1.x minors for an Istio 1.y release. */
export function supportedK8s(istio: Semver): K8sRange {
  const known = ISTIO_K8S[istio.minor];
  if (known) return { min: known[0], max: known[1], guessed: false };
  // Each Istio minor moves the window up by one Kubernetes minor (1.30 → 1.32–1.36).
  return { min: istio.minor + 2, max: istio.minor + 6, guessed: true };
}

/** minikube minor → the Kubernetes version it starts by default. */
const MINIKUBE_DEFAULT_K8S: Record<number, string> = { 34: 'v1.31.0', 35: 'v1.32.0', 36: 'v1.33.1', 37: 'v1.34.0', 38: 'v1.35.1' };

export function minikubeDefaultK8s(minikube: Semver): Semver | null {
  const v = MINIKUBE_DEFAULT_K8S[minikube.minor];
  if (v) return parseVersion(v);
  if (minikube.minor > 38) return parseVersion(`v1.${35 + (minikube.minor - 38)}.0`);
  return null;
}

export interface Compatibility {
  ok: boolean;
  detail: string;
}

export function checkCompat(istio: Semver, k8s: Semver): Compatibility {
  const r = supportedK8s(istio);
  const within = k8s.minor >= r.min && k8s.minor <= r.max;
  const range = `1.${r.min}–1.${r.max}${r.guessed ? ' (estimated)' : ''}`;
  return {
    ok: within,
    detail: within
      ? `Istio ${istio.raw} supports Kubernetes ${range}; the cluster runs ${k8s.raw}`
      : `Istio ${istio.raw} supports Kubernetes ${range}, but the cluster runs ${k8s.raw}`,
  };
}

/**
 * The `--kubernetes-version` to pass to `minikube start` for this istioctl, or undefined to keep
 * minikube's default (when that default is already supported, or when we cannot tell).
 */
export function kubernetesVersionFor(istio: Semver | null, minikube: Semver | null): string | undefined {
  if (!istio) return undefined;
  const r = supportedK8s(istio);
  const def = minikube ? minikubeDefaultK8s(minikube) : null;
  if (def && def.minor >= r.min && def.minor <= r.max) return undefined;
  // Newest supported minor, but never newer than what this minikube knows how to start.
  const ceiling = def ? Math.min(r.max, def.minor) : r.max;
  return ceiling >= r.min ? `v1.${ceiling}.0` : undefined;
}
