// Killing the process while an apply step is in flight, then starting again, must finish the lab
// correctly: the step in flight is settled by looking at the backend, and Reset still restores the
// state from before the lab.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabProgress } from '../../main/core/labs/progress.ts';

const DRIVER = path.resolve('test/labs/resume-driver.ts');
let dir: string;
let children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mw-resume-'));
});
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  await rm(dir, { recursive: true, force: true });
});

const stateFile = () => path.join(dir, 'mesh.json');
const progressDir = () => path.join(dir, 'labs', 'progress');

function progress(): LabProgress | null {
  if (!existsSync(progressDir())) return null;
  const f = readdirSync(progressDir()).find((n) => n.endsWith('.json'));
  return f ? (JSON.parse(readFileSync(path.join(progressDir(), f), 'utf8')) as LabProgress) : null;
}

function start(env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, dir, stateFile()], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts the lab and SIGKILLs it while the apply step is in flight (after the backend changed). */
async function killDuringApply(): Promise<void> {
  const run = start({ MESHWALK_TEST_PAUSE_AFTER_APPLY_MS: '60000' });
  await until(() => existsSync(stateFile()) && progress()?.inFlight?.step === 'route-v2', 20_000, 'the apply to reach the backend');
  run.child.kill('SIGKILL');
  await run.exited;
}

function events(out: string): Record<string, unknown>[] {
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('kill during an apply step, then restart', () => {
  it('leaves a consistent record on disk: step in flight, undo written before the change', async () => {
    await killDuringApply();
    const p = progress()!;
    expect(p.inFlight?.step).toBe('route-v2');
    expect(p.results.intro?.outcome).toBe('pass');
    expect(p.results['route-v2']).toBeUndefined();
    expect(p.undo.map((u) => [u.ref.kind, u.before])).toEqual([
      ['VirtualService', 'absent'],
      ['DestinationRule', 'absent'],
    ]);
    expect(readdirSync(progressDir()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('resumes by checking the live objects: the apply had landed, so it is not repeated', async () => {
    await killDuringApply();
    const again = start();
    expect(await again.exited).toBe(0);
    const ev = events(again.output());
    const applied = ev.find((e) => e.step === 'route-v2')!;
    expect(applied.outcome).toBe('pass');
    expect(applied.message).toMatch(/^resumed: the apply had reached the mesh/);
    expect(ev.find((e) => e.step === 'verify')?.outcome).toBe('pass');
    expect(ev.at(-1)).toMatchObject({ event: 'done', applyCalls: 0, failed: 0 });
    const p = progress()!;
    expect(p.inFlight).toBeNull();
    expect(p.finished).toBe(true);
    // The undo record still describes the state before the lab.
    expect(p.undo.every((u) => u.before === 'absent')).toBe(true);
  }, 60_000);

  it('re-applies when the mesh lost the change (e.g. a sandbox that restarted empty)', async () => {
    await killDuringApply();
    await rm(stateFile());
    const again = start();
    expect(await again.exited).toBe(0);
    const ev = events(again.output());
    const applied = ev.find((e) => e.step === 'route-v2')!;
    expect(applied.outcome).toBe('pass');
    expect(applied.message).not.toMatch(/resumed/);
    expect(applied.message).toMatch(/VirtualService default\/reviews created/);
    expect(ev.at(-1)).toMatchObject({ event: 'done', applyCalls: 1, failed: 0 });
    expect(JSON.parse(readFileSync(stateFile(), 'utf8'))).toHaveLength(2);
  }, 60_000);
});

describe('kill `meshwalk lab run` during an apply on the sandbox, then run again', () => {
  it('finishes the lab with every check green', async () => {
    const env = { ...process.env, MESHWALK_DATA_DIR: dir };
    const cli = (extra: Record<string, string> = {}) => {
      const child = spawn(process.execPath, ['bin/meshwalk.mjs', 'lab', 'run', 'request-routing', '--backend', 'sandbox', '--json'], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      return { child, output: () => out, exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
    };
    const first = cli({ MESHWALK_TEST_PAUSE_AFTER_APPLY_MS: '60000' });
    await until(() => progress()?.inFlight?.step === 'setup' && (progress()?.undo.length ?? 0) > 0, 30_000, 'the setup apply to start');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(progress()?.inFlight?.step).toBe('setup');

    // The sandbox lives in the killed process, so the restarted run finds the mesh without the
    // lab's objects: the interrupted apply must be run again, not assumed done.
    const second = cli();
    expect(await second.exited, second.output()).toBe(0);
    const rows = JSON.parse(second.output().slice(second.output().indexOf('['))) as { step: string; kind: string; outcome: string; message: string }[];
    expect(rows.find((r) => r.step === 'setup')).toMatchObject({ outcome: 'pass' });
    expect(rows.find((r) => r.step === 'setup')!.message).not.toMatch(/^resumed/);
    expect(rows.filter((r) => r.kind === 'check').map((r) => r.outcome)).toEqual(['pass', 'pass']);
    expect(progress()?.inFlight).toBeNull();
  }, 90_000);
});
