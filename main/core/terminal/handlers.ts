// API handlers for the terminal domain (contract: main/core/api/terminal.ts).
import type { terminalMethods } from '../api/terminal.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';
import { TerminalSessions } from './sessions.ts';
import { TranscriptLog } from './transcript-log.ts';
import { transcriptScript } from './transcript-script.ts';
import { meshwalkKubeconfigPath } from './shell-launch.ts';
import { FLOW_TAIL_HEADER, FlowFeed } from './flow-feed.ts';

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
  const ok = { ok: true as const };
  return {
    'terminal.open': (p) => {
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
    'terminal.paste': async ({ text, id }) => ({ id: await sessions.paste(text, id) }),
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
