// Synthetic Bookinfo request chains in Istio's default TEXT format, with the address pairs a real
// mesh produces (client UPSTREAM_LOCAL_ADDRESS == server DOWNSTREAM_REMOTE_ADDRESS). Used by the
// correlation tests and the capture bench.
import type { AccessLogLine, AccessLogSource } from '../../main/core/backend/types.ts';

export interface Pod {
  pod: string;
  workload: string;
  app: string;
  version?: string;
  ip: string;
  kind: 'sidecar' | 'gateway';
  namespace: string;
}

export const PODS: Record<string, Pod> = {
  gateway: { pod: 'istio-ingressgateway-5d9c8b7f6-abcde', workload: 'istio-ingressgateway', app: 'istio-ingressgateway', ip: '10.244.0.5', kind: 'gateway', namespace: 'istio-system' },
  productpage: { pod: 'productpage-v1-7d6cfb7dfd-x2x9z', workload: 'productpage-v1', app: 'productpage', version: 'v1', ip: '10.244.0.10', kind: 'sidecar', namespace: 'default' },
  details: { pod: 'details-v1-6997d94bb9-q7m5k', workload: 'details-v1', app: 'details', version: 'v1', ip: '10.244.0.11', kind: 'sidecar', namespace: 'default' },
  'reviews-v1': { pod: 'reviews-v1-5fd6d4f8f8-h4kd8', workload: 'reviews-v1', app: 'reviews', version: 'v1', ip: '10.244.0.12', kind: 'sidecar', namespace: 'default' },
  'reviews-v2': { pod: 'reviews-v2-6f9b55c5db-2q8mw', workload: 'reviews-v2', app: 'reviews', version: 'v2', ip: '10.244.0.13', kind: 'sidecar', namespace: 'default' },
  'reviews-v3': { pod: 'reviews-v3-7d99fd7978-9lbdp', workload: 'reviews-v3', app: 'reviews', version: 'v3', ip: '10.244.0.14', kind: 'sidecar', namespace: 'default' },
  ratings: { pod: 'ratings-v1-85c74b6cb4-p5m7s', workload: 'ratings-v1', app: 'ratings', version: 'v1', ip: '10.244.0.15', kind: 'sidecar', namespace: 'default' },
};

const VIP: Record<string, string> = { productpage: '10.96.0.10', details: '10.96.0.11', reviews: '10.96.0.12', ratings: '10.96.0.13' };

let portSeq = 40000;
function ephemeral(): number {
  portSeq = portSeq >= 60999 ? 40000 : portSeq + 1;
  return portSeq;
}

export interface LineSpec {
  start: Date;
  method?: string;
  path: string;
  status: number;
  flags?: string;
  details?: string;
  duration: number;
  requestId: string;
  authority: string;
  upstreamHost: string;
  cluster: string;
  upstreamLocal: string;
  downstreamLocal: string;
  downstreamRemote: string;
  sni?: string;
  route?: string;
  userAgent?: string;
}

export function textLine(s: LineSpec): string {
  return `[${s.start.toISOString()}] "${s.method ?? 'GET'} ${s.path} HTTP/1.1" ${s.status} ${s.flags ?? '-'} ${s.details ?? 'via_upstream'} - "-" 0 ${s.status === 200 ? 1234 : 0} ${s.duration} ${Math.max(0, s.duration - 1)} "-" "${s.userAgent ?? 'Mozilla/5.0'}" "${s.requestId}" "${s.authority}" "${s.upstreamHost}" ${s.cluster} ${s.upstreamLocal} ${s.downstreamLocal} ${s.downstreamRemote} ${s.sni ?? '-'} ${s.route ?? 'default'}`;
}

// One source per pod, as a pod's log stream (and the sandbox) tags its lines.
const sources = new Map<Pod, AccessLogSource>();

function tag(p: Pod, line: string, receivedAt: number): AccessLogLine {
  let source = sources.get(p);
  if (!source) sources.set(p, (source = { namespace: p.namespace, pod: p.pod, workload: p.workload, app: p.app, ...(p.version ? { version: p.version } : {}), kind: p.kind, podIP: p.ip }));
  return {
    source,
    line,
    receivedAt,
  };
}

/** The outbound line of `client` and the inbound line of `server` for one call. */
export function hopLines(client: Pod, server: Pod, o: { service: string; path: string; requestId: string; start: Date; status?: number; flags?: string; duration?: number; subset?: string; receivedAt: number; port?: number }): AccessLogLine[] {
  const port = o.port ?? 9080;
  const clientPort = ephemeral();
  const status = o.status ?? 200;
  const duration = o.duration ?? 5;
  const host = `${o.service}.default.svc.cluster.local`;
  const out = textLine({
    start: o.start,
    path: o.path,
    status,
    flags: o.flags,
    duration,
    requestId: o.requestId,
    authority: `${o.service}:${port}`,
    upstreamHost: `${server.ip}:${port}`,
    cluster: `outbound|${port}|${o.subset ?? ''}|${host}`,
    upstreamLocal: `${client.ip}:${clientPort}`,
    downstreamLocal: client.kind === 'gateway' ? `${client.ip}:8080` : `${VIP[o.service] ?? '10.96.0.99'}:${port}`,
    downstreamRemote: client.kind === 'gateway' ? `172.17.0.1:${ephemeral()}` : `${client.ip}:${ephemeral()}`,
    route: client.kind === 'gateway' ? '-' : 'default',
  });
  const inn = textLine({
    start: new Date(o.start.getTime() + 1),
    path: o.path,
    status,
    flags: o.flags,
    duration: Math.max(0, duration - 1),
    requestId: o.requestId,
    authority: `${o.service}:${port}`,
    upstreamHost: `${server.ip}:${port}`,
    cluster: `inbound|${port}||`,
    upstreamLocal: `127.0.0.6:${ephemeral()}`,
    downstreamLocal: `${server.ip}:${port}`,
    downstreamRemote: `${client.ip}:${clientPort}`,
    sni: `outbound_.${port}_._.${host}`,
  });
  return [tag(client, out, o.receivedAt), tag(server, inn, o.receivedAt)];
}

/** A full productpage request through the gateway; reviews version decides whether ratings is called. */
export function bookinfoRequest(requestId: string, reviews: 'v1' | 'v2' | 'v3', opts: { start?: Date; receivedAt?: number; subset?: boolean; ratingsStatus?: number; ratingsFlags?: string } = {}): AccessLogLine[] {
  const start = opts.start ?? new Date('2026-11-25T07:00:00.000Z');
  const at = opts.receivedAt ?? start.getTime() + 50;
  const t = (ms: number) => new Date(start.getTime() + ms);
  const rv = PODS[`reviews-${reviews}`]!;
  const lines = [
    ...hopLines(PODS.gateway!, PODS.productpage!, { service: 'productpage', path: '/productpage', requestId, start: t(0), duration: 30, receivedAt: at }),
    ...hopLines(PODS.productpage!, PODS.details!, { service: 'details', path: '/details/0', requestId, start: t(2), duration: 3, receivedAt: at }),
    ...hopLines(PODS.productpage!, rv, { service: 'reviews', path: '/reviews/0', requestId, start: t(6), duration: 15, receivedAt: at, ...(opts.subset ? { subset: reviews } : {}) }),
  ];
  if (reviews !== 'v1') {
    lines.push(
      ...hopLines(rv, PODS.ratings!, { service: 'ratings', path: '/ratings/0', requestId, start: t(8), duration: 4, receivedAt: at, ...(opts.ratingsStatus ? { status: opts.ratingsStatus } : {}), ...(opts.ratingsFlags ? { flags: opts.ratingsFlags } : {}) }),
    );
  }
  return lines;
}
