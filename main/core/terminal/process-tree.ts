// Stopping a shell means stopping everything it started: background jobs (`sleep 1000 &`),
// pipelines, `kubectl port-forward`. We find them by ancestry and by session (a pty's shell leads
// its own session, so its jobs keep the session id even after the shell itself is gone).
import { readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Session id; on macOS (no cheap way to read it) the process group stands in. */
  sid: number;
  zombie: boolean;
}

function parseProcStat(text: string): Omit<ProcInfo, 'pid'> | null {
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const [state, ppid, pgid, sid] = text.slice(close + 2).split(' ');
  return { ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), zombie: state === 'Z' || state === 'X' };
}

export async function listProcesses(platform: NodeJS.Platform = process.platform): Promise<ProcInfo[]> {
  if (platform === 'linux') {
    const out: ProcInfo[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const info = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
        if (info) out.push({ pid: Number(name), ...info });
      } catch {
        // Exited while we were reading.
      }
    }
    return out;
  }
  const { stdout } = await execa('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'pgid=', '-o', 'stat=']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map(([pid, ppid, pgid, stat]) => ({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), sid: Number(pgid), zombie: stat.startsWith('Z') }));
}

/** Every live process below `root` in the tree, plus members of the session `root` leads. */
export function processesOf(root: number, procs: ProcInfo[]): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    for (const c of children.get(pid) ?? []) if (!found.has(c)) found.add(c), stack.push(c);
  }
  for (const p of procs) if ((p.sid === root || p.pgid === root) && p.pid !== root) found.add(p.pid);
  const zombies = new Set(procs.filter((p) => p.zombie).map((p) => p.pid));
  return [...found].filter((pid) => !zombies.has(pid));
}

/** Alive and not a zombie (a zombie has exited; it only waits for a parent that may never reap it). */
export function isAlive(pid: number, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'linux') {
    try {
      return !parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.zombie;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hang up `root` and everything it started, then SIGKILL whatever is left after `graceMs`.
 * Resolves with the pids that were signalled once none of them is alive.
 */
export async function killProcessTree(root: number, opts: { graceMs?: number; platform?: NodeJS.Platform } = {}): Promise<number[]> {
  const platform = opts.platform ?? process.platform;
  if (platform === 'win32') {
    await execa('taskkill', ['/PID', String(root), '/T', '/F'], { reject: false });
    return [root];
  }
  // Snapshot before signalling: once the shell dies its children are reparented and the
  // ancestry link is lost (the session id is not, which is why we also match on it).
  const targets = [root, ...processesOf(root, await listProcesses(platform))];
  for (const pid of targets) signal(pid, 'SIGHUP');
  for (const pid of targets) signal(pid, 'SIGCONT');
  const deadline = Date.now() + (opts.graceMs ?? 800);
  while (Date.now() < deadline && targets.some((p) => isAlive(p, platform))) await sleep(20);
  const survivors = targets.filter((p) => isAlive(p, platform));
  for (const pid of survivors) signal(pid, 'SIGKILL');
  const hard = Date.now() + 2000;
  while (Date.now() < hard && survivors.some((p) => isAlive(p, platform))) await sleep(20);
  return targets;
}
