// No orphans: a supervised `minikube tunnel` (stand-in, with a grandchild) dies with the core, and
// a tunnel that keeps dying is restarted with backoff, then reported as failed.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../main/core/index.ts';
import { clusterService } from '../../main/core/cluster/service.ts';
import { Runner } from '../../main/core/toolchain/runner.ts';
import { Supervisor, type SupervisedState } from '../../main/core/toolchain/supervisor.ts';
import { cleanup, isAlive, readPids, standinEnv, tempDir, waitUntil } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(cleanup));

describe('child processes and quitting', () => {
  it('no child process survives core.dispose()', async () => {
    const dataDir = tempDir('data');
    const pidDir = tempDir('pids');
    dirs.push(dataDir, pidDir);
    const pidfile = path.join(pidDir, 'pids');
    const core = createCore({ dataDir, version: 'test', transport: 'test', backend: 'sandbox', env: standinEnv({ STANDIN_PIDFILE: pidfile }) });
    const tunnelEvents: string[] = [];
    core.events.on('cluster.tunnel', (t) => tunnelEvents.push(t.state));
    const state = (await core.router.invoke('cluster.tunnel.start', {}, { transport: 'test', signal: new AbortController().signal })) as { state: string; pid?: number };
    expect(state.state).toBe('running');
    await waitUntil(() => readPids(pidfile).length === 2, 15_000);
    const pids = readPids(pidfile);
    expect(pids).toContain(state.pid);
    expect(pids.every(isAlive)).toBe(true);
    // A one-shot command still running at quit dies too.
    const svc = clusterService(core.ctx);
    const hanging = svc.tc.run('minikube', ['start'], { env: { ...(await svc.tc.env()), STANDIN_MINIKUBE: 'hang' } });
    await waitUntil(() => readPids(pidfile).length === 4, 15_000);
    const all = readPids(pidfile);

    await core.dispose();
    await hanging;
    await waitUntil(() => all.every((p) => !isAlive(p)), 5000);
    expect(tunnelEvents).toContain('stopped');
  });

  it('a supervised child that keeps dying is restarted with backoff, then reported as failed', async () => {
    const pidDir = tempDir('pids');
    dirs.push(pidDir);
    const pidfile = path.join(pidDir, 'pids');
    const sup = new Supervisor(new Runner(null));
    const states: string[] = [];
    const details: string[] = [];
    const env = standinEnv({ STANDIN_MINIKUBE: 'tunnel-dies', STANDIN_PIDFILE: pidfile });
    const child = sup.start('tunnel:meshwalk', 'minikube', ['tunnel', '--profile', 'meshwalk'], {
      env,
      backoffMs: 20,
      maxRestarts: 2,
      onState: (s: SupervisedState, d?: string) => {
        states.push(s);
        if (d) details.push(d);
      },
    });
    await waitUntil(() => child.state === 'failed', 20_000);
    expect(states).toEqual(['running', 'restarting', 'running', 'restarting', 'running', 'failed']);
    expect(readPids(pidfile)).toHaveLength(3);
    expect(details.at(-1)).toMatch(/^tunnel:meshwalk exited with code 1: .*TUNNEL_ALREADY_RUNNING/);
    expect(sup.get('tunnel:meshwalk')).toBeUndefined();
  });
});
