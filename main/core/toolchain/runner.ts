// The one place Meshwalk starts external tools (minikube, istioctl, kubectl, docker…).
// Argument arrays only, never a shell string. Every command is mirrored into the transcript
// (`transcript.command|output|exit`) as a learner would have typed it, streamed line by line.
// Children are started in their own process group so cancelling kills the whole tree — minikube
// and istioctl spawn helpers (ssh, docker, port-forwards) that would otherwise be orphaned.
import { execa, type ResultPromise } from 'execa';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/errors.ts';
import type { EventBus } from '../events.ts';
import { installHint } from './tools.ts';

export type Stream = 'stdout' | 'stderr';

export interface RunOptions {
  /** Complete environment for the child (already includes Meshwalk's KUBECONFIG). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the tree after this long; the result has `timedOut: true`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Why the app runs it: shown next to the command in the transcript. */
  purpose?: string;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  /** Called for each complete line, in the order the child wrote them (per stream). */
  onLine?: (stream: Stream, line: string) => void;
  /** Mirror into the transcript (default true). Internal probes such as the login-shell env turn it off. */
  transcript?: boolean;
  /** Cap on buffered output kept in the result (lines still stream past it). */
  maxBuffer?: number;
}

export interface RunResult {
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

export interface RunningProcess {
  readonly id: string;
  readonly pid: number | undefined;
  readonly argv: string[];
  /** Resolves when the process (group) has exited; never rejects for a non-zero exit. */
  readonly done: Promise<RunResult>;
  /** Kill the whole process tree: SIGTERM, then SIGKILL after `graceMs`. */
  kill(graceMs?: number): Promise<void>;
}

const DEFAULT_MAX_BUFFER = 8 * 1024 * 1024;

/** Splits a byte stream into lines without losing a trailing partial line at the end. */
class LineSplitter {
  private rest = '';
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: string): void {
    const text = this.rest + chunk;
    const parts = text.split(/\r?\n/);
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.emit(p);
  }
  end(): void {
    if (this.rest) this.emit(this.rest);
    this.rest = '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kill a process and everything it started. POSIX: the process group; Windows: taskkill /T. */
export async function killTree(pid: number, graceMs = 2000): Promise<void> {
  if (process.platform === 'win32') {
    await execa('taskkill', ['/pid', String(pid), '/T', '/F'], { reject: false, windowsHide: true });
    return;
  }
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Group already gone; fall back to the leader alone in case it left its group.
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  signalGroup('SIGKILL');
}

/** Linux: a group whose members are all zombies (exited, waiting to be reaped) is done. */
function linuxGroupLive(pgid: number): boolean | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp …
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      /* exited while we looked */
    }
  }
  return false;
}

function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    const live = linuxGroupLive(pgid);
    if (live !== null) return live;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return true;
    return isAlive(pgid);
  }
}

/**
 * Process groups still running, across every runner. If the app exits without disposing (an
 * uncaught error, process.exit), the 'exit' hook still takes them down: detached children would
 * otherwise outlive us.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number | undefined): void {
  if (pid === undefined || process.platform === 'win32') return;
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const g of liveGroups) {
        try {
          process.kill(-g, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
  }
}

export class Runner {
  private readonly live = new Set<RunningProcess>();

  constructor(private readonly events: EventBus | null) {}

  /** Start a tool and stream its output. Throws ApiError('unavailable') when the tool is missing. */
  spawn(tool: string, args: string[], opts: RunOptions = {}): RunningProcess {
    const id = randomUUID();
    const argv = [tool, ...args];
    const shownArgv = [path.basename(tool), ...args];
    const transcript = opts.transcript !== false && this.events !== null;
    const startedAt = Date.now();
    const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
    const out: Record<Stream, string[]> = { stdout: [], stderr: [] };
    const size: Record<Stream, number> = { stdout: 0, stderr: 0 };

    if (transcript) this.events!.emit('transcript.command', { id, argv: shownArgv, purpose: opts.purpose, startedAt });

    const onLine = (stream: Stream, line: string) => {
      if (size[stream] < maxBuffer) {
        out[stream].push(line);
        size[stream] += line.length + 1;
      }
      if (transcript) this.events!.emit('transcript.output', { id, stream, text: line });
      opts.onLine?.(stream, line);
    };

    let child: ResultPromise;
    child = execa(tool, args, {
      env: opts.env ?? process.env,
      extendEnv: false,
      cwd: opts.cwd,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      buffer: false,
      reject: false,
      // Own process group on POSIX so the whole tree can be signalled; hidden console on Windows.
      detached: process.platform !== 'win32',
      windowsHide: true,
      encoding: 'utf8',
    });

    let timedOut = false;
    let cancelled = false;
    let killing: Promise<void> | null = null;
    const kill = (graceMs = 2000): Promise<void> => {
      if (killing) return killing;
      const pid = child.pid;
      killing = pid === undefined ? Promise.resolve() : killTree(pid, graceMs);
      return killing;
    };

    for (const stream of ['stdout', 'stderr'] as const) {
      const s = child[stream];
      if (!s) continue;
      s.setEncoding('utf8');
      const splitter = new LineSplitter((l) => onLine(stream, l));
      s.on('data', (c: string) => splitter.push(c));
      s.on('end', () => splitter.end());
    }

    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          void kill();
        }, opts.timeoutMs)
      : null;
    const onAbort = () => {
      cancelled = true;
      void kill();
    };
    if (opts.signal?.aborted) queueMicrotask(onAbort);
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    const done = (async (): Promise<RunResult> => {
      const r = await child;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // The leader may exit before its children (a shell wrapper); take the group down with it
      // when we were asked to stop.
      if (killing) await killing;
      const durationMs = Date.now() - startedAt;
      const code = (r as { code?: string }).code;
      if (code === 'ENOENT' || (r.failed && /ENOENT/.test(String(r.message)) && r.exitCode === undefined)) {
        if (transcript) this.events!.emit('transcript.exit', { id, exitCode: null, durationMs, error: `${shownArgv[0]}: command not found` });
        throw new ApiError('unavailable', `${shownArgv[0]} not found on PATH`, installHint(shownArgv[0]));
      }
      const result: RunResult = {
        argv: shownArgv,
        exitCode: r.exitCode ?? null,
        signal: r.signal ?? null,
        stdout: out.stdout.join('\n'),
        stderr: out.stderr.join('\n'),
        durationMs,
        timedOut,
        cancelled,
      };
      if (transcript) {
        const error = timedOut ? `timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s` : cancelled ? 'cancelled' : r.signal ? `killed by ${r.signal}` : undefined;
        this.events!.emit('transcript.exit', { id, exitCode: result.exitCode, durationMs, ...(error ? { error } : {}) });
      }
      return result;
    })();

    const handle: RunningProcess = { id, pid: child.pid, argv: shownArgv, done, kill };
    this.live.add(handle);
    trackGroup(child.pid);
    done
      .finally(() => {
        this.live.delete(handle);
        if (child.pid !== undefined) liveGroups.delete(child.pid);
      })
      .catch(() => undefined);
    return handle;
  }

  /** Run to completion. Non-zero exits are returned, not thrown; a missing tool throws. */
  run(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.spawn(tool, args, opts).done;
  }

  /** Run and throw a readable ApiError unless it exited 0. */
  async runChecked(tool: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(tool, args, opts);
    assertSucceeded(r, opts.timeoutMs);
    return r;
  }

  /** Processes still running (for tests and for the dispose check). */
  get running(): number[] {
    return [...this.live].map((p) => p.pid).filter((p): p is number => p !== undefined);
  }

  /** Kill every process this runner started that is still alive. */
  async killAll(): Promise<void> {
    await Promise.all([...this.live].map((p) => p.kill(1000)));
  }
}

export function assertSucceeded(r: RunResult, timeoutMs?: number): void {
  const cmd = r.argv.join(' ');
  if (r.cancelled) throw new ApiError('cancelled', `${cmd}: cancelled`);
  if (r.timedOut) throw new ApiError('failed', `${cmd} did not finish within ${Math.round((timeoutMs ?? 0) / 1000)} s`, undefined, { stderr: tail(r.stderr) });
  if (r.exitCode !== 0) {
    const why = tail(r.stderr) || tail(r.stdout) || (r.signal ? `killed by ${r.signal}` : '');
    throw new ApiError('failed', `${cmd} exited with code ${r.exitCode ?? r.signal}${why ? `: ${why}` : ''}`);
  }
}

function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
