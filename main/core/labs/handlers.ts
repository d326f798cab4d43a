// API handlers for the labs domain (contract: main/core/api/labs.ts).
import type { labsMethods } from '../api/labs.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { LabService } from './service.ts';
import type { LabPack } from './pack.ts';

function packSummary(p: LabPack) {
  return { id: p.id, builtIn: p.builtIn, source: p.source, labs: p.labs.length, problems: p.problems };
}

export function labsHandlers(ctx: CoreContext): Handlers<keyof typeof labsMethods & string> {
  const service = new LabService({
    dataDir: ctx.options.dataDir,
    backend: () => ctx.backends.current(),
    env: ctx.options.env ?? process.env,
    onResult: (packId, labId, result) => ctx.events.emit('labs.step', { packId, labId, result }),
  });
  return {
    'labs.list': async () => {
      const packs = await service.allPacks();
      const labs = [];
      for (const p of packs) for (const l of p.labs) labs.push(await service.summary(p, l));
      return { packs: packs.map(packSummary), labs };
    },
    'labs.openPack': async ({ path }) => packSummary(await service.openPack(path)),
    'labs.get': async ({ packId, labId }) => {
      const { pack, lab } = await service.find(packId, labId);
      return service.detail(pack, lab);
    },
    'labs.preview': async ({ packId, labId, stepId }) => {
      const { pack, lab } = await service.find(packId, labId);
      return service.engine.preview(pack, lab, stepId);
    },
    'labs.runStep': async ({ packId, labId, stepId, consent, answer }, call) => {
      const { pack, lab } = await service.find(packId, labId);
      return service.engine.runStep(pack, lab, stepId, { consent, answer, signal: call.signal });
    },
    'labs.resume': async ({ packId, labId }) => {
      const { pack, lab } = await service.find(packId, labId);
      return { result: await service.engine.resume(pack, lab) };
    },
    'labs.reset': async ({ packId, labId }) => {
      const { pack, lab } = await service.find(packId, labId);
      return service.engine.reset(pack, lab);
    },
  };
}
