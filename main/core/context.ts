// What every domain module gets from the core: options, the event bus, the active backend, and a
// place to register cleanup that must run on quit (child processes, ptys, watches).
import type { EventBus } from './events.ts';
import type { BackendHub } from './backend/hub.ts';

export interface CoreOptions {
  /** Folder the app owns: kubeconfig, lab progress, settings. */
  dataDir: string;
  version: string;
  transport: 'electron' | 'web' | 'cli' | 'test';
  /** Backend to start on; the doctor may switch to the sandbox when no cluster is usable. */
  backend: 'sandbox' | 'cluster';
  /** Environment for child processes (the login shell's, resolved once). Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Electron hands a function that opens links in the OS browser; web mode has none. */
  openExternal?: (url: string) => Promise<void>;
}

export interface CoreContext {
  readonly options: CoreOptions;
  readonly events: EventBus;
  readonly backends: BackendHub;
  /** Register cleanup that runs (in reverse order) when the core is disposed. */
  onDispose(fn: () => void | Promise<void>): void;
}
