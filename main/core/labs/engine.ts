// Runs lab steps on the active MeshBackend. Before a step touches the backend its progress is
// saved with the step marked in flight, and before an object is first changed its live state (or
// 'absent') goes into the undo record — so a crash mid-step can be resumed by looking at the
// backend, and Reset lab can put back exactly what was there before the lab.
import { createHash } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { DiffEntry, KubeObject, ManifestDoc, MeshBackend, ObjectRef, TrafficRequest, TrafficResponse, WaitCondition } from '../backend/types.ts';
import type { RequestTree } from '../capture/types.ts';
import { collectRequests as defaultCollect } from '../capture/collect.ts';
import { evaluateAssertion, joinCaptured, type CapturedRequest } from './checks.ts';
import { stepDocs, type LabPack, type LoadedLab } from './pack.ts';
import { ProgressStore, type LabProgress, type StepResult, type UndoEntry } from './progress.ts';
import { RUN_TOOLS, type Step } from './schema.ts';

export type Collect = (backend: MeshBackend, during: () => Promise<void>) => Promise<RequestTree[]>;

export interface EngineOptions {
  backend: () => Promise<MeshBackend>;
  store: ProgressStore;
  collect?: Collect;
  /** Called after each recorded step result (the API turns it into an event). */
  onResult?: (packId: string, labId: string, result: StepResult) => void;
  /** Test hook: wait this long after an apply reached the backend, before recording it. */
  pauseAfterApplyMs?: number;
}

export interface RunOptions {
  /** For run steps of packs that are not built in: the token from preview, sent after the user saw the command. */
  consent?: string;
  /** For quiz steps: the index of the chosen answer. */
  answer?: number;
  signal?: AbortSignal;
}

export interface StepPreview {
  step: string;
  kind: Step['kind'];
  /** apply/delete: the diff of each object against the live state. */
  diff?: { ref: ObjectRef; patch: string; live: boolean; source?: string }[];
  /** run: the command exactly as it will run. */
  argv?: string[];
  /** run: whether the user must confirm (packs that are not built in). */
  consentRequired?: boolean;
  consentToken?: string;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'StorageClass', 'PersistentVolume', 'Node']);

export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (!CLUSTER_SCOPED.has(obj.kind)) ref.namespace = obj.metadata.namespace ?? 'default';
  return ref;
}

export function refKey(r: ObjectRef): string {
  return `${r.apiVersion.split('/')[0]}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

export function refText(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** A live object as something to apply again: without the fields the API server owns. */
export function restorable(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj as KubeObject & { status?: unknown };
  const meta = { ...obj.metadata };
  for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete meta[k];
  if (meta.annotations) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _last, ...ann } = meta.annotations;
    meta.annotations = Object.keys(ann).length ? ann : undefined;
    if (!meta.annotations) delete meta.annotations;
  }
  return { ...rest, metadata: meta } as KubeObject;
}

const UNDO_SOURCE = { file: '(reset lab)', index: 0, line: 0 };

function keyOf(pack: LabPack, lab: LoadedLab): string {
  return `${pack.id}/${lab.spec.id}`;
}

export function consentToken(pack: LabPack, lab: LoadedLab, step: { id: string; argv: readonly string[] }): string {
  return createHash('sha256').update([pack.id, lab.spec.id, step.id, ...step.argv].join('\0')).digest('hex').slice(0, 24);
}

function statusTally(responses: TrafficResponse[]): string {
  const counts = new Map<number, number>();
  for (const r of responses) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'no response' : s} ×${n}`).join(', ');
}

export class LabEngine {
  private readonly collect: Collect;
  /** Requests captured by traffic steps since the last check, per lab (in memory only). */
  private readonly captured = new Map<string, { requests: CapturedRequest[]; consumed: boolean }>();
  /** One step at a time per lab: progress is read-modify-write. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: EngineOptions) {
    this.collect = opts.collect ?? defaultCollect;
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }

  async progress(pack: LabPack, lab: LoadedLab): Promise<LabProgress | null> {
    const b = await this.opts.backend();
    return this.opts.store.load(pack.id, lab.spec.id, b.kind);
  }

  private async loadOrNew(pack: LabPack, lab: LoadedLab, backend: MeshBackend): Promise<LabProgress> {
    const existing = await this.opts.store.load(pack.id, lab.spec.id, backend.kind);
    if (existing) return existing;
    const now = Date.now();
    return { version: 1, packId: pack.id, labId: lab.spec.id, backend: backend.kind, startedAt: now, updatedAt: now, next: 0, inFlight: null, results: {}, undo: [], finished: false };
  }

  private findStep(lab: LoadedLab, stepId: string): { step: Step; index: number } {
    const index = lab.spec.steps.findIndex((s) => s.id === stepId);
    if (index < 0) throw new ApiError('bad_request', `lab "${lab.spec.id}" has no step "${stepId}"`);
    return { step: lab.spec.steps[index], index };
  }

  /** What a step will do, shown before it runs: the diff of its manifests or the command. */
  async preview(pack: LabPack, lab: LoadedLab, stepId: string): Promise<StepPreview> {
    const { step } = this.findStep(lab, stepId);
    const out: StepPreview = { step: step.id, kind: step.kind };
    if (step.kind === 'apply' || step.kind === 'delete') {
      const backend = await this.opts.backend();
      const docs = stepDocs(lab, step.files);
      if (step.kind === 'apply') {
        const diff = await backend.diff(docs);
        out.diff = diff.map((d: DiffEntry) => ({ ref: d.ref, patch: d.patch, live: d.live !== null, source: d.source ? `${d.source.file}:${d.source.line}` : undefined }));
      } else {
        out.diff = await Promise.all(
          docs.map(async (d) => {
            const ref = refOf(d.object);
            const live = await backend.get(ref);
            return { ref, patch: live ? `delete ${refText(ref)}` : '', live: live !== null, source: `${d.source.file}:${d.source.line}` };
          }),
        );
      }
    }
    if (step.kind === 'run') {
      out.argv = [...step.argv];
      out.consentRequired = !pack.builtIn;
      if (!pack.builtIn) out.consentToken = consentToken(pack, lab, step);
    }
    return out;
  }

  /** Runs one step and records its result. */
  async runStep(pack: LabPack, lab: LoadedLab, stepId: string, opts: RunOptions = {}): Promise<StepResult> {
    return this.locked(keyOf(pack, lab), async () => {
      const backend = await this.opts.backend();
      const progress = await this.loadOrNew(pack, lab, backend);
      return this.runLocked(pack, lab, backend, progress, stepId, opts);
    });
  }

  private async runLocked(pack: LabPack, lab: LoadedLab, backend: MeshBackend, progress: LabProgress, stepId: string, opts: RunOptions): Promise<StepResult> {
    const { step, index } = this.findStep(lab, stepId);
    if (step.kind === 'run') this.checkConsent(pack, lab, step, opts.consent);
    progress.inFlight = { step: step.id, index, startedAt: Date.now() };
    await this.opts.store.save(progress);
    let result: Omit<StepResult, 'at' | 'step' | 'kind'>;
    try {
      result = await this.execute(pack, lab, backend, progress, step, index, opts);
    } catch (err) {
      // A command or wait the backend cannot model (the sandbox has no minikube) is skipped with the
      // reason; anything else that cannot run — above all a check — fails.
      if (err instanceof ApiError && err.code === 'unavailable' && (step.kind === 'run' || step.kind === 'wait')) result = { outcome: 'skipped', message: `needs a real cluster: ${err.message}` };
      else result = { outcome: 'fail', message: (err as Error).message };
    }
    return this.settle(pack, lab, progress, index, { step: step.id, kind: step.kind, at: Date.now(), ...result });
  }

  /** Records a step's result, clears the in-flight marker and saves progress. */
  private async settle(pack: LabPack, lab: LoadedLab, progress: LabProgress, index: number, result: StepResult): Promise<StepResult> {
    progress.results[result.step] = result;
    progress.inFlight = null;
    progress.next = Math.max(progress.next, index + 1);
    progress.finished = lab.spec.steps.every((s) => progress.results[s.id]);
    await this.opts.store.save(progress);
    this.opts.onResult?.(pack.id, lab.spec.id, result);
    return result;
  }

  private checkConsent(pack: LabPack, lab: LoadedLab, step: Extract<Step, { kind: 'run' }>, consent: string | undefined): void {
    if (!(RUN_TOOLS as readonly string[]).includes(step.argv[0])) throw new ApiError('forbidden', `"${step.argv[0]}" is not a tool labs may run (allowed: ${RUN_TOOLS.join(', ')})`);
    if (pack.builtIn) return;
    if (consent !== consentToken(pack, lab, step)) {
      throw new ApiError('forbidden', `step "${step.id}" runs \`${step.argv.join(' ')}\` from a lab pack that is not built in; it runs only after you confirm it`, 'Review the command, then confirm it (headless: meshwalk lab run … --yes)');
    }
  }

  private async execute(pack: LabPack, lab: LoadedLab, backend: MeshBackend, progress: LabProgress, step: Step, index: number, opts: RunOptions): Promise<Omit<StepResult, 'at' | 'step' | 'kind'>> {
    const key = keyOf(pack, lab);
    switch (step.kind) {
      case 'read':
        return { outcome: 'pass', message: 'read' };
      case 'quiz': {
        if (opts.answer === undefined) return { outcome: 'skipped', message: 'quiz: answer it in the app' };
        const choice = step.choices[opts.answer];
        if (!choice) throw new ApiError('bad_request', `quiz "${step.id}" has no answer ${opts.answer}`);
        return { outcome: choice.correct ? 'pass' : 'fail', message: step.explanation.en };
      }
      case 'apply':
      case 'delete': {
        const docs = stepDocs(lab, step.files);
        await this.recordUndo(backend, progress, docs, step.id);
        const outcomes = step.kind === 'apply' ? await backend.apply(docs, { signal: opts.signal }) : await backend.delete(docs, { signal: opts.signal });
        if (step.kind === 'apply' && this.opts.pauseAfterApplyMs) await new Promise((r) => setTimeout(r, this.opts.pauseAfterApplyMs));
        const warnings = outcomes.flatMap((o) => o.warnings.map((w) => `${refText(o.ref)}: ${w}`));
        const msg = outcomes.map((o) => `${refText(o.ref)} ${o.action}`).join('; ');
        return { outcome: 'pass', message: warnings.length ? `${msg}. Warnings: ${warnings.join('; ')}` : msg };
      }
      case 'run': {
        const r = await backend.runTool([...step.argv], opts.signal);
        const want = step.expect?.exitCode ?? 0;
        if (r.exitCode !== want) return { outcome: 'fail', message: `\`${step.argv.join(' ')}\` exited ${r.exitCode} (expected ${want}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}` };
        if (step.expect?.stdoutIncludes && !r.stdout.includes(step.expect.stdoutIncludes)) return { outcome: 'fail', message: `output does not contain "${step.expect.stdoutIncludes}"` };
        return { outcome: 'pass', message: r.stdout.trim().split('\n').slice(-3).join(' ') || `exit ${r.exitCode}` };
      }
      case 'wait': {
        const timeoutMs = (step.timeoutSeconds ?? 120) * 1000;
        const f = step.for;
        const cond: WaitCondition =
          f.condition === 'podsReady'
            ? { kind: 'podsReady', namespace: f.namespace, selector: f.selector, timeoutMs }
            : f.condition === 'deploymentAvailable'
              ? { kind: 'deploymentAvailable', namespace: f.namespace, name: f.name, timeoutMs }
              : { kind: f.condition, ref: f.ref, timeoutMs };
        const r = await backend.waitFor(cond, opts.signal);
        return { outcome: r.ok ? 'pass' : 'fail', message: r.reason || (r.ok ? 'ready' : `not ready after ${Math.round(r.elapsedMs / 1000)} s`) };
      }
      case 'traffic': {
        const slot = this.captured.get(key);
        if (!slot || slot.consumed) this.captured.set(key, { requests: [], consumed: false });
        const requests = await this.sendTraffic(backend, step);
        this.captured.get(key)!.requests.push(...requests);
        const n = requests.length;
        return { outcome: n ? 'pass' : 'fail', message: `${n} request${n === 1 ? '' : 's'}: ${statusTally(requests.map((r) => r.response))}` };
      }
      case 'check': {
        let slot = this.captured.get(key);
        if (!slot || !slot.requests.length) {
          // Nothing captured in this process (e.g. resumed after a restart): send the traffic again
          // rather than trusting an old result.
          slot = { requests: [], consumed: false };
          for (const prev of this.trafficBefore(lab, index)) slot.requests.push(...(await this.sendTraffic(backend, prev)));
          this.captured.set(key, slot);
        }
        slot.consumed = true;
        const assertions = step.assert.map((a) => evaluateAssertion(a, slot!.requests));
        const failed = assertions.filter((a) => !a.ok);
        return {
          outcome: failed.length ? 'fail' : 'pass',
          message: failed.length ? failed.map((a) => a.message).join('; ') : `${assertions.length} assertion${assertions.length === 1 ? '' : 's'} held`,
          assertions,
        };
      }
    }
  }

  /** The traffic steps a check looks at: those since the previous check. */
  private trafficBefore(lab: LoadedLab, index: number): Extract<Step, { kind: 'traffic' }>[] {
    const out: Extract<Step, { kind: 'traffic' }>[] = [];
    for (let i = index - 1; i >= 0; i--) {
      const s = lab.spec.steps[i];
      if (s.kind === 'check') break;
      if (s.kind === 'traffic') out.unshift(s);
    }
    return out;
  }

  private async sendTraffic(backend: MeshBackend, step: Extract<Step, { kind: 'traffic' }>): Promise<CapturedRequest[]> {
    const from = step.from ?? 'ingressgateway';
    const req: TrafficRequest = {
      from,
      method: step.method ?? 'GET',
      // Ingress requests are named by path; each backend knows where its gateway is.
      url: step.url,
      headers: step.headers ?? {},
      count: step.count ?? 10,
      concurrency: step.concurrency ?? 1,
      qps: step.qps ?? 0,
    };
    if (step.user) req.user = step.user;
    let responses: TrafficResponse[] = [];
    const trees = await this.collect(backend, async () => {
      responses = (await backend.sendTraffic(req)).responses;
    });
    return joinCaptured(responses, trees, step.user ?? step.headers?.['end-user'] ?? null);
  }

  private async recordUndo(backend: MeshBackend, progress: LabProgress, docs: ManifestDoc[], stepId: string): Promise<void> {
    const known = new Set(progress.undo.map((u) => refKey(u.ref)));
    let added = false;
    for (const d of docs) {
      const ref = refOf(d.object);
      if (known.has(refKey(ref))) continue;
      const live = await backend.get(ref);
      progress.undo.push({ ref, before: live ? restorable(live) : 'absent', step: stepId });
      known.add(refKey(ref));
      added = true;
    }
    // The undo record must be on disk before the backend changes.
    if (added) await this.opts.store.save(progress);
  }

  /**
   * After a restart: finish the step that was in flight by looking at the backend. An apply whose
   * objects all match the manifests is recorded as done; otherwise the step runs again.
   */
  async resume(pack: LabPack, lab: LoadedLab, opts: RunOptions = {}): Promise<StepResult | null> {
    return this.locked(keyOf(pack, lab), async () => {
      const backend = await this.opts.backend();
      const progress = await this.opts.store.load(pack.id, lab.spec.id, backend.kind);
      if (!progress?.inFlight) return null;
      const { step, index } = this.findStep(lab, progress.inFlight.step);
      if (step.kind === 'apply' || step.kind === 'delete') {
        const docs = stepDocs(lab, step.files);
        let done: boolean;
        if (step.kind === 'apply') done = (await backend.diff(docs)).every((d) => d.live !== null && d.patch === '');
        else done = (await Promise.all(docs.map((d) => backend.get(refOf(d.object))))).every((o) => o === null);
        if (done) {
          const message = `resumed: the ${step.kind} had reached the mesh before the interruption (checked ${docs.length} object${docs.length === 1 ? '' : 's'} against the live state)`;
          return this.settle(pack, lab, progress, index, { step: step.id, kind: step.kind, outcome: 'pass', at: Date.now(), message });
        }
      }
      if (step.kind === 'run' && !pack.builtIn && !opts.consent) {
        // A command from an outside pack is never re-run without a fresh confirmation.
        progress.inFlight = null;
        await this.opts.store.save(progress);
        return null;
      }
      return this.runLocked(pack, lab, backend, progress, step.id, opts);
    });
  }

  /** Puts back every object the lab changed, newest change first, and forgets the progress. */
  async reset(pack: LabPack, lab: LoadedLab): Promise<{ restored: string[]; errors: string[] }> {
    return this.locked(keyOf(pack, lab), async () => {
      const backend = await this.opts.backend();
      const progress = await this.opts.store.load(pack.id, lab.spec.id, backend.kind);
      const restored: string[] = [];
      const errors: string[] = [];
      const undo: UndoEntry[] = [...(progress?.undo ?? [])].reverse();
      for (const u of undo) {
        try {
          if (u.before === 'absent') {
            const live = await backend.get(u.ref);
            if (live) {
              await backend.delete([{ source: UNDO_SOURCE, object: { apiVersion: u.ref.apiVersion, kind: u.ref.kind, metadata: { name: u.ref.name, ...(u.ref.namespace ? { namespace: u.ref.namespace } : {}) } } }]);
              restored.push(`deleted ${refText(u.ref)}`);
            }
          } else {
            await backend.apply([{ source: UNDO_SOURCE, object: u.before }]);
            restored.push(`restored ${refText(u.ref)}`);
          }
        } catch (err) {
          errors.push(`${refText(u.ref)}: ${(err as Error).message}`);
        }
      }
      if (!errors.length) await this.opts.store.remove(pack.id, lab.spec.id, backend.kind);
      this.captured.delete(keyOf(pack, lab));
      return { restored, errors };
    });
  }

  /**
   * Headless: resume a step in flight, then run every step not yet passed, in order. A finished lab
   * starts over (its undo record is kept: it still describes the state before the lab).
   */
  async runAll(pack: LabPack, lab: LoadedLab, opts: { consent?: (step: Extract<Step, { kind: 'run' }>) => boolean; onResult?: (r: StepResult) => void } = {}): Promise<StepResult[]> {
    const backend = await this.opts.backend();
    const existing = await this.opts.store.load(pack.id, lab.spec.id, backend.kind);
    if (existing?.finished && !existing.inFlight) {
      await this.opts.store.save({ ...existing, results: {}, next: 0, finished: false, startedAt: Date.now() });
    }
    const inflight = existing?.inFlight ? lab.spec.steps.find((s) => s.id === existing.inFlight!.step) : undefined;
    const tokenFor = (s: Step) => (s.kind === 'run' && !pack.builtIn && opts.consent?.(s) ? consentToken(pack, lab, s) : undefined);
    if (inflight) await this.resume(pack, lab, { consent: tokenFor(inflight) });
    const out: StepResult[] = [];
    const progress = (await this.opts.store.load(pack.id, lab.spec.id, backend.kind))!;
    for (const step of lab.spec.steps) {
      const prior = progress?.results[step.id];
      // Steps already done before an interruption are not repeated, except checks (they look at fresh traffic).
      if (prior && prior.outcome !== 'fail' && step.kind !== 'check') {
        out.push(prior);
        opts.onResult?.(prior);
        continue;
      }
      let r: StepResult;
      try {
        r = await this.runStep(pack, lab, step.id, { consent: tokenFor(step) });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        r = { step: step.id, kind: step.kind, outcome: 'fail', message: err.message, at: Date.now() };
      }
      out.push(r);
      opts.onResult?.(r);
    }
    return out;
  }
}
