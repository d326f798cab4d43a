// What `istioctl install --set profile=demo` and a fresh minikube leave in the cluster: the
// namespaces (default labelled for injection), istiod and both gateways, kube-dns and the API
// server Service. Objects rather than files: the cluster backend gets these from istioctl.
import type { KubeObject } from '../backend/types.ts';

const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.30.3';

function ns(name: string, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
}

function deployment(name: string, labels: Record<string, string>, image: string, sa: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'istio-system', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { serviceAccountName: sa, containers: [{ name: name === 'istiod' ? 'discovery' : 'istio-proxy', image }] } },
    },
  };
}

function service(name: string, namespace: string, selector: Record<string, string> | undefined, ports: [string, number, number][], clusterIP?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ...(clusterIP ? { clusterIP } : {}), ...(selector ? { selector } : {}), ports: ports.map(([n, port, targetPort]) => ({ name: n, port, targetPort, protocol: 'TCP' })) },
  };
}

const ingressLabels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
const egressLabels = { app: 'istio-egressgateway', istio: 'egressgateway' };

export const ISTIO_SYSTEM_OBJECTS: KubeObject[] = [
  ns('default', { 'istio-injection': 'enabled' }),
  ns('istio-system'),
  ns('kube-system'),
  service('kubernetes', 'default', undefined, [['https', 443, 8443]], '10.96.0.1'),
  service('kube-dns', 'kube-system', undefined, [['dns', 53, 53], ['dns-tcp', 53, 53], ['metrics', 9153, 9153]], '10.96.0.10'),
  deployment('istiod', { app: 'istiod', istio: 'pilot' }, 'docker.io/istio/pilot:1.30.3', 'istiod'),
  service('istiod', 'istio-system', { app: 'istiod', istio: 'pilot' }, [['grpc-xds', 15010, 15010], ['https-dns', 15012, 15012], ['https-webhook', 443, 15017], ['http-monitoring', 15014, 15014]]),
  deployment('istio-ingressgateway', ingressLabels, PROXY_IMAGE, 'istio-ingressgateway-service-account'),
  service('istio-ingressgateway', 'istio-system', ingressLabels, [['status-port', 15021, 15021], ['http2', 80, 8080], ['https', 443, 8443], ['tcp', 31400, 31400], ['tls', 15443, 15443]]),
  deployment('istio-egressgateway', egressLabels, PROXY_IMAGE, 'istio-egressgateway-service-account'),
  service('istio-egressgateway', 'istio-system', egressLabels, [['http2', 80, 8080], ['https', 443, 8443]]),
];
