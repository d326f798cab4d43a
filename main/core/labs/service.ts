// The labs service shared by the API handlers and the CLI: the open packs, the engine, and the
// plain-data views of labs and their progress.
import { ApiError } from '../api/errors.ts';
import type { LabDetail, LabStepView, LabSummary } from '../api/labs.ts';
import type { MeshBackend } from '../backend/types.ts';
import { LabEngine, type Collect } from './engine.ts';
import { loadBuiltinPack, loadPack, type LabPack, type LoadedLab } from './pack.ts';
import { ProgressStore, type LabProgress, type StepResult } from './progress.ts';
import { LANGS } from './schema.ts';

export interface LabServiceOptions {
  dataDir: string;
  backend: () => Promise<MeshBackend>;
  collect?: Collect;
  onResult?: (packId: string, labId: string, result: StepResult) => void;
  env?: NodeJS.ProcessEnv;
}

export class LabService {
  readonly engine: LabEngine;
  private readonly packs = new Map<string, LabPack>();
  private builtin: Promise<LabPack> | null = null;

  constructor(private readonly opts: LabServiceOptions) {
    const pause = Number(opts.env?.MESHWALK_TEST_PAUSE_AFTER_APPLY_MS ?? 0);
    this.engine = new LabEngine({
      backend: opts.backend,
      store: ProgressStore.forDataDir(opts.dataDir),
      collect: opts.collect,
      onResult: opts.onResult,
      pauseAfterApplyMs: Number.isFinite(pause) && pause > 0 ? pause : undefined,
    });
  }

  async builtinPack(): Promise<LabPack> {
    this.builtin ??= loadBuiltinPack().then((p) => {
      this.packs.set(p.id, p);
      return p;
    });
    return this.builtin;
  }

  async openPack(source: string, opts: { builtIn?: boolean } = {}): Promise<LabPack> {
    const pack = await loadPack(source, opts);
    this.packs.set(pack.id, pack);
    return pack;
  }

  async allPacks(): Promise<LabPack[]> {
    await this.builtinPack();
    return [...this.packs.values()];
  }

  async find(packId: string, labId: string): Promise<{ pack: LabPack; lab: LoadedLab }> {
    await this.builtinPack();
    const pack = this.packs.get(packId);
    if (!pack) throw new ApiError('bad_request', `no open lab pack "${packId}"`, 'Open the pack again (labs.openPack)');
    const lab = pack.labs.find((l) => l.spec.id === labId);
    if (!lab) {
      const bad = pack.problems.some((p) => p.file.startsWith(labId));
      throw new ApiError('bad_request', `lab "${labId}" is not in pack ${packId}${bad ? ' (it has validation problems)' : ''}`, `Known labs: ${pack.labs.map((l) => l.spec.id).join(', ')}`);
    }
    return { pack, lab };
  }

  async summary(pack: LabPack, lab: LoadedLab): Promise<LabSummary> {
    const s = lab.spec;
    let progress: LabProgress | null = null;
    try {
      progress = await this.engine.progress(pack, lab);
    } catch {
      progress = null;
    }
    return {
      packId: pack.id,
      id: s.id,
      title: s.title,
      summary: s.summary,
      level: s.level,
      track: s.track,
      estimatedMinutes: s.estimatedMinutes,
      prerequisites: s.prerequisites ?? [],
      languages: lab.languages,
      steps: s.steps.length,
      progress: progress && {
        done: s.steps.filter((st) => progress!.results[st.id] && progress!.results[st.id].outcome !== 'fail').length,
        total: s.steps.length,
        failed: Object.values(progress.results).filter((r) => r.outcome === 'fail').length,
        finished: progress.finished,
        inFlight: progress.inFlight?.step ?? null,
        results: progress.results,
      },
    };
  }

  async detail(pack: LabPack, lab: LoadedLab): Promise<LabDetail> {
    const intro: Record<string, string> = {};
    for (const l of lab.languages) intro[l] = lab.text[l]?.intro ?? '';
    const stepViews: LabStepView[] = lab.spec.steps.map((step) => {
      const title: Record<string, string> = {};
      const body: Record<string, string> = {};
      for (const l of LANGS) {
        const sec = lab.text[l]?.sections[step.id];
        if (sec) {
          title[l] = sec.title;
          body[l] = sec.body;
        }
      }
      const v: LabStepView = { id: step.id, kind: step.kind, title, body };
      if (step.kind === 'apply' || step.kind === 'delete') v.files = step.files.map((f) => ({ path: f, text: lab.manifestText[f] ?? '' }));
      if (step.kind === 'run') v.argv = [...step.argv];
      if (step.kind === 'traffic') v.traffic = { from: step.from ?? 'ingressgateway', url: step.url, count: step.count ?? 10, user: step.user, headers: step.headers ?? {} };
      if (step.kind === 'check') v.assertions = step.assert.map((a) => ({ explain: a.explain }));
      if (step.kind === 'quiz') {
        v.question = step.question;
        v.choices = step.choices.map((c) => c.text);
        v.explanation = step.explanation;
      }
      return v;
    });
    return { ...(await this.summary(pack, lab)), builtIn: pack.builtIn, intro, stepViews };
  }
}
