import { z } from 'zod';
import { Empty, method } from './define.ts';

export const BackendKind = z.enum(['sandbox', 'cluster']);
export type BackendKind = z.infer<typeof BackendKind>;

export const BackendStatus = z.object({
  kind: BackendKind,
  /** Human label, e.g. "Sandbox — no cluster needed" or "minikube profile meshwalk". */
  label: z.string(),
  state: z.enum(['starting', 'ready', 'degraded', 'unavailable']),
  detail: z.string().optional(),
  context: z.string().optional(),
});
export type BackendStatus = z.infer<typeof BackendStatus>;

export const SystemInfo = z.object({
  name: z.literal('meshwalk'),
  version: z.string(),
  transport: z.enum(['electron', 'web', 'cli', 'test']),
  platform: z.string(),
  dataDir: z.string(),
  backend: BackendStatus,
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const systemMethods = {
  'system.info': method('Version, platform and the active backend', Empty, SystemInfo),
  'system.ping': method('Round trip check', z.object({ nonce: z.string().max(64) }).strict(), z.object({ nonce: z.string(), at: z.number() })),
  'backend.status': method('State of the active backend', Empty, BackendStatus),
  'backend.select': method(
    'Switch the active backend (sandbox, or the lab cluster)',
    z.object({ kind: BackendKind }).strict(),
    BackendStatus,
  ),
  'shell.openExternal': method(
    'Open an http(s) link in the OS browser (Electron) or report it (web mode)',
    z.object({ url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'only http(s) links') }).strict(),
    z.object({ opened: z.boolean() }),
  ),
};

/** Every command the app runs, as a learner would have typed it (the transcript). */
export const TranscriptCommand = z.object({
  id: z.string(),
  argv: z.array(z.string()),
  /** Why the app ran it, e.g. "Install Istio" or the lab step title. */
  purpose: z.string().optional(),
  startedAt: z.number(),
  /** Set for API calls shown as their kubectl equivalent (server-side apply through client-node). */
  equivalent: z.boolean().optional(),
});
export const TranscriptOutput = z.object({ id: z.string(), stream: z.enum(['stdout', 'stderr']), text: z.string() });
export const TranscriptExit = z.object({
  id: z.string(),
  exitCode: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().optional(),
});

export const systemEvents = {
  'backend.status': BackendStatus,
  'notice': z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string(), fix: z.string().optional() }),
  'transcript.command': TranscriptCommand,
  'transcript.output': TranscriptOutput,
  'transcript.exit': TranscriptExit,
};
