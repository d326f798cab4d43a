// API handlers for the cluster domain (contract: main/core/api/cluster.ts).
import type { clusterMethods } from '../api/cluster.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { clusterService } from './service.ts';

export function clusterHandlers(ctx: CoreContext): Handlers<keyof typeof clusterMethods & string> {
  const svc = () => clusterService(ctx);
  return {
    'doctor.run': () => svc().doctor(),
    'cluster.status': () => svc().status(),
    'cluster.start': (p, call) => svc().start(p, call.signal),
    'cluster.stop': async (_p, call) => {
      await svc().stop(call.signal);
      return { ok: true as const };
    },
    'cluster.delete': async (_p, call) => {
      await svc().delete(call.signal);
      return { ok: true as const };
    },
    'cluster.contexts': () => svc().contexts(),
    'cluster.useContext': ({ context }) => svc().useContext(context),
    'istio.install': ({ addons }, call) => svc().installIstio(addons ?? [], call.signal),
    'istio.uninstall': async (_p, call) => {
      await svc().istio.uninstall(call.signal);
      return { ok: true as const };
    },
    'bookinfo.deploy': ({ namespace }, call) => svc().deployBookinfo(namespace, call.signal),
    'cluster.tunnel.start': () => svc().startTunnel(),
    'cluster.tunnel.stop': () => svc().stopTunnel(),
  };
}
