// The sandbox part of the contract. Owned by the sandbox module; see main/core/api/contract.ts.
import { z } from 'zod';
import { Empty, method, type EventTable, type MethodTable } from './define.ts';

export const SandboxInfo = z.object({
  seed: z.number(),
  /** Real ms per virtual ms when results are played out (1 = real time). */
  timeScale: z.number(),
  meshConfig: z.object({
    outboundTrafficPolicy: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']),
    accessLogEncoding: z.enum(['TEXT', 'JSON']),
  }),
  /** Networking/security objects applied by the learner (VirtualService, DestinationRule, …). */
  istioObjects: z.array(z.object({ kind: z.string(), namespace: z.string(), name: z.string() })),
});
export type SandboxInfo = z.infer<typeof SandboxInfo>;

export const sandboxMethods = {
  'sandbox.info': method('Seed, time scale, mesh config and applied Istio objects of the sandbox', Empty, SandboxInfo),
  'sandbox.reset': method(
    'Start the sandbox afresh: platform deployed, no networking rules',
    z.object({ seed: z.number().int().min(0).optional() }).strict(),
    SandboxInfo,
  ),
  'sandbox.configure': method(
    'Change the sandbox mesh config (like istioctl install --set meshConfig…) or its playback speed',
    z
      .object({
        outboundTrafficPolicy: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).optional(),
        accessLogEncoding: z.enum(['TEXT', 'JSON']).optional(),
        timeScale: z.number().min(0).max(10).optional(),
      })
      .strict(),
    SandboxInfo,
  ),
} satisfies MethodTable;

export const sandboxEvents = {} satisfies EventTable;
