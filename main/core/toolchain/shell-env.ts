// Apps started from the macOS Dock or a Linux desktop launcher do not inherit the PATH the user's
// shell profile sets up (Homebrew, ~/.istioctl/bin, …). We ask the login shell once for its
// environment and add the usual install folders, so `minikube` is found the same way a terminal
// would find it.
import os from 'node:os';
import path from 'node:path';
import type { Runner } from './runner.ts';

const SENTINEL = '__MESHWALK_ENV_7f3a__';

/** Folders where the tools usually live, searched after the shell's PATH. */
export function fallbackDirs(env: NodeJS.ProcessEnv, istioReleaseDir?: string): string[] {
  const home = env.HOME ?? os.homedir();
  const dirs =
    process.platform === 'win32'
      ? [path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Microsoft', 'WinGet', 'Links'), path.join(home, '.istioctl', 'bin'), 'C:\\Program Files\\Kubernetes\\Minikube']
      : ['/opt/homebrew/bin', '/usr/local/bin', path.join(home, '.istioctl', 'bin'), path.join(home, 'bin'), path.join(home, '.local', 'bin')];
  if (istioReleaseDir) dirs.unshift(path.join(istioReleaseDir, 'bin'));
  return dirs;
}

/** Parse `env` output framed by sentinels (shell profiles may print banners around it). */
export function parseEnvDump(text: string): NodeJS.ProcessEnv | null {
  const start = text.indexOf(SENTINEL);
  const end = text.lastIndexOf(SENTINEL);
  if (start < 0 || end <= start) return null;
  const body = text.slice(start + SENTINEL.length, end);
  const env: NodeJS.ProcessEnv = {};
  for (const line of body.split('\n')) {
    const eq = line.indexOf('=');
    // Multi-line values (exported functions) continue on lines without a valid NAME=.
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(line.slice(0, eq))) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** Merge PATH lists, keeping the first occurrence of each folder. */
export function mergePath(...lists: (string | undefined)[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const list of lists) {
    for (const dir of (list ?? '').split(path.delimiter)) {
      if (dir && !seen.has(dir)) {
        seen.add(dir);
        out.push(dir);
      }
    }
  }
  return out.join(path.delimiter);
}

/** The login shell's environment, or null when it cannot be read within the timeout. */
export async function readLoginShellEnv(runner: Runner, base: NodeJS.ProcessEnv, timeoutMs = 5000): Promise<NodeJS.ProcessEnv | null> {
  if (process.platform === 'win32') return null;
  const shell = base.SHELL || '/bin/sh';
  // The shell is the program here by necessity: its profile scripts are what set PATH. The script is
  // a constant; nothing from the user or a manifest is interpolated into it.
  const script = `printf '%s\\n' '${SENTINEL}'; command env; printf '%s\\n' '${SENTINEL}'`;
  try {
    const r = await runner.run(shell, ['-ilc', script], { env: base, timeoutMs, transcript: false });
    if (r.timedOut || r.exitCode !== 0) return null;
    return parseEnvDump(r.stdout);
  } catch {
    return null;
  }
}

/**
 * The environment every tool runs with: the given env first (so a PATH set by the caller wins),
 * then the login shell's PATH (GUI launches only), then the usual install folders.
 */
export async function resolveToolEnv(
  runner: Runner,
  base: NodeJS.ProcessEnv,
  opts: { loginShell: boolean; istioReleaseDir?: string },
): Promise<NodeJS.ProcessEnv> {
  const login = opts.loginShell ? await readLoginShellEnv(runner, base) : null;
  return { ...base, PATH: mergePath(base.PATH, login?.PATH, fallbackDirs(base, opts.istioReleaseDir).join(path.delimiter)) };
}
