// The real runner against stand-in executables: streaming, exit codes, timeouts, cancellation of
// the whole process tree, a crash mid-stream and a missing tool.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../main/core/events.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { Runner } from '../../main/core/toolchain/runner.ts';
import { cleanup, isAlive, readPids, standinEnv, tempDir, waitUntil } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(cleanup));

function setup(extra: NodeJS.ProcessEnv = {}) {
  const events = new EventBus();
  const seen: { topic: string; data: unknown }[] = [];
  events.subscribe((topic, data) => seen.push({ topic, data }));
  const dir = tempDir('pids');
  dirs.push(dir);
  const pidfile = path.join(dir, 'pids');
  return { runner: new Runner(events), seen, pidfile, env: standinEnv({ STANDIN_PIDFILE: pidfile, ...extra }) };
}

describe('runner', () => {
  it('streams stdout and stderr line by line, in order, and mirrors them into the transcript', async () => {
    const { runner, seen, env } = setup({ STANDIN_KUBECTL: 'stream' });
    const lines: string[] = [];
    const r = await runner.run('kubectl', ['get', 'pods'], { env, purpose: 'test', onLine: (s, l) => lines.push(`${s}:${l}`) });
    expect(r.exitCode).toBe(3);
    expect(lines.filter((l) => l.startsWith('stdout'))).toEqual(['stdout:out 1', 'stdout:out 2', 'stdout:out 3', 'stdout:out 4', 'stdout:out 5']);
    expect(lines.filter((l) => l.startsWith('stderr'))).toEqual(['stderr:err 1', 'stderr:err 2', 'stderr:err 3', 'stderr:err 4', 'stderr:err 5']);
    // Output arrives interleaved as written (each line 40 ms apart), not grouped per stream.
    expect(lines.slice(0, 4)).toEqual(['stdout:out 1', 'stderr:err 1', 'stdout:out 2', 'stderr:err 2']);
    expect(r.stdout).toBe('out 1\nout 2\nout 3\nout 4\nout 5');
    const cmd = seen.find((e) => e.topic === 'transcript.command')!.data as { argv: string[]; purpose: string; id: string };
    expect(cmd.argv).toEqual(['kubectl', 'get', 'pods']);
    expect(cmd.purpose).toBe('test');
    expect(seen.filter((e) => e.topic === 'transcript.output')).toHaveLength(10);
    const exit = seen.find((e) => e.topic === 'transcript.exit')!.data as { exitCode: number; id: string; durationMs: number };
    expect(exit.id).toBe(cmd.id);
    expect(exit.exitCode).toBe(3);
    expect(exit.durationMs).toBeGreaterThan(0);
  });

  it('runChecked turns a non-zero exit into a readable error with the last stderr lines', async () => {
    const { runner, env } = setup({ STANDIN_KUBECTL: 'stream' });
    await expect(runner.runChecked('kubectl', ['get', 'pods'], { env })).rejects.toThrow(/kubectl get pods exited with code 3: err 3\nerr 4\nerr 5/);
  });

  it('reports a missing tool as unavailable with an install hint', async () => {
    const { runner, env, seen } = setup();
    const err = await runner.run('istioctl-missing', [], { env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('unavailable');
    expect((err as ApiError).message).toBe('istioctl-missing not found on PATH');
    const env2 = { ...env, PATH: '/nonexistent' };
    const err2 = (await runner.run('istioctl', ['version'], { env: env2 }).catch((e: unknown) => e)) as ApiError;
    expect(err2.message).toBe('istioctl not found on PATH');
    expect(err2.fix).toMatch(/istio\.io\/downloadIstio/);
    expect((seen.at(-1)!.data as { error: string }).error).toMatch(/command not found/);
  });

  it('kills the whole process tree after the timeout', async () => {
    const { runner, env, pidfile } = setup({ STANDIN_MINIKUBE: 'hang' });
    // Long enough for the stand-in to start its grandchild even on a busy machine.
    const r = await runner.run('minikube', ['start', '--output=json'], { env, timeoutMs: 6000 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    const pids = readPids(pidfile);
    expect(pids).toHaveLength(2); // the stand-in and the grandchild it spawned
    await waitUntil(() => pids.every((p) => !isAlive(p)), 3000);
  });

  it('cancellation through an AbortSignal kills the grandchild too', async () => {
    const { runner, env, pidfile } = setup({ STANDIN_MINIKUBE: 'hang' });
    const ac = new AbortController();
    const p = runner.run('minikube', ['start'], { env, signal: ac.signal });
    await waitUntil(() => readPids(pidfile).length === 2, 15_000);
    const pids = readPids(pidfile);
    expect(pids.every(isAlive)).toBe(true);
    ac.abort();
    const r = await p;
    expect(r.cancelled).toBe(true);
    await waitUntil(() => pids.every((pid) => !isAlive(pid)), 3000);
    expect(runner.running).toEqual([]);
  });

  it('keeps the partial last line of a child that crashes mid-stream and reports the signal', async () => {
    const { runner, env } = setup({ STANDIN_MINIKUBE: 'crash' });
    const lines: string[] = [];
    const r = await runner.run('minikube', ['start', '--output=json'], { env, onLine: (_s, l) => lines.push(l) });
    expect(r.signal).toBe('SIGKILL');
    expect(r.exitCode).toBeNull();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toHaveLength(40);
  });
});
