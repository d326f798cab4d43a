// "Bring your own cluster" through the API: list contexts, pick one, the doctor checks that cluster
// (reachable, version, Istio present, permissions by SelfSubjectAccessReview); the user's kubeconfig
// stays byte-identical.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core/index.ts';
import type { ClusterStatus, DoctorReport } from '../../main/core/api/cluster.ts';
import { FakeApiServer, json } from './fake-apiserver.ts';
import { cleanup, standinEnv, tempDir } from './helpers.ts';

let server: FakeApiServer;
let core: Core;
let home: string;
let data: string;
const reviews: { resource: string; verb: string; namespace?: string }[] = [];

beforeEach(async () => {
  server = await new FakeApiServer().start();
  reviews.length = 0;
  server.routes.push((req, res) => {
    if (req.method !== 'POST' || req.path !== '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') return false;
    const body = JSON.parse(req.body);
    const attrs = body.spec.resourceAttributes;
    reviews.push(attrs);
    // A classroom account: may work in namespaces, may not install CRDs.
    return json(res, 201, { ...body, status: { allowed: attrs.resource !== 'customresourcedefinitions' } });
  });
  home = tempDir('home');
  data = tempDir('data');
  mkdirSync(path.join(home, '.kube'));
  server.kubeconfig(path.join(home, '.kube'));
  // FakeApiServer writes "kubeconfig"; kubectl's default file is "config".
  renameSync(path.join(home, '.kube', 'kubeconfig'), path.join(home, '.kube', 'config'));
  core = createCore({ dataDir: data, version: 'test', transport: 'test', backend: 'sandbox', env: { ...standinEnv(), HOME: home } });
});
afterEach(async () => {
  await core.dispose();
  await server.close();
  cleanup(home);
  cleanup(data);
});

const call = (method: string, params: unknown = {}) => core.router.invoke(method, params, { transport: 'test', signal: new AbortController().signal });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('bring your own cluster', () => {
  it('picks a context, checks it, and never writes the user\'s kubeconfig', async () => {
    const userFile = path.join(home, '.kube', 'config');
    const before = sha(userFile);
    const list = (await call('cluster.contexts')) as { contexts: { name: string; server: string; current: boolean }[]; active: string | null };
    expect(list).toEqual({ contexts: [expect.objectContaining({ name: 'fake', server: server.url, current: true })], active: null });

    const status = (await call('cluster.useContext', { context: 'fake' })) as ClusterStatus;
    expect(status).toMatchObject({ mode: 'context', name: 'fake', state: 'running', kubernetesVersion: 'v1.35.1', kubeconfig: path.join(data, 'kubeconfig') });

    const report = (await call('doctor.run')) as DoctorReport;
    expect(report.mode).toBe('context');
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['driver']).toBeUndefined(); // no local driver needed for someone else's cluster
    expect(byId['cluster.reachable']).toMatchObject({ status: 'ok', required: true });
    expect(byId['cluster.reachable'].detail).toBe(`fake at ${server.url} runs Kubernetes v1.35.1`);
    expect(byId['compat.istio-k8s']).toMatchObject({ status: 'ok' });
    expect(byId['istio.present']).toMatchObject({ status: 'warn', fix: { action: 'istio.install' } });
    expect(byId['cluster.permissions'].status).toBe('fail');
    expect(byId['cluster.permissions'].detail).toBe('Your account on this cluster may not: create customresourcedefinitions (to install Istio)');
    expect(report.ok).toBe(false);
    expect(reviews.map((r) => `${r.verb} ${r.resource}${r.namespace ? ' in ' + r.namespace : ''}`)).toEqual([
      'create namespaces',
      'create deployments in default',
      'create virtualservices in default',
      'create customresourcedefinitions',
    ]);
    expect(sha(userFile)).toBe(before);

    const back = (await call('cluster.useContext', { context: null })) as ClusterStatus;
    expect(back.mode).toBe('minikube');
    expect(sha(userFile)).toBe(before);
  });
});
