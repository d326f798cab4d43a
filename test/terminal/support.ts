// Shared set-up for the terminal tests: a session manager over a real pty, in a throwaway home.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventBus } from '../../main/core/events.ts';
import { TerminalSessions, type TerminalSessionsOptions } from '../../main/core/terminal/sessions.ts';

export interface Rig {
  sessions: TerminalSessions;
  bus: EventBus;
  dataDir: string;
  home: string;
  /** Everything each session has sent so far. */
  output: Map<string, string>;
  exits: Map<string, number | null>;
  pastes: string[];
  cleanup(): Promise<void>;
}

export function makeRig(opts: Partial<TerminalSessionsOptions> & { profile?: string } = {}): Rig {
  const root = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-term-'));
  const dataDir = path.join(root, 'data');
  const home = path.join(root, 'home');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  if (opts.profile) writeFileSync(path.join(home, '.profile'), opts.profile);
  const bus = new EventBus();
  const output = new Map<string, string>();
  const exits = new Map<string, number | null>();
  const pastes: string[] = [];
  bus.on('terminal.data', ({ id, data }) => output.set(id, (output.get(id) ?? '') + data));
  bus.on('terminal.exit', ({ id, exitCode }) => exits.set(id, exitCode));
  bus.on('terminal.paste', ({ id }) => pastes.push(id));
  const env = { ...process.env, HOME: home, SHELL: '/bin/bash', PS1: '$ ', ...opts.env };
  const sessions = new TerminalSessions({ dataDir, bus, ...opts, env });
  return {
    sessions,
    bus,
    dataDir,
    home,
    output,
    exits,
    pastes,
    async cleanup() {
      await sessions.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Run a command and wait for a line the command prints after a marker; returns the value. */
export async function ask(rig: Rig, id: string, command: string, marker: string): Promise<string> {
  const from = (rig.output.get(id) ?? '').length;
  rig.sessions.input(id, `${command}\r`);
  // The marker starts a line, possibly after the shell's mode switches (bracketed paste off).
  const re = new RegExp(`(?:^|\\n)(?:\\x1b\\[[?0-9;]*[A-Za-z]|\\r)*${marker}=([^\\r\\n]*)\\r?\\n`);
  const m = await waitFor(() => re.exec((rig.output.get(id) ?? '').slice(from)), `${marker} from "${command}"`);
  return m[1];
}
