// The lab.yaml schema. The engine validates with it, and main/core/labs/gen-schema.ts publishes
// schema/lab.schema.json from it, so the two never drift (a test compares them).
import { z } from 'zod';

export const LANGS = ['en', 'ko'] as const;
export type Lang = (typeof LANGS)[number];

/** Tools a `run` step may start. Anything else is rejected by the schema (and again by the engine). */
export const RUN_TOOLS = ['kubectl', 'istioctl', 'minikube', 'curl'] as const;

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lower-case letters, digits and dashes (e.g. request-routing)');

/** Text in both languages; English is required, Korean is expected for built-in labs. */
export const LocalText = z
  .object({ en: z.string().min(1), ko: z.string().min(1).optional() })
  .strict()
  .describe('Text per language');

/** A path inside the lab folder, e.g. manifests/virtual-service-all-v1.yaml. */
export const RelPath = z
  .string()
  .min(1)
  .max(300)
  .regex(/^(?![/\\])(?!.*(?:^|[/\\])\.\.(?:[/\\]|$))[^\0:]+$/, 'must be a relative path inside the lab folder (no "..", no leading "/")');

const WorkloadMatch = z
  .object({
    app: z.string().optional(),
    version: z.string().optional(),
    workload: z.string().optional(),
    service: z.string().optional(),
  })
  .strict()
  .describe('Matches a hop target by app/version labels, workload name or Service name');

/** Which requests of the preceding traffic an assertion looks at, or must hold for. */
export const RequestMatch = z
  .object({
    user: z.string().optional().describe('the logged-in user the request was sent for'),
    anonymous: z.boolean().optional().describe('true: requests sent without a user'),
    status: z.number().int().min(0).max(599).optional().describe('status the client got'),
    reached: WorkloadMatch.optional().describe('some (non-mirror) hop of the request went to this workload'),
    mirroredTo: WorkloadMatch.optional().describe('a hop marked as a mirror copy went to this workload'),
    received: WorkloadMatch.optional().describe('this workload got the request or a copy of it (any hop, mirrors included)'),
    flag: z.string().regex(/^[A-Z]{1,4}$/).optional().describe('some hop carries this Envoy response flag (UO, DI, FI, NR, …)'),
    stars: z.enum(['none', 'black', 'red']).optional().describe('what the Bookinfo page shows'),
    reviews: z.enum(['ok', 'unavailable']).optional(),
    ratings: z.enum(['ok', 'unavailable']).optional(),
    bodyIncludes: z.string().optional(),
    slowerThanMs: z.number().min(0).optional(),
    fasterThanMs: z.number().min(0).optional(),
  })
  .strict();
export type RequestMatch = z.infer<typeof RequestMatch>;

export const Assertion = z
  .object({
    of: RequestMatch.optional().describe('population (default: every request of the preceding traffic step)'),
    that: RequestMatch,
    expect: z.enum(['all', 'none', 'some', 'share']),
    atLeast: z.number().min(0).max(1).optional().describe('share: lowest accepted fraction (0..1)'),
    atMost: z.number().min(0).max(1).optional().describe('share: highest accepted fraction (0..1)'),
    explain: LocalText.optional().describe('what this assertion shows, for the verification result'),
  })
  .strict();
export type Assertion = z.infer<typeof Assertion>;

const Ref = z
  .object({ apiVersion: z.string().min(1), kind: z.string().min(1), name: z.string().min(1), namespace: z.string().optional() })
  .strict();

export const WaitFor = z.discriminatedUnion('condition', [
  z.object({ condition: z.literal('podsReady'), namespace: z.string().min(1), selector: z.record(z.string(), z.string()).optional() }).strict(),
  z.object({ condition: z.literal('deploymentAvailable'), namespace: z.string().min(1), name: z.string().min(1) }).strict(),
  z.object({ condition: z.literal('exists'), ref: Ref }).strict(),
  z.object({ condition: z.literal('deleted'), ref: Ref }).strict(),
]);

const id = Slug.describe('step id; the Markdown section for the step is the heading ending in {#id}');

export const ReadStep = z.object({ id, kind: z.literal('read') }).strict();
export const ApplyStep = z.object({ id, kind: z.literal('apply'), files: z.array(RelPath).min(1) }).strict();
export const DeleteStep = z.object({ id, kind: z.literal('delete'), files: z.array(RelPath).min(1) }).strict();
export const RunStep = z
  .object({
    id,
    kind: z.literal('run'),
    argv: z.tuple([z.enum(RUN_TOOLS)], z.string()).describe('the command, as an argument list; never a shell string'),
    expect: z.object({ exitCode: z.number().int().optional(), stdoutIncludes: z.string().optional() }).strict().optional(),
  })
  .strict();
export const WaitStep = z
  .object({ id, kind: z.literal('wait'), for: WaitFor, timeoutSeconds: z.number().positive().max(3600).optional() })
  .strict();
export const TrafficStep = z
  .object({
    id,
    kind: z.literal('traffic'),
    from: z.string().min(1).optional().describe("client workload: 'ingressgateway' (default), 'curl', 'fortio', …"),
    url: z.string().min(1).describe('a path for ingress traffic (/productpage) or a URL inside the mesh'),
    method: z.string().regex(/^[A-Z]+$/).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    user: z.string().min(1).optional().describe('log in as this user first (productpage then sends end-user)'),
    count: z.number().int().min(1).max(10_000).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    qps: z.number().min(0).optional(),
  })
  .strict();
export const CheckStep = z.object({ id, kind: z.literal('check'), assert: z.array(Assertion).min(1) }).strict();
export const QuizStep = z
  .object({
    id,
    kind: z.literal('quiz'),
    question: LocalText,
    choices: z.array(z.object({ text: LocalText, correct: z.boolean().optional() }).strict()).min(2).max(8),
    explanation: LocalText,
  })
  .strict();

export const STEP_KINDS = ['read', 'apply', 'delete', 'run', 'wait', 'traffic', 'check', 'quiz'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const Step = z.discriminatedUnion('kind', [ReadStep, ApplyStep, DeleteStep, RunStep, WaitStep, TrafficStep, CheckStep, QuizStep]);
export type Step = z.infer<typeof Step>;

export const LabSpec = z
  .object({
    $schema: z.string().optional(),
    id: Slug,
    title: LocalText,
    summary: LocalText,
    level: z.enum(['beginner', 'intermediate', 'advanced']),
    estimatedMinutes: z.number().int().min(1).max(600),
    prerequisites: z.array(Slug).optional(),
    /** Topic group in the curriculum: setup, traffic, packet, security, observability, … */
    track: Slug.optional(),
    steps: z.array(Step).min(1),
  })
  .strict()
  .describe('A Meshwalk lab (lab.yaml)');
export type LabSpec = z.infer<typeof LabSpec>;

/** JSON Schema for lab.yaml, as published in schema/lab.schema.json. */
export function labJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(LabSpec, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
