// The capture part of the contract: live request trees and per-edge numbers from the proxies'
// access logs. Owned by the capture module; see main/core/api/contract.ts.
import { z } from 'zod';
import { MAX_LINE_BYTES } from '../capture/line-store.ts';
import type { AccessLogEntry } from '../capture/types.ts';
import { Empty, Ok, method, type EventTable, type MethodTable } from './define.ts';

const s = z.string().nullable();
const n = z.number().nullable();

export const WorkloadRefSchema = z.object({
  workload: z.string(),
  app: s,
  version: s,
  namespace: s,
  service: s.optional(),
});

export const HopSchema = z.object({
  from: WorkloadRefSchema,
  to: WorkloadRefSchema,
  startTime: s,
  status: z.number(),
  flags: z.array(z.string()),
  durationMs: n,
  cluster: s,
  path: s,
  method: s,
  connection: s,
  outboundLine: z.string().optional(),
  inboundLine: z.string().optional(),
  mirror: z.boolean().optional(),
});

/** AccessLogEntry: one access-log line, every field named. */
export const AccessLogEntrySchema = z.object({
  startTime: s,
  method: s,
  path: s,
  protocol: s,
  responseCode: z.number(),
  responseFlags: z.array(z.string()),
  responseCodeDetails: s,
  connectionTerminationDetails: s,
  upstreamTransportFailureReason: s,
  bytesReceived: n,
  bytesSent: n,
  durationMs: n,
  upstreamServiceTimeMs: n,
  xForwardedFor: s,
  userAgent: s,
  requestId: s,
  authority: s,
  upstreamHost: s,
  upstreamCluster: z
    .object({ raw: z.string(), direction: z.enum(['inbound', 'outbound', 'other']), port: n, subset: s, host: s })
    .nullable(),
  upstreamLocalAddress: s,
  downstreamLocalAddress: s,
  downstreamRemoteAddress: s,
  requestedServerName: s,
  routeName: s,
}) satisfies z.ZodType<AccessLogEntry>;

export const RequestTreeSchema = z.object({
  requestId: z.string(),
  startTime: s,
  user: s,
  hops: z.array(HopSchema),
  status: z.number(),
  receivedAt: z.number().optional(),
  complete: z.boolean().optional(),
});

const SeriesStatsShape = {
  count: z.number(),
  rps: z.number(),
  errorRate: z.number(),
  p50: n,
  p95: n,
  p99: n,
  flags: z.record(z.string(), z.number()),
  lastAt: z.number(),
};

export const EdgeStatsSchema = z.object({ id: z.string(), from: z.string(), to: z.string(), clusters: z.array(z.string()), ...SeriesStatsShape });
export const NodeStatsSchema = z.object({
  id: z.string(),
  workload: z.string(),
  app: s,
  version: s,
  namespace: s,
  kind: z.enum(['gateway', 'service', 'external', 'client']),
  ...SeriesStatsShape,
});

export const CaptureStatsSchema = z.object({
  at: z.number(),
  windowSec: z.number(),
  edges: z.array(EdgeStatsSchema),
  nodes: z.array(NodeStatsSchema),
});
export type CaptureStats = z.infer<typeof CaptureStatsSchema>;

export const CaptureDiagnosticsSchema = z.object({
  backend: z.enum(['sandbox', 'cluster']).nullable(),
  received: z.number(),
  parsed: z.number(),
  unparsed: z.number(),
  /** Requests still waiting for more lines. */
  pending: z.number(),
  /** The most recent lines that did not parse. */
  errors: z.array(z.object({ at: z.number(), pod: z.string(), error: z.string(), line: z.string() })),
  /** Request end (start time + duration) → received by Meshwalk, in ms. */
  ingestLatencyMs: z.object({ p50: n, p95: n, max: n, samples: z.number() }),
  /** On a real cluster Envoy flushes access logs every second: the view may be up to ~1 s behind. */
  behindNote: z.boolean(),
});
export type CaptureDiagnostics = z.infer<typeof CaptureDiagnosticsSchema>;

export const CaptureSnapshotSchema = z.object({
  paused: z.boolean(),
  trees: z.array(RequestTreeSchema),
  stats: CaptureStatsSchema,
  diagnostics: CaptureDiagnosticsSchema,
});

export const captureMethods = {
  'capture.snapshot': method('Recent requests, edge numbers and diagnostics of the live capture', Empty, CaptureSnapshotSchema),
  'capture.pause': method(
    'Pause or resume the live view (capture goes on: lines are still recorded for replay and other followers)',
    z.object({ paused: z.boolean() }).strict(),
    z.object({ paused: z.boolean() }),
  ),
  'capture.replay': method(
    'The requests captured in the last minutes, oldest first',
    z.object({ minutes: z.number().min(0.1).max(30), limit: z.number().int().min(1).max(5000).optional() }).strict(),
    z.object({ trees: z.array(RequestTreeSchema) }),
  ),
  'capture.diagnostics': method('Lines received, lines that did not parse, and request→view latency', Empty, CaptureDiagnosticsSchema),
  'capture.parseLines': method(
    "The fields of access-log lines (a request's hops, as its tree carries them); null for a line that does not parse",
    z.object({ lines: z.array(z.string().max(MAX_LINE_BYTES)).max(512) }).strict(),
    z.object({ entries: z.array(AccessLogEntrySchema.nullable()) }),
  ),
  'capture.clear': method('Forget captured requests and numbers', Empty, Ok),
  'capture.sendTraffic': method(
    'Send requests to Bookinfo through the ingress gateway of the active backend',
    z
      .object({
        count: z.number().int().min(1).max(500),
        user: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ - only').optional(),
        path: z.string().regex(/^\/[^\s]*$/, 'a path starting with /').max(200).optional(),
        qps: z.number().min(0).max(1000).optional(),
      })
      .strict(),
    z.object({ sent: z.number(), statuses: z.record(z.string(), z.number()), requestIds: z.array(z.string()) }),
  ),
  'capture.flowTail': method(
    'Recent requests as flow-tail text lines (one line per hop), filtered',
    z
      .object({
        service: z.string().max(100).optional(),
        statusClass: z.number().int().min(0).max(5).optional(),
        user: z.string().max(64).optional(),
        color: z.boolean().optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    z.object({ lines: z.array(z.string()) }),
  ),
} satisfies MethodTable;

export const captureEvents = {
  /** New or updated request trees (upsert by requestId), batched every ~75 ms. */
  'capture.requests': z.object({ emittedAt: z.number(), trees: z.array(RequestTreeSchema) }),
  /** Edge and node numbers over the sliding window, every ~500 ms while traffic flows. */
  'capture.stats': CaptureStatsSchema,
  'capture.diagnostics': CaptureDiagnosticsSchema,
  'capture.state': z.object({ paused: z.boolean(), backend: z.enum(['sandbox', 'cluster']).nullable() }),
} satisfies EventTable;
