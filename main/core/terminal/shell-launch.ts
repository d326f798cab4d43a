// How a terminal tab's shell is started: which shell, with which arguments and environment, so
// that `kubectl` and `istioctl` typed by the learner talk to Meshwalk's lab cluster and find the
// same tools the doctor found — even when the user's profile sets KUBECONFIG or rewrites PATH.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { meshwalkKubeconfigPath } from '../cluster/kubeconfig.ts';

/** Variables that would point kubectl/istioctl somewhere else than the lab cluster. */
const FOREIGN_KUBE_VARS = /^(KUBECONFIG|KUBECTL_|KUBERNETES_|KUBE_|ISTIOCTL_|MINIKUBE_ACTIVE_)/;

export interface ShellLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface ShellLaunchOptions {
  dataDir: string;
  /** The resolved login environment (ctx.options.env), PATH already including the doctor's folders. */
  baseEnv: NodeJS.ProcessEnv;
  /** Extra folders where tools were found; kept on PATH even if the profile rewrites it. */
  toolDirs?: string[];
  platform?: NodeJS.Platform;
}

/** The environment every shell gets: the base env minus foreign kube settings, plus ours. */
export function shellEnvironment(opts: ShellLaunchOptions): Record<string, string> {
  const platform = opts.platform ?? process.platform;
  const sep = platform === 'win32' ? ';' : ':';
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv)) {
    if (v === undefined || FOREIGN_KUBE_VARS.test(k)) continue;
    env[k] = v;
  }
  const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  const current = (env[pathKey] ?? '').split(sep).filter(Boolean);
  const toolDirs = (opts.toolDirs ?? []).filter((d) => !current.includes(d));
  env[pathKey] = [...toolDirs, ...current].join(sep);
  env.KUBECONFIG = meshwalkKubeconfigPath(opts.dataDir);
  env.MESHWALK_KUBECONFIG = env.KUBECONFIG;
  env.MESHWALK_TOOL_PATH = (opts.toolDirs ?? []).join(sep);
  env.TERM = 'xterm-256color';
  env.COLORTERM = 'truecolor';
  env.TERM_PROGRAM = 'meshwalk';
  return env;
}

// Bash as a login shell: /etc/profile and the first personal profile, exactly as `bash -l` would,
// then our settings again so a profile that exports KUBECONFIG cannot redirect the learner.
const BASH_RC = `# Written by Meshwalk for its terminal tabs. Safe to delete; it is rewritten on the next tab.
if [ -f /etc/profile ]; then . /etc/profile; fi
for __mw_f in "$HOME/.bash_profile" "$HOME/.bash_login" "$HOME/.profile"; do
  if [ -f "$__mw_f" ]; then . "$__mw_f"; break; fi
done
unset __mw_f
for __mw_v in $(compgen -e | grep -E '^(KUBECTL_|KUBERNETES_|KUBE_|ISTIOCTL_|MINIKUBE_ACTIVE_)'); do unset "$__mw_v"; done
unset __mw_v
export KUBECONFIG="$MESHWALK_KUBECONFIG"
if [ -n "$MESHWALK_TOOL_PATH" ]; then
  case ":$PATH:" in *":$MESHWALK_TOOL_PATH:"*) ;; *) export PATH="$MESHWALK_TOOL_PATH:$PATH" ;; esac
fi
`;

// Zsh reads its startup files from $ZDOTDIR; ours source the user's own and then restore our
// settings at the end of .zshrc (the last file an interactive login zsh reads before the prompt
// apart from .zlogin, which we also forward).
function zshFiles(): Record<string, string> {
  const forward = (name: string) => `[ -f "$MESHWALK_USER_ZDOTDIR/${name}" ] && . "$MESHWALK_USER_ZDOTDIR/${name}"\n`;
  return {
    '.zshenv': forward('.zshenv'),
    '.zprofile': forward('.zprofile'),
    '.zshrc':
      forward('.zshrc') +
      'export KUBECONFIG="$MESHWALK_KUBECONFIG"\n' +
      '[ -n "$MESHWALK_TOOL_PATH" ] && [[ ":$PATH:" != *":$MESHWALK_TOOL_PATH:"* ]] && export PATH="$MESHWALK_TOOL_PATH:$PATH"\n',
    '.zlogin': forward('.zlogin') + 'export KUBECONFIG="$MESHWALK_KUBECONFIG"\n',
  };
}

function writeStartupFile(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

/** Pick the user's shell and prepare its startup files under `<dataDir>/terminal/`. */
export function shellLaunch(opts: ShellLaunchOptions): ShellLaunch {
  const platform = opts.platform ?? process.platform;
  const env = shellEnvironment(opts);
  const home = env.HOME ?? env.USERPROFILE ?? process.cwd();
  const cwd = existsSync(home) ? home : process.cwd();
  if (platform === 'win32') {
    return { file: 'powershell.exe', args: ['-NoLogo'], env, cwd };
  }
  const candidates = [opts.baseEnv.SHELL, '/bin/bash', '/bin/zsh', '/bin/sh'].filter((s): s is string => !!s && path.isAbsolute(s));
  const file = candidates.find((s) => existsSync(s)) ?? '/bin/sh';
  const name = path.basename(file);
  const dir = path.join(opts.dataDir, 'terminal');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (name === 'bash') {
    const rc = path.join(dir, 'bashrc');
    writeStartupFile(rc, BASH_RC);
    // --rcfile with -i replaces the login sequence, which the rc file performs itself.
    return { file, args: ['--rcfile', rc, '-i'], env, cwd };
  }
  if (name === 'zsh') {
    const zdot = path.join(dir, 'zsh');
    mkdirSync(zdot, { recursive: true, mode: 0o700 });
    for (const [f, text] of Object.entries(zshFiles())) writeStartupFile(path.join(zdot, f), text);
    env.MESHWALK_USER_ZDOTDIR = opts.baseEnv.ZDOTDIR ?? home;
    env.ZDOTDIR = zdot;
    return { file, args: ['-l'], env, cwd };
  }
  // Other shells (fish, dash…) start as login shells with our environment; a profile that
  // exports KUBECONFIG itself would win there.
  return { file, args: ['-l'], env, cwd };
}
