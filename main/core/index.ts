// The core: one typed API over every domain. Transports (Electron IPC, web mode, CLI) wrap it.
import { mkdirSync } from 'node:fs';
import { Router, type Handlers } from './api/router.ts';
import { EventBus } from './events.ts';
import { BackendHub } from './backend/hub.ts';
import type { CoreContext, CoreOptions } from './context.ts';
import { systemHandlers } from './system/handlers.ts';
import { clusterHandlers } from './cluster/handlers.ts';
import { sandboxHandlers } from './sandbox/handlers.ts';
import { labsHandlers } from './labs/handlers.ts';
import { captureHandlers } from './capture/handlers.ts';
import { terminalHandlers } from './terminal/handlers.ts';
import { packetHandlers } from './packet/handlers.ts';
import { createClusterBackend } from './cluster/backend.ts';
import { createSandboxBackend } from './sandbox/backend.ts';
import { tuneHeapForCapture } from './capture/heap.ts';

export interface Core {
  readonly ctx: CoreContext;
  readonly router: Router;
  readonly events: EventBus;
  dispose(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  tuneHeapForCapture();
  const events = new EventBus();
  const cleanups: (() => void | Promise<void>)[] = [];
  const ctx: CoreContext = {
    options,
    events,
    backends: undefined as unknown as BackendHub,
    onDispose: (fn) => void cleanups.push(fn),
  };
  const backends = new BackendHub(
    { sandbox: () => createSandboxBackend(ctx), cluster: () => createClusterBackend(ctx) },
    events,
    options.backend,
  );
  (ctx as { backends: BackendHub }).backends = backends;

  const handlers: Partial<Handlers> = {
    ...systemHandlers(ctx),
    ...clusterHandlers(ctx),
    ...sandboxHandlers(ctx),
    ...labsHandlers(ctx),
    ...captureHandlers(ctx),
    ...terminalHandlers(ctx),
    ...packetHandlers(ctx),
  };
  const router = new Router(handlers);

  let disposed: Promise<void> | null = null;
  return {
    ctx,
    router,
    events,
    dispose() {
      disposed ??= (async () => {
        for (const fn of cleanups.reverse()) {
          try {
            await fn();
          } catch {
            // Keep going: every child process must still be stopped.
          }
        }
        await backends.dispose();
      })();
      return disposed;
    },
  };
}
