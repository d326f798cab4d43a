// minikube lifecycle for Meshwalk's own profile: start (CloudEvents → progress steps), status,
// stop, delete, tunnel (supervised). Every command names `--profile` explicitly so the user's
// default `minikube` profile is never touched.
import { ApiError } from '../api/errors.ts';
import type { RunResult } from '../toolchain/runner.ts';
import type { Toolchain } from '../toolchain/index.ts';
import type { Supervised, SupervisedState } from '../toolchain/supervisor.ts';
import { parseVersion, type Semver } from './versions.ts';

export type MinikubeEvent =
  | { type: 'step'; current: number; total: number; name: string; message: string }
  | { type: 'download'; artifact: string; progress?: number; message: string }
  | { type: 'info' | 'warning'; message: string }
  | { type: 'error'; message: string; reason?: string; exitCode?: number; advice?: string; url?: string; issues?: string };

const PREFIX = 'io.k8s.sigs.minikube.';

/** Parse one line of `minikube … --output=json`. Non-JSON lines (klog noise) give null. */
export function parseCloudEvent(line: string): MinikubeEvent | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let ev: { type?: string; data?: Record<string, string> };
  try {
    ev = JSON.parse(t);
  } catch {
    return null;
  }
  if (typeof ev.type !== 'string' || !ev.type.startsWith(PREFIX)) return null;
  const d = ev.data ?? {};
  const message = stripIcon(d.message ?? '');
  switch (ev.type.slice(PREFIX.length)) {
    case 'step': {
      const total = Number(d.totalsteps);
      return { type: 'step', current: Number(d.currentstep) || 0, total: Number.isFinite(total) && total > 0 ? total : 19, name: d.name ?? '', message };
    }
    case 'download':
    case 'download.progress': {
      const p = d.progress === undefined ? undefined : Number.parseFloat(d.progress);
      return { type: 'download', artifact: d.artifact ?? '', progress: Number.isFinite(p) ? p : undefined, message };
    }
    case 'info':
      return { type: 'info', message };
    case 'warning':
      return { type: 'warning', message };
    case 'error': {
      const code = d.exitcode ? Number(d.exitcode) : undefined;
      return {
        type: 'error',
        message,
        reason: d.name || undefined,
        exitCode: Number.isFinite(code) ? code : undefined,
        advice: d.advice || undefined,
        url: d.url || undefined,
        issues: d.issues || undefined,
      };
    }
    default:
      return null;
  }
}

/** minikube prefixes messages with an emoji and two spaces; the UI has its own icons. */
function stripIcon(s: string): string {
  return s.replace(/^[^\p{L}\p{N}"'(]+\s{1,2}/u, '').trim();
}

/** Plain-words explanations (and fixes) for the failures learners hit most. */
export function explainStartFailure(ev: Extract<MinikubeEvent, { type: 'error' }>, profile: string): ApiError {
  const r = ev.reason ?? '';
  const fix = (() => {
    if (r === 'RSRC_INSUFFICIENT_CORES')
      return `minikube needs at least 2 CPUs. Give Docker Desktop / the VM more CPUs, or start with --cpus=2: minikube start --profile ${profile} --cpus=2`;
    if (/^RSRC_INSUFFICIENT_.*MEMORY/.test(r))
      return `Not enough memory for the cluster. Close other apps, raise Docker Desktop's memory limit, or start with less: minikube start --profile ${profile} --memory=4096`;
    if (/^PROVIDER_.*_NOT_RUNNING$/.test(r) || r === 'PROVIDER_DOCKER_NOT_RUNNING') return 'Start Docker Desktop (or the Docker service) and try again: docker info should succeed';
    if (r === 'DRV_NOT_DETECTED' || r === 'DRV_NOT_HEALTHY' || /^PROVIDER_.*_NOT_FOUND$/.test(r))
      return 'No usable container or VM driver. Install Docker Desktop (https://docs.docker.com/get-docker/) or Podman, start it, then retry';
    if (r === 'GUEST_PROVISION' || /IMAGE|PULL/.test(r))
      return 'minikube could not download what it needs. Check the network (proxy, classroom wifi) and retry, or preload images at home first';
    return ev.advice || (ev.url ? `See ${ev.url}` : 'Run "meshwalk doctor" for details');
  })();
  const words = r ? `${ev.message} (${r})` : ev.message;
  return new ApiError('failed', `minikube could not start the cluster: ${words}`, fix, { reason: r, exitCode: ev.exitCode });
}

export interface MinikubeStatus {
  profile: string;
  exists: boolean;
  host?: string;
  kubelet?: string;
  apiServer?: string;
  kubeconfig?: string;
  running: boolean;
  /** The exit-code bitmask: 1 host, 2 cluster, 4 Kubernetes not OK. */
  exitCode: number | null;
}

/** Interpret `minikube status -o json --profile P` (object, or array for multi-node). */
export function parseStatus(profile: string, r: Pick<RunResult, 'stdout' | 'stderr' | 'exitCode'>): MinikubeStatus {
  if (r.exitCode === 85 || /Profile ".*" not found/.test(r.stdout + r.stderr)) return { profile, exists: false, running: false, exitCode: r.exitCode };
  let data: Record<string, string> | Record<string, string>[] | null = null;
  try {
    const start = r.stdout.search(/[[{]/);
    data = start >= 0 ? JSON.parse(r.stdout.slice(start)) : null;
  } catch {
    data = null;
  }
  const first = Array.isArray(data) ? data[0] : data;
  const host = first?.Host;
  return {
    profile,
    exists: !!first && host !== 'Nonexistent',
    host,
    kubelet: first?.Kubelet,
    apiServer: first?.APIServer,
    kubeconfig: first?.Kubeconfig,
    running: host === 'Running' && first?.APIServer === 'Running',
    exitCode: r.exitCode,
  };
}

export interface StartOptions {
  profile: string;
  driver?: string;
  cpus: number;
  memoryMiB: number;
  kubernetesVersion?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  onEvent?: (ev: MinikubeEvent) => void;
}

export function startArgs(o: StartOptions): string[] {
  const args = ['start', '--profile', o.profile, `--cpus=${o.cpus}`, `--memory=${o.memoryMiB}`, '--output=json'];
  if (o.driver) args.push(`--driver=${o.driver}`);
  if (o.kubernetesVersion) args.push(`--kubernetes-version=${o.kubernetesVersion}`);
  return args;
}

export class Minikube {
  constructor(private readonly tc: Toolchain) {}

  async version(): Promise<Semver | null> {
    const r = await this.tc.run('minikube', ['version', '-o', 'json'], { transcript: false, timeoutMs: 15_000 });
    try {
      return parseVersion((JSON.parse(r.stdout) as { minikubeVersion?: string }).minikubeVersion);
    } catch {
      return parseVersion(r.stdout);
    }
  }

  async start(o: StartOptions): Promise<void> {
    let error: Extract<MinikubeEvent, { type: 'error' }> | null = null;
    let lastStep = '';
    const r = await this.tc.run('minikube', startArgs(o), {
      purpose: 'Start the lab cluster',
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? 15 * 60_000,
      onLine: (_s, line) => {
        const ev = parseCloudEvent(line);
        if (!ev) return;
        if (ev.type === 'step') lastStep = ev.name;
        // The first error with a reason is the cause; later ones are follow-up advice.
        if (ev.type === 'error' && (!error || (!error.reason && ev.reason))) error = ev;
        o.onEvent?.(ev);
      },
    });
    if (r.cancelled) throw new ApiError('cancelled', 'minikube start was cancelled');
    if (r.timedOut) throw new ApiError('failed', `minikube start did not finish within ${Math.round((o.timeoutMs ?? 900_000) / 60_000)} min`, 'Run "minikube logs --profile ' + o.profile + '" to see where it stopped; a slow network often is the cause');
    if (r.exitCode !== 0) {
      const ev = error as Extract<MinikubeEvent, { type: 'error' }> | null;
      if (ev) throw explainStartFailure(ev, o.profile);
      if (r.signal) throw new ApiError('failed', `minikube start stopped unexpectedly (killed by ${r.signal})${lastStep ? ` during "${lastStep}"` : ''}`, `Run it again; if it keeps failing, see minikube logs --profile ${o.profile}`);
      throw new ApiError('failed', `minikube start exited with code ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    }
  }

  async status(profile: string): Promise<MinikubeStatus> {
    const r = await this.tc.run('minikube', ['status', '--profile', profile, '-o', 'json'], { transcript: false, timeoutMs: 30_000 });
    return parseStatus(profile, r);
  }

  async stop(profile: string, signal?: AbortSignal): Promise<void> {
    await this.tc.runChecked('minikube', ['stop', '--profile', profile], { purpose: 'Stop the lab cluster', signal, timeoutMs: 5 * 60_000 });
  }

  async delete(profile: string, signal?: AbortSignal): Promise<void> {
    await this.tc.runChecked('minikube', ['delete', '--profile', profile], { purpose: 'Delete the lab cluster', signal, timeoutMs: 5 * 60_000 });
  }

  async ip(profile: string): Promise<string | null> {
    const r = await this.tc.run('minikube', ['ip', '--profile', profile], { transcript: false, timeoutMs: 15_000 });
    const ip = r.stdout.trim().split('\n').pop()?.trim();
    return r.exitCode === 0 && ip && /^[\d.:a-f]+$/i.test(ip) ? ip : null;
  }

  /** `minikube tunnel`: kept running by the supervisor; killed when the app quits. */
  async tunnel(profile: string, onState?: (s: SupervisedState, detail?: string) => void, onNeedsSudo?: () => void): Promise<Supervised> {
    let asked = false;
    return this.tc.supervisor.start(`tunnel:${profile}`, 'minikube', ['tunnel', '--profile', profile], {
      env: await this.tc.env(),
      purpose: 'Expose the ingress gateway (LoadBalancer) on this machine',
      onState,
      onLine: (_s, line) => {
        // Route mode (Linux) and privileged ports (80/443 on macOS) need sudo, which cannot prompt
        // without a terminal: tell the learner once.
        if (!asked && tunnelNeedsSudo(line)) {
          asked = true;
          onNeedsSudo?.();
        }
      },
    });
  }
}

/** `minikube tunnel` output that means it is waiting for a sudo password. */
export function tunnelNeedsSudo(line: string): boolean {
  return /^Password:|sudo permission will be asked|\[sudo\] password/.test(line.trim());
}
