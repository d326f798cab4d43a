// Terminal sessions with ids: login shells in node-pty and the (process-less) flow tail. Several
// can be open at once; they outlive the view that shows them and die with the core.
import * as pty from 'node-pty';
import type { SessionInfo, SessionKind } from '../api/terminal.ts';
import { ApiError } from '../api/errors.ts';
import type { EventBus } from '../events.ts';
import { DEFAULT_FLOW, OutputChannel, type FlowControlOptions } from './output-channel.ts';
import { BracketedPasteTracker, pasteSequence } from './paste.ts';
import { killProcessTree } from './process-tree.ts';
import { shellLaunch } from './shell-launch.ts';

const MAX_SESSIONS = 24;
/** How long a paste into a just-opened shell waits for its prompt. */
const PROMPT_WAIT_MS = 3000;

export interface TerminalSessionsOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  bus: EventBus;
  /** Folders where the doctor found tools; read at each spawn so later finds are included. */
  toolDirs?: () => string[];
  flow?: Partial<FlowControlOptions>;
  platform?: NodeJS.Platform;
}

interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  readonly channel: OutputChannel;
  info(): SessionInfo;
  input(data: string): void;
  resize(cols: number, rows: number): void;
  kill(): Promise<void>;
}

class ShellSession implements Session {
  readonly kind = 'shell' as const;
  readonly channel: OutputChannel;
  readonly pid: number;
  readonly createdAt = Date.now();
  readonly title: string;
  readonly bracketed = new BracketedPasteTracker();
  exited = false;
  exitCode: number | null = null;
  private cols: number;
  private rows: number;
  private readonly proc: pty.IPty;
  private readonly exitedPromise: Promise<void>;
  private promptWaiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    opts: TerminalSessionsOptions & { cols: number; rows: number; onExit: () => void },
  ) {
    this.cols = opts.cols;
    this.rows = opts.rows;
    const launch = shellLaunch({ dataDir: opts.dataDir, baseEnv: opts.env, toolDirs: opts.toolDirs?.(), platform: opts.platform });
    this.title = launch.file.split(/[\\/]/).pop() ?? 'shell';
    this.proc = pty.spawn(launch.file, launch.args, { name: 'xterm-256color', cols: opts.cols, rows: opts.rows, cwd: launch.cwd, env: launch.env });
    this.pid = this.proc.pid;
    this.channel = new OutputChannel(
      {
        emit: (data) => opts.bus.emit('terminal.data', { id, data }),
        pause: () => this.proc.pause(),
        resume: () => this.proc.resume(),
      },
      { ...DEFAULT_FLOW, ...opts.flow },
    );
    this.proc.onData((data) => {
      this.bracketed.feed(data);
      if (this.bracketed.enabled) this.releasePromptWaiters();
      this.channel.push(data);
    });
    this.exitedPromise = new Promise((resolve) => {
      this.proc.onExit(({ exitCode, signal }) => {
        this.exited = true;
        this.exitCode = signal ? null : exitCode;
        this.channel.close();
        this.releasePromptWaiters();
        opts.bus.emit('terminal.exit', { id, exitCode: this.exitCode, signal: signal || null });
        // The shell may leave jobs behind (`sleep 1000 &` then `exit`): they go with it.
        void killProcessTree(this.pid, { platform: opts.platform }).finally(resolve);
        opts.onExit();
      });
    });
  }

  info(): SessionInfo {
    return { id: this.id, kind: 'shell', title: this.title, pid: this.pid, cols: this.cols, rows: this.rows, exited: this.exited, exitCode: this.exitCode, createdAt: this.createdAt };
  }

  input(data: string): void {
    if (!this.exited) this.proc.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.exited || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    this.proc.resize(cols, rows);
  }

  /** Resolves once the shell shows a prompt that accepts bracketed paste, or after `ms`. */
  waitForPrompt(ms: number): Promise<void> {
    if (this.bracketed.enabled || this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.promptWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async kill(): Promise<void> {
    if (!this.exited) {
      // A paused pty never reports its exit (its output would never drain).
      this.proc.resume();
      await killProcessTree(this.pid);
    }
    await Promise.race([this.exitedPromise, new Promise((r) => setTimeout(r, 3000))]);
    this.channel.close();
  }

  private releasePromptWaiters(): void {
    const waiters = this.promptWaiters;
    this.promptWaiters = [];
    for (const w of waiters) w();
  }
}

/** The live flow tail: no process, the core writes formatted lines into it. */
class FlowSession implements Session {
  readonly kind = 'flows' as const;
  readonly channel: OutputChannel;
  readonly createdAt = Date.now();
  private cols: number;
  private rows: number;

  constructor(
    readonly id: string,
    bus: EventBus,
    cols: number,
    rows: number,
    flow: Partial<FlowControlOptions> | undefined,
  ) {
    this.cols = cols;
    this.rows = rows;
    // Lines are only ever appended; when the view lags, old ones are dropped rather than paused.
    this.channel = new OutputChannel({ emit: (data) => bus.emit('terminal.data', { id, data }), pause: () => undefined, resume: () => undefined }, { ...DEFAULT_FLOW, ...flow });
  }

  info(): SessionInfo {
    return { id: this.id, kind: 'flows', title: 'flows', cols: this.cols, rows: this.rows, exited: false, exitCode: null, createdAt: this.createdAt };
  }

  input(): void {
    // Read-only tab.
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
  }

  write(text: string): void {
    this.channel.push(text);
  }

  async kill(): Promise<void> {
    this.channel.close();
  }
}

export class TerminalSessions {
  private readonly sessions = new Map<string, Session>();
  private active: string | undefined;
  private nextId = 1;
  private disposed = false;

  constructor(private opts: TerminalSessionsOptions) {}

  /** Shells opened from now on start with this environment (the toolchain's, once resolved). */
  setEnvironment(env: NodeJS.ProcessEnv, toolDirs: string[]): void {
    this.opts = { ...this.opts, env, toolDirs: () => toolDirs };
  }

  /** Open a tab. `viewer: false` when nobody shows it yet (a paste that had to open a shell). */
  open(params: { cols: number; rows: number; kind: SessionKind }, viewer = true): SessionInfo {
    if (this.disposed) throw new ApiError('unavailable', 'Meshwalk is shutting down');
    if (this.sessions.size >= MAX_SESSIONS) {
      throw new ApiError('failed', `too many terminal tabs (${MAX_SESSIONS})`, 'Close a terminal tab you no longer need.');
    }
    const id = `${params.kind === 'flows' ? 'flows' : 'term'}-${this.nextId++}`;
    let session: Session;
    if (params.kind === 'flows') {
      session = new FlowSession(id, this.opts.bus, params.cols, params.rows, this.opts.flow);
    } else {
      try {
        session = new ShellSession(id, { ...this.opts, cols: params.cols, rows: params.rows, onExit: () => this.announce() });
      } catch (err) {
        throw new ApiError('failed', `could not start a shell: ${(err as Error).message}`, 'Check that your login shell ($SHELL) exists and runs.');
      }
      this.active = id;
    }
    this.sessions.set(id, session);
    if (viewer) session.channel.attach();
    this.announce();
    return session.info();
  }

  attach(id: string): { session: SessionInfo; scrollback: string } {
    const s = this.get(id);
    if (s.kind === 'shell') this.active = id;
    return { session: s.info(), scrollback: s.channel.attach() };
  }

  detach(id: string): void {
    this.get(id).channel.detach();
  }

  focus(id: string): void {
    const s = this.get(id);
    if (s.kind === 'shell') this.active = id;
  }

  input(id: string, data: string): void {
    const s = this.get(id);
    if (s.kind === 'shell') this.active = id;
    s.input(data);
  }

  resize(id: string, cols: number, rows: number): void {
    this.get(id).resize(cols, rows);
  }

  ack(id: string, chars: number): void {
    // Acks for a tab closed a moment ago are harmless.
    this.sessions.get(id)?.channel.ack(chars);
  }

  async close(id: string): Promise<void> {
    const s = this.get(id);
    this.sessions.delete(id);
    if (this.active === id) this.active = this.activeShell()?.id;
    this.announce();
    await s.kill();
  }

  /** Flow-control state of a session, for diagnostics and tests. */
  flowState(id: string): { paused: boolean; unacknowledged: number; viewers: number } {
    const c = this.get(id).channel;
    return { paused: c.isPaused, unacknowledged: c.unacknowledged, viewers: c.viewerCount };
  }

  list(): { sessions: SessionInfo[]; active?: string } {
    const sessions = [...this.sessions.values()].map((s) => s.info());
    return this.active ? { sessions, active: this.active } : { sessions };
  }

  /** Put text on the prompt of the given shell, else the active one, else a new one. */
  async paste(text: string, id?: string): Promise<string> {
    let target: ShellSession | undefined;
    if (id) {
      const s = this.get(id);
      if (!(s instanceof ShellSession)) throw new ApiError('invalid_params', `terminal "${id}" is the flow tail; paste into a shell tab`);
      target = s;
    } else {
      target = this.activeShell();
    }
    if (!target || target.exited) {
      if (id) throw new ApiError('failed', `the shell in terminal "${id}" has exited`, 'Open a new terminal tab.');
      const info = this.open({ cols: 80, rows: 24, kind: 'shell' }, false);
      target = this.sessions.get(info.id) as ShellSession;
      await target.waitForPrompt(PROMPT_WAIT_MS);
    }
    target.input(pasteSequence(text, target.bracketed.enabled, this.opts.platform));
    this.active = target.id;
    this.opts.bus.emit('terminal.paste', { id: target.id });
    return target.id;
  }

  /** Append to every open flow tail tab, or only to the given one. */
  writeFlows(text: string, id?: string): void {
    for (const s of this.sessions.values()) if (s instanceof FlowSession && (!id || s.id === id)) s.write(text);
  }

  hasFlowTabs(): boolean {
    return [...this.sessions.values()].some((s) => s instanceof FlowSession);
  }

  /** Stop every shell and everything it started. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.active = undefined;
    await Promise.all(all.map((s) => s.kill()));
  }

  private activeShell(): ShellSession | undefined {
    const current = this.active ? this.sessions.get(this.active) : undefined;
    if (current instanceof ShellSession && !current.exited) return current;
    const shells = [...this.sessions.values()].filter((s): s is ShellSession => s instanceof ShellSession && !s.exited);
    return shells.at(-1);
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new ApiError('invalid_params', `no terminal session "${id}"`, 'It was closed; open a new terminal tab.');
    return s;
  }

  private announce(): void {
    if (!this.disposed) this.opts.bus.emit('terminal.sessions', { sessions: this.list().sessions });
  }
}
