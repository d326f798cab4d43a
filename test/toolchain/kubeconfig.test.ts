// Isolation: Meshwalk's own kubeconfig, a clean env for children, and "bring your own cluster"
// copying one context without ever writing the user's kubeconfig.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { copyContext, currentContext, ensureKubeconfig, isolatedEnv, listUserContexts } from '../../main/core/cluster/kubeconfig.ts';
import { cleanup, tempDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(cleanup));

const USER_A = `apiVersion: v1
kind: Config
current-context: kind-labs
clusters:
- name: kind-labs
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: certs/ca.crt
- name: prod
  cluster:
    server: https://prod.example.com
contexts:
- name: kind-labs
  context: {cluster: kind-labs, user: kind-labs, namespace: labs}
- name: prod
  context: {cluster: prod, user: prod-admin}
users:
- name: kind-labs
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
- name: prod-admin
  user: {token: secret-prod-token}
`;
const USER_B = `apiVersion: v1
kind: Config
clusters:
- name: k3d
  cluster: {server: https://0.0.0.0:39999}
- name: prod
  cluster: {server: https://shadowed.example.com}
contexts:
- name: k3d-dev
  context: {cluster: k3d, user: k3d-admin}
users:
- name: k3d-admin
  user: {token: k3d-token}
`;

function setup() {
  const home = tempDir('home');
  const data = tempDir('data');
  dirs.push(home, data);
  mkdirSync(path.join(home, '.kube'));
  const a = path.join(home, '.kube', 'config');
  const b = path.join(home, 'k3d.yaml');
  writeFileSync(a, USER_A, { mode: 0o644 });
  writeFileSync(b, USER_B);
  return { home, data, a, b, own: path.join(data, 'kubeconfig') };
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('kubeconfig isolation', () => {
  it('creates Meshwalk\'s own kubeconfig with mode 0600', () => {
    const { own } = setup();
    ensureKubeconfig(own);
    expect(statSync(own).mode & 0o777).toBe(0o600);
    expect(currentContext(own)).toBeNull();
  });

  it('children get only Meshwalk\'s KUBECONFIG and no other kube variables', () => {
    const env = isolatedEnv({ PATH: '/bin', KUBECONFIG: '/home/u/.kube/config', KUBECTL_CONTEXT: 'prod', KUBERNETES_SERVICE_HOST: '10.0.0.1', MINIKUBE_PROFILE: 'minikube', HOME: '/h' }, '/data/kubeconfig');
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', KUBECONFIG: '/data/kubeconfig' });
  });

  it('lists contexts across every KUBECONFIG path, first file wins', () => {
    const { a, b, home, own } = setup();
    const list = listUserContexts({ KUBECONFIG: [a, b].join(path.delimiter), HOME: home }, own);
    expect(list.map((c) => [c.name, c.server, c.current])).toEqual([
      ['kind-labs', 'https://127.0.0.1:6443', true],
      ['prod', 'https://prod.example.com', false],
      ['k3d-dev', 'https://0.0.0.0:39999', false],
    ]);
    // Without KUBECONFIG, ~/.kube/config is read.
    expect(listUserContexts({ HOME: home }, own).map((c) => c.name)).toEqual(['kind-labs', 'prod']);
  });

  it('copies one context into Meshwalk\'s file and never writes the user\'s files', () => {
    const { a, b, home, own } = setup();
    const before = [sha(a), sha(b)];
    const mtime = statSync(a).mtimeMs;
    const env = { KUBECONFIG: [a, b].join(path.delimiter), HOME: home };
    copyContext(env, 'kind-labs', own);
    const cfg = YAML.parse(readFileSync(own, 'utf8'));
    expect(cfg['current-context']).toBe('kind-labs');
    expect(cfg.contexts).toEqual([{ name: 'kind-labs', context: { cluster: 'kind-labs', user: 'kind-labs', namespace: 'labs' } }]);
    expect(cfg.clusters).toEqual([{ name: 'kind-labs', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': path.join(home, '.kube', 'certs', 'ca.crt') } }]);
    expect(cfg.users[0].user['client-certificate']).toBe(path.join(home, '.kube', 'certs', 'client.crt'));
    expect(cfg.users[0].user['client-key']).toBe('/abs/client.key');
    // Nothing else leaks in: not the other contexts, not their credentials.
    expect(readFileSync(own, 'utf8')).not.toMatch(/secret-prod-token|k3d-token|prod\.example/);
    expect(statSync(own).mode & 0o777).toBe(0o600);

    copyContext(env, 'k3d-dev', own);
    expect(currentContext(own)).toBe('k3d-dev');
    expect([sha(a), sha(b)]).toEqual(before);
    expect(statSync(a).mtimeMs).toBe(mtime);
  });

  it('an unknown context is a readable error listing the choices', () => {
    const { a, home, own } = setup();
    expect(() => copyContext({ KUBECONFIG: a, HOME: home }, 'nope', own)).toThrow(/no context named "nope"/);
    try {
      copyContext({ KUBECONFIG: a, HOME: home }, 'nope', own);
    } catch (e) {
      expect((e as { fix: string }).fix).toBe('Pick one of: kind-labs, prod');
    }
  });
});
