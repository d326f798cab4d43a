// The access-log flush interval on a real cluster: read istiod's version with istioctl, patch the
// lab namespace's Deployments (server-side apply under its own field manager), wait for the
// rollout like `kubectl rollout status`, and say what was done (progress step + transcript).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clusterService } from '../../main/core/cluster/service.ts';
import { createClusterBackend } from '../../main/core/cluster/backend.ts';
import { FLUSH_FIELD_MANAGER, lowerFlushInterval } from '../../main/core/cluster/flush.ts';
import { PROXY_CONFIG_ANNOTATION } from '../../main/core/capture/flush-interval.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import type { CoreContext } from '../../main/core/context.ts';
import type { ClusterProgress } from '../../main/core/api/cluster.ts';
import { parseManifestText } from '../../main/core/manifests.ts';
import { FakeApiServer, json, status } from './fake-apiserver.ts';
import { disposeAll, fakeCtx, standinEnv } from './helpers.ts';

type Dep = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; resourceVersion: string; generation: number; annotations?: Record<string, string> }; spec: { replicas: number; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } } }; status: Record<string, number> };

const dep = (namespace: string, name: string, template: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Dep => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, resourceVersion: '1', generation: 1 },
  spec: { replicas: 1, template: { metadata: { labels: { app: name.replace(/-v\d$/, ''), ...template.labels }, ...(template.annotations ? { annotations: template.annotations } : {}) } } },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
});

let api: FakeApiServer;
let ctx: CoreContext;
let store: Map<string, Dep>;
let patches: { ns: string; name: string; query: URLSearchParams; contentType?: string; body: Record<string, unknown> }[];
/** When false the controller never finishes the rollout. */
let rollsOut: boolean;
const watches: http.ServerResponse[] = [];

function roll(d: Dep): void {
  d.status = { observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
  d.metadata.resourceVersion = String(Number(d.metadata.resourceVersion) + 1);
}

beforeEach(async () => {
  api = await new FakeApiServer().start();
  rollsOut = true;
  patches = [];
  store = new Map(
    [
      dep('default', 'productpage-v1'),
      dep('default', 'reviews-v2', { annotations: { [PROXY_CONFIG_ANNOTATION]: 'holdApplicationUntilProxyStarts: true\n' } }),
      dep('default', 'ratings-v1', { annotations: { [PROXY_CONFIG_ANNOTATION]: 'fileFlushInterval: 100ms\n' } }),
      dep('default', 'plain-db', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      dep('istio-system', 'istiod'),
      dep('istio-system', 'istio-ingressgateway'),
      dep('istio-system', 'istio-egressgateway'),
    ].map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d]),
  );
  api.routes.push((req, res) => {
    let m = /^\/apis\/apps\/v1\/namespaces\/([\w-]+)\/deployments$/.exec(req.path);
    if (m && req.query.get('watch') === 'true') {
      const name = /metadata\.name=([\w-]+)/.exec(req.query.get('fieldSelector') ?? '')?.[1];
      const d = store.get(`${m[1]}/${name}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      watches.push(res);
      if (!d) return true;
      // The current (not yet observed) state first, then the controller finishing the rollout.
      res.write(JSON.stringify({ type: 'ADDED', object: d }) + '\n');
      if (rollsOut && (d.status.observedGeneration ?? 0) < d.metadata.generation) {
        setTimeout(() => {
          roll(d);
          res.write(JSON.stringify({ type: 'MODIFIED', object: d }) + '\n');
        }, 30);
      }
      return true;
    }
    if (m && req.method === 'GET') {
      const items = [...store.values()].filter((d) => d.metadata.namespace === m![1]).map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
      return json(res, 200, { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: '10' }, items });
    }
    m = /^\/apis\/apps\/v1\/namespaces\/([\w-]+)\/deployments\/([\w-]+)$/.exec(req.path);
    if (m) {
      const key = `${m[1]}/${m[2]}`;
      if (req.method === 'GET') return store.has(key) ? json(res, 200, store.get(key)) : json(res, 404, status(404, 'NotFound', `deployments.apps "${m[2]}" not found`));
      if (req.method === 'PATCH') {
        const body = YAML.parse(req.body) as Dep;
        patches.push({ ns: m[1], name: m[2], query: req.query, contentType: req.contentType, body: body as unknown as Record<string, unknown> });
        let d = store.get(key);
        if (!d) {
          d = { ...dep(m[1], m[2]), ...body, metadata: { ...dep(m[1], m[2]).metadata } };
          store.set(key, d);
        } else {
          const ann = body.spec?.template?.metadata?.annotations;
          if (ann) d.spec.template.metadata.annotations = { ...d.spec.template.metadata.annotations, ...ann };
          d.metadata.generation++;
          d.metadata.resourceVersion = String(Number(d.metadata.resourceVersion) + 1);
        }
        return json(res, 200, d);
      }
    }
    if (req.path.startsWith('/api/v1/namespaces/') && (req.path.endsWith('/pods') || req.path.endsWith('/events'))) return json(res, 200, { kind: 'List', apiVersion: 'v1', metadata: {}, items: [] });
    return false;
  });
});
afterEach(async () => {
  for (const w of watches.splice(0)) w.destroy();
  await api.close();
  await disposeAll();
});

function setup(istioctl?: string): CoreContext {
  ctx = fakeCtx(standinEnv(istioctl ? { STANDIN_ISTIOCTL: istioctl } : {}));
  writeFileSync(path.join(ctx.options.dataDir, 'kubeconfig'), '');
  api.kubeconfig(ctx.options.dataDir);
  return ctx;
}

function transcript(c: CoreContext): string[][] {
  const argv: string[][] = [];
  c.events.on('transcript.command', (e) => argv.push(e.argv));
  return argv;
}

describe('access-log flush interval on the cluster', () => {
  it('Istio 1.30: patches the injected lab Deployments and the gateways, keeps other ProxyConfig fields, waits for the rollout', async () => {
    const c = setup('mesh-current');
    const commands = transcript(c);
    const r = await clusterService(c).flushInterval('default');
    expect(r.supported).toBe(true);
    expect(r.istioVersion).toBe('1.30.3');
    // ratings-v1 already has it; plain-db opts out of injection; istiod is not a gateway.
    expect(r.patched.sort()).toEqual(['default/productpage-v1', 'default/reviews-v2', 'istio-system/istio-egressgateway', 'istio-system/istio-ingressgateway']);
    for (const p of patches) {
      expect(p.query.get('fieldManager')).toBe(FLUSH_FIELD_MANAGER);
      expect(p.query.get('force')).toBe('true');
      expect(p.contentType).toBe('application/apply-patch+yaml');
    }
    const reviews = patches.find((p) => p.name === 'reviews-v2')!.body as unknown as Dep;
    expect(reviews.spec.template.metadata.annotations![PROXY_CONFIG_ANNOTATION]).toBe('holdApplicationUntilProxyStarts: true\nfileFlushInterval: 100ms\n');
    // Partial object only: nothing else of the Deployment is claimed by the flush field manager.
    expect(Object.keys(reviews.spec)).toEqual(['template']);
    // Returned only once the controller observed the new generation and rolled the pods.
    expect(store.get('default/productpage-v1')!.status.observedGeneration).toBe(2);
    expect(r.message).toMatch(/^Istio 1\.30\.3: access logs flush every 100 ms on 4 deployment\(s\)/);
    expect(commands).toContainEqual(['kubectl', 'patch', 'deployment/productpage-v1', '-n', 'default', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { [PROXY_CONFIG_ANNOTATION]: 'fileFlushInterval: 100ms\n' } } } } })]);
    expect(commands).toContainEqual(['kubectl', 'rollout', 'status', 'deployment/productpage-v1', '-n', 'default']);
    expect(commands).toContainEqual(['kubectl', 'rollout', 'status', 'deployment/istio-ingressgateway', '-n', 'istio-system']);

    // Again: everything already set, nothing patched, nothing restarted.
    patches = [];
    const again = await clusterService(c).flushInterval('default');
    expect(again.patched).toEqual([]);
    expect(patches).toEqual([]);
    expect(again.message).toMatch(/already 100 ms/);
  });

  it('an Istio without fileFlushInterval (istiod 1.11.1): nothing is patched and the reason says which release is needed', async () => {
    const c = setup();
    const r = await clusterService(c).flushInterval('default');
    expect(r).toMatchObject({ supported: false, istioVersion: '1.11.1', patched: [] });
    expect(r.message).toMatch(/Istio 1\.11\.1 .*needs 1\.24 or later/);
    expect(patches).toEqual([]);
  });

  it('Bookinfo deploy reports the step (between exposing Bookinfo and the probe)', async () => {
    const c = setup('mesh-current');
    const steps: ClusterProgress[] = [];
    c.events.on('cluster.progress', (p) => steps.push(p));
    const svc = clusterService(c);
    vi.spyOn(svc.bookinfo, 'deploy').mockResolvedValue();
    vi.spyOn(svc.bookinfo, 'ingress').mockResolvedValue(null);
    await svc.deployBookinfo('default');
    const flush = steps.filter((s) => s.name === 'Access-log flush interval');
    expect(flush.at(-1)).toMatchObject({ task: 'bookinfo', step: 4, total: 5, state: 'running' });
    expect(flush.at(-1)!.message).toMatch(/access logs flush every 100 ms on 4 deployment/);
    expect(steps.at(-1)).toMatchObject({ step: 5, total: 5, state: 'done' });
  });

  it('Bookinfo deploy on an old Istio still succeeds and says why the interval was left alone', async () => {
    const c = setup();
    const steps: ClusterProgress[] = [];
    c.events.on('cluster.progress', (p) => steps.push(p));
    const svc = clusterService(c);
    vi.spyOn(svc.bookinfo, 'deploy').mockResolvedValue();
    vi.spyOn(svc.bookinfo, 'ingress').mockResolvedValue(null);
    await svc.deployBookinfo('default');
    expect(steps.filter((s) => s.name === 'Access-log flush interval').at(-1)!.message).toMatch(/1\.11\.1 does not let ProxyConfig set the access-log flush interval/);
    expect(steps.at(-1)).toMatchObject({ state: 'done' });
  });

  it('a lab sample applied through the backend gets the interval too (only the Deployments it applied)', async () => {
    const c = setup('mesh-current');
    const backend = await createClusterBackend(c);
    const docs = parseManifestText('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: httpbin\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels: {app: httpbin}\n', 'samples/httpbin/httpbin.yaml');
    const out = await backend.apply(docs);
    expect(out.map((o) => [o.ref.name, o.action])).toEqual([['httpbin', 'created']]);
    expect(patches.map((p) => [p.name, p.query.get('fieldManager')])).toEqual([
      ['httpbin', 'meshwalk'],
      ['httpbin', FLUSH_FIELD_MANAGER],
    ]);
    expect(store.get('default/httpbin')!.spec.template.metadata.annotations).toEqual({ [PROXY_CONFIG_ANNOTATION]: 'fileFlushInterval: 100ms\n' });
    await backend.dispose();
  });

  it('a rollout that never finishes is an error naming the Deployment', async () => {
    const c = setup('mesh-current');
    rollsOut = false;
    const svc = clusterService(c);
    const err = (await lowerFlushInterval({ kube: svc.kube(), versions: () => svc.istioVersions(), namespace: 'default', gateways: false, only: ['productpage-v1'], rolloutTimeoutMs: 300 }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/productpage-v1 did not roll out/);
    expect(err.fix).toBe('See why: kubectl rollout status deployment/productpage-v1 -n default');
  });
});
