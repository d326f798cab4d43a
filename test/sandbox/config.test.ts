// Manifest parsing, the config store, unsupported-field warnings, proxy config and iptables.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifestText } from '../../main/core/manifests.ts';
import { captureOptions, iptablesSave } from '../../main/core/sandbox/iptables.ts';
import { MANIFEST_DIR, Mesh } from '../../main/core/sandbox/mesh.ts';
import { ProxyConfigBuilder } from '../../main/core/sandbox/proxy-config.ts';
import { docsOf, FIXTURES, meshWith } from './helpers.ts';

describe('parseManifestText', () => {
  it('keeps file, index and start line of each document', () => {
    const docs = docsOf('destination-rule-all.yaml');
    expect(docs.map((d) => d.object.metadata.name)).toEqual(['productpage', 'reviews', 'ratings', 'details']);
    expect(docs[1].source).toMatchObject({ file: 'destination-rule-all.yaml', index: 1 });
    const text = readFileSync(path.join(FIXTURES, 'destination-rule-all.yaml'), 'utf8').split('\n');
    expect(text[docs[1].source.line - 1]).toBe('apiVersion: networking.istio.io/v1');
  });

  it('names file:line for YAML errors and non-Kubernetes documents', () => {
    expect(() => parseManifestText('apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n', 'bad.yaml')).toThrow(/^bad\.yaml:\d+: YAML syntax error/);
    expect(() => parseManifestText('apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: b}\n', 'two.yaml')).toThrow('two.yaml:5: Service document is not a Kubernetes object: missing apiVersion');
    try {
      parseManifestText('- a\n- b\n', 'list.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as ManifestError).line).toBe(1);
    }
  });

  it('every platform manifest is a valid Kubernetes object list', () => {
    const counts: Record<string, number> = {};
    for (const f of ['bookinfo.yaml', 'bookinfo-gateway.yaml', 'destination-rule-all.yaml', 'curl.yaml', 'httpbin.yaml', 'fortio.yaml', 'tcp-echo.yaml', 'helloworld.yaml']) {
      counts[f] = parseManifestText(readFileSync(path.join(MANIFEST_DIR, f), 'utf8'), f).length;
    }
    expect(counts['bookinfo.yaml']).toBe(14);
    const bookinfo = parseManifestText(readFileSync(path.join(MANIFEST_DIR, 'bookinfo.yaml'), 'utf8'), 'bookinfo.yaml').map((d) => d.object);
    expect(bookinfo.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort()).toEqual(['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    expect(bookinfo.filter((o) => o.kind === 'ServiceAccount').every((o) => o.metadata.name.startsWith('bookinfo-'))).toBe(true);
    for (const o of bookinfo.filter((x) => x.kind === 'Deployment')) expect(JSON.stringify(o)).toMatch(/registry\.istio\.io\/release\/examples-bookinfo-[a-z]+-v\d:1\.20\.3/);
  });
});

describe('config store and warnings', () => {
  it('applying the same object under v1alpha3 and v1 configures one resource', () => {
    const mesh = meshWith(['virtual-service-all-v1.yaml']);
    const text = readFileSync(path.join(FIXTURES, 'virtual-service-reviews-v3.yaml'), 'utf8').replace('networking.istio.io/v1', 'networking.istio.io/v1alpha3');
    const out = mesh.apply(parseManifestText(text, 'old.yaml'));
    expect(out[0]).toMatchObject({ action: 'configured', warnings: [] });
    expect(mesh.store.list('VirtualService')).toHaveLength(4);
    expect(mesh.apply(parseManifestText(text, 'old.yaml'))[0].action).toBe('unchanged');
  });

  it('reports every field the sandbox does not model, with file:line', () => {
    const mesh = new Mesh();
    const out = mesh.apply(parseManifestText(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - corsPolicy: {allowOrigins: [{exact: x}]}
    route:
    - destination: {host: reviews}
      headers: {request: {set: {a: b}}}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: f}
spec: {}
`, 'x.yaml'));
    expect(out[0].warnings).toEqual([
      'x.yaml:1: VirtualService default/reviews: field spec.http[0].corsPolicy is not modelled by the sandbox and is ignored',
      'x.yaml:1: VirtualService default/reviews: field spec.http[0].route[0].headers is not modelled by the sandbox and is ignored',
    ]);
    expect(out[1].warnings[0]).toMatch(/^x\.yaml:12: EnvoyFilter default\/f: the sandbox stores this EnvoyFilter but does not model its behaviour/);
  });

  it('a subset without a DestinationRule gives 503 NC; a subset matching no pods gives 503 UH', () => {
    const nc = meshWith(['virtual-service-all-v1.yaml']);
    const r = nc.send({ from: 'curl', method: 'GET', url: 'http://reviews:9080/reviews/0' });
    expect(r).toMatchObject({ status: 503 });
    expect(r.records[0]).toMatchObject({ flags: 'NC', details: 'cluster_not_found', cluster: null });
    const uh = meshWith(['destination-rule-all.yaml']);
    uh.apply(parseManifestText('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: details}\nspec:\n  hosts: [details]\n  http:\n  - route:\n    - destination: {host: details, subset: v2}\n', 'v2.yaml'));
    const u = uh.send({ from: 'curl', method: 'GET', url: 'http://details:9080/details/0' });
    expect(u.status).toBe(503);
    expect(u.records[0]).toMatchObject({ flags: 'UH', details: 'no_healthy_upstream', cluster: 'outbound|9080|v2|details.default.svc.cluster.local' });
  });
});

describe('proxy config', () => {
  const count = (mesh: Mesh, pod: string) => {
    const v = new ProxyConfigBuilder(mesh.config(), mesh.settings).build(mesh.clientPod(pod));
    return { listeners: v.listeners.length, clusters: v.clusters.length, routes: v.routes.length, view: v };
  };

  it('is shaped like an Envoy admin config dump and follows the applied rules', () => {
    const mesh = meshWith(['destination-rule-all.yaml', 'virtual-service-all-v1.yaml', 'virtual-service-reviews-50-v3.yaml']);
    const dump = new ProxyConfigBuilder(mesh.config(), mesh.settings).dump(mesh.clientPod('productpage-v1'));
    const types = dump.configs.map((c) => (c as { '@type': string })['@type'].split('.').pop());
    expect(types).toEqual(['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump', 'EndpointsConfigDump']);
    const clusters = (dump.configs[1] as any).dynamic_active_clusters.map((c: any) => c.cluster.name);
    expect(clusters).toContain('outbound|9080|v3|reviews.default.svc.cluster.local');
    expect(clusters).toContain('inbound|9080||');
    expect(clusters).toContain('PassthroughCluster');
    const listeners = (dump.configs[2] as any).dynamic_listeners.map((l: any) => l.name);
    expect(listeners).toEqual(expect.arrayContaining(['virtualOutbound', 'virtualInbound', '0.0.0.0_9080']));
    const route9080 = (dump.configs[3] as any).dynamic_route_configs.find((r: any) => r.route_config.name === '9080').route_config;
    const reviews = route9080.virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080');
    expect(reviews.routes[0].route.weighted_clusters.clusters).toEqual([
      { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 50 },
      { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 50 },
    ]);
    expect(route9080.virtual_hosts.at(-1).name).toBe('allow_any');
  });

  it('a Sidecar resource shrinks listeners, clusters and routes', () => {
    const mesh = meshWith([]);
    const before = count(mesh, 'productpage-v1');
    mesh.apply(parseManifestText('apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: default}\nspec:\n  egress:\n  - hosts: ["./reviews.default.svc.cluster.local", "./details.default.svc.cluster.local", "istio-system/*"]\n', 'sidecar.yaml'));
    const after = count(mesh, 'productpage-v1');
    expect(after.clusters).toBeLessThan(before.clusters);
    expect(after.listeners).toBeLessThan(before.listeners);
    const vhosts = (r: typeof after) => r.view.routes.flatMap((x: any) => x.virtual_hosts.map((v: any) => v.name));
    expect(vhosts(after).length).toBeLessThan(vhosts(before).length);
    expect(vhosts(after)).not.toContain('ratings.default.svc.cluster.local:9080');
    // Out of scope now: calls to ratings become passthrough traffic.
    const r = mesh.send({ from: 'productpage-v1', method: 'GET', url: 'http://ratings:9080/ratings/0' });
    expect(r.status).toBe(200);
    expect(r.records.find((x) => x.proxy.workload.name === 'productpage-v1')).toMatchObject({ cluster: 'PassthroughCluster', route: 'allow_any' });
  });
});

describe('iptables', () => {
  it('the default sidecar nat table equals what a real kernel printed for istio-init', () => {
    const real = readFileSync(path.join(FIXTURES, 'default-sidecar.iptables-save.txt'), 'utf8');
    expect(iptablesSave(captureOptions(), new Date('2026-11-24T23:36:32Z'))).toBe(real);
  });

  it('honours capture annotations', () => {
    const out = iptablesSave(captureOptions({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.96.0.0/12', 'traffic.sidecar.istio.io/excludeInboundPorts': '9080' }));
    expect(out).toContain('-A ISTIO_OUTPUT -d 10.96.0.0/12 -j RETURN');
    expect(out).toContain('-A ISTIO_INBOUND -p tcp -m tcp --dport 9080 -j RETURN');
  });
});
