// The sandbox MeshBackend: the Mesh model behind the same interface as a real cluster. Requests are
// computed in virtual time, then played out in real time (scaled) so the app's views see access-log
// lines arrive the way they would from kubectl logs.
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { ApiError } from '../api/errors.ts';
import type { BackendStatus } from '../api/system.ts';
import type {
  AccessLogChunk, AccessLogSource, ApplyOutcome, DiffEntry, KubeObject, ManifestDoc, MeshBackend, ObjectRef, PodInfo,
  ProxyConfigDump, ToolResult, TrafficRequest, TrafficResult, WaitCondition, WaitResult,
} from '../backend/types.ts';
import { chunkOf } from '../backend/access-log.ts';
import type { CoreContext } from '../context.ts';
import type { LogRecord } from './access-log-format.ts';
import { refOf } from './config-store.ts';
import { captureOptions, iptablesSave, podAnnotations } from './iptables.ts';
import { Mesh, type SimResponse } from './mesh.ts';
import type { MeshSettings } from './proxy.ts';
import { ProxyConfigBuilder } from './proxy-config.ts';
import { findPod, runSandboxTool } from './tools.ts';
import { localityString, matches, type Pod } from './topology.ts';

export interface SandboxOptions {
  seed?: number;
  /** Real ms per virtual ms when playing results out: 1 = real time, 0 = immediately. */
  timeScale?: number;
  settings?: Partial<MeshSettings>;
}

export const SANDBOX_LABEL = 'Sandbox — no cluster needed';

export class SandboxBackend implements MeshBackend {
  readonly kind = 'sandbox' as const;
  mesh: Mesh;
  private readonly listeners = new Set<(c: AccessLogChunk) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sources = new WeakMap<Pod, AccessLogSource>();
  private readonly createdAt = Date.now();
  timeScale: number;
  seed: number;

  constructor(opts: SandboxOptions = {}) {
    this.seed = opts.seed ?? (Date.now() & 0x7fffffff);
    this.timeScale = opts.timeScale ?? 1;
    this.mesh = new Mesh({ seed: this.seed, settings: opts.settings, epochMs: this.createdAt });
  }

  /** Back to a fresh sandbox: platform deployed, no networking rules. */
  reset(seed = this.seed): void {
    const settings = { ...this.mesh.settings };
    this.seed = seed;
    this.mesh = new Mesh({ seed, settings, epochMs: this.createdAt });
  }

  async status(): Promise<BackendStatus> {
    return { kind: 'sandbox', label: SANDBOX_LABEL, state: 'ready', detail: 'Istio 1.30 (demo profile) with Bookinfo, curl, httpbin, fortio, tcp-echo and helloworld, modelled in-process' };
  }

  async apply(docs: ManifestDoc[], opts?: { dryRun?: boolean; signal?: AbortSignal }): Promise<ApplyOutcome[]> {
    opts?.signal?.throwIfAborted();
    return this.mesh.apply(docs, opts?.dryRun);
  }

  async delete(docs: ManifestDoc[], opts?: { signal?: AbortSignal }): Promise<ApplyOutcome[]> {
    opts?.signal?.throwIfAborted();
    return this.mesh.delete(docs);
  }

  async get(ref: ObjectRef): Promise<KubeObject | null> {
    return this.mesh.get(ref);
  }

  async diff(docs: ManifestDoc[]): Promise<DiffEntry[]> {
    return docs.map((d) => {
      const ref = refOf(d.object);
      const live = this.mesh.get(ref);
      const desired: KubeObject = { ...d.object, metadata: { ...d.object.metadata, namespace: ref.namespace ?? d.object.metadata.namespace } };
      if (!ref.namespace) delete desired.metadata.namespace;
      const a = live ? stringify(comparable(live)) : '';
      const b = stringify(comparable(desired));
      const name = `${ref.kind.toLowerCase()}/${ref.name}`;
      const patch = a === b ? '' : createTwoFilesPatch(live ? `live/${name}` : '/dev/null', `desired/${name}`, a, b, undefined, undefined, { context: 3 });
      return { ref, source: d.source, live, desired, patch };
    });
  }

  async waitFor(cond: WaitCondition): Promise<WaitResult> {
    const topo = this.mesh.config().topology;
    const ok = (reason: string): WaitResult => ({ ok: true, reason, elapsedMs: 0 });
    const fail = (reason: string): WaitResult => ({ ok: false, reason, elapsedMs: 0 });
    switch (cond.kind) {
      case 'podsReady': {
        const pods = topo.pods.filter((p) => p.namespace === cond.namespace && matches(cond.selector, p.workload.labels));
        return pods.length ? ok(`${pods.length} pod(s) ready`) : fail(`no pods in namespace ${cond.namespace}${cond.selector ? ` match ${JSON.stringify(cond.selector)}` : ''}; apply the Deployment first`);
      }
      case 'deploymentAvailable':
        return topo.workload(cond.name, cond.namespace) ? ok(`deployment ${cond.name} available`) : fail(`deployment ${cond.namespace}/${cond.name} does not exist in the sandbox`);
      case 'exists':
        return this.mesh.get(cond.ref) ? ok('exists') : fail(`${cond.ref.kind} ${cond.ref.name} does not exist`);
      case 'deleted':
        return this.mesh.get(cond.ref) ? fail(`${cond.ref.kind} ${cond.ref.name} still exists`) : ok('deleted');
    }
  }

  async sendTraffic(req: TrafficRequest, signal?: AbortSignal): Promise<TrafficResult> {
    signal?.throwIfAborted();
    try {
      this.mesh.clientPod(req.from);
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
    // Keep virtual time in step with the wall clock so START_TIME reads like a live cluster's.
    if (this.timeScale > 0) this.mesh.clock.advanceTo((Date.now() - this.createdAt) / this.timeScale);
    const t0 = this.mesh.clock.now;
    let responses: SimResponse[];
    try {
      responses = this.mesh.load({ from: req.from, method: req.method, url: ingressUrl(req), headers: req.headers, user: req.user }, { count: Math.max(1, req.count), concurrency: Math.max(1, req.concurrency), qps: req.qps });
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
    const end = responses.reduce((m, r) => Math.max(m, r.startMs + r.durationMs, ...r.records.map((x) => x.endMs)), t0);
    for (const r of responses) for (const rec of r.records) this.emitAt(rec, rec.endMs - t0);
    if (this.timeScale > 0) await this.sleep((end - t0) * this.timeScale, signal);
    return { responses: responses.map((r) => ({ status: r.status, durationMs: r.durationMs, requestId: r.requestId, ...(r.view ? { view: r.view } : {}), ...(r.body !== undefined ? { body: r.body } : {}) })) };
  }

  private emitAt(rec: LogRecord, virtualDelay: number): void {
    const emit = () => {
      const chunk = this.toChunk(rec);
      for (const l of this.listeners) l(chunk);
    };
    if (this.timeScale <= 0 || this.listeners.size === 0) {
      if (this.listeners.size) emit();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      emit();
    }, virtualDelay * this.timeScale);
    this.timers.add(t);
  }

  /** A record's line, as a pod's log stream delivers it: bytes, with its newline. */
  private toChunk(rec: LogRecord): AccessLogChunk {
    return chunkOf(this.sourceOf(rec.proxy), [this.mesh.formatRecord(rec)], Date.now());
  }

  /**
   * One source per pod, as a cluster's log stream tags its lines: the capture keeps a line's source
   * until its request completes, and a new object per line outlived the young generation by the
   * thousand under a flood. A pod's name, IP and workload do not change (it is recreated instead).
   */
  private sourceOf(p: Pod): AccessLogSource {
    let s = this.sources.get(p);
    if (!s) {
      s = Object.freeze({ namespace: p.namespace, pod: p.name, workload: p.workload.name, app: p.workload.app, version: p.workload.version || undefined, kind: p.workload.gateway ? 'gateway' : 'sidecar', podIP: p.ip } as const);
      this.sources.set(p, s);
    }
    return s;
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        this.timers.delete(t);
        reject(new ApiError('cancelled', 'traffic cancelled'));
      }, { once: true });
    });
  }

  onAccessLog(listener: (chunk: AccessLogChunk) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async pods(namespace?: string): Promise<PodInfo[]> {
    return this.mesh.config().topology.pods.filter((p) => namespace === undefined || p.namespace === namespace).map(podInfo);
  }

  async proxyConfig(pod: { namespace: string; name: string }): Promise<ProxyConfigDump> {
    const p = this.pod(pod);
    if (!p.workload.injected && !p.workload.gateway) throw new ApiError('failed', `pod ${pod.namespace}/${pod.name} has no Envoy proxy (it is not injected)`, 'Label the namespace with istio-injection=enabled and recreate the pod.');
    return new ProxyConfigBuilder(this.mesh.config(), this.mesh.settings).dump(p);
  }

  async iptables(pod: { namespace: string; name: string }): Promise<string> {
    const p = this.pod(pod);
    if (!p.workload.injected) throw new ApiError('failed', `pod ${pod.namespace}/${pod.name} has no istio-init container, so it has no capture rules`);
    const d = this.mesh.store.list('Deployment', p.namespace).find((x) => x.metadata.name === p.workload.name);
    return iptablesSave(captureOptions(podAnnotations(d)), new Date(this.createdAt));
  }

  async runTool(argv: string[]): Promise<ToolResult> {
    return runSandboxTool(this.mesh, argv);
  }

  private pod(ref: { namespace: string; name: string }): Pod {
    return findPod(this.mesh, ref.name, ref.namespace);
  }

  async dispose(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }
}

function podInfo(p: Pod): PodInfo {
  return {
    namespace: p.namespace,
    name: p.name,
    workload: p.workload.name,
    app: p.workload.app,
    version: p.workload.version || undefined,
    ip: p.ip,
    nodeName: p.node,
    locality: localityString(p.locality),
    serviceAccount: p.workload.serviceAccount,
    labels: { ...p.workload.labels },
    injected: p.workload.injected,
    ready: p.ready,
    phase: 'Running',
  };
}

/** Server-managed metadata never shows in a diff. */
function comparable(o: KubeObject): KubeObject {
  const { resourceVersion: _r, uid: _u, generation: _g, creationTimestamp: _c, managedFields: _m, ...meta } = o.metadata as Record<string, unknown>;
  const { status: _s, ...rest } = o as Record<string, unknown>;
  return { ...(rest as KubeObject), apiVersion: o.apiVersion, metadata: meta as KubeObject['metadata'] };
}

export async function createSandboxBackend(ctx: CoreContext): Promise<MeshBackend> {
  const env = ctx.options.env ?? process.env;
  const seed = env.MESHWALK_SANDBOX_SEED ? Number(env.MESHWALK_SANDBOX_SEED) : undefined;
  const scale = env.MESHWALK_SANDBOX_TIME_SCALE !== undefined ? Number(env.MESHWALK_SANDBOX_TIME_SCALE) : ctx.options.transport === 'test' ? 0 : 1;
  return new SandboxBackend({ seed, timeScale: Number.isFinite(scale) && scale >= 0 ? scale : 1 });
}

/**
 * A TrafficRequest may name an ingress request by its path alone (what a learner types after
 * $GATEWAY_URL); in the sandbox that is the ingress gateway Service on port 80.
 */
function ingressUrl(req: TrafficRequest): string {
  return req.url.startsWith('/') ? `http://istio-ingressgateway.istio-system${req.url}` : req.url;
}
