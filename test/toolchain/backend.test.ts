// The cluster MeshBackend over a fake API server and stand-in tools: status, pods, access logs
// followed for every injected pod (new pods picked up by the watch), iptables, runTool.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClusterBackend } from '../../main/core/cluster/backend.ts';
import { linesOf } from '../../main/core/backend/access-log.ts';
import type { AccessLogLine, MeshBackend } from '../../main/core/backend/types.ts';
import type { CoreContext } from '../../main/core/context.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { FakeApiServer, json } from './fake-apiserver.ts';
import { disposeAll, fakeCtx, standinEnv, waitUntil } from './helpers.ts';

const ACCESS = '[2026-11-24T10:00:00.120Z] "GET /reviews/0 HTTP/1.1" 200 - via_upstream - "-" 0 358 7 6 "-" "python-requests/2.31" "1c6e-…" "reviews:9080" "10.244.0.12:9080" outbound|9080||reviews.default.svc.cluster.local 10.244.0.9:41234 10.96.12.34:9080 10.244.0.9:47322 - default';

const pod = (name: string, app: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', resourceVersion: '1', labels: { app, version: 'v1' }, ownerReferences: [{ kind: 'ReplicaSet', name: `${app}-v1-6987489c74` }] },
  spec: { initContainers: [{ name: 'istio-init' }, { name: 'istio-proxy', restartPolicy: 'Always' }], containers: [{ name: app }], nodeName: 'meshwalk', serviceAccountName: `bookinfo-${app}` },
  status: { phase: 'Running', podIP: '10.244.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
});

let server: FakeApiServer;
let ctx: CoreContext;
let backend: MeshBackend;
let watchRes: http.ServerResponse | null;

beforeEach(async () => {
  server = await new FakeApiServer().start();
  ctx = fakeCtx(standinEnv());
  writeFileSync(path.join(ctx.options.dataDir, 'kubeconfig'), '');
  server.kubeconfig(ctx.options.dataDir);
  watchRes = null;
  server.routes.push((req, res) => {
    if (req.path === '/api/v1/namespaces/default/pods' && req.query.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: pod('productpage-v1-6987489c74-lpkgl', 'productpage') }) + '\n');
      watchRes = res;
      return true;
    }
    if (req.path === '/api/v1/namespaces/istio-system/pods' && req.query.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('');
      return true;
    }
    if (req.path === '/api/v1/namespaces/default/pods') return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [pod('productpage-v1-6987489c74-lpkgl', 'productpage'), pod('curl-5b549b49b8-fk8qx', 'curl')] });
    const m = /^\/api\/v1\/namespaces\/default\/pods\/([\w-]+)\/log$/.exec(req.path);
    if (m) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`2026-11-24T10:00:00.200000000Z 2026-11-24T10:00:00.200Z\tinfo\tEnvoy proxy is ready\n2026-11-24T10:00:01.000000000Z ${ACCESS.replace('reviews:9080', `${m[1]}:9080`)}\n`);
      return true;
    }
    return false;
  });
  backend = await createClusterBackend(ctx);
});
afterEach(async () => {
  await backend.dispose();
  await server.close();
  await disposeAll();
});

describe('cluster backend', () => {
  it('status: the minikube profile, ready when the API server answers', async () => {
    expect(await backend.status()).toEqual({ kind: 'cluster', label: 'minikube profile meshwalk', state: 'ready' });
  });

  it('pods come back as PodInfo', async () => {
    expect((await backend.pods()).slice(0, 1)).toEqual([
      expect.objectContaining({ name: 'productpage-v1-6987489c74-lpkgl', workload: 'productpage-v1', app: 'productpage', injected: true, ready: true, ip: '10.244.0.9', serviceAccount: 'bookinfo-productpage' }),
    ]);
  });

  it('follows istio-proxy of every injected pod, including ones that appear later; only access-log lines', async () => {
    const lines: AccessLogLine[] = [];
    const stop = backend.onAccessLog((c) => lines.push(...linesOf(c)));
    await waitUntil(() => lines.length === 1, 10_000);
    expect(lines[0].source).toEqual({ namespace: 'default', pod: 'productpage-v1-6987489c74-lpkgl', workload: 'productpage-v1', app: 'productpage', version: 'v1', kind: 'sidecar', podIP: '10.244.0.9' });
    expect(lines[0].line).toMatch(/^\[2026-11-24T10:00:00\.120Z\] "GET \/reviews\/0/);
    watchRes!.write(JSON.stringify({ type: 'ADDED', object: pod('reviews-v1-7f99cc4496-gdxfn', 'reviews') }) + '\n');
    await waitUntil(() => lines.length === 2, 10_000);
    expect(lines[1].source.pod).toBe('reviews-v1-7f99cc4496-gdxfn');
    const logReq = server.requests.find((r) => r.path.endsWith('/log'))!;
    expect(logReq.query.get('container')).toBe('istio-proxy');
    expect(logReq.query.get('sinceTime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    stop();
  });

  it('sends traffic from the curl pod with kubectl exec, logging in first for a user', async () => {
    const commands: string[][] = [];
    ctx.events.on('transcript.command', (c) => commands.push(c.argv));
    const r = await backend.sendTraffic({ from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage', headers: { 'x-lab': '1' }, user: 'jason', count: 3, concurrency: 2, qps: 0 });
    expect(r.responses).toHaveLength(3);
    for (const resp of r.responses) {
      expect(resp).toMatchObject({ status: 200, durationMs: 12, view: { reviews: 'ok', stars: 'black', ratings: 'ok', details: 'ok' } });
      expect(resp.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(commands[0]).toEqual(expect.arrayContaining(['kubectl', 'exec', '-n', 'default', 'curl-5b549b49b8-fk8qx', '-c', 'curl', '--', 'curl', '--data-urlencode', 'username=jason', 'http://productpage:9080/login']));
    const req = commands[1];
    expect(req.slice(0, 9)).toEqual(['kubectl', 'exec', '-n', 'default', 'curl-5b549b49b8-fk8qx', '-c', 'curl', '--', 'curl']);
    expect(req).toEqual(expect.arrayContaining(['-H', 'x-lab: 1', '-b']));
    expect(new Set(r.responses.map((x) => x.requestId)).size).toBe(3);
  });

  it('iptables come from istio-init\'s log; runTool runs only the lab tools', async () => {
    const rules = await backend.iptables({ namespace: 'default', name: 'productpage-v1-6987489c74-lpkgl' });
    expect(rules.split('\n')[0]).toBe('*nat');
    expect(rules).toContain('-A ISTIO_OUTPUT');
    const r = await backend.runTool(['kubectl', 'version', '--client', '-o', 'json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).clientVersion.gitVersion).toBe('v1.32.4-dispatcher');
    await expect(backend.runTool(['bash', '-c', 'id'])).rejects.toBeInstanceOf(ApiError);
    const dump = await backend.proxyConfig({ namespace: 'default', name: 'productpage-v1-6987489c74-lpkgl' });
    expect((dump.configs[0] as { bootstrap: { node: { id: string } } }).bootstrap.node.id).toBe('sidecar~10.244.0.9~productpage-v1-6987489c74-lpkgl.default~default.svc.cluster.local');
  });
});
