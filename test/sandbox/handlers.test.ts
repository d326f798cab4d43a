// The sandbox.* API methods against a core context whose active backend is the sandbox.
import { describe, expect, it } from 'vitest';
import { BackendHub } from '../../main/core/backend/hub.ts';
import type { CoreContext } from '../../main/core/context.ts';
import { EventBus } from '../../main/core/events.ts';
import { SandboxBackend } from '../../main/core/sandbox/backend.ts';
import { sandboxHandlers } from '../../main/core/sandbox/handlers.ts';
import { docsOf } from './helpers.ts';

function context(kind: 'sandbox' | 'cluster' = 'sandbox'): CoreContext {
  const events = new EventBus();
  const backends = new BackendHub(
    {
      sandbox: () => new SandboxBackend({ seed: 5, timeScale: 0 }),
      cluster: () => {
        throw new Error('no cluster in this test');
      },
    },
    events,
    kind,
  );
  return { options: { dataDir: '/tmp', version: 'test', transport: 'test', backend: kind }, events, backends, onDispose: () => {} };
}

const call = { transport: 'test' as const, signal: new AbortController().signal };

describe('sandbox.* handlers', () => {
  it('info, configure and reset', async () => {
    const ctx = context();
    const h = sandboxHandlers(ctx);
    expect(await h['sandbox.info']({}, call)).toMatchObject({ seed: 5, meshConfig: { outboundTrafficPolicy: 'ALLOW_ANY', accessLogEncoding: 'TEXT' }, istioObjects: [] });
    const b = (await ctx.backends.current()) as SandboxBackend;
    await b.apply(docsOf('destination-rule-all.yaml'));
    expect((await h['sandbox.info']({}, call)).istioObjects).toHaveLength(4);
    const c = await h['sandbox.configure']({ outboundTrafficPolicy: 'REGISTRY_ONLY', timeScale: 0.5 }, call);
    expect(c).toMatchObject({ timeScale: 0.5, meshConfig: { outboundTrafficPolicy: 'REGISTRY_ONLY' } });
    const r = await h['sandbox.reset']({ seed: 9 }, call);
    expect(r).toMatchObject({ seed: 9, istioObjects: [], meshConfig: { outboundTrafficPolicy: 'REGISTRY_ONLY' } });
  });
});
