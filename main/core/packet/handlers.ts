// API handlers for the packet domain (contract: main/core/api/packet.ts). They fetch the pod's
// rules and Envoy config from the active backend (sandbox or cluster) and run the walk.
import type { packetMethods } from '../api/packet.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { ApiError } from '../api/errors.ts';
import type { MeshBackend, PodInfo } from '../backend/types.ts';
import { proxyConfigFrom, routeConfigByName } from './config-dump.ts';
import { listenerForDestination } from './envoy-walk.ts';
import { IptablesParseError, parseIptables } from './iptables-parse.ts';
import { parseHostPort, walk } from './walk.ts';
import { applySidecarEgress, compareScopes, counts, SidecarHostError } from './sidecar-scope.ts';

/** The ingress gateway Service's port 80 targets the gateway pod's 8080 (ISTIO-FACTS §3.3). */
const GATEWAY_POD_PORT = 8080;

export const DEFAULT_EGRESS_HOSTS = ['./*', 'istio-system/*'];

const isGateway = (p: PodInfo) => p.labels.istio === 'ingressgateway' || p.labels['gateway.networking.k8s.io/gateway-name'] !== undefined;

async function findPod(b: MeshBackend, ref: { namespace: string; name: string }): Promise<PodInfo> {
  const pods = await b.pods(ref.namespace);
  const pod = pods.find((p) => p.name === ref.name);
  if (!pod) throw new ApiError('invalid_params', `pod ${ref.namespace}/${ref.name} not found`, `pick one of: ${pods.map((p) => p.name).slice(0, 8).join(', ') || '(no pods in this namespace)'}`);
  return pod;
}

export function packetHandlers(ctx: CoreContext): Handlers<keyof typeof packetMethods & string> {
  return {
    async 'packet.pods'({ namespace }) {
      const b = await ctx.backends.current();
      const pods = await b.pods(namespace);
      return pods.map((p) => ({ namespace: p.namespace, name: p.name, ...(p.ip ? { ip: p.ip } : {}), ...(p.app ? { app: p.app } : {}), injected: p.injected, gateway: isGateway(p) }));
    },

    async 'packet.walk'(params) {
      const b = await ctx.backends.current();
      const pod = await findPod(b, params.pod);
      const to = parseHostPort(params.to);
      if (!to) throw new ApiError('invalid_params', `"${params.to}" is not <host-or-ip>:<port>`);
      const rulesText = await b.iptables(params.pod);
      let iptables;
      try {
        iptables = parseIptables(rulesText, `${params.pod.namespace}/${params.pod.name} iptables`);
      } catch (err) {
        if (err instanceof IptablesParseError) throw new ApiError('failed', err.message, 'the pod may not have a sidecar (no istio-init rules)');
        throw err;
      }
      const podConfig = proxyConfigFrom([{ doc: await b.proxyConfig(params.pod), origin: params.pod.name }]);
      const notes: string[] = [];
      let gateway: { namespace: string; name: string } | undefined;
      let gatewayConfig;
      if (params.direction.startsWith('inbound') && !isGateway(pod)) {
        const gw = (await b.pods()).find(isGateway);
        if (gw) {
          const cfg = proxyConfigFrom([{ doc: await b.proxyConfig({ namespace: gw.namespace, name: gw.name }), origin: gw.name }]);
          // Without a Gateway resource the ingress gateway listens on nothing: walk from a client
          // inside the mesh instead, and say why.
          if (listenerForDestination(cfg, undefined, GATEWAY_POD_PORT) || routeConfigByName(cfg, `http.${GATEWAY_POD_PORT}`)) {
            gateway = { namespace: gw.namespace, name: gw.name };
            gatewayConfig = cfg;
          } else {
            notes.push(`the ingress gateway ${gw.namespace}/${gw.name} has no listener on ${GATEWAY_POD_PORT} (no Gateway resource applied, e.g. samples/bookinfo/networking/bookinfo-gateway.yaml); the walk starts at a client inside the mesh`);
          }
        }
      }
      const result = walk({
        direction: params.direction,
        iptables,
        pod: podConfig,
        ...(gatewayConfig ? { gateway: gatewayConfig } : {}),
        ...(pod.ip ? { podIp: pod.ip } : {}),
        to,
        ...(params.fromIp ? { fromIp: params.fromIp } : {}),
        ...(params.uid !== undefined ? { uid: params.uid } : {}),
        ...(params.path ? { path: params.path } : {}),
        ...(params.headers ? { headers: params.headers } : {}),
        // Callers inside the mesh (sidecars, the gateway) speak Istio mTLS to the pod.
        mtls: true,
      });
      return {
        direction: result.direction,
        hops: result.hops,
        warnings: [...notes, ...iptables.warnings, ...result.warnings],
        pod: { namespace: pod.namespace, name: pod.name, ...(pod.ip ? { ip: pod.ip } : {}) },
        ...(gateway ? { gateway } : {}),
        iptables: rulesText,
      };
    },

    async 'packet.configCounts'({ pod }) {
      const b = await ctx.backends.current();
      await findPod(b, pod);
      return { ...counts(proxyConfigFrom([{ doc: await b.proxyConfig(pod), origin: pod.name }])), at: Date.now() };
    },

    async 'packet.sidecarScope'({ pod, egressHosts }) {
      const b = await ctx.backends.current();
      await findPod(b, pod);
      const hosts = egressHosts ?? DEFAULT_EGRESS_HOSTS;
      const before = proxyConfigFrom([{ doc: await b.proxyConfig(pod), origin: pod.name }]);
      let after;
      try {
        after = applySidecarEgress(before, hosts, pod.namespace);
      } catch (err) {
        if (err instanceof SidecarHostError) throw new ApiError('invalid_params', err.message);
        throw err;
      }
      return { egressHosts: hosts, ...compareScopes(before, after) };
    },
  };
}
