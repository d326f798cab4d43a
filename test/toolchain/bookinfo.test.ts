// Bookinfo and the cluster backend's pure parts: the ingress URL the way minikube needs it, what a
// productpage shows, iptables from istio-init's log, pod info.
import { describe, expect, it } from 'vitest';
import { ingressUrl, loadManifest, podsWithoutSidecar } from '../../main/core/cluster/bookinfo.ts';
import { iptablesFromInitLog, parseProductpage, toPodInfo } from '../../main/core/cluster/backend.ts';
import type { PodJson } from '../../main/core/cluster/diagnose.ts';
import { fixture } from './helpers.ts';

const svc = (lb?: string) => ({
  spec: {
    type: 'LoadBalancer',
    ports: [
      { name: 'status-port', port: 15021, nodePort: 30521 },
      { name: 'http2', port: 80, nodePort: 31380 },
      { name: 'https', port: 443, nodePort: 31390 },
    ],
  },
  status: { loadBalancer: lb ? { ingress: [{ ip: lb }] } : {} },
});

describe('ingress URL', () => {
  it('uses the LoadBalancer IP and the http2 port when minikube tunnel runs (ssh mode: 127.0.0.1:80)', () => {
    expect(ingressUrl(svc('127.0.0.1'), '192.168.49.2')).toEqual({ url: 'http://127.0.0.1:80', via: 'loadbalancer' });
  });
  it('falls back to the node IP and the http2 NodePort when EXTERNAL-IP is pending', () => {
    expect(ingressUrl(svc(), '192.168.49.2')).toEqual({ url: 'http://192.168.49.2:31380', via: 'nodeport' });
    expect(ingressUrl(svc(), null)).toBeNull();
  });
});

describe('productpage', () => {
  it('reads stars and errors from the page', () => {
    expect(parseProductpage('<div class="flex gap-x-1 text-red-500"><svg id="glyphicon glyphicon-star">')).toEqual({ reviews: 'ok', stars: 'red', ratings: 'ok', details: 'ok' });
    expect(parseProductpage('<div class="flex gap-x-1 text-black-500"><svg>')).toMatchObject({ stars: 'black' });
    expect(parseProductpage(`${fixture('productpage-title.txt')}<p class="text-red-500">Ratings service is currently unavailable</p>`)).toEqual({ reviews: 'ok', stars: 'none', ratings: 'unavailable', details: 'ok' });
    // Pages in the template's shape (fixtures composed from ISTIO-FACTS §2): v3 red, v1 no star block.
    expect(parseProductpage(fixture('productpage-v3-signed-in.html'))).toEqual({ reviews: 'ok', stars: 'red', ratings: 'ok', details: 'ok' });
    expect(parseProductpage(fixture('productpage-v1-signed-out.html'))).toEqual({ reviews: 'ok', stars: 'none', ratings: 'ok', details: 'ok' });
    expect(parseProductpage(fixture('productpage-v3-signed-in.html').replaceAll('text-red-500', 'text-black-500'))).toMatchObject({ stars: 'black' });
    expect(parseProductpage('<h2>Error fetching product reviews</h2>')).toMatchObject({ reviews: 'unavailable', stars: 'none' });
  });
});

describe('iptables from istio-init', () => {
  it('extracts the nat table from the log', () => {
    const log = `2026-11-24T09:12:01.000000Z\tinfo\tIstio iptables environment:\nENVOY_PORT=\n${fixture('default-sidecar.iptables-restore.txt')}\n2026-11-24T09:12:01.100000Z\tinfo\tIptables restore succeeded\n`;
    const rules = iptablesFromInitLog(log)!;
    expect(rules.startsWith('*nat\n')).toBe(true);
    expect(rules.trimEnd().endsWith('COMMIT')).toBe(true);
    expect(rules).toContain('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
    expect(iptablesFromInitLog('nothing here')).toBeNull();
  });
});

describe('pods', () => {
  const pods = (JSON.parse(fixture('pods-stalled.json')) as { items: PodJson[] }).items;
  it('maps a native-sidecar pod to PodInfo', () => {
    const p = { ...pods[3], metadata: { ...pods[3].metadata, ownerReferences: [{ kind: 'ReplicaSet', name: 'productpage-v1-6987489c74' }] } };
    expect(toPodInfo(p)).toMatchObject({ name: 'productpage-v1-6987489c74-lpkgl', workload: 'productpage-v1', app: 'productpage', version: 'v1', injected: true, ready: true, phase: 'Running' });
  });
  it('spots pods without a sidecar', () => {
    expect(podsWithoutSidecar([...pods, { metadata: { name: 'bare' }, spec: { containers: [{ name: 'app' }] } }])).toEqual(['bare']);
  });
  it('the Bookinfo manifests parse', () => {
    const docs = loadManifest('assets/manifests/bookinfo.yaml');
    expect(docs.filter((d) => d.object.kind === 'Deployment').map((d) => d.object.metadata.name).sort()).toEqual(['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    expect(loadManifest('assets/manifests/bookinfo-gateway.yaml').map((d) => d.object.kind)).toEqual(['Gateway', 'VirtualService']);
  });
});

describe('probe', () => {
  it('finds the Bookinfo title at /productpage, and explains a dead ingress', async () => {
    const http = await import('node:http');
    const { Bookinfo } = await import('../../main/core/cluster/bookinfo.ts');
    const srv = http.createServer((req, res) => {
      res.writeHead(req.url === '/productpage' ? 200 : 404, { 'content-type': 'text/html' });
      res.end(`<html><head>${fixture('productpage-title.txt').trim()}</head></html>`);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const b = new Bookinfo(() => {
      throw new Error('not used');
    });
    expect(await b.probe(url, true)).toEqual({ status: 200, ok: true });
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(b.probe(url, false)).rejects.toThrow(/^The ingress gateway at http:\/\/127\.0\.0\.1:\d+ does not answer \(ECONNREFUSED\)\.$/);
  });
});
