import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../main/core/events.ts';
import { TranscriptLog } from '../../main/core/terminal/transcript-log.ts';
import { commandLine, shellQuote, transcriptScript } from '../../main/core/terminal/transcript-script.ts';
import type { TranscriptEntry } from '../../main/core/api/terminal.ts';

const nasty = ['', 'plain', 'with space', "it's", 'a"b', '$HOME', '`id`', '$(id)', 'a\\b', 'x;rm -rf /', '*', '~', 'multi\nline', '-n', '!bang', 'tab\there', '{a,b}', 'k=v', 'héllo 한국어'];

describe('shell quoting for the transcript script', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellQuote('kubectl')).toBe('kubectl');
    expect(shellQuote('app=reviews,version=v2')).toBe('app=reviews,version=v2');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });

  it('round-trips every argument through a real shell unchanged', async () => {
    for (const sh of ['/bin/sh', '/bin/bash']) {
      const { stdout } = await execa(sh, ['-c', `for a in ${nasty.map(shellQuote).join(' ')}; do printf '%s\\0' "$a"; done`]);
      expect(stdout.split('\0').slice(0, -1), sh).toEqual(nasty);
    }
  });

  it('shows the program as typed, not its full path', () => {
    expect(commandLine(['/usr/local/bin/kubectl', 'get', 'pods', '-n', 'istio-system'])).toBe('kubectl get pods -n istio-system');
    expect(commandLine(['C:\\tools\\istioctl.exe', 'version'])).toBe('istioctl version');
  });
});

const entry = (over: Partial<TranscriptEntry>): TranscriptEntry => ({ id: 'c1', argv: [], startedAt: 0, output: [], truncated: false, ...over });

describe('transcript script', () => {
  it('is a bash script with strict mode, our kubeconfig, comments and quoted commands', () => {
    const script = transcriptScript(
      [
        entry({ id: 'a', argv: ['/usr/bin/minikube', 'start', '-p', 'meshwalk'], purpose: 'Start the lab cluster', exitCode: 0 }),
        entry({ id: 'b', argv: ['kubectl', 'apply', '-f', 'labs/01 intro/manifests/vs.yaml'], equivalent: true, purpose: 'Route all\ntraffic to v1' }),
        entry({ id: 'c', argv: ['kubectl', 'get', 'ns', 'nope'], exitCode: 1 }),
      ],
      { kubeconfig: "/home/o'neil/.config/Meshwalk/kubeconfig", now: new Date('2026-01-01T00:00:00Z') },
    );
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/usr/bin/env bash');
    expect(lines).toContain('set -euo pipefail');
    expect(lines).toContain("if [ -z \"${KUBECONFIG:-}\" ]; then KUBECONFIG='/home/o'\\''neil/.config/Meshwalk/kubeconfig'; fi");
    expect(lines).toContain('minikube start -p meshwalk');
    expect(lines).toContain("kubectl apply -f 'labs/01 intro/manifests/vs.yaml'");
    expect(lines).toContain('# Route all traffic to v1');
    expect(lines).toContain('kubectl get ns nope || true');
  });

  it('runs: bash parses it and executes the commands with the right arguments', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-script-'));
    try {
      const out = path.join(dir, 'out');
      const script = transcriptScript(
        [entry({ argv: ['/usr/bin/printf', '%s|', ...nasty, out] }), entry({ argv: ['false'], exitCode: 1 }), entry({ argv: ['sh', '-c', 'printf "%s" "$KUBECONFIG" >> "$1"', 'sh', out] })],
        { kubeconfig: path.join(dir, 'kubeconfig') },
      );
      const file = path.join(dir, 's.sh');
      writeFileSync(file, script);
      const res = await execa('bash', [file], { env: { KUBECONFIG: '' }, reject: false });
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toBe(`${nasty.join('|')}|${out}|`);
      expect(readFileSync(out, 'utf8')).toBe(path.join(dir, 'kubeconfig'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('transcript log', () => {
  it('collects commands, output and exits from the runner events, bounded', () => {
    const bus = new EventBus();
    const log = new TranscriptLog({ maxEntries: 3, maxOutputChars: 10 });
    const stop = log.follow(bus);
    for (let i = 1; i <= 4; i++) bus.emit('transcript.command', { id: `c${i}`, argv: ['kubectl', 'get', 'pods'], startedAt: i });
    bus.emit('transcript.output', { id: 'c4', stream: 'stdout', text: 'NAME  READY\n' });
    bus.emit('transcript.output', { id: 'c4', stream: 'stderr', text: 'warn\n' });
    bus.emit('transcript.exit', { id: 'c4', exitCode: 0, durationMs: 12 });
    bus.emit('transcript.output', { id: 'gone', stream: 'stdout', text: 'x' });
    const entries = log.list();
    expect(entries.map((e) => e.id)).toEqual(['c2', 'c3', 'c4']);
    const last = entries[2];
    expect(last.exitCode).toBe(0);
    expect(last.truncated).toBe(true);
    expect(last.output.map((o) => o.text).join('')).toBe('EADY\nwarn\n');
    expect(last.output.at(-1)!.stream).toBe('stderr');
    stop();
    bus.emit('transcript.command', { id: 'c5', argv: ['x'], startedAt: 5 });
    expect(log.list()).toHaveLength(3);
  });
});
