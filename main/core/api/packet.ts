// The packet part of the contract. Owned by the packet module; see main/core/api/contract.ts.
import { z } from 'zod';
import { method, type EventTable, type MethodTable } from './define.ts';

const PodRef = z.object({ namespace: z.string().min(1).max(253), name: z.string().min(1).max(253) }).strict();

export const HopSchema = z.object({
  kind: z.enum(['iptables', 'redirect', 'bypass', 'listener', 'route', 'cluster', 'endpoint', 'app', 'network']),
  at: z.enum(['client', 'gateway', 'network', 'iptables', 'envoy', 'app', 'remote']),
  explain: z.string(),
  table: z.string().optional(),
  chain: z.string().optional(),
  rule: z.string().optional(),
  index: z.number().int().optional(),
  port: z.number().int().optional(),
  name: z.string().optional(),
  address: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
  raw: z.string().optional(),
  warning: z.string().optional(),
});

export const PacketDirection = z.enum(['inbound', 'inbound-response', 'outbound', 'outbound-response']);

export const PacketWalkResult = z.object({
  direction: PacketDirection,
  hops: z.array(HopSchema),
  warnings: z.array(z.string()),
  pod: z.object({ namespace: z.string(), name: z.string(), ip: z.string().optional() }),
  /** The ingress gateway pod whose config the inbound walk used, if any. */
  gateway: z.object({ namespace: z.string(), name: z.string() }).optional(),
  /** The nat rules the walk evaluated, as the backend returned them. */
  iptables: z.string(),
});

const Counts = z.object({ listeners: z.number(), clusters: z.number(), routes: z.number(), virtualHosts: z.number(), endpoints: z.number(), bytes: z.number() });

export const packetMethods = {
  'packet.pods': method(
    'Pods that can be walked (sidecar-injected pods of the active backend)',
    z.object({ namespace: z.string().max(253).optional() }).strict(),
    z.array(z.object({ namespace: z.string(), name: z.string(), ip: z.string().optional(), app: z.string().optional(), injected: z.boolean(), gateway: z.boolean() })),
  ),
  'packet.walk': method(
    "Walk one connection through a pod's iptables and Envoy config in one of the four directions",
    z
      .object({
        pod: PodRef,
        direction: PacketDirection,
        /** `<host-or-ip>:<port>`: the pod port for inbound, where the app connects for outbound. */
        to: z.string().min(3).max(300).regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, 'expected <host-or-ip>:<port>'),
        fromIp: z.string().max(64).optional(),
        uid: z.number().int().min(0).max(4294967295).optional(),
        path: z.string().max(2000).startsWith('/').optional(),
        headers: z.record(z.string().max(200), z.string().max(2000)).optional(),
      })
      .strict(),
    PacketWalkResult,
  ),
  'packet.sidecarScope': method(
    "Listener/cluster/route counts of a pod's proxy before and after a Sidecar limits its egress hosts",
    z
      .object({
        pod: PodRef,
        // Sidecar egress hosts: "./*", "istio-system/*", "*/httpbin.org", "~/*". Default: ./* and istio-system/*.
        egressHosts: z.array(z.string().min(3).max(300)).min(1).max(50).optional(),
      })
      .strict(),
    z.object({
      egressHosts: z.array(z.string()),
      before: Counts,
      after: Counts,
      removedClusters: z.array(z.string()),
      removedListeners: z.array(z.string()),
      estimatedMemorySavedBytes: z.number(),
      explain: z.string(),
    }),
  ),
  'packet.configCounts': method(
    "Listener/cluster/route counts and config size of a pod's proxy right now (measure before and after applying a Sidecar)",
    z.object({ pod: PodRef }).strict(),
    Counts.extend({ at: z.number() }),
  ),
} satisfies MethodTable;

export const packetEvents = {} satisfies EventTable;
