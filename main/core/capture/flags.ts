// Envoy response flags as Istio prints them in %RESPONSE_FLAGS% (short codes from Envoy's
// source/common/stream_info/utility.h), with what each one usually means in the labs. The UI uses
// this table to spell out a flag; the parser keeps unknown codes as they are.

export interface ResponseFlagInfo {
  code: string;
  name: string;
  meaning: string;
  /** Flags that point at a rule the learner applied (fault injection, circuit breaking, …). */
  category: 'fault' | 'circuit-breaker' | 'routing' | 'upstream' | 'downstream' | 'timeout' | 'policy' | 'other';
}

const table: ResponseFlagInfo[] = [
  { code: 'UH', name: 'NoHealthyUpstream', meaning: 'No healthy endpoint: no pods, a subset that selects no pods, or BlackHoleCluster (REGISTRY_ONLY).', category: 'upstream' },
  { code: 'UF', name: 'UpstreamConnectionFailure', meaning: 'Connection to the upstream failed (refused, or an mTLS mismatch between a DestinationRule and the pod).', category: 'upstream' },
  { code: 'UO', name: 'UpstreamOverflow', meaning: 'Circuit breaking: a DestinationRule connectionPool limit was reached.', category: 'circuit-breaker' },
  { code: 'NR', name: 'NoRouteFound', meaning: 'No route or virtual host matched (e.g. a path missing from the VirtualService).', category: 'routing' },
  { code: 'URX', name: 'UpstreamRetryLimitExceeded', meaning: 'Retries were exhausted.', category: 'upstream' },
  { code: 'NC', name: 'NoClusterFound', meaning: 'The route points at a cluster (subset) that does not exist, often a missing DestinationRule.', category: 'routing' },
  { code: 'DT', name: 'DurationTimeout', meaning: 'The maximum stream duration was reached.', category: 'timeout' },
  { code: 'DC', name: 'DownstreamConnectionTermination', meaning: 'The client closed the connection first (e.g. productpage gave up waiting).', category: 'downstream' },
  { code: 'LH', name: 'FailedLocalHealthCheck', meaning: 'The local service failed its health check.', category: 'upstream' },
  { code: 'UT', name: 'UpstreamRequestTimeout', meaning: 'The VirtualService timeout expired (504 response_timeout).', category: 'timeout' },
  { code: 'LR', name: 'LocalReset', meaning: 'The connection was reset locally.', category: 'other' },
  { code: 'UR', name: 'UpstreamRemoteReset', meaning: 'The upstream reset the connection.', category: 'upstream' },
  { code: 'UC', name: 'UpstreamConnectionTermination', meaning: 'The upstream closed the connection.', category: 'upstream' },
  { code: 'DI', name: 'DelayInjected', meaning: 'A VirtualService fault delay was injected.', category: 'fault' },
  { code: 'FI', name: 'FaultInjected', meaning: 'A VirtualService fault abort was injected.', category: 'fault' },
  { code: 'RL', name: 'RateLimited', meaning: 'Rate limited (429).', category: 'policy' },
  { code: 'UAEX', name: 'UnauthorizedExternalService', meaning: 'Denied by external authorization (CUSTOM AuthorizationPolicy).', category: 'policy' },
  { code: 'RLSE', name: 'RateLimitServiceError', meaning: 'The rate-limit service failed.', category: 'policy' },
  { code: 'SI', name: 'StreamIdleTimeout', meaning: 'The stream idle timeout expired.', category: 'timeout' },
  { code: 'IH', name: 'InvalidEnvoyRequestHeaders', meaning: 'The request had invalid x-envoy-* headers.', category: 'downstream' },
  { code: 'DPE', name: 'DownstreamProtocolError', meaning: 'The client spoke the protocol wrongly.', category: 'downstream' },
  { code: 'UPE', name: 'UpstreamProtocolError', meaning: 'The upstream spoke the protocol wrongly.', category: 'upstream' },
  { code: 'UMSDR', name: 'UpstreamMaxStreamDurationReached', meaning: 'The upstream stream reached its maximum duration.', category: 'timeout' },
  { code: 'RFCF', name: 'ResponseFromCacheFilter', meaning: 'Served from the cache filter.', category: 'other' },
  { code: 'NFCF', name: 'NoFilterConfigFound', meaning: 'A filter had no configuration.', category: 'other' },
  { code: 'OM', name: 'OverloadManagerTerminated', meaning: 'Envoy was overloaded and dropped the request.', category: 'other' },
  { code: 'DF', name: 'DnsResolutionFailed', meaning: 'DNS resolution of the upstream failed.', category: 'upstream' },
];

export const RESPONSE_FLAGS: Readonly<Record<string, ResponseFlagInfo>> = Object.freeze(Object.fromEntries(table.map((f) => [f.code, f])));

export function describeFlag(code: string): ResponseFlagInfo {
  return RESPONSE_FLAGS[code] ?? { code, name: code, meaning: 'Unknown response flag.', category: 'other' };
}
