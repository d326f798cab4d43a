// API handlers for system-level methods: info, ping, backend selection, external links.
import os from 'node:os';
import type { systemMethods } from '../api/system.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function systemHandlers(ctx: CoreContext): Handlers<keyof typeof systemMethods & string> {
  return {
    'system.info': async (_p, call) => ({
      name: 'meshwalk',
      version: ctx.options.version,
      transport: call.transport,
      platform: `${os.platform()}-${os.arch()}`,
      dataDir: ctx.options.dataDir,
      backend: await ctx.backends.status(),
    }),
    'system.ping': ({ nonce }) => ({ nonce, at: Date.now() }),
    'backend.status': () => ctx.backends.status(),
    'backend.select': async ({ kind }) => (await ctx.backends.select(kind)).status(),
    'shell.openExternal': async ({ url }) => {
      if (!ctx.options.openExternal) return { opened: false };
      await ctx.options.openExternal(url);
      return { opened: true };
    },
  };
}
