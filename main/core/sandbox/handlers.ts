// API handlers for the sandbox domain (contract: main/core/api/sandbox.ts).
import type { SandboxInfo, sandboxMethods } from '../api/sandbox.ts';
import { ApiError } from '../api/errors.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { SandboxBackend } from './backend.ts';

const ISTIO_KINDS = ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'PeerAuthentication', 'AuthorizationPolicy'];

async function sandbox(ctx: CoreContext): Promise<SandboxBackend> {
  const b = await ctx.backends.current();
  if (!(b instanceof SandboxBackend)) throw new ApiError('unavailable', 'the sandbox is not the active backend', 'Select "Sandbox — no cluster needed" as the backend first.');
  return b;
}

function info(b: SandboxBackend): SandboxInfo {
  return {
    seed: b.seed,
    timeScale: b.timeScale,
    meshConfig: { ...b.mesh.settings },
    istioObjects: ISTIO_KINDS.flatMap((kind) => b.mesh.store.list(kind).map((o) => ({ kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }))),
  };
}

export function sandboxHandlers(ctx: CoreContext): Handlers<keyof typeof sandboxMethods & string> {
  return {
    'sandbox.info': async () => info(await sandbox(ctx)),
    'sandbox.reset': async (p) => {
      const b = await sandbox(ctx);
      b.reset(p.seed);
      return info(b);
    },
    'sandbox.configure': async (p) => {
      const b = await sandbox(ctx);
      if (p.outboundTrafficPolicy) b.mesh.setSetting('outboundTrafficPolicy.mode', p.outboundTrafficPolicy);
      if (p.accessLogEncoding) b.mesh.setSetting('accessLogEncoding', p.accessLogEncoding);
      if (p.timeScale !== undefined) b.timeScale = p.timeScale;
      return info(b);
    },
  };
}
