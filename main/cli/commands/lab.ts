// `meshwalk lab`: validate, list and run labs headless.
import path from 'node:path';
import { createCore } from '../../core/index.ts';
import { defaultDataDir } from '../../core/paths.ts';
import { appVersion } from '../../core/version.ts';
import { LabService } from '../../core/labs/service.ts';
import { formatProblem } from '../../core/labs/yaml-locate.ts';
import type { LabPack } from '../../core/labs/pack.ts';
import { parse } from '../args.ts';
import { EXIT, UsageError, type CliCommand, type CliIO } from '../io.ts';

const usage = [
  'Usage: meshwalk lab <validate|list|run|reset> …',
  '',
  '  lab validate <dir|zip>                  check a lab pack; prints file:line: message per problem',
  '  lab list [--pack <dir|zip>] [--json]     labs of the built-in pack (or the given pack)',
  '  lab run <id> [--backend sandbox|cluster] [--pack <dir|zip>] [--json] [--yes]',
  '                                          run a lab headless (resumes an interrupted run);',
  '                                          exit 0 only when every step passed or was skipped',
  '  lab reset <id> [--backend …] [--pack …]  restore what the lab changed and forget its progress',
  '',
  '  --yes   allow the commands of a pack that is not built in (they are listed first)',
].join('\n');

function serviceFor(io: CliIO, backend: 'sandbox' | 'cluster') {
  const core = createCore({ dataDir: defaultDataDir(io.env), version: appVersion(), transport: 'cli', backend, env: io.env });
  const service = new LabService({ dataDir: core.ctx.options.dataDir, backend: () => core.ctx.backends.current(), env: io.env });
  return { core, service };
}

async function packOf(service: LabService, pack: string | undefined, cwd: string): Promise<LabPack> {
  return pack ? service.openPack(path.resolve(cwd, pack)) : service.builtinPack();
}

function reportProblems(io: CliIO, pack: LabPack): void {
  for (const p of pack.problems) io.stderr.write(`${formatProblem(p)}\n`);
}

function backendArg(v: string | undefined): 'sandbox' | 'cluster' {
  const b = v ?? 'sandbox';
  if (b !== 'sandbox' && b !== 'cluster') throw new UsageError(`--backend must be sandbox or cluster, got "${b}"`);
  return b;
}

export const labCommand: CliCommand = {
  name: 'lab',
  summary: 'validate, list and run labs headless',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'validate') {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 1) throw new UsageError('lab validate needs one folder or .zip');
      const { service, core } = serviceFor(io, 'sandbox');
      try {
        const pack = await service.openPack(path.resolve(io.cwd, positionals[0]));
        for (const p of pack.problems) io.stdout.write(`${formatProblem(p)}\n`);
        if (pack.problems.length) {
          io.stderr.write(`${pack.problems.length} problem${pack.problems.length === 1 ? '' : 's'} in ${positionals[0]}\n`);
          return EXIT.failure;
        }
        io.stdout.write(`ok: ${pack.labs.length} lab${pack.labs.length === 1 ? '' : 's'} (${pack.labs.map((l) => l.spec.id).join(', ')})\n`);
        return EXIT.ok;
      } finally {
        await core.dispose();
      }
    }
    if (sub === 'list') {
      const { values, positionals } = parse(rest, { pack: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const { service, core } = serviceFor(io, 'sandbox');
      try {
        const pack = await packOf(service, values.pack, io.cwd);
        reportProblems(io, pack);
        const rows = pack.labs.map((l) => ({ id: l.spec.id, title: l.spec.title, languages: l.languages, steps: l.spec.steps.length }));
        if (values.json) io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        else for (const r of rows) io.stdout.write(`${r.id.padEnd(28)} ${r.title.en}  [${r.languages.join(', ')}] ${r.steps} steps\n`);
        return pack.problems.length ? EXIT.failure : EXIT.ok;
      } finally {
        await core.dispose();
      }
    }
    if (sub === 'run' || sub === 'reset') {
      const { values, positionals } = parse(rest, { backend: { type: 'string' }, pack: { type: 'string' }, json: { type: 'boolean' }, yes: { type: 'boolean' } });
      if (positionals.length !== 1) throw new UsageError(`lab ${sub} needs one lab id`);
      const backend = backendArg(values.backend);
      const { service, core } = serviceFor(io, backend);
      try {
        const pack = await packOf(service, values.pack, io.cwd);
        reportProblems(io, pack);
        const { lab } = await service.find(pack.id, positionals[0]);
        if (sub === 'reset') {
          const r = await service.engine.reset(pack, lab);
          for (const line of r.restored) io.stdout.write(`${line}\n`);
          for (const e of r.errors) io.stderr.write(`${e}\n`);
          return r.errors.length ? EXIT.failure : EXIT.ok;
        }
        const commands = lab.spec.steps.filter((s) => s.kind === 'run');
        if (!pack.builtIn && commands.length && !values.yes) {
          io.stderr.write(`This lab pack is not built in. Its lab "${lab.spec.id}" runs these commands:\n`);
          for (const s of commands) if (s.kind === 'run') io.stderr.write(`  ${s.argv.join(' ')}\n`);
          throw new UsageError('review them and pass --yes to allow them');
        }
        const results = await service.engine.runAll(pack, lab, {
          consent: () => !!values.yes,
          onResult: (r) => {
            if (!values.json) io.stdout.write(`${r.outcome === 'pass' ? '✔' : r.outcome === 'skipped' ? '–' : '✘'} ${r.step} (${r.kind}): ${r.message}\n`);
          },
        });
        if (values.json) io.stdout.write(JSON.stringify(results.map(({ step, kind, outcome, message }) => ({ step, kind, outcome, message })), null, 2) + '\n');
        return results.some((r) => r.outcome === 'fail') ? EXIT.failure : EXIT.ok;
      } finally {
        await core.dispose();
      }
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}" (validate, list, run, reset)` : 'missing subcommand (validate, list, run, reset)');
  },
};
