// Bookinfo on the lab cluster: deploy, wait until every pod is Ready with its sidecar (watch),
// expose it through the ingress gateway, work out the URL the way minikube needs it, probe it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/errors.ts';
import { parseManifestText } from '../manifests.ts';
import { projectRoot } from '../paths.ts';
import type { ManifestDoc } from '../backend/types.ts';
import { explainIngressUnreachable, explainPods, summarize, type PodJson } from './diagnose.ts';
import type { Kube } from './kube.ts';

export const BOOKINFO_FILE = 'assets/manifests/bookinfo.yaml';
export const BOOKINFO_GATEWAY_FILE = 'assets/manifests/bookinfo-gateway.yaml';
export const PRODUCTPAGE_TITLE = '<title>Simple Bookstore App</title>';

export function loadManifest(rel: string): ManifestDoc[] {
  const file = path.join(projectRoot, rel);
  if (!existsSync(file)) throw new ApiError('unavailable', `${rel} is missing from this installation`, 'Reinstall Meshwalk');
  return parseManifestText(readFileSync(file, 'utf8'), rel);
}

/** Pods of an injected namespace that lack the sidecar (injection was off when they started). */
export function podsWithoutSidecar(pods: PodJson[]): string[] {
  return pods
    .filter((p) => ![...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].some((c) => c.name === 'istio-proxy'))
    .map((p) => p.metadata.name);
}

interface ServiceJson {
  spec?: { type?: string; clusterIP?: string; ports?: { name?: string; port: number; nodePort?: number }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/**
 * The ingress URL (ISTIO-FACTS §1.0, gotcha 6): with `minikube tunnel` the LoadBalancer ingress IP
 * and the `http2` port; without it, the node IP and the `http2` NodePort.
 */
export function ingressUrl(svc: ServiceJson, nodeIp: string | null): { url: string; via: 'loadbalancer' | 'nodeport' } | null {
  const http2 = svc.spec?.ports?.find((p) => p.name === 'http2') ?? svc.spec?.ports?.find((p) => p.port === 80);
  if (!http2) return null;
  const lb = svc.status?.loadBalancer?.ingress?.[0];
  const lbHost = lb?.ip ?? lb?.hostname;
  if (lbHost) return { url: `http://${lbHost.includes(':') ? `[${lbHost}]` : lbHost}:${http2.port}`, via: 'loadbalancer' };
  if (http2.nodePort && nodeIp) return { url: `http://${nodeIp}:${http2.nodePort}`, via: 'nodeport' };
  return null;
}

export class Bookinfo {
  constructor(private readonly kube: () => Kube) {}

  async deploy(namespace: string, opts: { signal?: AbortSignal; onStep?: (step: number, name: string, message: string) => void; timeoutMs?: number } = {}): Promise<void> {
    const step = opts.onStep ?? (() => undefined);
    const kube = this.kube();
    step(1, 'Deploy Bookinfo', `kubectl apply -f ${BOOKINFO_FILE}`);
    await kube.apply(retarget(loadManifest(BOOKINFO_FILE), namespace), { signal: opts.signal });
    step(2, 'Wait for pods', 'Waiting until every Bookinfo pod is Ready with its sidecar');
    const res = await kube.waitFor({ kind: 'podsReady', namespace, selector: undefined, timeoutMs: opts.timeoutMs ?? 10 * 60_000 }, opts.signal);
    if (!res.ok) throw new ApiError('failed', `Bookinfo is not ready: ${res.reason}`);
    const pods = (await kube.listPods(namespace)) as unknown as PodJson[];
    const bare = podsWithoutSidecar(pods.filter((p) => p.metadata.labels?.app && ['productpage', 'details', 'reviews', 'ratings'].includes(p.metadata.labels.app)));
    if (bare.length) {
      throw new ApiError('failed', `these pods have no istio-proxy sidecar: ${bare.join(', ')}`, `Label the namespace (kubectl label namespace ${namespace} istio-injection=enabled) and restart them: kubectl rollout restart deployment -n ${namespace}`);
    }
    step(3, 'Expose Bookinfo', `kubectl apply -f ${BOOKINFO_GATEWAY_FILE}`);
    await kube.apply(retarget(loadManifest(BOOKINFO_GATEWAY_FILE), namespace), { signal: opts.signal });
  }

  async ingress(nodeIp: string | null): Promise<{ url: string; via: 'loadbalancer' | 'nodeport' } | null> {
    const svc = (await this.kube().get({ apiVersion: 'v1', kind: 'Service', name: 'istio-ingressgateway', namespace: 'istio-system' })) as ServiceJson | null;
    if (!svc) throw new ApiError('failed', 'istio-ingressgateway service not found in istio-system', 'Install Istio with the demo profile first');
    return ingressUrl(svc, nodeIp);
  }

  /** GET <url>/productpage and look for the Bookinfo title. */
  async probe(url: string, tunnelRunning: boolean, signal?: AbortSignal): Promise<{ status: number; ok: boolean }> {
    let res: Response;
    try {
      res = await fetch(`${url}/productpage`, { signal: signal ?? AbortSignal.timeout(10_000) });
    } catch (err) {
      const e = explainIngressUnreachable(url, err, tunnelRunning);
      throw new ApiError('unavailable', e.words, e.fix);
    }
    const body = await res.text();
    return { status: res.status, ok: res.status === 200 && body.includes(PRODUCTPAGE_TITLE) };
  }

  async explain(namespace: string): Promise<string> {
    const kube = this.kube();
    const [pods, events] = await Promise.all([kube.listPods(namespace), kube.listEvents(namespace)]);
    return summarize(explainPods(pods as unknown as PodJson[], events));
  }
}

function retarget(docs: ManifestDoc[], namespace: string): ManifestDoc[] {
  return docs.map((d) => (d.object.metadata.namespace || d.object.kind === 'Namespace' ? d : { ...d, object: { ...d.object, metadata: { ...d.object.metadata, namespace } } }));
}
