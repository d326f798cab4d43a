// Long-running children (`minikube tunnel`, `kubectl port-forward`, dashboards) must stay up while
// the app needs them and must never outlive it. The supervisor restarts a child that dies, with
// exponential backoff, reports it when it gives up, and kills every child on dispose.
import type { RunningProcess, RunOptions, Runner, Stream } from './runner.ts';

export interface SupervisedOptions extends Omit<RunOptions, 'signal' | 'timeoutMs'> {
  /** Restart after an unexpected exit (default true). */
  restart?: boolean;
  /** Give up after this many restarts in a row without a stable run (default 5). */
  maxRestarts?: number;
  /** First backoff delay; doubles each time up to 30 s (default 1 s). */
  backoffMs?: number;
  /** A run that lasts this long resets the restart counter (default 30 s). */
  stableAfterMs?: number;
  /** Told about state changes (the UI shows "tunnel restarting", "tunnel failed: …"). */
  onState?: (state: SupervisedState, detail?: string) => void;
}

export type SupervisedState = 'running' | 'restarting' | 'failed' | 'stopped';

export interface Supervised {
  readonly name: string;
  readonly state: SupervisedState;
  /** Pid of the current child, if one is running. */
  readonly pid: number | undefined;
  readonly restarts: number;
  /** The last lines the child printed (for error reports). */
  readonly recent: string[];
  stop(): Promise<void>;
}

class SupervisedChild implements Supervised {
  state: SupervisedState = 'running';
  restarts = 0;
  recent: string[] = [];
  private current: RunningProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly runner: Runner,
    private readonly tool: string,
    private readonly args: string[],
    private readonly opts: SupervisedOptions,
    private readonly onGone: () => void,
  ) {}

  get pid(): number | undefined {
    return this.current?.pid;
  }

  private setState(s: SupervisedState, detail?: string) {
    this.state = s;
    this.opts.onState?.(s, detail);
  }

  launch() {
    const started = Date.now();
    const onLine = (stream: Stream, line: string) => {
      this.recent.push(line);
      if (this.recent.length > 20) this.recent.shift();
      this.opts.onLine?.(stream, line);
    };
    let proc: RunningProcess;
    try {
      proc = this.runner.spawn(this.tool, this.args, { ...this.opts, onLine });
    } catch (err) {
      this.setState('failed', (err as Error).message);
      this.onGone();
      return;
    }
    this.current = proc;
    this.setState('running');
    proc.done.then(
      (r) => this.exited(started, `exited with code ${r.exitCode ?? r.signal}`),
      (err: Error) => this.exited(started, err.message, true),
    );
  }

  private exited(started: number, why: string, fatal = false) {
    this.current = null;
    if (this.stopping) return;
    if (Date.now() - started >= (this.opts.stableAfterMs ?? 30_000)) this.restarts = 0;
    const last = this.recent.slice(-3).join(' | ');
    const detail = `${this.name} ${why}${last ? `: ${last}` : ''}`;
    if (fatal || this.opts.restart === false || this.restarts >= (this.opts.maxRestarts ?? 5)) {
      this.setState('failed', detail);
      this.onGone();
      return;
    }
    const delay = Math.min((this.opts.backoffMs ?? 1000) * 2 ** this.restarts, 30_000);
    this.restarts++;
    this.setState('restarting', detail);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopping) this.launch();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const proc = this.current;
    if (proc) {
      await proc.kill(1500);
      await proc.done.catch(() => undefined);
    }
    this.current = null;
    this.setState('stopped');
    this.onGone();
  }
}

export class Supervisor {
  private readonly children = new Map<string, SupervisedChild>();

  constructor(private readonly runner: Runner) {}

  /** Start (or return the already running) supervised child with this name. */
  start(name: string, tool: string, args: string[], opts: SupervisedOptions = {}): Supervised {
    const existing = this.children.get(name);
    if (existing && existing.state !== 'failed' && existing.state !== 'stopped') return existing;
    const child: SupervisedChild = new SupervisedChild(name, this.runner, tool, args, opts, () => {
      if (this.children.get(name) === child && (child.state === 'stopped' || child.state === 'failed')) this.children.delete(name);
    });
    this.children.set(name, child);
    child.launch();
    return child;
  }

  get(name: string): Supervised | undefined {
    return this.children.get(name);
  }

  async stop(name: string): Promise<void> {
    await this.children.get(name)?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.values()].map((c) => c.stop()));
  }
}
