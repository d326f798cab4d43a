// Egress (tasks/traffic-management/egress/egress-control) and security (mtls-migration,
// authz-http) outcomes, from ISTIO-FACTS §1.10–1.12.
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../main/core/manifests.ts';
import { Mesh } from '../../main/core/sandbox/mesh.ts';
import { meshWith, productpage } from './helpers.ts';

const get = (url: string) => ({ from: 'curl', method: 'GET', url });

describe('egress: outboundTrafficPolicy', () => {
  it('ALLOW_ANY (default): unknown hosts go through PassthroughCluster, HTTP route allow_any', () => {
    const mesh = meshWith([]);
    const r = mesh.send(get('http://edition.cnn.com/politics'));
    expect(r.status).toBe(200);
    expect(r.records[0]).toMatchObject({ cluster: 'PassthroughCluster', route: 'allow_any' });
    const tls = mesh.send(get('https://www.google.com/'));
    expect(tls.status).toBe(200);
    expect(tls.records[0]).toMatchObject({ method: null, code: 0, cluster: 'PassthroughCluster', sni: 'www.google.com' });
  });

  it('REGISTRY_ONLY: HTTP gets 502 from the sidecar (block_all), HTTPS is reset (BlackHoleCluster UH)', () => {
    const mesh = meshWith([], { settings: { outboundTrafficPolicy: 'REGISTRY_ONLY' } });
    const http = mesh.send(get('http://httpbin.org/headers'));
    expect(http.status).toBe(502);
    expect(http.records[0]).toMatchObject({ code: 502, details: 'direct_response', route: 'block_all', cluster: null, upstreamHost: null });
    const tls = mesh.send(get('https://www.google.com/'));
    expect(tls.status).toBe(0);
    expect(tls.records[0]).toMatchObject({ method: null, code: 0, flags: 'UH', cluster: 'BlackHoleCluster' });
    // In-mesh services are still reachable.
    expect(productpage(mesh).status).toBe(200);
  });

  it('REGISTRY_ONLY plus ServiceEntry httpbin-ext: allowed, logged on outbound|80||httpbin.org', () => {
    const mesh = meshWith(['egress-httpbin-ext.yaml'], { settings: { outboundTrafficPolicy: 'REGISTRY_ONLY' } });
    const r = mesh.send(get('http://httpbin.org/headers'));
    expect(r.status).toBe(200);
    expect(r.records[0]).toMatchObject({ cluster: 'outbound|80||httpbin.org', route: 'default', code: 200 });
  });

  it('a VS timeout on the external host turns a 5 s call into 504 after 3 s', () => {
    const mesh = meshWith(['egress-httpbin-ext.yaml']);
    expect(mesh.send(get('http://httpbin.org/delay/5')).durationMs).toBeGreaterThan(5000);
    mesh.apply(parseManifestText('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: httpbin-ext}\nspec:\n  hosts: [httpbin.org]\n  http:\n  - timeout: 3s\n    route:\n    - destination: {host: httpbin.org}\n', 'vs.yaml'));
    const r = mesh.send(get('http://httpbin.org/delay/5'));
    expect(r.status).toBe(504);
    expect(r.durationMs).toBeGreaterThan(3000);
    expect(r.durationMs).toBeLessThan(3200);
  });
});

const legacy = `apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: curl, namespace: legacy}
spec:
  selector: {matchLabels: {app: curl}}
  template:
    metadata: {labels: {app: curl}}
    spec:
      containers: [{name: curl, image: docker.io/curlimages/curl:8.16.0}]
`;
const strict = (ns: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: ${ns}}
spec:
  mtls: {mode: STRICT}
`;

describe('PeerAuthentication (tasks/security/authentication/mtls-migration)', () => {
  it('PERMISSIVE by default: a client without sidecar gets 200; STRICT: connection reset (000)', () => {
    const mesh = new Mesh({ seed: 3 });
    mesh.apply(parseManifestText(legacy, 'legacy.yaml'));
    const req = { from: 'legacy/curl', method: 'GET', url: 'http://httpbin.default:8000/ip' };
    expect(mesh.send(req).status).toBe(200);
    mesh.apply(parseManifestText(strict('default'), 'pa.yaml'));
    const r = mesh.send(req);
    expect(r.status).toBe(0);
    expect(r.records[0]).toMatchObject({ code: 0, flags: 'NR', details: 'filter_chain_not_found' });
    // Sidecar clients use mTLS automatically and are unaffected.
    expect(mesh.send({ from: 'curl', method: 'GET', url: 'http://httpbin:8000/ip' }).status).toBe(200);
  });

  it('server-side lines show the mTLS SNI, plaintext shows -', () => {
    const mesh = new Mesh({ seed: 3 });
    mesh.apply(parseManifestText(legacy, 'legacy.yaml'));
    const inbound = (from: string) => mesh.send({ from, method: 'GET', url: 'http://httpbin.default:8000/ip' }).records.find((x) => x.cluster?.startsWith('inbound|'))!;
    expect(inbound('curl').sni).toBe('outbound_.8000_._.httpbin.default.svc.cluster.local');
    expect(inbound('legacy/curl').sni).toBeNull();
  });
});

describe('AuthorizationPolicy (tasks/security/authorization/authz-http)', () => {
  const ap = (name: string, app: string | null, extra = '') =>
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: default}\nspec:\n${app ? `  selector: {matchLabels: {app: ${app}}}\n` : ''}${extra}`;
  const get = '  action: ALLOW\n  rules:\n  - to:\n    - operation: {methods: ["GET"]}\n';
  const from = (sa: string) => `  action: ALLOW\n  rules:\n  - from:\n    - source: {principals: ["cluster.local/ns/default/sa/${sa}"]}\n    to:\n    - operation: {methods: ["GET"]}\n`;

  it('follows the four steps of the task', () => {
    const mesh = meshWith(['bookinfo-gateway.yaml']);
    const apply = (y: string) => mesh.apply(parseManifestText(y, 'ap.yaml'));
    apply(ap('allow-nothing', null, '  {}\n'));
    let r = productpage(mesh, undefined, 'ingressgateway');
    expect(r.status).toBe(403);
    expect(r.records.some((x) => x.details === 'rbac_access_denied_matched_policy[none]' && x.flags === '-')).toBe(true);

    apply(ap('productpage-viewer', 'productpage', get));
    r = productpage(mesh, undefined, 'ingressgateway');
    expect(r.status).toBe(200);
    expect(r.view).toMatchObject({ details: 'unavailable', reviews: 'unavailable' });

    apply(ap('details-viewer', 'details', from('bookinfo-productpage')));
    apply(ap('reviews-viewer', 'reviews', from('bookinfo-productpage')));
    const rs = mesh.load({ from: 'ingressgateway', method: 'GET', url: 'http://x/productpage' }, { count: 20, concurrency: 1, qps: 0 });
    for (const x of rs) expect(x.view).toMatchObject({ details: 'ok', reviews: 'ok' });
    expect(rs.some((x) => x.view?.ratings === 'unavailable')).toBe(true);

    apply(ap('ratings-viewer', 'ratings', from('bookinfo-reviews')));
    const stars = new Set(mesh.load({ from: 'ingressgateway', method: 'GET', url: 'http://x/productpage' }, { count: 30, concurrency: 1, qps: 0 }).map((x) => x.view?.stars));
    expect(stars).toEqual(new Set(['none', 'black', 'red']));
  });

  it('a DENY policy names the matched policy and rule', () => {
    const mesh = meshWith([]);
    mesh.apply(parseManifestText(ap('deny-post', 'httpbin', '  action: DENY\n  rules:\n  - to:\n    - operation: {methods: ["POST"]}\n'), 'ap.yaml'));
    expect(mesh.send({ from: 'curl', method: 'GET', url: 'http://httpbin:8000/get' }).status).toBe(200);
    const r = mesh.send({ from: 'curl', method: 'POST', url: 'http://httpbin:8000/anything' });
    expect(r.status).toBe(403);
    expect(r.records.some((x) => x.details === 'rbac_access_denied_matched_policy[ns[default]-policy[deny-post]-rule[0]]')).toBe(true);
  });
});
