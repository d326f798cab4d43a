// The cluster part of the contract. Owned by the cluster module; see main/core/api/contract.ts.
import { z } from 'zod';
import { Empty, Ok, method, type EventTable, type MethodTable } from './define.ts';

/** Actions the UI can offer as a button next to a failed check. */
export const FixAction = z.enum(['cluster.start', 'cluster.useContext', 'istio.install', 'bookinfo.deploy', 'cluster.tunnel.start', 'backend.sandbox', 'doctor.run']);

export const Fix = z.object({
  /** What to do, in plain words. */
  text: z.string(),
  /** A command the learner can copy. */
  command: z.string().optional(),
  url: z.string().optional(),
  action: FixAction.optional(),
});

export const DoctorCheck = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['ok', 'warn', 'fail', 'skip']),
  /** A failed required check makes the report fail (and `meshwalk doctor` exit 1). */
  required: z.boolean(),
  detail: z.string(),
  fix: Fix.optional(),
  version: z.string().optional(),
  path: z.string().optional(),
});
export type DoctorCheck = z.infer<typeof DoctorCheck>;

export const DoctorReport = z.object({
  ok: z.boolean(),
  mode: z.enum(['minikube', 'context']),
  platform: z.string(),
  checks: z.array(DoctorCheck),
  ranAt: z.number(),
});
export type DoctorReport = z.infer<typeof DoctorReport>;

export const TunnelState = z.object({
  state: z.enum(['running', 'restarting', 'failed', 'stopped']),
  detail: z.string().optional(),
  pid: z.number().optional(),
});

export const ClusterStatus = z.object({
  mode: z.enum(['minikube', 'context']),
  /** minikube profile (mode minikube) or the picked context (mode context). */
  name: z.string(),
  state: z.enum(['missing', 'stopped', 'running', 'unreachable', 'unknown']),
  detail: z.string().optional(),
  kubernetesVersion: z.string().optional(),
  tunnel: TunnelState,
  kubeconfig: z.string(),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;

export const UserContext = z.object({
  name: z.string(),
  cluster: z.string(),
  user: z.string(),
  namespace: z.string().optional(),
  server: z.string().optional(),
  file: z.string(),
  current: z.boolean(),
});

export const ADDONS = ['prometheus', 'grafana', 'kiali', 'jaeger'] as const;

export const clusterMethods = {
  'doctor.run': method('Check this machine and the lab cluster; each failed check comes with a fix', Empty, DoctorReport),
  'cluster.status': method('State of the lab cluster (minikube profile or picked context) and the tunnel', Empty, ClusterStatus),
  'cluster.start': method(
    'Start Meshwalk\'s minikube profile (progress on cluster.progress)',
    z
      .object({
        driver: z.string().regex(/^[a-z0-9-]+$/).max(30).optional(),
        cpus: z.number().int().min(2).max(64).optional(),
        memoryMiB: z.number().int().min(1800).max(262144).optional(),
      })
      .strict(),
    ClusterStatus,
  ),
  'cluster.stop': method('Stop Meshwalk\'s minikube profile', Empty, Ok),
  'cluster.delete': method('Delete Meshwalk\'s minikube profile', Empty, Ok),
  'cluster.contexts': method('Your kubeconfig contexts (read only)', Empty, z.object({ contexts: z.array(UserContext), active: z.string().nullable() })),
  'cluster.useContext': method(
    'Use one of your contexts (copied into Meshwalk\'s kubeconfig), or null to go back to minikube',
    z.object({ context: z.string().min(1).max(253).nullable() }).strict(),
    ClusterStatus,
  ),
  'istio.install': method(
    'istioctl install --set profile=demo -y, then wait for the control plane and label the lab namespace',
    z.object({ addons: z.array(z.enum(ADDONS)).max(4).optional() }).strict(),
    z.object({ version: z.string().optional(), warning: z.string().optional() }),
  ),
  'istio.uninstall': method('istioctl uninstall -y --purge', Empty, Ok),
  'bookinfo.deploy': method(
    'Deploy Bookinfo, wait for every pod with its sidecar, expose it, probe /productpage',
    z.object({ namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63).optional() }).strict(),
    z.object({ ingressUrl: z.string().nullable(), via: z.enum(['loadbalancer', 'nodeport']).nullable(), probe: z.object({ status: z.number(), ok: z.boolean() }).nullable(), detail: z.string().optional() }),
  ),
  'cluster.tunnel.start': method('Run minikube tunnel (supervised; stopped when Meshwalk quits)', Empty, TunnelState),
  'cluster.tunnel.stop': method('Stop minikube tunnel', Empty, TunnelState),
} satisfies MethodTable;

export const ClusterProgress = z.object({
  task: z.enum(['start', 'stop', 'delete', 'istio', 'bookinfo', 'tunnel']),
  step: z.number(),
  total: z.number(),
  name: z.string(),
  message: z.string(),
  state: z.enum(['running', 'done', 'failed']),
});
export type ClusterProgress = z.infer<typeof ClusterProgress>;

export const clusterEvents = {
  'cluster.progress': ClusterProgress,
  'cluster.tunnel': TunnelState,
} satisfies EventTable;
