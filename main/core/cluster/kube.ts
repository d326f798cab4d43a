// The Kubernetes layer on @kubernetes/client-node: server-side apply of multi-document YAML,
// delete, dry-run + diff, wait (watch, never sleep), watch with resume, pod logs follow. API errors
// become messages that name the manifest file and document. Each apply is mirrored into the
// transcript as the kubectl command a learner would type.
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Log, Watch, ApiException, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createTwoFilesPatch } from 'diff';
import YAML from 'yaml';
import { ApiError } from '../api/errors.ts';
import type { EventBus } from '../events.ts';
import type { ApplyOutcome, DiffEntry, KubeObject, ManifestDoc, ObjectRef, WaitCondition, WaitResult } from '../backend/types.ts';
import { LogLines, type LogLinesOptions } from './log-lines.ts';
import { explainPods, isPodReady, summarize, type EventJson, type PodJson } from './diagnose.ts';

export const FIELD_MANAGER = 'meshwalk';

/** Exposes the collection/object URL client-node computes from discovery (for watches). */
class ObjectApi extends KubernetesObjectApi {
  /** Namespaced objects without a namespace go to `namespace` (the lab's), never the context's. */
  static fromConfig(kc: KubeConfig, namespace: string): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.defaultNamespace = namespace;
    return api;
  }
  path(spec: KubernetesObject, action: 'list' | 'read'): Promise<string> {
    return this.specUriPath(structuredClone(spec), action);
  }
  get namespace(): string {
    return this.defaultNamespace;
  }
}

function describe(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return `${obj.kind.toLowerCase()}${group ? '.' + group : ''}/${obj.metadata.name}`;
}

function refOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}

function where(doc?: ManifestDoc): string {
  if (!doc) return '';
  return `${doc.source.file}:${doc.source.line} (document ${doc.source.index + 1})`;
}

function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const m = /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|CERT_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT)\b/.exec(String((err as Error)?.message ?? err));
  return m?.[1];
}

/** Turn anything client-node throws into a readable ApiError naming the manifest document. */
export function toKubeError(err: unknown, server: string, doc?: ManifestDoc, obj?: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ApiError {
  if (err instanceof ApiError) return err;
  const at = doc ? `${where(doc)}: ` : '';
  const what = obj ? `${obj.kind} ${obj.metadata.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata.name}` : 'request';
  if (err instanceof ApiException) {
    const body = (typeof err.body === 'string' ? safeJson(err.body) : err.body) as { message?: string; reason?: string; details?: { causes?: { field?: string; message?: string }[] } } | undefined;
    const msg = body?.message ?? `HTTP ${err.code}`;
    switch (err.code) {
      case 422: {
        const causes = (body?.details?.causes ?? []).map((c) => `${c.field ? c.field + ': ' : ''}${c.message ?? ''}`).join('; ');
        return new ApiError('invalid_params', `${at}${what} is invalid: ${causes || msg}`, 'Fix the field named above in the manifest and apply again', { status: 422 });
      }
      case 409:
        return new ApiError(
          'failed',
          `${at}${what}: conflict — ${msg}`,
          'Another tool manages these fields. Remove them from the manifest, or apply with "force conflicts" to take ownership',
          { status: 409 },
        );
      case 404:
        return new ApiError('failed', `${at}${what} not found: ${msg}`, obj?.apiVersion.includes('istio.io') ? 'Is Istio installed? Its resource types (CRDs) are missing' : undefined, { status: 404 });
      case 403:
        return new ApiError('forbidden', `${at}not allowed: ${msg}`, 'Your cluster account lacks this permission; ask the cluster admin, or use Meshwalk\'s own minikube cluster', { status: 403 });
      case 401:
        return new ApiError('forbidden', `${at}the cluster rejected the credentials: ${msg}`, 'Log in to the cluster again and re-pick the context', { status: 401 });
      default:
        return new ApiError('failed', `${at}${what}: ${msg}`, undefined, { status: err.code });
    }
  }
  const code = networkCode(err);
  if (code) {
    return new ApiError('unavailable', `${at}cannot reach the cluster API at ${server} (${code})`, 'Start the cluster (Home → Start cluster, or minikube start --profile meshwalk) and check that it is running', { code });
  }
  const m = String((err as Error)?.message ?? err);
  if (/Unrecognized API version and kind/.test(m)) {
    return new ApiError('failed', `${at}the cluster does not know ${obj?.apiVersion ?? ''} ${obj?.kind ?? ''}`, obj?.apiVersion.includes('istio.io') ? 'Install Istio first (its CRDs define this kind)' : 'Check apiVersion and kind');
  }
  return new ApiError('failed', `${at}${m}`);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { message: s };
  }
}

/** Fields the server owns; dropped before showing or comparing objects. */
export function stripServerFields(obj: KubeObject | null): KubeObject | null {
  if (!obj) return null;
  const o = structuredClone(obj);
  delete o.status;
  const md = o.metadata as Record<string, unknown>;
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink']) delete md[k];
  const ann = md.annotations as Record<string, string> | undefined;
  if (ann) {
    delete ann['kubectl.kubernetes.io/last-applied-configuration'];
    delete ann['deployment.kubernetes.io/revision'];
    if (!Object.keys(ann).length) delete md.annotations;
  }
  return o;
}

function toYaml(obj: KubeObject | null): string {
  return obj ? YAML.stringify(obj, { sortMapEntries: true }) : '';
}

export type WatchPhase = 'ADDED' | 'MODIFIED' | 'DELETED' | 'RESYNC';

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
  /** Delay before reconnecting after a dropped stream. */
  retryMs?: number;
}

export class Kube {
  readonly kc: KubeConfig;
  private readonly objects: ObjectApi;
  readonly core: CoreV1Api;

  constructor(
    kubeconfigFile: string,
    private readonly events: EventBus | null,
    private readonly labNamespace = 'default',
  ) {
    this.kc = new KubeConfig();
    this.kc.loadFromFile(kubeconfigFile);
    if (!this.kc.getCurrentCluster()) {
      throw new ApiError('unavailable', 'no cluster is configured in Meshwalk\'s kubeconfig yet', 'Start the lab cluster, or pick one of your contexts on the Home page');
    }
    this.objects = ObjectApi.fromConfig(this.kc, labNamespace);
    this.core = this.kc.makeApiClient(CoreV1Api);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '(no cluster)';
  }

  get contextName(): string {
    return this.kc.getCurrentContext();
  }

  /**
   * A copy to hand to client-node: it fills in the default (lab) namespace for namespaced kinds
   * only — cluster-scoped objects must not carry one — and it mutates what it is given.
   */
  private copy(obj: KubeObject): KubeObject {
    return structuredClone(obj);
  }

  /** GET the Kubernetes version (`/version`); throws a readable error when unreachable. */
  async version(): Promise<{ gitVersion: string; minor: string; major: string }> {
    const { VersionApi } = await import('@kubernetes/client-node');
    try {
      return await this.kc.makeApiClient(VersionApi).getCode();
    } catch (err) {
      throw toKubeError(err, this.server);
    }
  }

  async get(ref: ObjectRef): Promise<KubeObject | null> {
    const spec = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace ?? this.labNamespace } };
    try {
      return await this.read(ref);
    } catch (err) {
      throw toKubeError(err, this.server, undefined, spec as KubeObject);
    }
  }

  /** GET, with 404 as null; other errors are left for the caller to translate with its context. */
  private async read(ref: ObjectRef): Promise<KubeObject | null> {
    const spec = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace ?? this.labNamespace } };
    try {
      return (await this.objects.read(spec)) as unknown as KubeObject;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return null;
      throw err;
    }
  }

  private emitEquivalent(argv: string[], lines: string[], error?: string): void {
    if (!this.events) return;
    const id = randomUUID();
    const startedAt = Date.now();
    this.events.emit('transcript.command', { id, argv, startedAt, equivalent: true });
    for (const text of lines) this.events.emit('transcript.output', { id, stream: error ? 'stderr' : 'stdout', text });
    this.events.emit('transcript.exit', { id, exitCode: error ? 1 : 0, durationMs: Date.now() - startedAt, ...(error ? { error } : {}) });
  }

  /** Group docs by file so the transcript shows one `kubectl apply -f file` per file. */
  private byFile(docs: ManifestDoc[]): Map<string, ManifestDoc[]> {
    const m = new Map<string, ManifestDoc[]>();
    for (const d of docs) {
      const list = m.get(d.source.file) ?? [];
      list.push(d);
      m.set(d.source.file, list);
    }
    return m;
  }

  /** Server-side apply (fieldManager "meshwalk"; conflicts are reported, not forced, unless asked). */
  async apply(docs: ManifestDoc[], opts: { dryRun?: boolean; force?: boolean; signal?: AbortSignal } = {}): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const [file, group] of this.byFile(docs)) {
      const argv = ['kubectl', 'apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, ...(opts.force ? ['--force-conflicts'] : []), ...(opts.dryRun ? ['--dry-run=server'] : []), '-f', file];
      const lines: string[] = [];
      try {
        for (const doc of group) {
          if (opts.signal?.aborted) throw new ApiError('cancelled', 'apply cancelled');
          const desired = this.copy(doc.object);
          let before: KubeObject | null;
          let after: KubeObject;
          try {
            before = await this.read(refOf(desired));
            after = (await this.objects.patch(desired as KubernetesObject, undefined, opts.dryRun ? 'All' : undefined, FIELD_MANAGER, opts.force ?? false, 'application/apply-patch+yaml')) as unknown as KubeObject;
          } catch (err) {
            throw toKubeError(err, this.server, doc, desired);
          }
          const unchanged = before !== null && (opts.dryRun ? toYaml(stripServerFields(before)) === toYaml(stripServerFields(after)) : before.metadata.resourceVersion === after.metadata.resourceVersion);
          const action: ApplyOutcome['action'] = before === null ? 'created' : unchanged ? 'unchanged' : 'configured';
          lines.push(`${describe(after)} serverside-applied${opts.dryRun ? ' (server dry run)' : ''}`);
          outcomes.push({ ref: refOf(after), action, warnings: [], source: doc.source });
        }
        this.emitEquivalent(argv, lines);
      } catch (err) {
        this.emitEquivalent(argv, [...lines, (err as Error).message], (err as Error).message);
        throw err;
      }
    }
    return outcomes;
  }

  async delete(docs: ManifestDoc[], opts: { signal?: AbortSignal } = {}): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    // Reverse order: a Namespace or CRD listed first is removed last.
    for (const [file, group] of this.byFile([...docs].reverse())) {
      const argv = ['kubectl', 'delete', '--ignore-not-found', '-f', file];
      const lines: string[] = [];
      try {
        for (const doc of group) {
          if (opts.signal?.aborted) throw new ApiError('cancelled', 'delete cancelled');
          const obj = this.copy(doc.object);
          try {
            await this.objects.delete(obj as KubernetesObject, undefined, undefined, undefined, undefined, 'Foreground');
            lines.push(`${describe(obj)} deleted`);
            outcomes.push({ ref: refOf(obj), action: 'deleted', warnings: [], source: doc.source });
          } catch (err) {
            if (err instanceof ApiException && err.code === 404) {
              outcomes.push({ ref: refOf(obj), action: 'not-found', warnings: [], source: doc.source });
              continue;
            }
            throw toKubeError(err, this.server, doc, obj);
          }
        }
        this.emitEquivalent(argv, lines);
      } catch (err) {
        this.emitEquivalent(argv, [...lines, (err as Error).message], (err as Error).message);
        throw err;
      }
    }
    return outcomes.reverse();
  }

  /** Dry-run apply each doc and diff it against the live object (server-managed fields stripped). */
  async diff(docs: ManifestDoc[]): Promise<DiffEntry[]> {
    const out: DiffEntry[] = [];
    for (const doc of docs) {
      const desiredIn = this.copy(doc.object);
      let live: KubeObject | null;
      let desired: KubeObject;
      try {
        live = await this.read(refOf(desiredIn));
        desired = (await this.objects.patch(desiredIn as KubernetesObject, undefined, 'All', FIELD_MANAGER, false, 'application/apply-patch+yaml')) as unknown as KubeObject;
      } catch (err) {
        throw toKubeError(err, this.server, doc, desiredIn);
      }
      const a = toYaml(stripServerFields(live));
      const b = toYaml(stripServerFields(desired));
      const name = describe(desiredIn);
      out.push({
        ref: refOf(desiredIn),
        source: doc.source,
        live: stripServerFields(live),
        desired: stripServerFields(desired),
        patch: a === b ? '' : createTwoFilesPatch(`live/${name}`, `desired/${name}`, a, b, undefined, undefined, { context: 3 }),
      });
    }
    return out;
  }

  /**
   * Watch a collection and keep watching: a dropped stream resumes from the last resourceVersion;
   * a 410 Gone (history compacted) restarts from scratch, announced as RESYNC so callers reset.
   * Resolves when `signal` aborts.
   */
  async watch(path: string, opts: WatchOptions, onEvent: (phase: WatchPhase, obj: KubeObject) => void): Promise<void> {
    const w = new Watch(this.kc);
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!opts.signal?.aborted) {
      let gone = false;
      let sawEvent = false;
      const err = await new Promise<unknown>((resolve) => {
        let controller: AbortController | null = null;
        const onAbort = () => controller?.abort();
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        w.watch(
          path,
          { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion, allowWatchBookmarks: true },
          (phase, obj) => {
            sawEvent = true;
            if (phase === 'ERROR') {
              if ((obj as { code?: number })?.code === 410) gone = true;
              return;
            }
            const rv = (obj as KubeObject)?.metadata?.resourceVersion as string | undefined;
            if (rv) resourceVersion = rv;
            if (phase === 'BOOKMARK') return;
            onEvent(phase as WatchPhase, obj as KubeObject);
          },
          (e) => {
            opts.signal?.removeEventListener('abort', onAbort);
            resolve(e);
          },
        ).then(
          (c) => {
            controller = c;
            if (opts.signal?.aborted) c.abort();
          },
          resolve,
        );
      });
      if (opts.signal?.aborted) return;
      if (gone) {
        resourceVersion = undefined;
        onEvent('RESYNC', { apiVersion: 'v1', kind: 'Status', metadata: { name: '' } });
      }
      failures = err && !sawEvent ? failures + 1 : 0;
      if (failures >= 5) throw toKubeError(err, this.server);
      await new Promise((r) => setTimeout(r, (opts.retryMs ?? 500) * Math.max(1, failures)));
    }
  }

  /**
   * Follow a container's log, its lines handed on in chunks (LogLines: timestamps stripped). A
   * dropped stream resumes with sinceTime; lines already delivered (same or older timestamp) are
   * skipped, so a resume never duplicates. Resolves on abort, or when the pod is gone (404); gives
   * up with an error after repeated failures.
   */
  async followLogs(namespace: string, pod: string, container: string, onLines: (lines: Uint8Array) => void, opts: LogLinesOptions & { signal?: AbortSignal; tailLines?: number; retryMs?: number } = {}): Promise<void> {
    const log = new Log(this.kc);
    // One across resumes: it knows what was delivered, so a resumed stream repeats nothing.
    const lines = new LogLines(opts);
    let failures = 0;
    while (!opts.signal?.aborted) {
      // A line cut off by a dropped stream comes again, whole, in the resumed one.
      lines.discard();
      let got = false;
      const deliver = (l: Uint8Array) => {
        got = true;
        onLines(l);
      };
      const ended = new Promise<unknown>((resolve) => {
        const sink = new Writable({
          write(chunk: Buffer, _enc, cb) {
            lines.push(chunk, deliver);
            cb();
          },
          final(cb) {
            lines.end(deliver);
            cb();
            resolve(null);
          },
        });
        sink.on('error', resolve);
        sink.on('close', () => resolve(null));
        log
          .log(namespace, pod, container, sink, {
            follow: true,
            timestamps: true,
            // sinceTime is whole seconds; LogLines drops what was already delivered.
            sinceTime: lines.sinceTime ? new Date(Math.floor(Date.parse(lines.sinceTime) / 1000) * 1000).toISOString().replace('.000Z', 'Z') : undefined,
            tailLines: lines.sinceTime ? undefined : opts.tailLines,
          })
          .then((controller) => {
            const abort = () => {
              controller.abort();
              resolve(null);
            };
            if (opts.signal?.aborted) abort();
            else opts.signal?.addEventListener('abort', abort, { once: true });
          }, resolve);
      });
      const err = await ended;
      if (opts.signal?.aborted) return;
      // 404: the pod is gone. (400 "container is waiting to start" is retried like a drop.)
      if (err instanceof ApiException && err.code === 404) return;
      failures = got ? 0 : failures + 1;
      if (failures >= 8) throw toKubeError(err ?? new Error('log stream keeps closing'), this.server);
      await new Promise((r) => setTimeout(r, (opts.retryMs ?? 500) * Math.max(1, failures)));
    }
  }

  async listDeployments(namespace: string): Promise<KubeObject[]> {
    try {
      const list = await this.kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace });
      // List items carry no apiVersion/kind; callers filter on kind.
      return list.items.map((d) => ({ ...(d as unknown as KubeObject), apiVersion: 'apps/v1', kind: 'Deployment' }));
    } catch (err) {
      throw toKubeError(err, this.server);
    }
  }

  /**
   * Server-side apply of partial objects under their own field manager, so they never take
   * fields away from what `meshwalk` applied (an apply drops the manager's fields it omits).
   * The transcript shows each as the `kubectl patch … --type=merge` a learner would type, which
   * has the same effect on these fields.
   */
  async patchFields(patches: KubeObject[], fieldManager: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    for (const p of patches) {
      if (opts.signal?.aborted) throw new ApiError('cancelled', 'patch cancelled');
      const body = { ...p } as Record<string, unknown>;
      delete body.apiVersion;
      delete body.kind;
      delete body.metadata;
      const argv = ['kubectl', 'patch', `${p.kind.toLowerCase()}/${p.metadata.name}`, '-n', p.metadata.namespace ?? this.labNamespace, '--type=merge', '-p', JSON.stringify(body)];
      try {
        await this.objects.patch(this.copy(p) as KubernetesObject, undefined, undefined, fieldManager, true, 'application/apply-patch+yaml');
      } catch (err) {
        const e = toKubeError(err, this.server, undefined, p);
        this.emitEquivalent(argv, [e.message], e.message);
        throw e;
      }
      this.emitEquivalent(argv, [`${describe(p)} patched`]);
    }
  }

  /**
   * Wait like `kubectl rollout status`: the controller has seen the new spec, every replica runs
   * the new template and is available, and no old replicas are left.
   */
  async rolloutStatus(namespace: string, name: string, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    const started = Date.now();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    let done = false;
    try {
      await this.watch(`/apis/apps/v1/namespaces/${namespace}/deployments`, { fieldSelector: `metadata.name=${name}`, signal: ac.signal }, (phase, obj) => {
        if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
        const d = obj as unknown as { metadata: { generation?: number }; spec?: { replicas?: number }; status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number } };
        const want = d.spec?.replicas ?? 1;
        const st = d.status ?? {};
        if ((st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && (st.updatedReplicas ?? 0) >= want && (st.replicas ?? 0) <= (st.updatedReplicas ?? 0) && (st.availableReplicas ?? 0) >= want) {
          done = true;
          ac.abort();
        }
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const elapsedMs = Date.now() - started;
    const argv = ['kubectl', 'rollout', 'status', `deployment/${name}`, '-n', namespace];
    if (done) {
      this.emitEquivalent(argv, [`deployment "${name}" successfully rolled out`]);
      return { ok: true, reason: '', elapsedMs };
    }
    if (signal?.aborted) throw new ApiError('cancelled', 'wait cancelled');
    const why = await this.explainNamespace(namespace).catch(() => '');
    const reason = why || `deployment ${name} did not finish rolling out in ${Math.round(timeoutMs / 1000)} s`;
    this.emitEquivalent(argv, [reason], reason);
    return { ok: false, reason, elapsedMs };
  }

  async listPods(namespace: string, labelSelector?: string): Promise<V1Pod[]> {
    try {
      return (await this.core.listNamespacedPod({ namespace, labelSelector })).items;
    } catch (err) {
      throw toKubeError(err, this.server);
    }
  }

  async listEvents(namespace: string): Promise<EventJson[]> {
    try {
      return (await this.core.listNamespacedEvent({ namespace })).items as unknown as EventJson[];
    } catch {
      return [];
    }
  }

  /** Why pods in a namespace are not ready, in plain words ('' when all are ready). */
  async explainNamespace(namespace: string, labelSelector?: string): Promise<string> {
    const [pods, events] = await Promise.all([this.listPods(namespace, labelSelector), this.listEvents(namespace)]);
    return summarize(explainPods(pods as unknown as PodJson[], events));
  }

  /** Wait for a condition by watching; on timeout, say why from the pods' status and events. */
  async waitFor(cond: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const started = Date.now();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), cond.timeoutMs);
    let satisfied = false;
    const finish = () => {
      satisfied = true;
      ac.abort();
    };
    try {
      if (cond.kind === 'podsReady') {
        const selector = cond.selector ? Object.entries(cond.selector).map(([k, v]) => `${k}=${v}`).join(',') : undefined;
        const pods = new Map<string, PodJson>();
        await this.watch(`/api/v1/namespaces/${cond.namespace}/pods`, { labelSelector: selector, signal: ac.signal }, (phase, obj) => {
          if (phase === 'RESYNC') return pods.clear();
          const pod = obj as unknown as PodJson;
          if (phase === 'DELETED') pods.delete(pod.metadata.name);
          else pods.set(pod.metadata.name, pod);
          if (pods.size > 0 && [...pods.values()].every(isPodReady)) finish();
        });
      } else if (cond.kind === 'deploymentAvailable') {
        await this.watch(`/apis/apps/v1/namespaces/${cond.namespace}/deployments`, { fieldSelector: `metadata.name=${cond.name}`, signal: ac.signal }, (phase, obj) => {
          const d = obj as unknown as { status?: { conditions?: { type: string; status: string }[]; replicas?: number; updatedReplicas?: number; availableReplicas?: number } };
          if (phase === 'DELETED' || phase === 'RESYNC') return;
          const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
          if (available && (d.status?.updatedReplicas ?? 0) >= (d.status?.replicas ?? 0)) finish();
        });
      } else {
        const spec = { apiVersion: cond.ref.apiVersion, kind: cond.ref.kind, metadata: { name: cond.ref.name, namespace: cond.ref.namespace ?? this.labNamespace } };
        let listPath: string;
        try {
          listPath = await this.objects.path(spec, 'list');
        } catch (err) {
          throw toKubeError(err, this.server, undefined, spec as KubeObject);
        }
        const want = cond.kind;
        let present = false;
        // The initial watch replays current objects as ADDED; absence shows as a quiet stream.
        const quiet = setTimeout(() => {
          if (want === 'deleted' && !present) finish();
        }, 1500);
        await this.watch(listPath, { fieldSelector: `metadata.name=${cond.ref.name}`, signal: ac.signal }, (phase) => {
          if (phase === 'ADDED' || phase === 'MODIFIED') present = true;
          if (phase === 'DELETED') present = false;
          if (want === 'exists' && present) finish();
          if (want === 'deleted' && phase === 'DELETED') finish();
        });
        clearTimeout(quiet);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const elapsedMs = Date.now() - started;
    if (satisfied) return { ok: true, reason: '', elapsedMs };
    if (signal?.aborted) throw new ApiError('cancelled', 'wait cancelled');
    let reason = `not done after ${Math.round(cond.timeoutMs / 1000)} s`;
    if (cond.kind === 'podsReady' || cond.kind === 'deploymentAvailable') {
      const selector = cond.kind === 'podsReady' && cond.selector ? Object.entries(cond.selector).map(([k, v]) => `${k}=${v}`).join(',') : undefined;
      const why = await this.explainNamespace(cond.namespace, selector).catch(() => '');
      if (why) reason = why;
    }
    return { ok: false, reason, elapsedMs };
  }
}
