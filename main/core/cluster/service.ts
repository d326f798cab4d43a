// One cluster service per core: the chosen cluster (minikube profile or picked context), the
// client for Meshwalk's kubeconfig, and the minikube / Istio / Bookinfo operations. The API
// handlers and the cluster MeshBackend share it.
import { ApiError } from '../api/errors.ts';
import type { ClusterProgress, ClusterStatus, DoctorReport } from '../api/cluster.ts';
import type { CoreContext } from '../context.ts';
import { toolchain, type Toolchain } from '../toolchain/index.ts';
import { runDoctor } from '../toolchain/doctor.ts';
import type { Supervised } from '../toolchain/supervisor.ts';
import { Bookinfo } from './bookinfo.ts';
import { lowerFlushInterval, type FlushOutcome } from './flush.ts';
import { Istio, versionMismatch, type IstioVersions } from './istio.ts';
import { Kube } from './kube.ts';
import { copyContext, currentContext, listUserContexts, type UserContext } from './kubeconfig.ts';
import { Minikube } from './minikube.ts';
import { loadSettings, saveSettings, type ClusterSettings } from './settings.ts';
import { kubernetesVersionFor } from './versions.ts';

export class ClusterService {
  readonly tc: Toolchain;
  readonly minikube: Minikube;
  readonly istio: Istio;
  readonly bookinfo: Bookinfo;
  private kubeClient: Kube | null = null;
  private tunnelProc: Supervised | null = null;

  constructor(private readonly ctx: CoreContext) {
    this.tc = toolchain(ctx);
    this.minikube = new Minikube(this.tc);
    this.istio = new Istio(this.tc, () => this.kube());
    this.bookinfo = new Bookinfo(() => this.kube());
  }

  get settings(): ClusterSettings {
    return loadSettings(this.ctx.options.dataDir);
  }

  /** Client for Meshwalk's kubeconfig; recreated when the file's current context changes. */
  kube(): Kube {
    const current = currentContext(this.tc.kubeconfig);
    if (this.kubeClient && this.kubeClient.contextName === current) return this.kubeClient;
    this.kubeClient = new Kube(this.tc.kubeconfig, this.ctx.events, this.settings.labNamespace);
    return this.kubeClient;
  }

  private versionsCache: { at: number; v: Promise<IstioVersions> } | null = null;

  /** `istioctl version` (control plane), reused for a minute: lab applies ask on every apply. */
  istioVersions(): Promise<IstioVersions> {
    if (!this.versionsCache || Date.now() - this.versionsCache.at > 60_000) {
      const v = this.istio.versions();
      this.versionsCache = { at: Date.now(), v };
      v.catch(() => (this.versionsCache = null));
    }
    return this.versionsCache.v;
  }

  /** Lower the access-log flush interval of a lab namespace's workloads (see flush.ts). */
  flushInterval(namespace: string, opts: { only?: string[]; signal?: AbortSignal } = {}): Promise<FlushOutcome> {
    return lowerFlushInterval({ kube: this.kube(), versions: () => this.istioVersions(), namespace, gateways: this.settings.mode === 'minikube', only: opts.only, signal: opts.signal });
  }

  private progress(p: ClusterProgress): void {
    this.ctx.events.emit('cluster.progress', p);
  }

  async doctor(): Promise<DoctorReport> {
    await this.tc.env();
    return runDoctor({ tc: this.tc, settings: this.settings, kube: () => (currentContext(this.tc.kubeconfig) ? this.kube() : null) });
  }

  tunnelState(): ClusterStatus['tunnel'] {
    const t = this.tunnelProc;
    if (!t) return { state: 'stopped' };
    return { state: t.state, ...(t.pid ? { pid: t.pid } : {}), ...(t.state === 'failed' || t.state === 'restarting' ? { detail: t.recent.slice(-2).join(' ') } : {}) };
  }

  async status(): Promise<ClusterStatus> {
    const s = this.settings;
    const base = { mode: s.mode, kubeconfig: this.tc.kubeconfig, tunnel: this.tunnelState() };
    if (s.mode === 'minikube') {
      let mk;
      try {
        mk = await this.minikube.status(s.profile);
      } catch (err) {
        return { ...base, name: s.profile, state: 'unknown', detail: (err as Error).message };
      }
      if (!mk.exists) return { ...base, name: s.profile, state: 'missing', detail: `minikube profile "${s.profile}" does not exist yet` };
      if (!mk.running) return { ...base, name: s.profile, state: 'stopped', detail: `host ${mk.host ?? '?'}, API server ${mk.apiServer ?? '?'}` };
    }
    const name = s.mode === 'minikube' ? s.profile : (s.context ?? '');
    try {
      const v = await this.kube().version();
      return { ...base, name, state: 'running', kubernetesVersion: v.gitVersion };
    } catch (err) {
      return { ...base, name, state: 'unreachable', detail: (err as Error).message };
    }
  }

  async start(opts: { driver?: string; cpus?: number; memoryMiB?: number }, signal?: AbortSignal): Promise<ClusterStatus> {
    const s = this.settings;
    if (s.mode !== 'minikube') throw new ApiError('bad_request', `Meshwalk is using your context "${s.context}", not minikube`, 'Switch back to minikube on the Home page first');
    const next = { ...s, ...(opts.driver ? { driver: opts.driver } : {}), ...(opts.cpus ? { cpus: opts.cpus } : {}), ...(opts.memoryMiB ? { memoryMiB: opts.memoryMiB } : {}) };
    saveSettings(this.ctx.options.dataDir, next);
    const [istioV, mkV] = await Promise.all([this.istio.clientVersion().catch(() => null), this.minikube.version()]);
    let last = { step: 0, total: 19, name: 'Initial Minikube Setup', message: '' };
    try {
      await this.minikube.start({
        profile: next.profile,
        driver: next.driver,
        cpus: next.cpus,
        memoryMiB: next.memoryMiB,
        kubernetesVersion: kubernetesVersionFor(istioV, mkV),
        signal,
        onEvent: (ev) => {
          if (ev.type === 'step') {
            last = { step: ev.current, total: ev.total, name: ev.name, message: ev.message };
            this.progress({ task: 'start', ...last, state: ev.name === 'Done' ? 'done' : 'running' });
          } else if (ev.type === 'download' && ev.progress !== undefined) {
            this.progress({ task: 'start', ...last, message: `Downloading ${ev.artifact}: ${Math.round(ev.progress * 100)}%`, state: 'running' });
          } else if (ev.type === 'warning' || (ev.type === 'error' && !ev.reason)) {
            // Advice lines (proxy, registry access). An error with a reason id ends the start and is
            // reported as the call's error instead.
            this.ctx.events.emit('notice', { level: 'warn', message: ev.message });
          }
        },
      });
    } catch (err) {
      this.progress({ task: 'start', ...last, message: (err as Error).message, state: 'failed' });
      throw err;
    }
    this.progress({ task: 'start', ...last, step: last.total, name: 'Done', state: 'done' });
    return this.status();
  }

  async stop(signal?: AbortSignal): Promise<void> {
    await this.stopTunnel();
    await this.minikube.stop(this.settings.profile, signal);
  }

  async delete(signal?: AbortSignal): Promise<void> {
    await this.stopTunnel();
    await this.minikube.delete(this.settings.profile, signal);
    this.kubeClient = null;
  }

  contexts(): { contexts: UserContext[]; active: string | null } {
    const base = this.ctx.options.env ?? process.env;
    const s = this.settings;
    return { contexts: listUserContexts(base, this.tc.kubeconfig), active: s.mode === 'context' ? (s.context ?? null) : null };
  }

  async useContext(context: string | null): Promise<ClusterStatus> {
    const s = this.settings;
    if (context === null) {
      saveSettings(this.ctx.options.dataDir, { ...s, mode: 'minikube', context: undefined });
      // Bring minikube's context back into our kubeconfig when the profile exists.
      await this.tc.run('minikube', ['update-context', '--profile', s.profile], { transcript: false, timeoutMs: 30_000 }).catch(() => null);
    } else {
      copyContext(this.ctx.options.env ?? process.env, context, this.tc.kubeconfig);
      saveSettings(this.ctx.options.dataDir, { ...s, mode: 'context', context });
    }
    this.kubeClient = null;
    return this.status();
  }

  async installIstio(addons: string[], signal?: AbortSignal): Promise<{ version?: string; warning?: string }> {
    const total = 3 + (addons.length ? 1 : 0);
    const step = (n: number, name: string, message: string, state: ClusterProgress['state'] = 'running') => this.progress({ task: 'istio', step: n, total, name, message, state });
    try {
      await this.istio.install({ signal, onProgress: (p) => step(1, p.name, p.message) });
      step(2, 'Control plane', 'Waiting for istiod to be available');
      await this.istio.verifyControlPlane(signal);
      step(3, 'Injection', `kubectl label namespace ${this.settings.labNamespace} istio-injection=enabled`);
      await this.istio.enableInjection(this.settings.labNamespace);
      if (addons.length) {
        step(4, 'Addons', `Installing ${addons.join(', ')}`);
        await this.istio.installAddons(this.settings.istioReleaseDir ?? (this.ctx.options.env ?? process.env).MESHWALK_ISTIO_DIR, addons, signal);
      }
    } catch (err) {
      step(0, 'Install Istio', (err as Error).message, 'failed');
      throw err;
    }
    const v = await this.istio.versions().catch(() => null);
    const warning = v ? (versionMismatch(v) ?? undefined) : undefined;
    step(total, 'Istio installed', v?.controlPlane[0] ? `Istio ${v.controlPlane[0]}` : 'Istio installed', 'done');
    return { version: v?.controlPlane[0] ?? v?.client?.raw, ...(warning ? { warning } : {}) };
  }

  async deployBookinfo(namespace: string | undefined, signal?: AbortSignal) {
    const ns = namespace ?? this.settings.labNamespace;
    const total = 5;
    try {
      await this.bookinfo.deploy(ns, { signal, onStep: (n, name, message) => this.progress({ task: 'bookinfo', step: n, total, name, message, state: 'running' }) });
      this.progress({ task: 'bookinfo', step: 4, total, name: 'Access-log flush interval', message: 'Checking whether this Istio lets proxies flush access logs sooner', state: 'running' });
      // Only makes the views quicker: a failure here is reported, Bookinfo itself is deployed.
      const flush = await this.flushInterval(ns, { signal }).catch((err: Error) => {
        if (signal?.aborted) throw err;
        this.ctx.events.emit('notice', { level: 'warn', message: `Could not lower the access-log flush interval: ${err.message}`, ...(err instanceof ApiError && err.fix ? { fix: err.fix } : {}) });
        return { message: `Not changed (${err.message}); the views may trail requests by up to ~1 s` };
      });
      this.progress({ task: 'bookinfo', step: 4, total, name: 'Access-log flush interval', message: flush.message, state: 'running' });
      const nodeIp = this.settings.mode === 'minikube' ? await this.minikube.ip(this.settings.profile) : null;
      const ingress = await this.bookinfo.ingress(nodeIp);
      let probe: { status: number; ok: boolean } | null = null;
      let detail: string | undefined;
      if (ingress) {
        this.progress({ task: 'bookinfo', step: 5, total, name: 'Probe', message: `GET ${ingress.url}/productpage`, state: 'running' });
        try {
          probe = await this.bookinfo.probe(ingress.url, this.tunnelState().state === 'running', signal);
        } catch (err) {
          detail = (err as Error).message;
        }
      } else detail = 'The ingress gateway has no external address yet: start the tunnel (minikube tunnel)';
      this.progress({ task: 'bookinfo', step: total, total, name: 'Bookinfo', message: probe?.ok ? 'Bookinfo answers at /productpage' : (detail ?? 'deployed'), state: 'done' });
      return { ingressUrl: ingress?.url ?? null, via: ingress?.via ?? null, probe, ...(detail ? { detail } : {}) };
    } catch (err) {
      this.progress({ task: 'bookinfo', step: 0, total, name: 'Bookinfo', message: (err as Error).message, state: 'failed' });
      throw err;
    }
  }

  async startTunnel(): Promise<ClusterStatus['tunnel']> {
    if (this.settings.mode !== 'minikube') throw new ApiError('bad_request', 'minikube tunnel only applies to Meshwalk\'s minikube profile');
    const profile = this.settings.profile;
    this.tunnelProc = await this.minikube.tunnel(
      profile,
      (state, detail) => {
        this.ctx.events.emit('cluster.tunnel', { state, ...(detail ? { detail } : {}), ...(this.tunnelProc?.pid ? { pid: this.tunnelProc.pid } : {}) });
      },
      () =>
        this.ctx.events.emit('notice', {
          level: 'warn',
          message: 'minikube tunnel is asking for your password (it needs sudo for the route or for ports 80/443)',
          fix: `Run it in a terminal instead: minikube tunnel --profile ${profile} — or use the node port (Bookinfo works without the tunnel)`,
        }),
    );
    return this.tunnelState();
  }

  async stopTunnel(): Promise<ClusterStatus['tunnel']> {
    await this.tunnelProc?.stop();
    this.tunnelProc = null;
    return { state: 'stopped' };
  }
}

const byCore = new WeakMap<CoreContext, ClusterService>();

export function clusterService(ctx: CoreContext): ClusterService {
  let s = byCore.get(ctx);
  if (!s) byCore.set(ctx, (s = new ClusterService(ctx)));
  return s;
}
