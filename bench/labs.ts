// Lab figures: how long validating the built-in pack takes (what `meshwalk lab validate` and the
// app's lab list pay), and how long a whole lab runs headless on the sandbox, per step.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCore } from '../main/core/index.ts';
import { loadBuiltinPack } from '../main/core/labs/pack.ts';
import { LabService } from '../main/core/labs/service.ts';

export async function run(): Promise<Record<string, number | string>> {
  const t0 = performance.now();
  const pack = await loadBuiltinPack();
  const validateMs = performance.now() - t0;

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mw-bench-labs-'));
  const core = createCore({ dataDir, version: 'bench', transport: 'test', backend: 'sandbox' });
  try {
    const service = new LabService({ dataDir, backend: () => core.ctx.backends.current() });
    const { pack: p, lab } = await service.find('builtin', 'request-routing');
    const t1 = performance.now();
    const results = await service.engine.runAll(p, lab);
    const runMs = performance.now() - t1;
    return {
      labs: pack.labs.length,
      validate_builtin_pack_ms: Math.round(validateMs),
      request_routing_run_ms: Math.round(runMs),
      request_routing_ms_per_step: Math.round(runMs / results.length),
      request_routing_failed_steps: results.filter((r) => r.outcome === 'fail').length,
    };
  } finally {
    await core.dispose();
    await rm(dataDir, { recursive: true, force: true });
  }
}
