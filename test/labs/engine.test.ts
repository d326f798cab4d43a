import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/core/api/errors.ts';
import { LabEngine, consentToken } from '../../main/core/labs/engine.ts';
import { loadPack, type LabPack } from '../../main/core/labs/pack.ts';
import { ProgressStore } from '../../main/core/labs/progress.ts';
import { memoryBackend, memoryCollect, type MemoryBackend } from './memory-backend.ts';

const PACK = path.resolve('test/fixtures/labs/engine-pack');

let dir: string;
let backend: MemoryBackend;
let engine: LabEngine;
let pack: LabPack;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mw-labs-'));
  backend = memoryBackend();
  engine = new LabEngine({ backend: async () => backend, store: ProgressStore.forDataDir(dir), collect: memoryCollect });
  pack = await loadPack(PACK);
  expect(pack.problems).toEqual([]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lab = () => pack.labs[0];

describe('lab engine', () => {
  it('shows the diff before an apply and applies the manifests', async () => {
    const preview = await engine.preview(pack, lab(), 'route-v2');
    expect(preview.diff).toHaveLength(2);
    expect(preview.diff![0].live).toBe(false);
    expect(preview.diff![0].patch).toContain('+kind: VirtualService');
    const r = await engine.runStep(pack, lab(), 'route-v2');
    expect(r.outcome).toBe('pass');
    expect(r.message).toContain('VirtualService default/reviews created');
    const again = await engine.preview(pack, lab(), 'route-v2');
    expect(again.diff!.every((d) => d.patch === '')).toBe(true);
  });

  it('checks fail without the route and pass with it', async () => {
    await engine.runStep(pack, lab(), 'send');
    const before = await engine.runStep(pack, lab(), 'verify');
    expect(before.outcome).toBe('fail');
    expect(before.message).toMatch(/0 of 10 requests \(user jason\): reached reviews v2 = 0%; expected ≥ 90%/);
    await engine.runStep(pack, lab(), 'route-v2');
    await engine.runStep(pack, lab(), 'send');
    const after = await engine.runStep(pack, lab(), 'verify');
    expect(after.outcome).toBe('pass');
    expect(after.assertions?.map((a) => a.ok)).toEqual([true, true]);
  });

  it('a check with nothing captured sends the preceding traffic again', async () => {
    await engine.runStep(pack, lab(), 'route-v2');
    const fresh = new LabEngine({ backend: async () => backend, store: ProgressStore.forDataDir(dir), collect: memoryCollect });
    const r = await fresh.runStep(pack, lab(), 'verify');
    expect(r.outcome).toBe('pass');
  });

  it('skips a run step the backend cannot model, and passes one it can', async () => {
    pack = { ...pack, builtIn: true };
    const skipped = await engine.runStep(pack, lab(), 'show');
    expect(skipped.outcome).toBe('skipped');
    expect(skipped.message).toMatch(/needs a real cluster/);
    backend = memoryBackend({ tools: { 'kubectl get virtualservice reviews': 'NAME      GATEWAYS   HOSTS' } });
    const r = await engine.runStep(pack, lab(), 'show');
    expect(r.outcome).toBe('pass');
  });

  it('requires consent for commands of a pack that is not built in', async () => {
    // The fixture pack is opened from a folder, so it is not built in: no command without consent.
    await expect(engine.runStep(pack, lab(), 'show')).rejects.toMatchObject({ code: 'forbidden' });
    expect(backend.applyCalls).toBe(0);
    const preview = await engine.preview(pack, lab(), 'show');
    expect(preview.consentRequired).toBe(true);
    expect(preview.argv).toEqual(['kubectl', 'get', 'virtualservice', 'reviews']);
    const guarded = { ...pack, builtIn: false };
    await expect(engine.runStep(guarded, lab(), 'show', { consent: 'wrong' })).rejects.toBeInstanceOf(ApiError);
    await expect(engine.runStep(guarded, lab(), 'show', { consent: 'wrong' })).rejects.toMatchObject({ code: 'forbidden' });
    const ok = await engine.runStep(guarded, lab(), 'show', { consent: consentToken(guarded, lab(), { id: 'show', argv: preview.argv! }) });
    expect(ok.outcome).toBe('skipped');
    const builtin = { ...pack, builtIn: true };
    expect((await engine.preview(builtin, lab(), 'show')).consentRequired).toBe(false);
  });

  it('grades a quiz answer', async () => {
    expect((await engine.runStep(pack, lab(), 'quiz', { answer: 1 })).outcome).toBe('pass');
    expect((await engine.runStep(pack, lab(), 'quiz', { answer: 0 })).outcome).toBe('fail');
    expect((await engine.runStep(pack, lab(), 'quiz')).outcome).toBe('skipped');
  });

  it('Reset lab restores the state before the lab: deletes what was absent, puts back what was there', async () => {
    // A DestinationRule existed before the lab, with different subsets.
    await backend.apply([
      { source: { file: 'pre', index: 0, line: 1 }, object: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews', namespace: 'default' }, spec: { host: 'reviews', subsets: [{ name: 'old' }] } } },
    ]);
    await engine.runStep(pack, lab(), 'route-v2');
    expect((await backend.get({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: 'reviews', namespace: 'default' }))?.spec).toMatchObject({ subsets: [{ name: 'v1' }, { name: 'v2' }] });
    const r = await engine.reset(pack, lab());
    expect(r.errors).toEqual([]);
    expect(r.restored.sort()).toEqual(['deleted VirtualService default/reviews', 'restored DestinationRule default/reviews']);
    expect(await backend.get({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'reviews', namespace: 'default' })).toBeNull();
    expect((await backend.get({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: 'reviews', namespace: 'default' }))?.spec).toEqual({ host: 'reviews', subsets: [{ name: 'old' }] });
    expect(await engine.progress(pack, lab())).toBeNull();
  });

  it('keeps the first "before" state when a lab applies the same object twice', async () => {
    await engine.runStep(pack, lab(), 'route-v2');
    await engine.runStep(pack, lab(), 'route-v2');
    const p = await engine.progress(pack, lab());
    expect(p!.undo.map((u) => u.before)).toEqual(['absent', 'absent']);
  });

  it('saves progress atomically: valid JSON, no temp files left', async () => {
    await engine.runStep(pack, lab(), 'intro');
    await engine.runStep(pack, lab(), 'route-v2');
    const files = await readdir(path.join(dir, 'labs', 'progress'));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files).toHaveLength(1);
    const p = JSON.parse(await readFile(path.join(dir, 'labs', 'progress', files[0]), 'utf8'));
    expect(p.results.intro.outcome).toBe('pass');
    expect(p.inFlight).toBeNull();
    expect(p.next).toBe(2);
  });

  it('runAll reports a refused command as a failed step instead of crashing', async () => {
    const results = await engine.runAll(pack, lab());
    expect(results.find((r) => r.step === 'show')).toMatchObject({ outcome: 'fail', message: expect.stringMatching(/not built in/) });
    const allowed = await engine.runAll(pack, lab(), { consent: () => true });
    expect(allowed.find((r) => r.step === 'show')?.outcome).toBe('skipped');
  });

  it('runAll runs every step in order and reports each outcome', async () => {
    const results = await engine.runAll({ ...pack, builtIn: true }, lab());
    expect(results.map((r) => [r.step, r.outcome])).toEqual([
      ['intro', 'pass'],
      ['route-v2', 'pass'],
      ['send', 'pass'],
      ['verify', 'pass'],
      ['show', 'skipped'],
      ['quiz', 'skipped'],
    ]);
    expect((await engine.progress(pack, lab()))!.finished).toBe(true);
  });

  it('resume re-applies when the live state does not match, and trusts nothing', async () => {
    const store = ProgressStore.forDataDir(dir);
    await store.save({ version: 1, packId: pack.id, labId: 'routing', backend: 'sandbox', startedAt: 1, updatedAt: 1, next: 1, inFlight: { step: 'route-v2', index: 1, startedAt: 1 }, results: {}, undo: [], finished: false });
    const r = await engine.resume(pack, lab());
    expect(r?.outcome).toBe('pass');
    expect(backend.applyCalls).toBe(1);
    expect(r?.message).toMatch(/created/);
  });
});
