import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../main/core/terminal/process-tree.ts';
import { ask, makeRig, waitFor, type Rig } from './support.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

const open = (r: Rig, cols = 80, rows = 24) => r.sessions.open({ cols, rows, kind: 'shell' });

describe('terminal sessions (real pty)', () => {
  it('runs a login shell and round-trips a command', async () => {
    rig = makeRig();
    const s = open(rig);
    expect(s.pid).toBeGreaterThan(0);
    expect(await ask(rig, s.id, 'echo MW=$((6*7))', 'MW')).toBe('42');
  });

  it('points KUBECONFIG at Meshwalk even when the profile sets another, clears foreign kube vars, keeps tool folders on PATH', async () => {
    rig = makeRig({
      profile: 'export KUBECONFIG=/elsewhere/config\nexport KUBECTL_EXTERNAL_DIFF=meld\nexport PATH=/usr/bin:/bin\n',
      env: { KUBE_EDITOR: 'vi', KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      toolDirs: () => ['/opt/meshwalk-tools/bin'],
    });
    const s = open(rig);
    expect(await ask(rig, s.id, 'echo KC=$KUBECONFIG', 'KC')).toBe(path.join(rig.dataDir, 'kubeconfig'));
    expect(await ask(rig, s.id, 'echo KV=${KUBECTL_EXTERNAL_DIFF:-none},${KUBE_EDITOR:-none},${KUBERNETES_SERVICE_HOST:-none}', 'KV')).toBe('none,none,none');
    expect((await ask(rig, s.id, 'echo P=$PATH', 'P')).split(':')).toContain('/opt/meshwalk-tools/bin');
  });

  it('resizing the session changes `tput cols`', async () => {
    rig = makeRig();
    const s = open(rig, 80, 24);
    expect(await ask(rig, s.id, 'echo C=$(tput cols)', 'C')).toBe('80');
    rig.sessions.resize(s.id, 123, 40);
    expect(await ask(rig, s.id, 'echo C=$(tput cols)x$(tput lines)', 'C')).toBe('123x40');
  });

  it('coalesces output into batches', async () => {
    rig = makeRig();
    const s = open(rig);
    await ask(rig, s.id, 'echo READY=1', 'READY');
    let events = 0;
    const off = rig.bus.on('terminal.data', (d) => d.id === s.id && events++);
    // 2000 lines written by separate printf calls arrive in far fewer events.
    await ask(rig, s.id, 'for i in $(seq 1 2000); do printf "line %s\\n" $i; done; echo DONE=1', 'DONE');
    off();
    expect(events).toBeGreaterThan(0);
    expect(events).toBeLessThan(200);
  });

  it('pauses a flood (`yes`) until the view acknowledges, then resumes', async () => {
    rig = makeRig();
    const s = open(rig);
    await ask(rig, s.id, 'echo READY=1', 'READY');
    rig.sessions.input(s.id, 'yes\r');
    await waitFor(() => rig!.sessions.flowState(s.id).paused, 'the pty to pause');
    await new Promise((r) => setTimeout(r, 300));
    const atPause = rig.output.get(s.id)!.length;
    await new Promise((r) => setTimeout(r, 500));
    // Paused: at most what was already read from the pty trickles in.
    expect(rig.output.get(s.id)!.length - atPause).toBeLessThan(70_000);
    expect(rig.sessions.flowState(s.id).unacknowledged).toBeGreaterThan(100_000);
    // The view catches up: everything sent is acknowledged, the shell runs again and floods again.
    rig.sessions.ack(s.id, rig.sessions.flowState(s.id).unacknowledged);
    expect(rig.sessions.flowState(s.id).paused).toBe(false);
    await waitFor(() => rig!.output.get(s.id)!.length > atPause + 100_000, 'output after resuming');
    await waitFor(() => rig!.sessions.flowState(s.id).paused, 'the pty to pause again');
    // Ctrl-C must get through a paused session once acknowledged.
    rig.sessions.ack(s.id, 10_000_000);
    rig.sessions.input(s.id, '\x03');
    let acked = 0;
    const off = rig.bus.on('terminal.data', (d) => {
      if (d.id !== s.id) return;
      acked += d.data.length;
      rig!.sessions.ack(s.id, d.data.length);
    });
    expect(await ask(rig, s.id, 'echo AFTER=ok', 'AFTER')).toBe('ok');
    off();
    expect(acked).toBeGreaterThan(0);
  });

  it('closing a tab kills the shell and its background jobs, including ones that ignore hangups', async () => {
    rig = makeRig();
    const s = open(rig);
    const bg = Number(await ask(rig, s.id, 'sleep 1000 & echo BG=$!', 'BG'));
    const nohup = Number(await ask(rig, s.id, 'nohup sleep 1001 >/dev/null 2>&1 & echo NH=$!', 'NH'));
    const child = Number(await ask(rig, s.id, '(sleep 1002; true) & echo SUB=$!', 'SUB'));
    for (const pid of [s.pid!, bg, nohup, child]) expect(isAlive(pid)).toBe(true);
    await rig.sessions.close(s.id);
    for (const pid of [s.pid!, bg, nohup, child]) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(rig.sessions.list().sessions).toEqual([]);
  });

  it('a shell that exits on its own takes its jobs with it and reports the exit', async () => {
    rig = makeRig();
    const s = open(rig);
    const bg = Number(await ask(rig, s.id, 'sleep 1000 & echo BG=$!', 'BG'));
    rig.sessions.input(s.id, 'exit 3\r');
    await waitFor(() => rig!.exits.has(s.id), 'the exit event');
    expect(rig.exits.get(s.id)).toBe(3);
    await waitFor(() => !isAlive(bg), 'the background job to go');
    expect(rig.sessions.list().sessions[0]).toMatchObject({ id: s.id, exited: true, exitCode: 3 });
  });

  it('dispose stops every shell and its children', async () => {
    rig = makeRig();
    const a = open(rig);
    const b = open(rig);
    const pids = [a.pid!, b.pid!];
    pids.push(Number(await ask(rig, a.id, 'sleep 1000 & echo BG=$!', 'BG')));
    pids.push(Number(await ask(rig, b.id, 'sleep 1000 & echo BG=$!', 'BG')));
    await rig.sessions.dispose();
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(() => open(rig!)).toThrow(/shutting down/);
  });

  it('keeps a bounded scrollback that a reattaching view replays', async () => {
    rig = makeRig({ flow: { scrollbackChars: 20_000 } });
    const s = open(rig);
    rig.bus.on('terminal.data', (d) => rig!.sessions.ack(d.id, d.data.length));
    await ask(rig, s.id, 'seq 1 20000; echo END=1', 'END');
    rig.sessions.detach(s.id);
    const { session, scrollback } = rig.sessions.attach(s.id);
    expect(session.id).toBe(s.id);
    expect(scrollback).toContain('END=1');
    expect(scrollback).toContain('19999');
    expect(scrollback).not.toContain('\n100\r\n');
    expect(scrollback.length).toBeLessThanOrEqual(25_000);
  });

  it('pastes into the active shell without running it', async () => {
    rig = makeRig();
    const s = open(rig);
    await ask(rig, s.id, 'echo READY=1', 'READY');
    const from = rig.output.get(s.id)!.length;
    expect(await rig.sessions.paste('echo PASTED=$((40+2))\n')).toBe(s.id);
    await waitFor(() => rig!.output.get(s.id)!.slice(from).includes('PASTED=$((40+2))'), 'the pasted text on the prompt');
    await new Promise((r) => setTimeout(r, 300));
    expect(rig.output.get(s.id)!.slice(from)).not.toMatch(/\nPASTED=42/);
    expect(rig.pastes).toEqual([s.id]);
    // Pressing Enter runs it.
    expect(await ask(rig, s.id, '', 'PASTED')).toBe('42');
  });

  it('opens a shell for a paste when none is open', async () => {
    rig = makeRig();
    const id = await rig.sessions.paste('echo FRESH=yes');
    expect(rig.sessions.list().sessions.map((x) => x.id)).toEqual([id]);
    // Nobody was watching yet: the text waits in the scrollback for the view.
    await waitFor(() => rig!.sessions.attach(id).scrollback.includes('echo FRESH=yes'), 'the paste in the scrollback');
  });

  it('rejects unknown ids with an actionable error and keeps flow tail tabs read-only', async () => {
    rig = makeRig();
    expect(() => rig!.sessions.input('term-99', 'x')).toThrow(/no terminal session "term-99"/);
    const f = rig.sessions.open({ cols: 80, rows: 24, kind: 'flows' });
    expect(f.pid).toBeUndefined();
    await expect(rig.sessions.paste('ls', f.id)).rejects.toThrow(/flow tail/);
    rig.sessions.writeFlows('a → b  200\r\n');
    await waitFor(() => rig!.output.get(f.id)?.includes('a → b'), 'flow line');
  });
});
