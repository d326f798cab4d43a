// Lab progress on disk: one JSON file per (pack, lab, backend), replaced atomically (write a temp
// file, fsync it, rename over the old one, fsync the folder) so a crash or kill at any moment
// leaves either the old or the new progress, never a torn file.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { KubeObject, ObjectRef } from '../backend/types.ts';
import type { StepKind } from './schema.ts';
import type { AssertionResult } from './checks.ts';

export type Outcome = 'pass' | 'fail' | 'skipped';

export interface StepResult {
  step: string;
  kind: StepKind;
  outcome: Outcome;
  message: string;
  /** Per-assertion results of a check step. */
  assertions?: AssertionResult[];
  at: number;
}

export interface UndoEntry {
  ref: ObjectRef;
  /** The live object before the lab first touched it, or 'absent'. */
  before: KubeObject | 'absent';
  step: string;
}

export interface LabProgress {
  version: 1;
  packId: string;
  labId: string;
  backend: 'sandbox' | 'cluster';
  startedAt: number;
  updatedAt: number;
  /** Index of the step to run next. */
  next: number;
  /** Set before a step touches the backend, cleared when its result is recorded. */
  inFlight: { step: string; index: number; startedAt: number } | null;
  results: Record<string, StepResult>;
  undo: UndoEntry[];
  finished: boolean;
}

export class ProgressStore {
  constructor(private readonly dir: string) {}

  static forDataDir(dataDir: string): ProgressStore {
    return new ProgressStore(path.join(dataDir, 'labs', 'progress'));
  }

  file(packId: string, labId: string, backend: string): string {
    return path.join(this.dir, `${packId}--${labId}--${backend}.json`);
  }

  async load(packId: string, labId: string, backend: string): Promise<LabProgress | null> {
    const f = this.file(packId, labId, backend);
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const p = JSON.parse(text) as LabProgress;
      if (p.version !== 1 || p.labId !== labId) throw new Error('unexpected content');
      return p;
    } catch (err) {
      throw new Error(`lab progress file ${f} is unreadable (${(err as Error).message}); delete it to start the lab over`);
    }
  }

  async save(p: LabProgress): Promise<void> {
    p.updatedAt = Date.now();
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(p.packId, p.labId, p.backend);
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(p, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    // The rename itself must reach the disk too.
    const dh = await open(this.dir, 'r').catch(() => null);
    if (dh) {
      await dh.sync().catch(() => {});
      await dh.close();
    }
  }

  async remove(packId: string, labId: string, backend: string): Promise<void> {
    await rm(this.file(packId, labId, backend), { force: true });
  }
}
