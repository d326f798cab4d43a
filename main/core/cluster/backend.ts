// The cluster MeshBackend: a real Kubernetes cluster with Istio. Config goes through client-node
// (kube.ts); traffic is curl run inside the curl pod (`kubectl exec`) or sent to the ingress URL;
// access logs are the istio-proxy containers' logs, followed for every injected pod and gateway.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../api/errors.ts';
import type { BackendStatus } from '../api/system.ts';
import type { CoreContext } from '../context.ts';
import type { AccessLogChunk, AccessLogSource, MeshBackend, PodInfo, ProxyConfigDump, ToolResult, TrafficRequest, TrafficResponse } from '../backend/types.ts';
import { isPodReady, type PodJson } from './diagnose.ts';
import { clusterService, type ClusterService } from './service.ts';

const ALLOWED_TOOLS = new Set(['kubectl', 'istioctl', 'minikube']);
const MARK = '__MESHWALK__';

/** What a productpage HTML response shows (ISTIO-FACTS §2, templates/productpage.html). */
export function parseProductpage(html: string): NonNullable<TrafficResponse['view']> {
  const reviewsDown = /Error fetching product reviews/.test(html);
  const detailsDown = /Error fetching product details/.test(html);
  const ratingsDown = /Ratings service is currently unavailable/.test(html);
  // Star blocks render as <div class="flex gap-x-1 text-{color}-500"> around the SVG stars.
  const color = /gap-x-1 text-(red|black)-500/.exec(html)?.[1] as 'red' | 'black' | undefined;
  const stars: 'none' | 'black' | 'red' = color ?? 'none';
  return { reviews: reviewsDown ? 'unavailable' : 'ok', stars: reviewsDown ? 'none' : stars, ratings: ratingsDown ? 'unavailable' : 'ok', details: detailsDown ? 'unavailable' : 'ok' };
}

/**
 * Every request carries an x-request-id so its access-log lines can be matched to it; a lab that
 * sets its own (any letter case) keeps it, and that is the id reported back.
 */
export function withRequestId(headers: Record<string, string>): { requestId: string; headers: Record<string, string> } {
  const own = Object.keys(headers).find((k) => k.toLowerCase() === 'x-request-id');
  if (own && headers[own]) return { requestId: headers[own], headers };
  const requestId = randomUUID();
  return { requestId, headers: { 'x-request-id': requestId, ...headers } };
}

/** Pull the nat table out of istio-init's log (it prints the iptables-restore input it applied). */
export function iptablesFromInitLog(log: string): string | null {
  const lines = log.split('\n').map((l) => l.replace(/^\S+Z\s+(?:info|debug)\s+/, ''));
  const start = lines.findIndex((l) => /^\*nat\s*$/.test(l.trim()) || /^\* nat\s*$/.test(l.trim()));
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && l.trim() === 'COMMIT');
  if (end < 0) return null;
  // iptables-save writes "*nat"; istio-iptables' restore input may print "* nat".
  return ['*nat', ...lines.slice(start + 1, end + 1).map((l) => l.trimEnd())].join('\n') + '\n';
}

export function toPodInfo(p: PodJson & { metadata: { labels?: Record<string, string>; ownerReferences?: { name: string; kind: string }[] }; spec?: { nodeName?: string; serviceAccountName?: string }; status?: { podIP?: string } }): PodInfo {
  const labels = p.metadata.labels ?? {};
  const containers = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])] as { name: string }[];
  const owner = p.metadata.ownerReferences?.[0];
  // ReplicaSet names are <deployment>-<hash>; the workload a learner knows is the deployment.
  const workload = owner?.kind === 'ReplicaSet' ? owner.name.replace(/-[a-z0-9]{5,10}$/, '') : (owner?.name ?? labels.app ?? p.metadata.name);
  return {
    namespace: p.metadata.namespace ?? 'default',
    name: p.metadata.name,
    workload,
    app: labels.app,
    version: labels.version,
    ip: (p.status as { podIP?: string } | undefined)?.podIP,
    nodeName: p.spec?.nodeName,
    locality: labels['topology.kubernetes.io/zone'],
    serviceAccount: p.spec?.serviceAccountName,
    labels,
    injected: containers.some((c) => c.name === 'istio-proxy'),
    ready: isPodReady(p),
    phase: p.status?.phase ?? 'Unknown',
  };
}

/** Access-log lines only (not Envoy's or pilot-agent's own log): TEXT format starts with "[<time>]", JSON with "{". */
function isAccessLogLine(b: Uint8Array, from: number, to: number): boolean {
  return to > from && (b[from] === 91 /* [ */ || b[from] === 123 /* { */);
}

class ClusterBackend implements MeshBackend {
  readonly kind = 'cluster' as const;
  private readonly listeners = new Set<(c: AccessLogChunk) => void>();
  private logs: AbortController | null = null;

  constructor(
    private readonly ctx: CoreContext,
    private readonly svc: ClusterService,
  ) {}

  private get ns(): string {
    return this.svc.settings.labNamespace;
  }

  async status(): Promise<BackendStatus> {
    const s = await this.svc.status();
    const label = s.mode === 'minikube' ? `minikube profile ${s.name}` : `context ${s.name}`;
    const state = s.state === 'running' ? 'ready' : 'unavailable';
    return { kind: 'cluster', label, state, ...(s.detail ? { detail: s.detail } : {}), ...(s.mode === 'context' ? { context: s.name } : {}) };
  }

  private flushNoticeShown = false;

  /**
   * Lab samples are applied here: Deployments created or changed in the lab namespace get the
   * shorter access-log flush interval too (and are rolled out) before the apply returns.
   */
  apply: MeshBackend['apply'] = async (docs, opts) => {
    const outcomes = await this.svc.kube().apply(docs, opts);
    if (opts?.dryRun) return outcomes;
    const names = outcomes.filter((o) => o.ref.kind === 'Deployment' && (o.ref.namespace ?? this.ns) === this.ns && o.action !== 'unchanged').map((o) => o.ref.name);
    if (!names.length) return outcomes;
    try {
      const r = await this.svc.flushInterval(this.ns, { only: names, signal: opts?.signal });
      if (!r.supported && !this.flushNoticeShown) {
        this.flushNoticeShown = true;
        this.ctx.events.emit('notice', { level: 'info', message: r.message });
      }
    } catch (err) {
      if (opts?.signal?.aborted) throw err;
      this.ctx.events.emit('notice', { level: 'warn', message: `Could not lower the access-log flush interval: ${(err as Error).message}`, ...((err as ApiError).fix ? { fix: (err as ApiError).fix } : {}) });
    }
    return outcomes;
  };
  delete: MeshBackend['delete'] = (docs, opts) => this.svc.kube().delete(docs, opts);
  get: MeshBackend['get'] = (ref) => this.svc.kube().get(ref);
  diff: MeshBackend['diff'] = (docs) => this.svc.kube().diff(docs);
  waitFor: MeshBackend['waitFor'] = (cond, signal) => this.svc.kube().waitFor(cond, signal);

  async pods(namespace?: string): Promise<PodInfo[]> {
    const list = await this.svc.kube().listPods(namespace ?? this.ns);
    return list.map((p) => toPodInfo(p as unknown as PodJson));
  }

  private async clientPod(from: string): Promise<PodInfo> {
    const pods = (await this.pods(this.ns)).filter((p) => p.app === from && p.phase === 'Running');
    if (!pods.length) {
      throw new ApiError('unavailable', `no running "${from}" pod in namespace ${this.ns} to send traffic from`, from === 'curl' ? `Deploy the curl client: kubectl apply -n ${this.ns} -f samples/curl/curl.yaml` : undefined);
    }
    return pods[0];
  }

  private kubectlExec(pod: PodInfo, container: string, cmd: string[], signal?: AbortSignal) {
    return this.svc.tc.run('kubectl', ['exec', '-n', pod.namespace, pod.name, '-c', container, '--', ...cmd], { signal, timeoutMs: 60_000, purpose: 'Send a request from inside the mesh' });
  }

  async sendTraffic(req: TrafficRequest, signal?: AbortSignal): Promise<{ responses: TrafficResponse[] }> {
    const count = Math.max(1, req.count);
    const conc = Math.max(1, Math.min(req.concurrency || 1, 8));
    const responses: TrafficResponse[] = new Array(count);
    let next = 0;
    let send: (i: number) => Promise<TrafficResponse>;
    // A bare path ("/productpage") means "through the ingress gateway", whoever the client is.
    if (req.from === 'ingressgateway' || req.url.startsWith('/')) {
      const ingress = await this.svc.bookinfo.ingress(this.svc.settings.mode === 'minikube' ? await this.svc.minikube.ip(this.svc.settings.profile) : null);
      if (!ingress) throw new ApiError('unavailable', 'the ingress gateway has no reachable address yet (its EXTERNAL-IP is pending and it has no node port)', 'Start the tunnel (minikube tunnel) on the Home page, or check: kubectl get svc istio-ingressgateway -n istio-system');
      const cookie = req.user ? await this.ingressLogin(ingress.url, req.user, req.headers, signal) : undefined;
      send = () => this.viaIngress(ingress.url, req, cookie, signal);
    } else {
      const pod = await this.clientPod(req.from);
      const jar = `/tmp/meshwalk-${randomUUID().slice(0, 8)}.cookies`;
      if (req.user) {
        const base = new URL(req.url).origin;
        await this.kubectlExec(pod, req.from, ['curl', '-s', '-o', '/dev/null', '-c', jar, '--data-urlencode', `username=${req.user}`, '-d', 'passwd=', `${base}/login`], signal);
      }
      send = () => this.viaExec(pod, req, req.user ? jar : undefined, signal);
    }
    const interval = req.qps > 0 ? 1000 / req.qps : 0;
    const started = Date.now();
    const worker = async () => {
      while (next < count && !signal?.aborted) {
        const i = next++;
        if (interval) {
          const due = started + i * interval;
          // Abortable, so a slow qps does not hold a cancelled run.
          if (due > Date.now()) await sleep(due - Date.now(), undefined, { signal }).catch(() => undefined);
          if (signal?.aborted) break;
        }
        responses[i] = await send(i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(conc, count) }, worker));
    if (signal?.aborted) throw new ApiError('cancelled', 'traffic cancelled');
    return { responses: responses.filter(Boolean) };
  }

  private async viaExec(pod: PodInfo, req: TrafficRequest, jar: string | undefined, signal?: AbortSignal): Promise<TrafficResponse> {
    const { requestId, headers } = withRequestId(req.headers);
    const args = ['curl', '-s', '-X', req.method, '-w', `\n${MARK}%{http_code} %{time_total}`];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    if (jar) args.push('-b', jar);
    args.push(req.url);
    const r = await this.kubectlExec(pod, req.from, args, signal);
    const at = r.stdout.lastIndexOf(MARK);
    if (at < 0) return { status: 0, durationMs: r.durationMs, requestId, body: (r.stderr || r.stdout).slice(0, 500) };
    const body = r.stdout.slice(0, at).replace(/\n$/, '');
    const [code, secs] = r.stdout.slice(at + MARK.length).trim().split(' ');
    return this.response(Number(code), Math.round(Number(secs) * 1000), requestId, req.url, body);
  }

  private response(status: number, durationMs: number, requestId: string, url: string, body: string): TrafficResponse {
    if (/\/productpage/.test(url) && status === 200) return { status, durationMs, requestId, view: parseProductpage(body) };
    return { status, durationMs, requestId, body: body.slice(0, 500) };
  }

  /**
   * productpage's sign-in: POST /login (form username + passwd), which answers with a Flask
   * `session` cookie; later requests send it so productpage adds `end-user: <user>`. The lab's
   * headers go along (a Gateway may only match its Host).
   */
  private ingressLogin(base: string, user: string, headers: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const target = `${base}/login`;
    return new Promise((resolve, reject) => {
      const body = new URLSearchParams({ username: user, passwd: '' }).toString();
      const h = { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) };
      const r = http.request(target, { method: 'POST', headers: h, signal }, (res) => {
        res.resume();
        const cookie = res.headers['set-cookie']?.map((c) => c.split(';')[0]).join('; ');
        if (cookie) resolve(cookie);
        else reject(new ApiError('failed', `signing in as "${user}" at ${target} gave HTTP ${res.statusCode} and no session cookie`, 'Check that the Gateway and VirtualService route /login to productpage (samples/bookinfo/networking/bookinfo-gateway.yaml)'));
      });
      r.on('error', (err) => reject(signal?.aborted ? new ApiError('cancelled', 'traffic cancelled') : new ApiError('unavailable', `the ingress gateway at ${base} does not answer (${(err as NodeJS.ErrnoException).code ?? err.message})`, 'Start the tunnel (minikube tunnel) on the Home page, or check that istio-ingressgateway is running')));
      r.end(body);
    });
  }

  private viaIngress(base: string, req: TrafficRequest, cookie: string | undefined, signal?: AbortSignal): Promise<TrafficResponse> {
    const { requestId, headers: withId } = withRequestId(req.headers);
    const url = new URL(req.url, base);
    const target = new URL(url.pathname + url.search, base);
    const started = Date.now();
    return new Promise((resolve) => {
      // node:http so a lab's Host header (e.g. httpbin.example.com) is sent as written.
      const headers: Record<string, string> = { ...withId, ...(cookie ? { cookie } : {}) };
      const r = http.request(target, { method: req.method, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(this.response(res.statusCode ?? 0, Date.now() - started, requestId, url.pathname, Buffer.concat(chunks).toString('utf8'))));
      });
      r.on('error', (err) => resolve({ status: 0, durationMs: Date.now() - started, requestId, body: err.message }));
      r.end();
    });
  }

  onAccessLog(listener: (chunk: AccessLogChunk) => void): () => void {
    this.listeners.add(listener);
    if (!this.logs) this.startLogs();
    return () => {
      this.listeners.delete(listener);
      if (!this.listeners.size) {
        this.logs?.abort();
        this.logs = null;
      }
    };
  }

  /** Follow istio-proxy of every injected pod in the lab namespace and the gateways; new pods via a watch. */
  private startLogs(): void {
    const ac = new AbortController();
    this.logs = ac;
    const following = new Map<string, AbortController>();
    const emit = (chunk: AccessLogChunk) => {
      for (const l of this.listeners) l(chunk);
    };
    const follow = (pod: PodInfo) => {
      const key = `${pod.namespace}/${pod.name}`;
      if (following.has(key) || !pod.injected || pod.phase !== 'Running') return;
      const child = new AbortController();
      following.set(key, child);
      ac.signal.addEventListener('abort', () => child.abort(), { once: true });
      const kind = pod.labels.istio === 'ingressgateway' || pod.labels.istio === 'egressgateway' ? 'gateway' : 'sidecar';
      const source = { namespace: pod.namespace, pod: pod.name, workload: pod.workload, app: pod.app, version: pod.version, kind, podIP: pod.ip } as AccessLogSource;
      void this.svc
        .kube()
        .followLogs(pod.namespace, pod.name, 'istio-proxy', (bytes) => emit({ source, bytes, receivedAt: Date.now() }), { signal: child.signal, sinceTime: new Date().toISOString(), accept: isAccessLogLine })
        .catch((err: Error) => this.ctx.events.emit('notice', { level: 'warn', message: `access log of ${key} stopped: ${err.message}` }))
        .finally(() => following.delete(key));
    };
    const watchNs = (namespace: string, labelSelector?: string) =>
      this.svc
        .kube()
        .watch(`/api/v1/namespaces/${namespace}/pods`, { labelSelector, signal: ac.signal }, (phase, obj) => {
          if (phase === 'RESYNC') return;
          const pod = toPodInfo(obj as unknown as PodJson);
          const key = `${pod.namespace}/${pod.name}`;
          if (phase === 'DELETED') {
            following.get(key)?.abort();
            following.delete(key);
          } else follow(pod);
        })
        .catch((err: Error) => this.ctx.events.emit('notice', { level: 'warn', message: `pod watch in ${namespace} stopped: ${err.message}` }));
    void watchNs(this.ns);
    void watchNs('istio-system', 'istio in (ingressgateway,egressgateway)');
  }

  async proxyConfig(pod: { namespace: string; name: string }): Promise<ProxyConfigDump> {
    const r = await this.svc.tc.runChecked('istioctl', ['proxy-config', 'all', pod.name, '-n', pod.namespace, '-o', 'json'], { purpose: 'Read the proxy configuration', timeoutMs: 60_000, maxBuffer: 64 * 1024 * 1024 });
    try {
      const data = JSON.parse(r.stdout) as ProxyConfigDump | unknown[];
      return Array.isArray(data) ? { configs: data } : data;
    } catch {
      throw new ApiError('failed', `istioctl proxy-config all ${pod.name} did not print JSON`);
    }
  }

  async iptables(pod: { namespace: string; name: string }): Promise<string> {
    const r = await this.svc.tc.run('kubectl', ['logs', pod.name, '-n', pod.namespace, '-c', 'istio-init'], { purpose: 'Read the iptables rules istio-init installed', timeoutMs: 30_000 });
    if (r.exitCode !== 0) {
      throw new ApiError('unavailable', `no istio-init log for ${pod.namespace}/${pod.name}: ${r.stderr.trim().split('\n').pop()}`, 'The pod may use the Istio CNI plugin (no istio-init container) or have no sidecar');
    }
    const rules = iptablesFromInitLog(r.stdout);
    if (!rules) throw new ApiError('failed', `istio-init's log for ${pod.name} does not contain the nat table`);
    return rules;
  }

  async runTool(argv: string[], signal?: AbortSignal): Promise<ToolResult> {
    const [tool, ...args] = argv;
    if (!tool || !ALLOWED_TOOLS.has(tool)) throw new ApiError('invalid_params', `runTool runs kubectl, istioctl or minikube, not "${tool ?? ''}"`);
    const r = await this.svc.tc.run(tool, args, { signal, timeoutMs: 5 * 60_000 });
    return { argv: r.argv, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
  }

  async dispose(): Promise<void> {
    this.logs?.abort();
    this.logs = null;
    this.listeners.clear();
  }
}

export async function createClusterBackend(ctx: CoreContext): Promise<MeshBackend> {
  // Construction never needs a running cluster: status() reports 'unavailable' with the reason.
  return new ClusterBackend(ctx, clusterService(ctx));
}

