import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.ts';
import { projectRoot } from '../../main/core/paths.ts';

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'capture');
// Spawning the CLI starts tsx; on a busy two-core machine that alone can take seconds.
const SPAWN_TIMEOUT = 90_000;
const FIELDS = [
  'startTime', 'method', 'path', 'protocol', 'responseCode', 'responseFlags', 'responseCodeDetails', 'connectionTerminationDetails',
  'upstreamTransportFailureReason', 'bytesReceived', 'bytesSent', 'durationMs', 'upstreamServiceTimeMs', 'xForwardedFor', 'userAgent',
  'requestId', 'authority', 'upstreamHost', 'upstreamCluster', 'upstreamLocalAddress', 'downstreamLocalAddress', 'downstreamRemoteAddress',
  'requestedServerName', 'routeName',
];

function spawnParse(args: string[], input: string) {
  return spawnSync(process.execPath, [path.join(projectRoot, 'bin', 'meshwalk.mjs'), 'capture', 'parse', ...args], { input, encoding: 'utf8', cwd: projectRoot, timeout: 60_000 });
}

describe('meshwalk capture parse', () => {
  it('prints one JSON object per line with exactly the documented names (spawned, stdin)', () => {
    const input = readFileSync(path.join(dir, 'istio-docs-text-format.log'), 'utf8');
    const r = spawnParse(['--format', 'text'], input);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(5);
    for (const o of out) expect(Object.keys(o)).toEqual(FIELDS);
    expect(out[0]).toMatchObject({ responseCode: 418, upstreamCluster: { direction: 'outbound', port: 8000, host: 'httpbin.foo.svc.cluster.local' } });
    expect(out[3]).toMatchObject({ responseCode: 0, requestedServerName: 'edition.cnn.com' });
  }, SPAWN_TIMEOUT);

  it('reports bad lines as {"line": N, "error": …}, skips blank lines, and exits 0', () => {
    const good = readFileSync(path.join(dir, 'community-text-format.log'), 'utf8').trim().split('\n');
    const broken = readFileSync(path.join(dir, 'broken-lines.log'), 'utf8').trim().split('\n');
    const input = [good[0], '', broken[0], good[3], '   ', broken[7], good[4]].join('\n') + '\n';
    const r = spawnParse([], input);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(5);
    expect(out[1]).toEqual({ line: 3, error: expect.stringMatching(/fields/) });
    expect(out[2]).toMatchObject({ responseFlags: ['UH'] });
    expect(out[3]).toEqual({ line: 6, error: expect.any(String) });
    expect(out[4]).toMatchObject({ upstreamCluster: { raw: 'inbound|80||' } });
  }, SPAWN_TIMEOUT);

  it('counts the whole broken corpus as errors, in-process', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let text = '';
    stdout.on('data', (d: Buffer) => (text += d.toString()));
    stdin.end(readFileSync(path.join(dir, 'broken-lines.log')));
    const code = await main(['capture', 'parse', '--format', 'auto'], { stdin, stdout, stderr, env: {}, cwd: projectRoot });
    expect(code).toBe(0);
    const out = text.trim().split('\n').map((l) => JSON.parse(l) as { line?: number; error?: string });
    expect(out.length).toBeGreaterThanOrEqual(14);
    expect(out.every((o) => typeof o.line === 'number' && typeof o.error === 'string')).toBe(true);
  });

  it('parses JSON with --format json', () => {
    const r = spawnParse(['--format', 'json'], readFileSync(path.join(dir, 'community-json-format.jsonl'), 'utf8'));
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ responseCode: 404, upstreamServiceTimeMs: 2 });
  }, SPAWN_TIMEOUT);

  it('rejects an unknown format with exit 2', async () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (d: Buffer) => (text += d.toString()));
    const stdin = new PassThrough();
    stdin.end('');
    const code = await main(['capture', 'parse', '--format', 'xml'], { stdin, stdout: new PassThrough(), stderr, env: {}, cwd: projectRoot });
    expect(code).toBe(2);
    expect(text).toMatch(/--format must be text, json or auto/);
  });
});
