// API handlers for the terminal domain (contract: main/core/api/terminal.ts).
import path from 'node:path';
import type { terminalMethods } from '../api/terminal.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { TerminalSessions } from './sessions.ts';
import { TranscriptLog } from './transcript-log.ts';
import { transcriptScript } from './transcript-script.ts';
import { meshwalkKubeconfigPath } from '../cluster/kubeconfig.ts';
import { FLOW_TAIL_HEADER, FlowFeed } from './flow-feed.ts';
import { toolchain } from '../toolchain/index.ts';
import { findTool, TOOLS } from '../toolchain/tools.ts';

/** Folders where the tools were found: kept on PATH even if the learner's profile rewrites it. */
function toolDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs = TOOLS.map((t) => findTool(t, env)).filter((p): p is string => !!p).map((p) => path.dirname(p));
  return [...new Set(dirs)];
}

export function terminalHandlers(ctx: CoreContext): Handlers<keyof typeof terminalMethods & string> {
  const sessions = new TerminalSessions({ dataDir: ctx.options.dataDir, env: ctx.options.env ?? process.env, bus: ctx.events });
  const transcript = new TranscriptLog();
  const stopTranscript = transcript.follow(ctx.events);
  const feed = new FlowFeed(
    (text) => sessions.writeFlows(text),
    () => sessions.hasFlowTabs(),
  );
  const stopFeed = feed.follow(ctx.events);
  ctx.onDispose(async () => {
    stopTranscript();
    stopFeed();
    await sessions.dispose();
  });
  // Shells get the toolchain's environment (login-shell PATH, usual install folders, Meshwalk's
  // KUBECONFIG), resolved once and cached by the toolchain.
  const tc = toolchain(ctx);
  const prepare = async () => {
    try {
      const env = await tc.env();
      sessions.setEnvironment(env, toolDirs(env));
    } catch {
      // Keep the core's environment; shell-launch still sets KUBECONFIG.
    }
  };
  const ok = { ok: true as const };
  return {
    'terminal.open': async (p) => {
      await prepare();
      // The view that asked attaches its pane next (and gets the output so far as scrollback).
      const info = sessions.open(p, false);
      if (p.kind === 'flows') sessions.writeFlows(FLOW_TAIL_HEADER, info.id);
      return info;
    },
    'terminal.attach': ({ id }) => sessions.attach(id),
    'terminal.detach': ({ id }) => (sessions.detach(id), ok),
    'terminal.focus': ({ id }) => (sessions.focus(id), ok),
    'terminal.input': ({ id, data }) => (sessions.input(id, data), ok),
    'terminal.resize': ({ id, cols, rows }) => (sessions.resize(id, cols, rows), ok),
    'terminal.close': async ({ id }) => (await sessions.close(id), ok),
    'terminal.list': () => sessions.list(),
    'terminal.paste': async ({ text, id }) => {
      if (!id) await prepare();
      return { id: await sessions.paste(text, id) };
    },
    'terminal.ack': ({ id, bytes }) => (sessions.ack(id, bytes), ok),
    'terminal.transcript': () => ({ entries: transcript.list() }),
    'terminal.transcriptScript': ({ ids }) => {
      const all = transcript.list();
      const chosen = ids ? all.filter((e) => ids.includes(e.id)) : all;
      const script = transcriptScript(chosen, { kubeconfig: meshwalkKubeconfigPath(ctx.options.dataDir) });
      return { script, filename: 'meshwalk-transcript.sh', commands: chosen.length };
    },
  };
}
