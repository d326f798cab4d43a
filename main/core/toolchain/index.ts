// One toolchain per core: the runner, the supervisor for long-running children, and the resolved
// environment (login-shell PATH + Meshwalk's KUBECONFIG) that every tool runs with.
import type { CoreContext } from '../context.ts';
import { ensureKubeconfig, isolatedEnv, meshwalkKubeconfigPath } from '../cluster/kubeconfig.ts';
import { loadSettings } from '../cluster/settings.ts';
import { Runner, type RunOptions, type RunResult } from './runner.ts';
import { resolveToolEnv } from './shell-env.ts';
import { Supervisor } from './supervisor.ts';
import { findTool } from './tools.ts';

export interface Toolchain {
  readonly runner: Runner;
  readonly supervisor: Supervisor;
  readonly kubeconfig: string;
  /** The env for children (resolved once, then cached). */
  env(): Promise<NodeJS.ProcessEnv>;
  /** Where a tool was found, or null. */
  which(tool: string): Promise<string | null>;
  /** Run a tool with Meshwalk's environment. */
  run(tool: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  runChecked(tool: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Forget the cached environment (after the user changes the Istio release folder). */
  reset(): void;
}

const byCore = new WeakMap<CoreContext, Toolchain>();

export function toolchain(ctx: CoreContext): Toolchain {
  let tc = byCore.get(ctx);
  if (tc) return tc;
  const runner = new Runner(ctx.events);
  const supervisor = new Supervisor(runner);
  const kubeconfig = meshwalkKubeconfigPath(ctx.options.dataDir);
  let envPromise: Promise<NodeJS.ProcessEnv> | null = null;
  const env = () =>
    (envPromise ??= (async () => {
      ensureKubeconfig(kubeconfig);
      const base = ctx.options.env ?? process.env;
      // Only a GUI launch lacks the shell's PATH; the CLI and web mode inherit a terminal's.
      const loginShell = ctx.options.transport === 'electron' || base.MESHWALK_LOGIN_SHELL === '1';
      const resolved = await resolveToolEnv(runner, base, { loginShell, istioReleaseDir: loadSettings(ctx.options.dataDir).istioReleaseDir ?? base.MESHWALK_ISTIO_DIR });
      return isolatedEnv(resolved, kubeconfig);
    })());
  tc = {
    runner,
    supervisor,
    kubeconfig,
    env,
    async which(tool) {
      return findTool(tool, await env());
    },
    async run(tool, args, opts = {}) {
      return runner.run(tool, args, { ...opts, env: opts.env ?? (await env()) });
    },
    async runChecked(tool, args, opts = {}) {
      return runner.runChecked(tool, args, { ...opts, env: opts.env ?? (await env()) });
    },
    reset() {
      envPromise = null;
    },
  };
  byCore.set(ctx, tc);
  // No orphans: supervised children and any one-shot command still running die with the app.
  ctx.onDispose(async () => {
    await supervisor.stopAll();
    await runner.killAll();
  });
  return tc;
}
