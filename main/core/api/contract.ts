// The one contract between the renderer (over Electron IPC or WebSocket), the CLI and the core.
// Each domain owns its own file; this file only merges them and defines the wire envelopes.
import { z } from 'zod';
import { systemEvents, systemMethods } from './system.ts';
import { clusterEvents, clusterMethods } from './cluster.ts';
import { sandboxEvents, sandboxMethods } from './sandbox.ts';
import { labsEvents, labsMethods } from './labs.ts';
import { captureEvents, captureMethods } from './capture.ts';
import { terminalEvents, terminalMethods } from './terminal.ts';
import { packetEvents, packetMethods } from './packet.ts';

export const methods = {
  ...systemMethods,
  ...clusterMethods,
  ...sandboxMethods,
  ...labsMethods,
  ...captureMethods,
  ...terminalMethods,
  ...packetMethods,
};

export const events = {
  ...systemEvents,
  ...clusterEvents,
  ...sandboxEvents,
  ...labsEvents,
  ...captureEvents,
  ...terminalEvents,
  ...packetEvents,
};

export type Methods = typeof methods;
export type MethodName = keyof Methods & string;
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;
export type Events = typeof events;
export type Topic = keyof Events & string;
export type EventData<T extends Topic> = z.output<Events[T]>;

export const ERROR_CODES = ['bad_request', 'unknown_method', 'invalid_params', 'failed', 'unavailable', 'cancelled', 'forbidden'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Plain data only: Error objects do not survive structured clone over IPC. */
export const ApiErrorShape = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** What the user can do about it, when we know. */
  fix: z.string().optional(),
  details: z.unknown().optional(),
});
export type ApiErrorShape = z.infer<typeof ApiErrorShape>;

export const RequestEnvelope = z
  .object({
    type: z.literal('request'),
    id: z.number().int().nonnegative(),
    method: z.string().min(1).max(100),
    params: z.unknown().optional(),
  })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export type ResponseEnvelope =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: ApiErrorShape };

export interface EventEnvelope {
  type: 'event';
  topic: string;
  data: unknown;
}

export type ServerMessage = ResponseEnvelope | EventEnvelope;

/** The surface every transport hands to the renderer; the renderer never knows which one it has. */
export interface ApiClient {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<T extends Topic>(topic: T, listener: (data: EventData<T>) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}
export type ConnectionState = 'connecting' | 'open' | 'closed';
