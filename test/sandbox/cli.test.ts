// `meshwalk sandbox run` end to end: the real entry point, spawned as instructors run it.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { FIXTURES, ROOT } from './helpers.ts';

const run = promisify(execFile);

/** The real entry point in a child process (slow to start, so used for a few cases). */
async function spawned(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'bin/meshwalk.mjs'), 'sandbox', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The same CLI in-process, with captured streams. */
const meshwalk = (args: string[]) => runCli(['sandbox', ...args], { cwd: ROOT });

const f = (name: string) => path.relative(ROOT, path.join(FIXTURES, name));

describe('meshwalk sandbox run', () => {
  it('--json prints one object per request with hops, view and access log (spawned bin/meshwalk.mjs)', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await spawned(['run', '-f', f('destination-rule-all.yaml'), '-f', f('virtual-service-all-v1.yaml'), '-f', f('virtual-service-reviews-test-v2.yaml'), '-f', f('virtual-service-ratings-test-delay.yaml'), '--request', 'GET http://productpage:9080/productpage', '--user', 'jason', '--count', '2', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const r = lines[0];
    expect(r.status).toBe(200);
    expect(r.durationMs).toBeGreaterThan(6000);
    expect(r.view).toMatchObject({ reviews: 'unavailable', stars: 'none' });
    expect(Object.keys(r.hops[0]).sort()).toEqual(['durationMs', 'flags', 'from', 'service', 'status', 'to', 'version']);
    expect(r.hops[0]).toMatchObject({ from: 'curl', to: 'productpage-v1', service: 'productpage', version: 'v1', status: 200, flags: '-' });
    expect(r.hops.some((h: { flags: string; to: string }) => h.flags === 'DI' && h.to === 'ratings-v1')).toBe(true);
    expect(r.accessLog.some((l: string) => / 200 DI via_upstream /.test(l))).toBe(true);
  });

  it('--summary counts statuses, serving workloads and flags; a folder works as -f', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-sandbox-'));
    writeFileSync(path.join(dir, 'dr.yaml'), `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
`);
    const { code, stdout } = await meshwalk(['run', '-f', dir, '--from', 'fortio', '--request', 'GET http://httpbin:8000/get', '--count', '30', '--concurrency', '3', '--summary']);
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s.requests).toBe(30);
    expect(s.byStatus['200'] + s.byStatus['503']).toBe(30);
    expect(s.byStatus['503']).toBeGreaterThan(0);
    expect(s.byFlag.UO).toBe(s.byStatus['503']);
    expect((s.byWorkload['httpbin-v1'] ?? 0) + (s.byWorkload['httpbin-v2'] ?? 0)).toBe(s.byStatus['200']);
  });

  it('--mesh-config accessLogEncoding=JSON switches the log encoding', async () => {
    const { stdout } = await meshwalk(['run', '--request', 'GET http://httpbin.org/headers', '--mesh-config', 'outboundTrafficPolicy.mode=REGISTRY_ONLY', '--mesh-config', 'accessLogEncoding=JSON', '--json']);
    const r = JSON.parse(stdout);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.accessLog[0])).toMatchObject({ response_code: 502, route_name: 'block_all', response_code_details: 'direct_response' });
  });

  it('bad manifests and flags exit 2 naming the file and the reason', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-sandbox-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: VirtualService\nspec: {}\n');
    let r = await spawned(['run', '-f', bad, '--request', 'GET http://productpage:9080/productpage']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:5: VirtualService document is not a Kubernetes object: missing apiVersion, metadata\.name/);
    r = await meshwalk(['run', '-f', path.join(dir, 'missing.yaml'), '--request', 'GET http://productpage:9080/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml: no such file or folder/);
    r = await meshwalk(['run', '--request', 'GET http://productpage:9080/', '--count', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--count must be a whole number/);
    r = await meshwalk(['run', '--request', 'GET http://productpage:9080/', '--from', 'nobody']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from: no workload or pod named "nobody"/);
    r = await meshwalk(['run', '--request', 'GET http://productpage:9080/', '--mesh-config', 'tracing=on']);
    expect(r.code).toBe(2);
    r = await meshwalk(['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--request/);
  });

  it('unsupported fields are reported on stderr, not ignored', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-sandbox-'));
    writeFileSync(path.join(dir, 'cors.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - corsPolicy: {allowOrigins: [{exact: a}]}\n    route:\n    - destination: {host: reviews}\n');
    const r = await meshwalk(['run', '-f', dir, '--request', 'GET http://reviews:9080/reviews/0', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*cors\.yaml:1: VirtualService default\/reviews: field spec\.http\[0\]\.corsPolicy is not modelled/);
  });

  it('--help prints the usage', async () => {
    const r = await meshwalk(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/meshwalk sandbox run -f/);
  });
});
