// A MeshBackend stand-in that serves the recorded fixtures (real istio-init rules, real istioctl
// config dumps) for a Bookinfo productpage pod and the ingress gateway. Used by the handler tests
// and, when the sandbox cannot answer packet queries yet, by the e2e test.
import type { MeshBackend, PodInfo } from '../../main/core/backend/types.ts';
import { read } from './fixtures.ts';

const json = (f: string) => JSON.parse(read(f)) as { configs: unknown[] };

export const FIXTURE_PODS: PodInfo[] = [
  { namespace: 'default', name: 'productpage-v1-abc', workload: 'productpage-v1', app: 'productpage', ip: '10.244.0.194', labels: { app: 'productpage' }, injected: true, ready: true, phase: 'Running' },
  { namespace: 'istio-system', name: 'istio-ingressgateway-xyz', workload: 'istio-ingressgateway', ip: '10.244.0.176', labels: { istio: 'ingressgateway' }, injected: false, ready: true, phase: 'Running' },
];

export function fixtureBackend(): MeshBackend {
  const podDump = { configs: [...json('listeners.configdump.json').configs, ...json('endpoints.configdump.json').configs] };
  const gwDump = { configs: [...json('gateway.http_config.json').configs, ...json('endpoints.configdump.json').configs] };
  const unused = () => {
    throw new Error('not modelled by the fixture backend');
  };
  return {
    kind: 'sandbox',
    status: async () => ({ kind: 'sandbox', label: 'Recorded fixtures', state: 'ready' }),
    pods: async (ns?: string) => FIXTURE_PODS.filter((p) => !ns || p.namespace === ns),
    iptables: async () => read('default-sidecar.iptables-save.txt'),
    proxyConfig: async (p) => (p.name.startsWith('istio-ingressgateway') ? gwDump : podDump),
    apply: unused,
    delete: unused,
    get: unused,
    diff: unused,
    waitFor: unused,
    sendTraffic: unused,
    onAccessLog: () => () => {},
    runTool: unused,
    dispose: async () => {},
  };
}
