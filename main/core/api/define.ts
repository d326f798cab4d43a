// Building blocks for the typed contract: every method has a params and a result schema,
// every event topic a data schema. Types and runtime validation come from the same zod schemas.
import { z } from 'zod';

export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
  /** Shown in the transcript and the CLI help; one line. */
  summary: string;
}

export type MethodTable = Record<string, MethodSpec>;
export type EventTable = Record<string, z.ZodType>;

export function method<P extends z.ZodType, R extends z.ZodType>(summary: string, params: P, result: R): MethodSpec<P, R> {
  return { summary, params, result };
}

export const Empty = z.object({}).strict();
export const Ok = z.object({ ok: z.literal(true) });
