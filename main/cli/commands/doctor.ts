// `meshwalk doctor [--json]`: can this machine run the labs? Exits 1 when a required check fails.
import { createCore } from '../../core/index.ts';
import { defaultDataDir } from '../../core/paths.ts';
import { appVersion } from '../../core/version.ts';
import type { DoctorReport } from '../../core/api/cluster.ts';
import { parse } from '../args.ts';
import { EXIT, UsageError, type CliCommand } from '../io.ts';

const MARK: Record<string, string> = { ok: '✔', warn: '!', fail: '✘', skip: '-' };

export function formatReport(r: DoctorReport): string {
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]} ${c.title}: ${c.detail}${c.required && c.status === 'fail' ? ' (required)' : ''}`);
    if (c.fix && c.status !== 'ok') {
      lines.push(`    fix: ${c.fix.text}`);
      if (c.fix.command) lines.push(`    run: ${c.fix.command}`);
      if (c.fix.url) lines.push(`    see: ${c.fix.url}`);
    }
  }
  lines.push('', r.ok ? 'Ready for the labs.' : 'Not ready: fix the checks marked ✘ (or use the sandbox mesh: meshwalk sandbox).');
  return lines.join('\n');
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check this machine (driver, CPU/RAM, minikube, kubectl, istioctl, cluster) and say how to fix what is missing',
  usage: ['Usage: meshwalk doctor [--json]', '', '  --json   print the report as JSON (exit code 1 when a required check fails)'].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const core = createCore({ dataDir: defaultDataDir(io.env), version: appVersion(), transport: 'cli', backend: 'sandbox', env: io.env });
    try {
      const report = (await core.router.invoke('doctor.run', {}, { transport: 'cli', signal: new AbortController().signal })) as DoctorReport;
      io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report) + '\n');
      return report.ok ? EXIT.ok : EXIT.failure;
    } finally {
      await core.dispose();
    }
  },
};
