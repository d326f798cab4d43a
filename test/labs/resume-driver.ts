// Child process for the kill-and-resume test: runs the engine-pack lab headless against a memory
// backend whose objects live in a file (so the mesh "survives" the kill, like a real cluster).
// argv: <dataDir> <stateFile>. MESHWALK_TEST_PAUSE_AFTER_APPLY_MS widens the window for the kill.
import path from 'node:path';
import { LabService } from '../../main/core/labs/service.ts';
import { memoryBackend, memoryCollect } from './memory-backend.ts';

const [dataDir, stateFile] = process.argv.slice(2);
const backend = memoryBackend({ file: stateFile });
const service = new LabService({ dataDir, backend: async () => backend, collect: memoryCollect, env: process.env });
const pack = await service.openPack(path.resolve(import.meta.dirname, '../fixtures/labs/engine-pack'));
const lab = pack.labs[0];
const results = await service.engine.runAll(pack, lab, {
  consent: () => true,
  onResult: (r) => process.stdout.write(JSON.stringify({ event: 'result', step: r.step, outcome: r.outcome, message: r.message }) + '\n'),
});
process.stdout.write(JSON.stringify({ event: 'done', applyCalls: backend.applyCalls, failed: results.filter((r) => r.outcome === 'fail').length }) + '\n');
