// The labs part of the contract. Owned by the labs module; see main/core/api/contract.ts.
import { z } from 'zod';
import { method, type EventTable, type MethodTable } from './define.ts';

const Id = z.string().min(1).max(120);
const Local = z.object({ en: z.string(), ko: z.string().optional() });
const Kind = z.enum(['read', 'apply', 'delete', 'run', 'wait', 'traffic', 'check', 'quiz']);
const Outcome = z.enum(['pass', 'fail', 'skipped']);

export const LabProblem = z.object({ file: z.string(), line: z.number(), message: z.string() });

export const LabStepResult = z.object({
  step: z.string(),
  kind: Kind,
  outcome: Outcome,
  message: z.string(),
  assertions: z.array(z.object({ ok: z.boolean(), message: z.string(), matched: z.number(), total: z.number() })).optional(),
  at: z.number(),
});
export type LabStepResult = z.infer<typeof LabStepResult>;

const ProgressSummary = z.object({
  done: z.number(),
  total: z.number(),
  failed: z.number(),
  finished: z.boolean(),
  inFlight: z.string().nullable(),
  results: z.record(z.string(), LabStepResult),
});

export const LabSummary = z.object({
  packId: z.string(),
  id: z.string(),
  title: Local,
  summary: Local,
  level: z.string(),
  track: z.string().optional(),
  estimatedMinutes: z.number(),
  prerequisites: z.array(z.string()),
  languages: z.array(z.string()),
  steps: z.number(),
  progress: ProgressSummary.nullable(),
});
export type LabSummary = z.infer<typeof LabSummary>;

const PackSummary = z.object({ id: z.string(), builtIn: z.boolean(), source: z.string(), labs: z.number(), problems: z.array(LabProblem) });

export const LabStepView = z.object({
  id: z.string(),
  kind: Kind,
  title: z.record(z.string(), z.string()),
  body: z.record(z.string(), z.string()),
  files: z.array(z.object({ path: z.string(), text: z.string() })).optional(),
  argv: z.array(z.string()).optional(),
  traffic: z.object({ from: z.string(), url: z.string(), count: z.number(), user: z.string().optional(), headers: z.record(z.string(), z.string()) }).optional(),
  assertions: z.array(z.object({ explain: Local.optional() })).optional(),
  question: Local.optional(),
  choices: z.array(Local).optional(),
  explanation: Local.optional(),
});
export type LabStepView = z.infer<typeof LabStepView>;

export const LabDetail = LabSummary.extend({
  builtIn: z.boolean(),
  intro: z.record(z.string(), z.string()),
  stepViews: z.array(LabStepView),
});
export type LabDetail = z.infer<typeof LabDetail>;

const Ref = z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string().optional() });
export const LabPreview = z.object({
  step: z.string(),
  kind: Kind,
  diff: z.array(z.object({ ref: Ref, patch: z.string(), live: z.boolean(), source: z.string().optional() })).optional(),
  argv: z.array(z.string()).optional(),
  consentRequired: z.boolean().optional(),
  consentToken: z.string().optional(),
});

const LabKey = { packId: Id, labId: Id };

export const labsMethods = {
  'labs.list': method('Labs of the built-in pack and of opened packs, with progress', z.object({}).strict(), z.object({ packs: z.array(PackSummary), labs: z.array(LabSummary) })),
  'labs.openPack': method('Open a lab pack from a folder or a .zip (validated; problems listed as file:line)', z.object({ path: z.string().min(1).max(4096) }).strict(), PackSummary),
  'labs.get': method('One lab: text in every language, steps, manifests and progress', z.object(LabKey).strict(), LabDetail),
  'labs.preview': method('What a step will do: the diff against the live state, or the command it runs', z.object({ ...LabKey, stepId: Id }).strict(), LabPreview),
  'labs.runStep': method(
    'Run one step (apply, verify, …) and record its outcome',
    z.object({ ...LabKey, stepId: Id, consent: z.string().max(100).optional(), answer: z.number().int().min(0).max(20).optional() }).strict(),
    LabStepResult,
  ),
  'labs.resume': method('Finish a step interrupted by a crash, checking the mesh', z.object(LabKey).strict(), z.object({ result: LabStepResult.nullable() })),
  'labs.reset': method('Reset lab: restore every object the lab changed and forget its progress', z.object(LabKey).strict(), z.object({ restored: z.array(z.string()), errors: z.array(z.string()) })),
} satisfies MethodTable;

export const labsEvents = {
  'labs.step': z.object({ packId: z.string(), labId: z.string(), result: LabStepResult }),
} satisfies EventTable;
