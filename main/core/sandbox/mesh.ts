// The sandbox mesh: a config store, the platform (Istio + Bookinfo + samples) and the data plane
// model, driven in virtual time. The CLI and tests use it directly; backend.ts wraps it for the app.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ApplyOutcome, KubeObject, ManifestDoc, ObjectRef } from '../backend/types.ts';
import { parseManifestText } from '../manifests.ts';
import { projectRoot } from '../paths.ts';
import { formatJson, formatText, type LogRecord } from './access-log-format.ts';
import { VirtualClock } from './clock.ts';
import { CompiledConfig } from './compiled.ts';
import { ConfigStore, refOf } from './config-store.ts';
import { DataPlane, type MeshSettings, type OutRequest, type SimHop, type Trace } from './proxy.ts';
import { Rng } from './random.ts';
import { unsupportedFields } from './supported.ts';
import type { Pod } from './topology.ts';
import type { AppData } from './workloads.ts';
import { ISTIO_SYSTEM_OBJECTS } from './istio-system.ts';

export const MANIFEST_DIR = path.join(projectRoot, 'assets', 'manifests');
/** Platform files deployed at start. bookinfo-gateway.yaml and destination-rule-all.yaml are lab steps. */
export const PLATFORM_FILES = ['bookinfo.yaml', 'curl.yaml', 'httpbin.yaml', 'fortio.yaml', 'tcp-echo.yaml', 'helloworld.yaml'];

export interface SimRequest {
  from: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  user?: string;
  /** TCP payload line (tcp-echo). */
  payload?: string;
}

export interface SimResponse {
  status: number;
  startMs: number;
  durationMs: number;
  requestId: string;
  view?: AppData['view'];
  body?: string;
  hops: SimHop[];
  records: LogRecord[];
  /** Which workload served the request the client sent. */
  servedBy: string | null;
}

export interface LoadOptions {
  count: number;
  concurrency: number;
  /** Requests per second across all connections; 0 = as fast as possible. */
  qps: number;
}

export interface MeshOptions {
  seed?: number;
  settings?: Partial<MeshSettings>;
  /** Deploy the platform files (default true). */
  platform?: boolean;
  epochMs?: number;
}

let platformCache: ManifestDoc[] | null = null;
/** The platform files, parsed once per process (the store never mutates stored objects). */
function platformDocs(): ManifestDoc[] {
  platformCache ??= PLATFORM_FILES.flatMap((f) => parseManifestText(readFileSync(path.join(MANIFEST_DIR, f), 'utf8'), `assets/manifests/${f}`));
  return platformCache;
}

const USER_AGENTS: Record<string, string> = { curl: 'curl/8.16.0', fortio: 'fortio.org/fortio-1.69.5', ingress: 'curl/8.16.0' };

export class Mesh {
  readonly store = new ConfigStore();
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly settings: MeshSettings;
  private compiled: CompiledConfig;
  readonly data: DataPlane;

  constructor(opts: MeshOptions = {}) {
    this.rng = new Rng(opts.seed ?? 1);
    this.clock = new VirtualClock(opts.epochMs);
    this.settings = { outboundTrafficPolicy: 'ALLOW_ANY', accessLogEncoding: 'TEXT', ...opts.settings };
    for (const o of ISTIO_SYSTEM_OBJECTS) this.store.put(o);
    if (opts.platform !== false) for (const d of platformDocs()) this.store.put(d.object, d.source);
    this.compiled = new CompiledConfig(this.store);
    this.data = new DataPlane(this.compiled, this.rng, this.settings);
  }

  /** The compiled view of the current config (recompiled only after a change). */
  config(): CompiledConfig {
    if (this.compiled.revision !== this.store.revision) {
      this.compiled = new CompiledConfig(this.store, this.compiled);
      this.data.reconfigure(this.compiled);
    }
    return this.compiled;
  }

  apply(docs: ManifestDoc[], dryRun = false): ApplyOutcome[] {
    return docs.map((d) => {
      const warnings = unsupportedFields(d.object).map((w) => `${d.source.file}:${d.source.line}: ${w}`);
      if (dryRun) {
        const exists = this.store.get(refOf(d.object));
        return { ref: refOf(d.object), action: exists ? 'configured' : 'created', warnings, source: d.source };
      }
      const action = this.store.put(d.object, d.source);
      return { ref: refOf(d.object), action, warnings, source: d.source };
    });
  }

  delete(docs: ManifestDoc[]): ApplyOutcome[] {
    return docs.map((d) => {
      const ref = refOf(d.object);
      return { ref, action: this.store.delete(ref) ? 'deleted' : 'not-found', warnings: [], source: d.source };
    });
  }

  get(ref: ObjectRef): KubeObject | null {
    return this.store.get({ ...ref, namespace: ref.namespace })?.object ?? null;
  }

  setSetting(key: string, value: string): void {
    if (key === 'outboundTrafficPolicy.mode' || key === 'outboundTrafficPolicy') {
      if (value !== 'ALLOW_ANY' && value !== 'REGISTRY_ONLY') throw new Error(`mesh config ${key} must be ALLOW_ANY or REGISTRY_ONLY, not "${value}"`);
      this.settings.outboundTrafficPolicy = value;
    } else if (key === 'accessLogEncoding') {
      if (value !== 'TEXT' && value !== 'JSON') throw new Error(`mesh config accessLogEncoding must be TEXT or JSON, not "${value}"`);
      this.settings.accessLogEncoding = value;
    } else {
      throw new Error(`mesh config "${key}" is not modelled (the sandbox knows outboundTrafficPolicy.mode and accessLogEncoding)`);
    }
  }

  /** Resolve a client name: `ingressgateway`, a Deployment, an app label, or a pod name. */
  clientPod(from: string): Pod {
    const topo = this.config().topology;
    if (from.includes('/')) {
      const [ns, n] = from.split('/', 2);
      const p = topo.workload(n, ns)?.pods[0] ?? topo.pod(n, ns);
      if (p) return p;
    }
    const name = from === 'ingressgateway' || from === 'ingress' ? 'istio-ingressgateway' : from === 'egressgateway' ? 'istio-egressgateway' : from;
    const w = topo.workload(name, 'default') ?? topo.workload(name);
    const pod = w?.pods[0] ?? topo.pod(name);
    if (!pod) {
      const known = topo.workloads.filter((x) => x.pods.length).map((x) => x.name);
      throw new Error(`no workload or pod named "${from}" in the sandbox (known: ingressgateway, ${known.join(', ')})`);
    }
    return pod;
  }

  /** `POST /drain_listeners` on a pod's proxy: new connections to it fail (locality failover lab). */
  drain(podOrWorkload: string): Pod {
    const pod = this.clientPod(podOrWorkload);
    pod.drained = true;
    return pod;
  }

  private readonly urlCache = new Map<string, ParsedUrl>();
  private clientCache = new Map<string, Pod>();
  private clientRevision = -1;

  /** One request at virtual time `at`. */
  send(req: SimRequest, at = this.clock.now): SimResponse {
    const cfg = this.config();
    if (this.clientRevision !== cfg.revision) {
      this.clientCache.clear();
      this.clientRevision = cfg.revision;
    }
    let client = this.clientCache.get(req.from);
    if (!client) this.clientCache.set(req.from, (client = this.clientPod(req.from)));
    const urlKey = `${req.method} ${req.url}`;
    let url = this.urlCache.get(urlKey);
    if (!url) {
      url = parseUrl(req.method, req.url);
      if (this.urlCache.size < 1000) this.urlCache.set(urlKey, url);
    }
    const ua = USER_AGENTS[client.workload.app] ?? USER_AGENTS.curl;
    const trace: Trace = { requestId: this.rng.uuid(), records: [], hops: [], userAgent: ua };
    const headers: Record<string, string> = { 'user-agent': ua, 'x-request-id': trace.requestId };
    if (req.headers) for (const k in req.headers) headers[k.toLowerCase()] = req.headers[k];
    headers.host ??= url.port === url.defaultPort ? url.host : `${url.host}:${url.port}`;
    const out: OutRequest = {
      method: url.tcp ? 'TCP' : req.method.toUpperCase(),
      host: url.host,
      port: url.port,
      path: url.path,
      headers,
      tcp: url.tcp,
      tls: url.tls,
      payload: url.tcp ? req.payload ?? new Date(this.clock.epochMs + at).toUTCString() : undefined,
      sessionUser: req.user,
    };
    let result;
    if (client.workload.gateway) {
      const svc = this.compiled.topology.services.find((s) => s.pods.includes(client));
      const sp = svc?.ports.find((p) => p.port === url.port) ?? svc?.ports.find((p) => p.targetPort === url.port);
      headers['x-forwarded-for'] = '10.244.0.1';
      headers['x-forwarded-proto'] = 'http';
      result = this.data.atGateway(client, out, sp?.targetPort ?? url.port, sp?.port ?? url.port, at, trace, `10.244.0.1:${40000 + this.rng.int(20000)}`, '10.244.0.1');
    } else {
      result = this.data.fromPod(client, out, at, trace);
    }
    trace.hops.sort((a, b) => a.startMs - b.startMs);
    trace.records.sort((a, b) => a.endMs - b.endMs);
    const first = trace.hops.find((h) => h.from === client.workload.name && !h.mirror);
    this.clock.advanceTo(result.endMs);
    return {
      status: result.status,
      startMs: at,
      durationMs: result.endMs - at,
      requestId: trace.requestId,
      view: result.data?.view,
      body: result.data?.body,
      hops: trace.hops,
      records: trace.records,
      servedBy: first?.to ?? null,
    };
  }

  /**
   * fortio-like load: `concurrency` connections, each sending its next request when the previous
   * answer arrives (or paced by qps). Requests are simulated in start order, so connection pools
   * see the real overlap.
   */
  load(req: SimRequest, opts: LoadOptions, onResponse?: (r: SimResponse) => void): SimResponse[] {
    const c = Math.max(1, Math.min(opts.concurrency, opts.count));
    const start = this.clock.now;
    const next = new Array<number>(c).fill(start);
    const interval = opts.qps > 0 ? (1000 * c) / opts.qps : 0;
    const out: SimResponse[] = [];
    for (let i = 0; i < opts.count; i++) {
      let k = 0;
      for (let j = 1; j < c; j++) if (next[j] < next[k]) k = j;
      const at = next[k];
      const r = this.send(req, at);
      out.push(r);
      onResponse?.(r);
      // fortio turnaround: the client reads the answer and writes the next request.
      const done = at + r.durationMs + this.rng.between(0.1, 0.6);
      next[k] = interval > 0 ? Math.max(done, at + interval) : done;
    }
    return out;
  }

  formatRecord(r: LogRecord): string {
    const iso = this.clock.iso(r.startMs);
    return this.settings.accessLogEncoding === 'JSON' ? formatJson(r, iso) : formatText(r, iso);
  }
}

export interface ParsedUrl {
  host: string;
  port: number;
  defaultPort: number;
  path: string;
  tcp: boolean;
  tls: boolean;
}

export function parseUrl(method: string, raw: string): ParsedUrl {
  let text = raw.trim();
  // A bare path is a request to the ingress gateway at $GATEWAY_URL (127.0.0.1:80 with minikube tunnel).
  if (text.startsWith('/')) text = `http://127.0.0.1${text}`;
  if (!/^[a-z]+:\/\//i.test(text)) text = `${method.toUpperCase() === 'TCP' ? 'tcp' : 'http'}://${text}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`"${raw}" is not a URL (expected e.g. http://productpage:9080/productpage)`);
  }
  const scheme = u.protocol.replace(':', '');
  if (!['http', 'https', 'tcp'].includes(scheme)) throw new Error(`URL scheme "${scheme}" is not modelled (use http, https or tcp)`);
  const defaultPort = scheme === 'https' ? 443 : 80;
  const port = u.port ? Number(u.port) : scheme === 'tcp' ? NaN : defaultPort;
  if (!Number.isFinite(port)) throw new Error(`"${raw}": a tcp:// URL needs a port`);
  return { host: u.hostname.toLowerCase(), port, defaultPort, path: `${u.pathname}${u.search}` || '/', tcp: scheme === 'tcp' || method.toUpperCase() === 'TCP', tls: scheme === 'https' };
}

/** Manifest files under a path: the file itself, or the *.yaml / *.yml files of a folder (sorted). */
export function manifestFiles(p: string): string[] {
  const st = (() => {
    try {
      return readdirSync(p, { withFileTypes: true });
    } catch {
      return null;
    }
  })();
  if (!st) return [p];
  return st.filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name)).map((e) => path.join(p, e.name)).sort();
}
