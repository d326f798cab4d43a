import { describe, expect, it } from 'vitest';
import { addText, ConfigDumpError, emptyProxyConfig, proxyConfigFrom } from '../../main/core/packet/config-dump.ts';
import { selectVirtualHost, walkEnvoy } from '../../main/core/packet/envoy-walk.ts';

import { load, read } from './fixtures.ts';
const sidecar = load('listeners.configdump.json', 'endpoints.configdump.json');

/** protojson spelling of a snake_case admin dump (keys only; '@type' and dotted keys kept). */
function camel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camel);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.startsWith('@') || k.includes('.') ? k : k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camel(x)]));
}

describe('Envoy walk over the real istioctl samples', () => {
  it('outbound TCP to the kubernetes VIP: 10.96.0.1_443 → outbound|443||kubernetes… → 172.18.0.2:6443', () => {
    const r = walkEnvoy(sidecar, { dstIp: '10.96.0.1', dstPort: 443, protocol: 'tls', sni: 'kubernetes.default.svc' }, { entry: 'outbound' });
    expect(r.hops[0]).toMatchObject({ kind: 'listener', name: 'virtualOutbound' });
    expect(r.listener).toBe('10.96.0.1_443');
    expect(r.cluster).toBe('outbound|443||kubernetes.default.svc.cluster.local');
    expect(r.endpoint).toMatchObject({ address: '172.18.0.2', port: 6443 });
    expect(r.hops.map((h) => h.kind)).toEqual(['listener', 'listener', 'cluster', 'endpoint']);
  });

  it('outbound DNS over TCP: 10.96.0.10_53 → kube-dns, first healthy endpoint of two', () => {
    const r = walkEnvoy(sidecar, { dstIp: '10.96.0.10', dstPort: 53, protocol: 'tcp' }, { entry: 'outbound' });
    expect(r.listener).toBe('10.96.0.10_53');
    expect(r.cluster).toBe('outbound|53||kube-dns.kube-system.svc.cluster.local');
    expect(r.endpoint?.address).toBe('10.244.0.8');
    expect(r.hops.at(-1)!.detail!.healthy).toBe(2);
  });

  it('outbound HTTP on 9080 uses listener 0.0.0.0_9080 and names RDS route 9080 (not in this dump)', () => {
    const r = walkEnvoy(sidecar, { dstIp: '10.96.12.7', dstPort: 9080, protocol: 'http', host: 'reviews:9080' }, { entry: 'outbound' });
    expect(r.listener).toBe('0.0.0.0_9080');
    expect(r.filterChain).toBe('[raw_buffer; http/1.1,h2c]');
    expect(r.hops.at(-1)).toMatchObject({ kind: 'route', name: '9080' });
    expect(r.warnings[0]).toMatch(/route configuration "9080" is not in the config dump/);
  });

  it('non-HTTP bytes on an HTTP port fall to PassthroughFilterChain → PassthroughCluster', () => {
    const r = walkEnvoy(sidecar, { dstIp: '1.2.3.4', dstPort: 9080, protocol: 'tcp' }, { entry: 'outbound' });
    expect(r).toMatchObject({ listener: '0.0.0.0_9080', filterChain: 'PassthroughFilterChain', cluster: 'PassthroughCluster', endpoint: { address: '1.2.3.4', port: 9080 } });
  });

  it('unknown destinations use virtualOutbound-catchall-tcp; port 15001 hits virtualOutbound-blackhole', () => {
    const pass = walkEnvoy(sidecar, { dstIp: '93.184.215.14', dstPort: 8443, protocol: 'tls', sni: 'example.com' }, { entry: 'outbound' });
    expect(pass).toMatchObject({ listener: 'virtualOutbound', filterChain: 'virtualOutbound-catchall-tcp', cluster: 'PassthroughCluster' });
    const loop = walkEnvoy(sidecar, { dstIp: '10.244.0.10', dstPort: 15001, protocol: 'tcp' }, { entry: 'outbound' });
    expect(loop).toMatchObject({ filterChain: 'virtualOutbound-blackhole', cluster: 'BlackHoleCluster', terminated: { reason: 'UH: BlackHoleCluster' } });
  });

  it('inbound mTLS to port 80: virtualInbound chain 0.0.0.0_80 (tls) → inline route → inbound|80||, from 127.0.0.6', () => {
    const r = walkEnvoy(sidecar, { dstIp: '10.244.0.10', dstPort: 80, protocol: 'http', transport: 'tls', alpn: ['istio-http/1.1', 'istio', 'istio-peer-exchange'] }, { entry: 'inbound' });
    expect(r).toMatchObject({ listener: 'virtualInbound', filterChain: '0.0.0.0_80', route: 'inbound|80||', cluster: 'inbound|80||', bindAddress: '127.0.0.6' });
    expect(r.hops.find((h) => h.kind === 'listener')!.detail!.match).toMatchObject({ transport_protocol: 'tls', destination_port: 80 });
    expect(r.hops.find((h) => h.kind === 'route')!.detail).toMatchObject({ virtualHost: 'inbound|http|8000', match: 'prefix /' });
    const plain = walkEnvoy(sidecar, { dstIp: '10.244.0.10', dstPort: 80, protocol: 'http' }, { entry: 'inbound' });
    expect(plain.hops.find((h) => h.kind === 'listener')!.detail!.match).toMatchObject({ transport_protocol: 'raw_buffer' });
  });

  it('inbound to an undeclared port: catch-all chains → InboundPassthroughClusterIpv4; 15006 itself is blackholed', () => {
    const tcp = walkEnvoy(sidecar, { dstIp: '10.244.0.10', dstPort: 7777, protocol: 'tcp', transport: 'tls', alpn: ['istio', 'istio-peer-exchange'] }, { entry: 'inbound' });
    expect(tcp).toMatchObject({ filterChain: 'virtualInbound', cluster: 'InboundPassthroughClusterIpv4' });
    const http = walkEnvoy(sidecar, { dstIp: '10.244.0.10', dstPort: 7777, protocol: 'http' }, { entry: 'inbound' });
    expect(http).toMatchObject({ filterChain: 'virtualInbound-catchall-http', cluster: 'InboundPassthroughClusterIpv4' });
    expect(walkEnvoy(sidecar, { dstIp: '10.244.0.10', dstPort: 15006, protocol: 'tcp' }, { entry: 'inbound' })).toMatchObject({ filterChain: 'virtualInbound-blackhole', cluster: 'BlackHoleCluster' });
  });

  it('ingress gateway: http.8080 → vhost *:80 → /productpage → productpage cluster → 10.244.0.194:9080', () => {
    const gw = load('gateway.http_config.json', 'endpoints.configdump.json');
    const r = walkEnvoy(gw, { dstPort: 8080, protocol: 'http', host: 'bookinfo.example', path: '/productpage' }, { entry: 'gateway' });
    expect(r).toMatchObject({ listener: '0.0.0.0_8080', route: 'http.8080', cluster: 'outbound|9080||productpage.default.svc.cluster.local', endpoint: { address: '10.244.0.194', port: 9080 } });
    const route = r.hops.find((h) => h.kind === 'route')!;
    expect(route.detail).toMatchObject({ virtualHost: '*:80', domain: '*', match: 'path /productpage', virtualService: '/apis/networking.istio.io/v1alpha3/namespaces/default/virtual-service/bookinfo' });
    expect(route.detail!.retries).toMatchObject({ num_retries: 2 });
    expect(r.hops.every((h) => h.at === 'gateway')).toBe(true);
    expect(walkEnvoy(gw, { dstPort: 8080, protocol: 'http', path: '/static/css/x.css' }, { entry: 'gateway' }).hops.find((h) => h.kind === 'route')!.detail!.match).toBe('prefix /static');
    expect(walkEnvoy(gw, { dstPort: 8080, protocol: 'http', path: '/admin' }, { entry: 'gateway' }).terminated).toEqual({ status: 404, reason: 'NR: no route' });
  });

  it('reads the cluster dump in http_config.json: subset, mTLS, circuit breakers', () => {
    const gw = load('gateway.http_config.json');
    const cl = walkEnvoy(
      proxyConfigFrom([{ doc: { configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump', dynamic_route_configs: [{ route_config: { name: 'http.8080', virtual_hosts: [{ name: '*:80', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|9080|v1|productpage.default.svc.cluster.local' } }] }] } }] }] } }]),
      { dstPort: 8080, protocol: 'http' },
      { entry: 'gateway' },
    );
    expect(cl.cluster).toBe('outbound|9080|v1|productpage.default.svc.cluster.local');
    // Same name, now with the real cluster definition from the fixture:
    gw.routes = [];
    gw.routes.push({ name: 'http.8080', virtual_hosts: [{ name: '*:80', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|9080|v1|productpage.default.svc.cluster.local' } }] }] });
    const r = walkEnvoy(gw, { dstPort: 8080, protocol: 'http' }, { entry: 'gateway' });
    expect(r.hops.find((h) => h.kind === 'cluster')!.detail).toMatchObject({
      subset: 'v1',
      type: 'EDS',
      lbPolicy: 'LEAST_REQUEST',
      sni: 'outbound_.9080_.v1_.productpage.default.svc.cluster.local',
      circuitBreakers: { max_connections: 4294967295 },
      destinationRule: '/apis/networking.istio.io/v1alpha3/namespaces/default/destination-rule/productpage',
    });
    expect(String(r.hops.find((h) => h.kind === 'cluster')!.detail!.tls)).toMatch(/^ISTIO_MUTUAL/);
  });

  it('accepts camelCase protojson and the single-type arrays of proxy-config -o json', () => {
    const pc = proxyConfigFrom([{ doc: camel(JSON.parse(read('listeners.configdump.json'))) }, { doc: JSON.parse(read('endpoints.portfilter_output.json')) }]);
    const r = walkEnvoy(pc, { dstIp: '10.244.0.10', dstPort: 80, protocol: 'http', transport: 'tls', alpn: ['istio-http/1.1'] }, { entry: 'inbound' });
    expect(r).toMatchObject({ filterChain: '0.0.0.0_80', cluster: 'inbound|80||' });
    expect([...pc.endpoints.keys()]).toContain('outbound|80||istio-ingressgateway.istio-system.svc.cluster.local');
    const listenersArray = proxyConfigFrom([{ doc: (camel(JSON.parse(read('listeners.configdump.json'))) as { configs: Array<{ dynamicListeners: Array<{ activeState: { listener: unknown } }> }> }).configs[0].dynamicListeners.map((l) => l.activeState.listener) }]);
    expect(walkEnvoy(listenersArray, { dstIp: '10.96.0.1', dstPort: 443, protocol: 'tls' }, { entry: 'outbound' }).cluster).toBe('outbound|443||kubernetes.default.svc.cluster.local');
  });

  it('rejects files that are not config dumps, naming them', () => {
    expect(() => addText(emptyProxyConfig(), 'not: [json', 'x.json')).toThrow(ConfigDumpError);
    expect(() => addText(emptyProxyConfig(), '{"hello": 1}', 'x.json')).toThrow(/x\.json: no listeners, routes, clusters or endpoints/);
  });
});

describe('route selection semantics', () => {
  const rc = {
    name: '9080',
    virtual_hosts: [
      { name: 'reviews.default.svc.cluster.local:9080', domains: ['reviews.default.svc.cluster.local', 'reviews', 'reviews:9080', '10.96.3.3', '10.96.3.3:9080'],
        routes: [
          { name: 'jason', match: { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, route: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local' } },
          { match: { safe_regex: { regex: '/api/v[0-9]+/.*' } }, route: { cluster: 'outbound|9080|v3|reviews.default.svc.cluster.local' } },
          { match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 20 }, { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 80 }] } } },
        ] },
      { name: 'wild', domains: ['*.example.com', 'api.*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|80||wild' } }] },
      { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster' } }] },
    ],
  };
  const pc = proxyConfigFrom([{ doc: [rc, { name: '0.0.0.0_9080', address: { socket_address: { address: '0.0.0.0', port_value: 9080 } }, filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { rds: { route_config_name: '9080' } } }] }] }] }]);
  const go = (host: string, path = '/', headers: Record<string, string> = {}) => walkEnvoy(pc, { dstIp: '10.96.3.3', dstPort: 9080, protocol: 'http', host, path, headers }, { entry: 'outbound' });

  it('header match, regex match, weighted clusters (all reported, heaviest followed)', () => {
    expect(go('reviews:9080', '/', { 'End-User': 'jason' }).cluster).toBe('outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(go('reviews:9080', '/api/v1/x').cluster).toBe('outbound|9080|v3|reviews.default.svc.cluster.local');
    const w = go('reviews:9080', '/reviews/0');
    expect(w.hops.find((h) => h.kind === 'route')!.detail).toMatchObject({ weightedClusters: [{ name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 20 }, { weight: 80 }], chosen: 'outbound|9080|v3|reviews.default.svc.cluster.local' });
    const picked = walkEnvoy(pc, { dstIp: '10.96.3.3', dstPort: 9080, protocol: 'http', host: 'reviews' }, { entry: 'outbound', pickWeighted: (c) => c[0].name });
    expect(picked.cluster).toBe('outbound|9080|v1|reviews.default.svc.cluster.local');
  });

  it('virtual host domains: exact, suffix and prefix wildcards, then *', () => {
    expect(selectVirtualHost(rc, 'reviews:9080').vhost?.name).toBe('reviews.default.svc.cluster.local:9080');
    expect(selectVirtualHost(rc, 'a.example.com').matchedDomain).toBe('*.example.com');
    expect(selectVirtualHost(rc, 'api.internal').matchedDomain).toBe('api.*');
    expect(selectVirtualHost(rc, 'httpbin.org').vhost?.name).toBe('allow_any');
    expect(go('httpbin.org').cluster).toBe('PassthroughCluster');
  });

  it('block_all answers 502 itself', () => {
    const blocked = proxyConfigFrom([{ doc: [{ ...rc, virtual_hosts: [{ name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }] }] }, ...pc.listeners] }]);
    const r = walkEnvoy(blocked, { dstIp: '1.1.1.1', dstPort: 9080, protocol: 'http', host: 'httpbin.org' }, { entry: 'outbound' });
    expect(r.terminated).toEqual({ status: 502, reason: 'block_all: REGISTRY_ONLY, destination not in the registry' });
  });
});
