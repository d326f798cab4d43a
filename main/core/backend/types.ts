// The seam between the core and a mesh. Two implementations: the cluster backend (a real
// Kubernetes cluster with Istio, driven through client-node and the CLI tools) and the sandbox
// (a model of Istio's semantics). Both produce the same data formats — Envoy access-log lines,
// proxy config dumps, iptables rules — so capture, packet walks and labs have one code path.
import type { BackendStatus } from '../api/system.ts';

/** A Kubernetes object as parsed from YAML or returned by the API server. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Where a document came from, so errors can name "file:line (document N)". */
export interface DocSource {
  file: string;
  /** 0-based index of the document in a multi-document file. */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
}

export interface ManifestDoc {
  source: DocSource;
  object: KubeObject;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ApplyOutcome {
  ref: ObjectRef;
  action: 'created' | 'configured' | 'unchanged' | 'deleted' | 'not-found';
  /** Things the backend wants the learner to know (e.g. a field the sandbox does not model). */
  warnings: string[];
  source?: DocSource;
}

export interface DiffEntry {
  ref: ObjectRef;
  source?: DocSource;
  live: KubeObject | null;
  desired: KubeObject | null;
  /** Unified diff of the YAML of live vs desired (server-managed fields stripped). Empty when equal. */
  patch: string;
}

export type WaitCondition =
  | { kind: 'podsReady'; namespace: string; selector?: Record<string, string>; timeoutMs: number }
  | { kind: 'deploymentAvailable'; namespace: string; name: string; timeoutMs: number }
  | { kind: 'exists'; ref: ObjectRef; timeoutMs: number }
  | { kind: 'deleted'; ref: ObjectRef; timeoutMs: number };

export interface WaitResult {
  ok: boolean;
  /** Plain words: which pod is not ready and why (events, image pull state, resources). */
  reason: string;
  elapsedMs: number;
}

export interface TrafficRequest {
  /** Client workload: 'curl' (default), 'ingressgateway' for requests entering the mesh, 'fortio', … */
  from: string;
  method: string;
  /** e.g. http://productpage:9080/productpage, or a path for ingress requests. */
  url: string;
  headers: Record<string, string>;
  /** Log in at productpage first, so productpage sends `end-user: <user>`. */
  user?: string;
  count: number;
  concurrency: number;
  /** Requests per second across all connections; 0 = as fast as possible. */
  qps: number;
  /** Optional request body size etc. are not modelled. */
}

export interface TrafficResponse {
  status: number;
  durationMs: number;
  requestId: string;
  /** For Bookinfo productpage responses: what the page shows. */
  view?: { reviews: 'ok' | 'unavailable'; stars: 'none' | 'black' | 'red'; ratings: 'ok' | 'unavailable'; details?: 'ok' | 'unavailable' };
  /** For plain responses whose body says something (tcp-echo "one …", helloworld version). */
  body?: string;
}

export interface TrafficResult {
  responses: TrafficResponse[];
}

/** The proxy access-log lines come from. */
export interface AccessLogSource {
  namespace: string;
  pod: string;
  workload: string;
  app?: string;
  version?: string;
  kind: 'sidecar' | 'gateway';
  podIP?: string;
}

/**
 * Access-log lines of one proxy as they arrived: UTF-8 bytes, one line per `\n` (the last may lack
 * it). Capture copies them as they are into its own store (line-store.ts): no string per line.
 * Nobody changes `bytes` after handing the chunk on.
 */
export interface AccessLogChunk {
  source: AccessLogSource;
  bytes: Uint8Array;
  /** Wall-clock ms when the lines were received by Meshwalk (for latency measurement). */
  receivedAt: number;
}

/** One access-log line as text (lab checks, replays, tests): access-log.ts turns it into a chunk. */
export interface AccessLogLine {
  source: AccessLogSource;
  line: string;
  receivedAt: number;
}

export interface PodInfo {
  namespace: string;
  name: string;
  /** Deployment-ish name, e.g. reviews-v2. */
  workload: string;
  app?: string;
  version?: string;
  ip?: string;
  nodeName?: string;
  locality?: string;
  serviceAccount?: string;
  labels: Record<string, string>;
  injected: boolean;
  ready: boolean;
  phase: string;
}

/** `istioctl proxy-config all <pod> -o json`: `{configs: [...]}` (Envoy config dump). */
export interface ProxyConfigDump {
  configs: unknown[];
}

export interface ToolResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface MeshBackend {
  readonly kind: 'sandbox' | 'cluster';
  status(): Promise<BackendStatus>;
  apply(docs: ManifestDoc[], opts?: { dryRun?: boolean; signal?: AbortSignal }): Promise<ApplyOutcome[]>;
  delete(docs: ManifestDoc[], opts?: { signal?: AbortSignal }): Promise<ApplyOutcome[]>;
  get(ref: ObjectRef): Promise<KubeObject | null>;
  diff(docs: ManifestDoc[]): Promise<DiffEntry[]>;
  waitFor(cond: WaitCondition, signal?: AbortSignal): Promise<WaitResult>;
  sendTraffic(req: TrafficRequest, signal?: AbortSignal): Promise<TrafficResult>;
  /** Subscribe to access-log lines of every proxy in the lab namespaces. Returns unsubscribe. */
  onAccessLog(listener: (chunk: AccessLogChunk) => void): () => void;
  pods(namespace?: string): Promise<PodInfo[]>;
  proxyConfig(pod: { namespace: string; name: string }): Promise<ProxyConfigDump>;
  /** The pod's nat table in iptables-save syntax (istio-init's log on a cluster). */
  iptables(pod: { namespace: string; name: string }): Promise<string>;
  /**
   * Run a tool command the learner can see (kubectl/istioctl/minikube/curl-in-pod). The cluster
   * backend runs the real tool; the sandbox answers the subset it models and throws
   * `ApiError('unavailable', …)` for the rest.
   */
  runTool(argv: string[], signal?: AbortSignal): Promise<ToolResult>;
  dispose(): Promise<void>;
}
