// The flow tail tab over a real core: requests from the capture's `capture.requests` events show
// up as colourised lines in a 'flows' session, written by the core (no process behind it).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core/index.ts';
import type { RequestTree } from '../../main/core/capture/types.ts';

let core: Core;
let dir: string;
const call = (method: string, params: unknown) => core.router.invoke(method, params, { transport: 'test', signal: new AbortController().signal });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-flows-'));
  core = createCore({ dataDir: dir, version: 'test', transport: 'test', backend: 'sandbox' });
});
afterAll(async () => {
  await core.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const ref = (app: string, version: string | null) => ({ workload: version ? `${app}-${version}` : app, app, version, namespace: 'default' });
function tree(requestId: string, status: number, complete?: boolean): RequestTree {
  const hop = (from: ReturnType<typeof ref>, to: ReturnType<typeof ref>, s: number) => ({ from, to, startTime: null, status: s, flags: s === 503 ? ['UO'] : [], durationMs: 9, cluster: null, path: '/productpage', method: 'GET', connection: null });
  return {
    requestId,
    startTime: null,
    user: 'jason',
    status,
    ...(complete === undefined ? {} : { complete }),
    hops: [hop(ref('istio-ingressgateway', null), ref('productpage', 'v1'), status), hop(ref('productpage', 'v1'), ref('reviews', 'v2'), status)],
  };
}

describe('flow tail tab', () => {
  it('prints each request once, in colour, waiting a little for incomplete ones', async () => {
    const { id, pid } = (await call('terminal.open', { cols: 120, rows: 30, kind: 'flows' })) as { id: string; pid?: number };
    expect(pid).toBeUndefined();
    let out = '';
    core.events.on('terminal.data', (d) => {
      if (d.id === id) out += d.data;
    });
    const { scrollback } = (await call('terminal.attach', { id })) as { scrollback: string };
    expect(scrollback).toContain('Live flows');
    const emit = (trees: RequestTree[]) => core.events.emit('capture.requests', { emittedAt: Date.now(), trees });
    emit([tree('r1', 200, true), tree('r2', 503, false)]);
    await expect.poll(() => out.replace(/\x1b\[[0-9;]*m/g, '')).toContain('istio-ingressgateway → productpage-v1 → reviews-v2');
    expect(out).toContain('\x1b[32m200');
    expect(out).not.toContain('503');
    // r1 again (an update) is not printed twice; r2 completes and is printed, in red with its flag.
    emit([tree('r1', 200, true), tree('r2', 503, true)]);
    await expect.poll(() => out).toContain('\x1b[31m503');
    expect(out.match(/\x1b\[32m200\x1b\[0m  9ms  \x1b\[2muser=jason/g)).toHaveLength(1);
    // One that never completes is printed anyway after a short wait.
    emit([tree('r3', 404, false)]);
    await expect.poll(() => out, { timeout: 5000 }).toContain('\x1b[33m404');
    // Lines end as a terminal needs them (there is no pty to translate \n).
    expect(out).not.toMatch(/[^\r]\n/);
    await call('terminal.close', { id });
  });

  it('shell and flow tabs are listed; the flow tail is read-only', async () => {
    const { id } = (await call('terminal.open', { cols: 80, rows: 24, kind: 'flows' })) as { id: string };
    await expect(call('terminal.paste', { text: 'ls', id })).rejects.toThrow(/flow tail/);
    const { sessions } = (await call('terminal.list', {})) as { sessions: { id: string; kind: string }[] };
    expect(sessions).toContainEqual(expect.objectContaining({ id, kind: 'flows' }));
    await call('terminal.close', { id });
  });
});
