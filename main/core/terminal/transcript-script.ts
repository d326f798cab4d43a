// The transcript as a script a learner can keep and rerun: each command exactly as the app ran
// it, quoted for a POSIX shell. Bash is named in the shebang only for `set -o pipefail`.
// No Node imports: the renderer's Transcript tab shows commands with the same quoting.
import type { TranscriptEntry } from '../api/terminal.ts';

// Characters no POSIX shell treats specially anywhere in a word.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for sh/bash/zsh: single quotes, with embedded ones as '\''. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The program as a learner types it: `kubectl`, not `/usr/local/bin/kubectl.exe`. */
export function displayArgv(argv: string[]): string[] {
  if (argv.length === 0) return argv;
  const [program, ...rest] = argv;
  const base = program.split(/[\\/]/).pop()!.replace(/\.(exe|cmd|bat)$/i, '');
  return [base, ...rest];
}

export function commandLine(argv: string[]): string {
  return displayArgv(argv).map(shellQuote).join(' ');
}

/** Comments must stay on one line, or the rest would run as a command. */
function comment(text: string): string {
  return `# ${text.replace(/[\r\n]+/g, ' ')}`;
}

export function transcriptScript(entries: TranscriptEntry[], opts: { kubeconfig: string; now?: Date }): string {
  const lines = [
    '#!/usr/bin/env bash',
    comment(`Commands Meshwalk ran, saved ${(opts.now ?? new Date()).toISOString()}.`),
    comment('Rerun with: bash <this file>'),
    'set -euo pipefail',
    '',
    comment("The lab cluster's kubeconfig, as Meshwalk's terminal uses it."),
    `if [ -z "\${KUBECONFIG:-}" ]; then KUBECONFIG=${shellQuote(opts.kubeconfig)}; fi`,
    'export KUBECONFIG',
    '',
  ];
  for (const e of entries) {
    if (e.argv.length === 0) continue;
    if (e.purpose) lines.push(comment(e.purpose));
    if (e.equivalent) lines.push(comment('Meshwalk did this through the Kubernetes API; this is the kubectl equivalent.'));
    let line = commandLine(e.argv);
    if (e.exitCode !== undefined && e.exitCode !== null && e.exitCode !== 0) {
      lines.push(comment(`This exited with ${e.exitCode} when Meshwalk ran it.`));
      line += ' || true';
    }
    lines.push(line, '');
  }
  return lines.join('\n');
}
