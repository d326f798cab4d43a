// Upstream TLS, DNS clusters and the egress gateway in what the sandbox's istiod pushes
// (ISTIO-FACTS §1.10, §3.3, §3.4), checked on the config itself and through the packet walk.
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../main/core/manifests.ts';
import { proxyConfigFrom } from '../../main/core/packet/config-dump.ts';
import { walkEnvoy } from '../../main/core/packet/envoy-walk.ts';
import type { Mesh } from '../../main/core/sandbox/mesh.ts';
import { ProxyConfigBuilder } from '../../main/core/sandbox/proxy-config.ts';
import { docsOf, meshWith } from './helpers.ts';

type Obj = Record<string, any>;

const view = (mesh: Mesh, from: string) => new ProxyConfigBuilder(mesh.config(), mesh.settings).build(mesh.clientPod(from));
const cluster = (mesh: Mesh, from: string, name: string): Obj => {
  const c = view(mesh, from).clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster ${name} on ${from}`);
  return c;
};
const walkFrom = (mesh: Mesh, from: string, req: Parameters<typeof walkEnvoy>[1], entry: 'outbound' | 'gateway') =>
  walkEnvoy(proxyConfigFrom([{ doc: new ProxyConfigBuilder(mesh.config(), mesh.settings).dump(mesh.clientPod(from)) }]), req, { entry });
const dr = (host: string, tls: string, subsetTls = '') =>
  parseManifestText(
    `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: t}\nspec:\n  host: ${host}\n  trafficPolicy:\n    tls: ${tls}\n  subsets:\n  - name: v1\n    labels: {version: v1}\n${subsetTls ? `    trafficPolicy:\n      tls: ${subsetTls}\n` : ''}`,
    'dr.yaml',
  );

describe('upstream TLS in outbound clusters', () => {
  it('auto mTLS: tlsMode-istio (Istio SNI, ALPN, SDS default/ROOTCA, SPIFFE SANs) then tlsMode-disabled raw_buffer', () => {
    const mesh = meshWith(['destination-rule-all.yaml']);
    const c = cluster(mesh, 'productpage-v1', 'outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(c.transport_socket).toBeUndefined();
    const [istio, disabled] = c.transport_socket_matches;
    expect(istio).toMatchObject({ name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: { name: 'envoy.transport_sockets.tls' } });
    const ctx = istio.transport_socket.typed_config;
    expect(ctx['@type']).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    expect(ctx.sni).toBe('outbound_.9080_.v2_.reviews.default.svc.cluster.local');
    expect(ctx.common_tls_context.alpn_protocols).toEqual(['istio-peer-exchange', 'istio']);
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs.map((s: Obj) => s.name)).toEqual(['default']);
    expect(ctx.common_tls_context.combined_validation_context.validation_context_sds_secret_config.name).toBe('ROOTCA');
    expect(ctx.common_tls_context.combined_validation_context.default_validation_context.match_subject_alt_names).toEqual([{ exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' }]);
    expect(disabled).toMatchObject({ name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer' } });
    // The endpoints of injected pods carry the label the match keys on.
    const eps = view(mesh, 'productpage-v1').endpoints.find((e) => e.cluster_name === 'outbound|9080|v2|reviews.default.svc.cluster.local') as Obj;
    expect(eps.endpoints[0].lb_endpoints[0].metadata.filter_metadata['envoy.transport_socket_match']).toEqual({ tlsMode: 'istio' });
  });

  it('DR tls.mode: DISABLE → no TLS, ISTIO_MUTUAL → transport_socket, SIMPLE → TLS origination; subsets override', () => {
    const host = 'reviews.default.svc.cluster.local';
    let mesh = meshWith([]);
    mesh.apply(dr('reviews', '{mode: DISABLE}', '{mode: ISTIO_MUTUAL}'));
    const off = cluster(mesh, 'productpage-v1', `outbound|9080||${host}`);
    expect(off.transport_socket).toBeUndefined();
    expect(off.transport_socket_matches).toBeUndefined();
    const on = cluster(mesh, 'productpage-v1', `outbound|9080|v1|${host}`);
    expect(on.transport_socket_matches).toBeUndefined();
    expect(on.transport_socket.typed_config).toMatchObject({ sni: `outbound_.9080_.v1_.${host}`, common_tls_context: { alpn_protocols: ['istio-peer-exchange', 'istio'] } });
    // DISABLE is plaintext on the wire too: the server-side line has no SNI.
    const r = mesh.send({ from: 'productpage', method: 'GET', url: 'http://reviews:9080/reviews/0' });
    expect(r.records.find((x) => x.cluster === 'inbound|9080||')?.sni).toBeNull();

    mesh = meshWith([]);
    mesh.apply(dr('reviews', '{mode: SIMPLE, sni: reviews.example}'));
    const simple = cluster(mesh, 'productpage-v1', `outbound|9080||${host}`);
    expect(simple.transport_socket.typed_config.sni).toBe('reviews.example');
    expect(simple.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs).toBeUndefined();
    mesh.apply(dr('reviews', '{mode: SIMPLE}'));
    const auto = cluster(mesh, 'productpage-v1', `outbound|9080||${host}`);
    expect(auto.transport_socket.typed_config.sni).toBeUndefined();
    expect(auto.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].upstream_http_protocol_options).toEqual({ auto_sni: true });
  });

  it('an unknown tls.mode is reported, not silently used', () => {
    const mesh = meshWith([]);
    const [o] = mesh.apply(dr('reviews', '{mode: STRICT}'));
    expect(o.warnings.join('\n')).toMatch(/tls\.mode: "STRICT" is not modelled/);
  });

  it('namespace-wide PeerAuthentication DISABLE: istiod turns auto mTLS off and requests still succeed', () => {
    const mesh = meshWith([]);
    mesh.apply(parseManifestText('apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: default}\nspec:\n  mtls: {mode: DISABLE}\n', 'pa.yaml'));
    const c = cluster(mesh, 'productpage-v1', 'outbound|9080||reviews.default.svc.cluster.local');
    expect(c.transport_socket_matches).toBeUndefined();
    const r = mesh.send({ from: 'productpage', method: 'GET', url: 'http://reviews:9080/reviews/0' });
    expect(r.status).toBe(200);
    expect(r.records.find((x) => x.cluster === 'inbound|9080||')?.sni).toBeNull();
  });

  it('the ingress gateway reaches productpage over mTLS in the walk', () => {
    const mesh = meshWith(['bookinfo-gateway.yaml']);
    const c = cluster(mesh, 'ingressgateway', 'outbound|9080||productpage.default.svc.cluster.local');
    expect(c.transport_socket_matches[0].transport_socket.typed_config.sni).toBe('outbound_.9080_._.productpage.default.svc.cluster.local');
    const w = walkFrom(mesh, 'ingressgateway', { dstPort: 8080, protocol: 'http', host: 'bookinfo.example', path: '/productpage' }, 'gateway');
    expect(w.cluster).toBe('outbound|9080||productpage.default.svc.cluster.local');
    expect(w.endpoint?.tls).toBe('mTLS (ISTIO_MUTUAL)');
  });
});

describe('ServiceEntry clusters', () => {
  it('resolution DNS: STRICT_DNS with the hostname as its load_assignment endpoint, no TLS; the walk names it', () => {
    const mesh = meshWith(['egress-httpbin-ext.yaml']);
    const c = cluster(mesh, 'curl', 'outbound|80||httpbin.org');
    expect(c.type).toBe('STRICT_DNS');
    expect(c.eds_cluster_config).toBeUndefined();
    expect(c.transport_socket).toBeUndefined();
    expect(c.transport_socket_matches).toBeUndefined();
    expect(c.load_assignment).toEqual({
      cluster_name: 'outbound|80||httpbin.org',
      endpoints: [{ locality: {}, lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'httpbin.org', port_value: 80 } } }, load_balancing_weight: 1 }], load_balancing_weight: 1 }],
    });
    const w = walkFrom(mesh, 'curl', { dstIp: '35.173.6.94', dstPort: 80, protocol: 'http', host: 'httpbin.org', path: '/headers' }, 'outbound');
    expect(w.cluster).toBe('outbound|80||httpbin.org');
    expect(w.endpoint).toMatchObject({ address: 'httpbin.org', port: 80, tls: 'none (plaintext)' });
    expect(w.warnings).toEqual([]);
  });

  it('resolution NONE: ORIGINAL_DST, the connection goes where the app sent it', () => {
    const mesh = meshWith([]);
    mesh.apply(parseManifestText('apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec:\n  hosts: [api.example.com]\n  ports: [{number: 443, name: tls, protocol: TLS}]\n  resolution: NONE\n', 'se.yaml'));
    const c = cluster(mesh, 'curl', 'outbound|443||api.example.com');
    expect(c).toMatchObject({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
    expect(c.load_assignment).toBeUndefined();
  });
});

describe('egress gateway (tasks/traffic-management/egress/egress-gateway, HTTP)', () => {
  const gw = 'outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local';

  it('curl http://edition.cnn.com/politics: sidecar → egress gateway subset cnn → outbound|80||edition.cnn.com', () => {
    const mesh = meshWith(['egress-gateway-cnn.yaml']);
    const r = mesh.send({ from: 'curl', method: 'GET', url: 'http://edition.cnn.com/politics' });
    expect(r.status).toBe(200);
    expect(r.hops.map((h) => [h.from, h.to])).toEqual([['curl', 'istio-egressgateway'], ['istio-egressgateway', 'edition.cnn.com']]);
    const side = r.records.find((x) => x.proxy.workload.name === 'curl')!;
    const egw = r.records.find((x) => x.proxy.workload.name === 'istio-egressgateway')!;
    expect(side).toMatchObject({ cluster: gw, method: 'GET', path: '/politics', authority: 'edition.cnn.com', code: 200 });
    expect(side.upstreamHost).toBe(`${egw.proxy.ip}:8080`);
    const line = mesh.formatRecord(egw);
    expect(line).toContain('"GET /politics HTTP/1.1" 200');
    expect(line).toContain(' outbound|80||edition.cnn.com ');
    // Gateways append the caller to X-Forwarded-For, and the caller sees the gateway's bytes.
    expect(egw.xff).toBe(side.proxy.ip);
    expect(egw.downstreamRemote).toBe(side.upstreamLocal);
    expect(side.bytesOut).toBe(egw.bytesOut);
  });

  it('each proxy is programmed only with its side of the VirtualService', () => {
    const mesh = meshWith(['egress-gateway-cnn.yaml']);
    const side = walkFrom(mesh, 'curl', { dstIp: '151.101.195.5', dstPort: 80, protocol: 'http', host: 'edition.cnn.com', path: '/politics' }, 'outbound');
    expect(side.cluster).toBe(gw);
    const egw = walkFrom(mesh, 'egressgateway', { dstPort: 8080, protocol: 'http', host: 'edition.cnn.com', path: '/politics' }, 'gateway');
    expect(egw.cluster).toBe('outbound|80||edition.cnn.com');
    expect(egw.endpoint).toMatchObject({ address: 'edition.cnn.com', port: 80 });
  });

  it('without the Gateway the egress gateway has no listener: the sidecar gets a refused connection (503 UF)', () => {
    const mesh = meshWith([]);
    mesh.apply(docsOf('egress-gateway-cnn.yaml').filter((d) => d.object.kind !== 'Gateway'));
    const r = mesh.send({ from: 'curl', method: 'GET', url: 'http://edition.cnn.com/politics' });
    expect(r.status).toBe(503);
    expect(r.records[0]).toMatchObject({ cluster: gw, flags: expect.stringContaining('UF') });
  });
});
