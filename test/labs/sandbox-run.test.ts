// Every built-in lab runs to completion headless on the sandbox mesh, with every check green.
// Steps that need a real cluster (minikube, istioctl install) are skipped with a reason, never failed.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../main/core/index.ts';
import { LabService } from '../../main/core/labs/service.ts';
import { loadBuiltinPack } from '../../main/core/labs/pack.ts';

const pack = await loadBuiltinPack();

describe('built-in labs on the sandbox', () => {
  it.each(pack.labs.map((l) => [l.spec.id]))('%s runs to completion with every check green', async (id) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-sbx-'));
    const core = createCore({ dataDir, version: 'test', transport: 'test', backend: 'sandbox' });
    try {
      const service = new LabService({ dataDir, backend: () => core.ctx.backends.current() });
      const { pack: p, lab } = await service.find((await service.builtinPack()).id, id);
      const results = await service.engine.runAll(p, lab);
      const bad = results.filter((r) => r.outcome === 'fail').map((r) => `${r.step} (${r.kind}): ${r.message}`);
      expect(bad, bad.join('\n')).toEqual([]);
      for (const r of results.filter((x) => x.kind === 'check')) expect(r.outcome, `${r.step}: ${r.message}`).toBe('pass');
      for (const r of results.filter((x) => x.outcome === 'skipped')) expect(['run', 'quiz', 'wait']).toContain(r.kind);
      // Reset puts the sandbox back as it was.
      const reset = await service.engine.reset(p, lab);
      expect(reset.errors).toEqual([]);
    } finally {
      await core.dispose();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
