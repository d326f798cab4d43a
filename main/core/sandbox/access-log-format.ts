// Envoy access-log lines in Istio's default TEXT format (21 fields, `%UPSTREAM_CLUSTER_RAW%`) and
// the JSON encoding. A record is kept structured and formatted only when someone reads it, so the
// load model does not pay for strings nobody looks at.
import type { Pod } from './topology.ts';

export interface LogRecord {
  /** The proxy that wrote the line. */
  proxy: Pod;
  /** Virtual ms at which the stream started. */
  startMs: number;
  /** Virtual ms at which the line is written (end of the stream). */
  endMs: number;
  /** null for TCP connections (`"- - -"`). */
  method: string | null;
  path: string | null;
  protocol: string | null;
  code: number;
  /** Comma-joined Envoy flags, or `-`. */
  flags: string;
  details: string | null;
  termination: string | null;
  transportFailure: string | null;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  upstreamServiceMs: number | null;
  xff: string | null;
  userAgent: string | null;
  requestId: string | null;
  authority: string | null;
  upstreamHost: string | null;
  cluster: string | null;
  upstreamLocal: string | null;
  downstreamLocal: string | null;
  downstreamRemote: string | null;
  sni: string | null;
  route: string | null;
}

const d = (v: string | null): string => (v === null || v === '' ? '-' : v);

export function formatText(r: LogRecord, iso: string): string {
  const req = r.method === null ? '- - -' : `${r.method} ${d(r.path)} ${d(r.protocol)}`;
  return (
    `[${iso}] "${req}" ${r.code} ${r.flags} ${d(r.details)} ${d(r.termination)} "${d(r.transportFailure)}" ` +
    `${r.bytesIn} ${r.bytesOut} ${Math.round(r.durationMs)} ${r.upstreamServiceMs === null ? '-' : Math.round(r.upstreamServiceMs)} ` +
    `"${d(r.xff)}" "${d(r.userAgent)}" "${d(r.requestId)}" "${d(r.authority)}" "${d(r.upstreamHost)}" ${d(r.cluster)} ` +
    `${d(r.upstreamLocal)} ${d(r.downstreamLocal)} ${d(r.downstreamRemote)} ${d(r.sni)} ${d(r.route)}`
  );
}

/** `accessLogEncoding: JSON` (EnvoyJSONLogFormatIstio): numbers typed, missing values null. */
export function formatJson(r: LogRecord, iso: string): string {
  return JSON.stringify({
    start_time: iso,
    route_name: r.route,
    method: r.method,
    path: r.path,
    protocol: r.protocol,
    response_code: r.code,
    response_flags: r.flags,
    response_code_details: r.details,
    connection_termination_details: r.termination,
    bytes_received: r.bytesIn,
    bytes_sent: r.bytesOut,
    duration: Math.round(r.durationMs),
    upstream_service_time: r.upstreamServiceMs === null ? null : String(Math.round(r.upstreamServiceMs)),
    x_forwarded_for: r.xff,
    user_agent: r.userAgent,
    request_id: r.requestId,
    authority: r.authority,
    upstream_host: r.upstreamHost,
    upstream_cluster: r.cluster,
    upstream_local_address: r.upstreamLocal,
    downstream_local_address: r.downstreamLocal,
    downstream_remote_address: r.downstreamRemote,
    requested_server_name: r.sni,
    upstream_transport_failure_reason: r.transportFailure,
  });
}
