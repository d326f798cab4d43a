// The Kubernetes layer (client-node) against a local fake API server: server-side apply
// (created / configured / unchanged), conflicts, validation errors, unreachable clusters, dry-run
// diff, a watch that drops and resumes, and a log stream that drops and resumes without duplicates.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../main/core/events.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { Kube } from '../../main/core/cluster/kube.ts';
import { parseManifestText } from '../../main/core/manifests.ts';
import { FakeApiServer, json, status } from './fake-apiserver.ts';
import { cleanup, tempDir } from './helpers.ts';

const VS_FILE = `# routing lab
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
`;

let server: FakeApiServer;
let dir: string;
let events: EventBus;
let seen: { topic: string; data: unknown }[];

beforeEach(async () => {
  server = await new FakeApiServer().start();
  dir = tempDir('kube');
  events = new EventBus();
  seen = [];
  events.subscribe((topic, data) => seen.push({ topic, data }));
});
afterEach(async () => {
  await server.close();
  cleanup(dir);
});

const docs = () => parseManifestText(VS_FILE, 'labs/routing/vs.yaml');
const kube = () => new Kube(server.kubeconfig(dir), events, 'default');

/** An in-memory object store behind GET and server-side-apply PATCH. */
function store(opts: { bumpOnApply?: boolean } = {}) {
  const objects = new Map<string, Record<string, unknown>>();
  let rv = 100;
  server.routes.push((req, res) => {
    const m = /^\/apis\/networking\.istio\.io\/v1\/namespaces\/(\w+)\/(\w+)\/([\w-]+)$/.exec(req.path);
    if (!m) return false;
    const key = `${m[1]}/${m[2]}/${m[3]}`;
    if (req.method === 'GET') {
      const o = objects.get(key);
      return o ? json(res, 200, o) : json(res, 404, status(404, 'NotFound', `${m[2]}.networking.istio.io "${m[3]}" not found`));
    }
    if (req.method === 'PATCH') {
      const body = JSON.parse(req.body);
      const existed = objects.get(key);
      const dry = req.query.get('dryRun') === 'All';
      const next = { ...body, metadata: { ...body.metadata, namespace: m[1], resourceVersion: String(existed && !opts.bumpOnApply ? (existed.metadata as { resourceVersion: string }).resourceVersion : ++rv), managedFields: [{ manager: 'meshwalk' }] } };
      if (!dry) objects.set(key, next);
      return json(res, existed ? 200 : 201, next);
    }
    return false;
  });
  return objects;
}

describe('server-side apply', () => {
  it('applies each document with fieldManager meshwalk and reports created, then unchanged', async () => {
    store();
    const k = kube();
    const first = await k.apply(docs());
    expect(first.map((o) => `${o.ref.kind}/${o.ref.name} ${o.action} ${o.source?.line}`)).toEqual(['DestinationRule/reviews created 2', 'VirtualService/reviews created 7']);
    const patch = server.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe('/apis/networking.istio.io/v1/namespaces/default/destinationrules/reviews');
    expect(patch.contentType).toBe('application/apply-patch+yaml');
    expect(patch.query.get('fieldManager')).toBe('meshwalk');
    expect(patch.query.get('force')).toBe('false');
    expect(JSON.parse(patch.body).metadata.namespace).toBe('default');
    expect((await k.apply(docs())).map((o) => o.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('reports configured when the server bumps the resourceVersion', async () => {
    store({ bumpOnApply: true });
    const k = kube();
    await k.apply(docs());
    expect((await k.apply(docs())).map((o) => o.action)).toEqual(['configured', 'configured']);
  });

  it('shows the kubectl equivalent in the transcript', async () => {
    store();
    await kube().apply(docs());
    const cmd = seen.find((e) => e.topic === 'transcript.command')!.data as { argv: string[]; equivalent: boolean };
    expect(cmd).toMatchObject({ argv: ['kubectl', 'apply', '--server-side', '--field-manager=meshwalk', '-f', 'labs/routing/vs.yaml'], equivalent: true });
    expect(seen.filter((e) => e.topic === 'transcript.output').map((e) => (e.data as { text: string }).text)).toEqual([
      'destinationrule.networking.istio.io/reviews serverside-applied',
      'virtualservice.networking.istio.io/reviews serverside-applied',
    ]);
    expect((seen.find((e) => e.topic === 'transcript.exit')!.data as { exitCode: number }).exitCode).toBe(0);
  });

  it('a 409 conflict names the file and document and suggests what to do', async () => {
    store();
    server.routes.unshift((req, res) =>
      req.method === 'PATCH' && req.path.endsWith('/virtualservices/reviews')
        ? json(res, 409, status(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using networking.istio.io/v1: .spec.http'))
        : false,
    );
    const err = (await kube().apply(docs()).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('labs/routing/vs.yaml:7 (document 2): VirtualService default/reviews: conflict — Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using networking.istio.io/v1: .spec.http');
    expect(err.fix).toMatch(/force conflicts/);
    const exit = seen.filter((e) => e.topic === 'transcript.exit').at(-1)!.data as { exitCode: number; error: string };
    expect(exit.exitCode).toBe(1);
  });

  it('a 422 validation error lists the fields', async () => {
    server.routes.push((req, res) =>
      req.method === 'PATCH'
        ? json(res, 422, status(422, 'Invalid', 'DestinationRule.networking.istio.io "reviews" is invalid: spec.host: Required value', [{ field: 'spec.host', message: 'Required value', reason: 'FieldValueRequired' }]))
        : false,
    );
    const err = (await kube().apply(docs()).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('invalid_params');
    expect(err.message).toBe('labs/routing/vs.yaml:2 (document 1): DestinationRule default/reviews is invalid: spec.host: Required value');
  });

  it('an unreachable cluster says so and how to start it', async () => {
    const file = server.kubeconfig(dir);
    await server.close();
    const err = (await new Kube(file, events).apply(docs()).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/^labs\/routing\/vs\.yaml:2 \(document 1\): cannot reach the cluster API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    expect(err.fix).toMatch(/Start the cluster/);
    server = await new FakeApiServer().start();
  });

  it('cluster-scoped objects get no namespace; namespaced ones go to the lab namespace, not the context\'s', async () => {
    server.routes.push((req, res) => {
      if (req.path !== '/api/v1/namespaces/labs') return false;
      if (req.method === 'GET') return json(res, 404, status(404, 'NotFound', 'namespaces "labs" not found'));
      return json(res, 201, { ...JSON.parse(req.body), metadata: { ...JSON.parse(req.body).metadata, resourceVersion: '7' } });
    });
    const ns = parseManifestText('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: labs\n  labels: {istio-injection: enabled}\n', 'namespace labs');
    const out = await new Kube(server.kubeconfig(dir), events, 'labs').apply(ns);
    expect(out[0]).toMatchObject({ action: 'created', ref: { kind: 'Namespace', name: 'labs' } });
    const patch = server.requests.find((r) => r.method === 'PATCH')!;
    expect(JSON.parse(patch.body).metadata).toEqual({ name: 'labs', labels: { 'istio-injection': 'enabled' } });
    expect(ns[0].object.metadata.namespace).toBeUndefined(); // the caller's document is not mutated
  });

  it('delete reports deleted and not-found', async () => {
    server.routes.push((req, res) => (req.method === 'DELETE' ? (req.path.endsWith('/destinationrules/reviews') ? json(res, 200, status(200, '', 'deleted')) : json(res, 404, status(404, 'NotFound', 'not found'))) : false));
    const out = await kube().delete(docs());
    expect(out.map((o) => `${o.ref.kind} ${o.action}`)).toEqual(['DestinationRule deleted', 'VirtualService not-found']);
  });
});

describe('diff', () => {
  it('diffs a dry-run apply against the live object with server fields stripped', async () => {
    const objects = store();
    await kube().apply(docs());
    const live = objects.get('default/virtualservices/reviews')! as { spec: { http: { route: { destination: { subset: string } }[] }[] }; status?: unknown };
    live.status = { observedGeneration: 1 };
    const changed = parseManifestText(VS_FILE.replace('subset: v1', 'subset: v3'), 'labs/routing/vs.yaml');
    const d = await kube().diff(changed);
    expect(d[0].patch).toBe('');
    expect(d[1].patch).toContain('\n-            subset: v1\n');
    expect(d[1].patch).toContain('\n+            subset: v3\n');
    expect(d[1].patch).not.toMatch(/managedFields|resourceVersion|observedGeneration/);
    expect(server.requests.filter((r) => r.method === 'PATCH').at(-1)!.query.get('dryRun')).toBe('All');
    // The dry run did not change the stored object.
    expect(live.spec.http[0].route[0].destination.subset).toBe('v1');
  });
});

const pod = (ready: boolean, rv: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'productpage-v1-abc', namespace: 'default', resourceVersion: rv, labels: { app: 'productpage' } },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('watch and wait', () => {
  it('a dropped watch resumes from the last resourceVersion and the wait completes', async () => {
    const watches: URLSearchParams[] = [];
    server.routes.push((req, res) => {
      if (req.path !== '/api/v1/namespaces/default/pods' || req.query.get('watch') !== 'true') return false;
      watches.push(req.query);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches.length === 1) {
        res.end(JSON.stringify({ type: 'ADDED', object: pod(false, '10') }) + '\n'); // then the stream drops
      } else {
        res.write(JSON.stringify({ type: 'MODIFIED', object: pod(true, '11') }) + '\n');
      }
      return true;
    });
    const r = await kube().waitFor({ kind: 'podsReady', namespace: 'default', selector: { app: 'productpage' }, timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expect(watches).toHaveLength(2);
    expect(watches[0].get('resourceVersion')).toBeNull();
    expect(watches[0].get('labelSelector')).toBe('app=productpage');
    expect(watches[1].get('resourceVersion')).toBe('10');
  });

  it('410 Gone restarts the watch from scratch', async () => {
    const phases: string[] = [];
    let n = 0;
    server.routes.push((req, res) => {
      if (req.query.get('watch') !== 'true') return false;
      n++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n === 1) res.end(JSON.stringify({ type: 'ADDED', object: pod(false, '5') }) + '\n');
      else if (n === 2) res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version: 5 (900)') }) + '\n');
      else res.write(JSON.stringify({ type: 'ADDED', object: pod(true, '901') }) + '\n');
      return true;
    });
    const ac = new AbortController();
    await kube().watch('/api/v1/namespaces/default/pods', { signal: ac.signal, retryMs: 20 }, (phase, obj) => {
      phases.push(`${phase} ${obj.metadata.resourceVersion ?? ''}`.trim());
      if (phases.length === 3) ac.abort();
    });
    expect(phases).toEqual(['ADDED 5', 'RESYNC', 'ADDED 901']);
    expect(server.requests.filter((r) => r.query.get('watch') === 'true').map((r) => r.query.get('resourceVersion'))).toEqual([null, '5', null]);
  });

  it('a timed-out wait explains why from pods and events', async () => {
    server.routes.push((req, res) => {
      if (req.path !== '/api/v1/namespaces/default/pods') return false;
      if (req.query.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(JSON.stringify({ type: 'ADDED', object: pod(false, '3') }) + '\n');
        return true;
      }
      return json(res, 200, {
        kind: 'PodList', apiVersion: 'v1', metadata: {},
        items: [{ ...pod(false, '3'), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }] } }],
      });
    });
    server.routes.push((req, res) => (req.path === '/api/v1/namespaces/default/events' ? json(res, 200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: [] }) : false));
    const r = await kube().waitFor({ kind: 'podsReady', namespace: 'default', timeoutMs: 600 });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('productpage-v1-abc is waiting: the cluster does not have enough free memory to run it.');
  });
});

describe('pod logs', () => {
  it('a dropped log stream resumes with sinceTime and never repeats a line', async () => {
    const reqs: URLSearchParams[] = [];
    server.routes.push((req, res) => {
      if (req.path !== '/api/v1/namespaces/default/pods/productpage-v1-abc/log') return false;
      reqs.push(req.query);
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (reqs.length === 1) {
        res.end('2026-11-24T10:00:00.100Z [a] first\n2026-11-24T10:00:00.2Z [b] second\n');
      } else {
        res.write('2026-11-24T10:00:00.100Z [a] first\n2026-11-24T10:00:00.2Z [b] second\n2026-11-24T10:00:01.000000001Z [c] third\n');
      }
      return true;
    });
    const got: string[] = [];
    const ac = new AbortController();
    await kube().followLogs('default', 'productpage-v1-abc', 'istio-proxy', (lines) => {
      got.push(...Buffer.from(lines).toString().split('\n').slice(0, -1));
      if (got.length === 3) setTimeout(() => ac.abort(), 100);
    }, { signal: ac.signal, retryMs: 20 });
    expect(got).toEqual(['[a] first', '[b] second', '[c] third']);
    expect(reqs[0].get('follow')).toBe('true');
    expect(reqs[0].get('timestamps')).toBe('true');
    expect(reqs[0].get('container')).toBe('istio-proxy');
    expect(reqs[1].get('sinceTime')).toBe('2026-11-24T10:00:00Z');
  });
});
