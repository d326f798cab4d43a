// Data shapes of the capture pipeline, shared by the parser, correlation, aggregation, lab checks
// and the views. The field names of AccessLogEntry are also the `meshwalk capture parse` output.

/**
 * Request trees a view holds (the newest). A `capture.requests` batch carries no more: under a
 * flood, more would be dropped on arrival.
 */
export const VIEW_TREES = 200;

export interface UpstreamCluster {
  raw: string;
  direction: 'inbound' | 'outbound' | 'other';
  port: number | null;
  subset: string | null;
  host: string | null;
}

/** One Envoy access-log line, every field named; `-` becomes null. */
export interface AccessLogEntry {
  startTime: string | null;
  method: string | null;
  path: string | null;
  protocol: string | null;
  /** 0 for TCP. */
  responseCode: number;
  /** Codes such as UO, DI, FI; empty for `-`. */
  responseFlags: string[];
  responseCodeDetails: string | null;
  connectionTerminationDetails: string | null;
  upstreamTransportFailureReason: string | null;
  bytesReceived: number | null;
  bytesSent: number | null;
  durationMs: number | null;
  upstreamServiceTimeMs: number | null;
  xForwardedFor: string | null;
  userAgent: string | null;
  requestId: string | null;
  authority: string | null;
  upstreamHost: string | null;
  upstreamCluster: UpstreamCluster | null;
  upstreamLocalAddress: string | null;
  downstreamLocalAddress: string | null;
  downstreamRemoteAddress: string | null;
  requestedServerName: string | null;
  routeName: string | null;
}

export interface WorkloadRef {
  /** e.g. reviews-v2, istio-ingressgateway, curl, or an external host name. */
  workload: string;
  app: string | null;
  version: string | null;
  namespace: string | null;
  /** The Kubernetes Service (short name) the hop was addressed to, when known. */
  service?: string | null;
}

/** One client→server hop of a request, stitched from the client's outbound line and the server's inbound line. */
export interface Hop {
  from: WorkloadRef;
  to: WorkloadRef;
  /** START_TIME of the client's line (the server's when the client's is missing). */
  startTime: string | null;
  status: number;
  flags: string[];
  durationMs: number | null;
  cluster: string | null;
  path: string | null;
  method: string | null;
  /** The client's end of the TCP connection (its UPSTREAM_LOCAL_ADDRESS: the server's DOWNSTREAM_REMOTE_ADDRESS). */
  connection: string | null;
  /**
   * The access-log lines this hop was stitched from, as the proxies wrote them: the client's
   * (outbound) and/or the server's (inbound). Views parse them when they show a hop's details.
   */
  outboundLine?: string;
  inboundLine?: string;
  /** Mirror traffic (fire and forget). */
  mirror?: boolean;
}

/** All hops that share one x-request-id, ordered by start time: ingress → productpage → … */
export interface RequestTree {
  requestId: string;
  startTime: string | null;
  /** The `end-user` the request was sent for, when known. */
  user: string | null;
  hops: Hop[];
  /** Status the first hop (the original client) got. */
  status: number;
  /** Wall-clock ms when Meshwalk received the newest line of this request (latency measurement). */
  receivedAt?: number;
  /** True once no more lines are expected (the correlation window closed). */
  complete?: boolean;
}
