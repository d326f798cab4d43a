// Outcomes the Istio traffic-management tasks say a learner sees (ISTIO-FACTS §1.1–1.7), checked
// against the sandbox with the real sample manifests as input.
import { describe, expect, it } from 'vitest';
import { hopsTo, many, meshWith, productpage } from './helpers.ts';

const ALL_V1 = ['destination-rule-all.yaml', 'virtual-service-all-v1.yaml'];

describe('request routing (tasks/traffic-management/request-routing)', () => {
  it('with no rules, reviews round-robins over v1, v2 and v3', () => {
    const mesh = meshWith([]);
    const served = new Set(many(mesh, 60, { from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage' }).map((r) => hopsTo(r, 'reviews')[0].to));
    expect(served).toEqual(new Set(['reviews-v1', 'reviews-v2', 'reviews-v3']));
  });

  it('virtual-service-all-v1: the reviews section never shows stars', () => {
    const mesh = meshWith(ALL_V1);
    const rs = many(mesh, 30, { from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage' });
    for (const r of rs) {
      expect(r.status).toBe(200);
      expect(r.view).toMatchObject({ reviews: 'ok', stars: 'none', details: 'ok' });
      expect(hopsTo(r, 'reviews').map((h) => h.to)).toEqual(['reviews-v1']);
      expect(hopsTo(r, 'ratings')).toEqual([]);
    }
  });

  it('virtual-service-reviews-test-v2: jason sees black stars, everyone else none', () => {
    const mesh = meshWith([...ALL_V1, 'virtual-service-reviews-test-v2.yaml']);
    for (let i = 0; i < 10; i++) {
      const jason = productpage(mesh, 'jason');
      expect(jason.view?.stars).toBe('black');
      expect(hopsTo(jason, 'reviews')[0].to).toBe('reviews-v2');
      expect(productpage(mesh, 'kim').view?.stars).toBe('none');
      expect(productpage(mesh).view?.stars).toBe('none');
    }
  });

  it('the same through the ingress gateway with bookinfo-gateway.yaml', () => {
    const mesh = meshWith([...ALL_V1, 'virtual-service-reviews-test-v2.yaml', 'bookinfo-gateway.yaml']);
    const r = productpage(mesh, 'jason', 'ingressgateway');
    expect(r.status).toBe(200);
    expect(r.view?.stars).toBe('black');
    expect(r.hops[0]).toMatchObject({ from: 'istio-ingressgateway', to: 'productpage-v1' });
    const notExposed = mesh.send({ from: 'ingressgateway', method: 'GET', url: 'http://bookinfo.example/headers' });
    expect(notExposed.status).toBe(404);
    expect(notExposed.hops[0].flags).toBe('NR');
  });
});

describe('fault injection (tasks/traffic-management/fault-injection)', () => {
  const base = [...ALL_V1, 'virtual-service-reviews-test-v2.yaml'];

  it('7 s delay for jason: reviews unavailable after about 6 s (productpage 3 s × 2 tries), DI on ratings', () => {
    const mesh = meshWith([...base, 'virtual-service-ratings-test-delay.yaml']);
    const r = productpage(mesh, 'jason');
    expect(r.status).toBe(200);
    expect(r.view?.reviews).toBe('unavailable');
    expect(r.durationMs).toBeGreaterThan(6000);
    expect(r.durationMs).toBeLessThan(6100);
    const reviews = hopsTo(r, 'reviews');
    expect(reviews).toHaveLength(2);
    for (const h of reviews) expect(h).toMatchObject({ status: 0, flags: 'DC', durationMs: 3000 });
    const ratings = hopsTo(r, 'ratings');
    expect(ratings.length).toBeGreaterThan(0);
    expect(ratings.every((h) => h.flags === 'DI' && h.durationMs >= 7000)).toBe(true);
    expect(r.records.some((x) => x.flags === 'DI' && x.cluster === 'outbound|9080|v1|ratings.default.svc.cluster.local')).toBe(true);
  });

  it('other users see no delay', () => {
    const mesh = meshWith([...base, 'virtual-service-ratings-test-delay.yaml']);
    const r = productpage(mesh, 'kim');
    expect(r.view?.reviews).toBe('ok');
    expect(r.durationMs).toBeLessThan(100);
  });

  it('abort for jason: the page loads at once and ratings are unavailable (FI, fault_filter_abort)', () => {
    const mesh = meshWith([...base, 'virtual-service-ratings-test-abort.yaml']);
    const r = productpage(mesh, 'jason');
    expect(r.status).toBe(200);
    expect(r.durationMs).toBeLessThan(100);
    expect(r.view).toMatchObject({ reviews: 'ok', ratings: 'unavailable' });
    const rt = hopsTo(r, 'ratings')[0];
    expect(rt).toMatchObject({ from: 'reviews-v2', status: 500, flags: 'FI' });
    expect(r.records.some((x) => x.details === 'fault_filter_abort' && x.code === 500)).toBe(true);
    expect(productpage(mesh, 'kim').view).toMatchObject({ reviews: 'ok', ratings: 'ok', stars: 'none' });
  });
});

describe('traffic shifting (tasks/traffic-management/traffic-shifting)', () => {
  it('50/50 v1/v3: red stars on about half the refreshes', () => {
    const mesh = meshWith([...ALL_V1, 'virtual-service-reviews-50-v3.yaml']);
    const rs = many(mesh, 400, { from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage' });
    const red = rs.filter((r) => r.view?.stars === 'red').length;
    expect(red / rs.length).toBeGreaterThan(0.4);
    expect(red / rs.length).toBeLessThan(0.6);
    expect(rs.every((r) => r.view?.stars === 'red' || r.view?.stars === 'none')).toBe(true);
  });

  it('100 % v3: always red stars', () => {
    const mesh = meshWith([...ALL_V1, 'virtual-service-reviews-v3.yaml']);
    const rs = many(mesh, 50, { from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage' });
    expect(rs.every((r) => r.view?.stars === 'red')).toBe(true);
  });
});

describe('TCP traffic shifting (tasks/traffic-management/tcp-traffic-shifting)', () => {
  const req = { from: 'ingressgateway', method: 'TCP', url: 'tcp://istio-ingressgateway.istio-system:31400' };

  it('tcp-echo-all-v1: every answer is "one …"', () => {
    const mesh = meshWith(['tcp-echo-all-v1.yaml']);
    const rs = many(mesh, 30, req);
    expect(rs.every((r) => r.body?.startsWith('one '))).toBe(true);
    expect(rs[0].records.some((x) => x.method === null && x.cluster === 'outbound|9000|v1|tcp-echo.default.svc.cluster.local')).toBe(true);
  });

  it('from the curl pod through the gateway Service (as the lab runs nc in a pod)', () => {
    const mesh = meshWith(['tcp-echo-all-v1.yaml']);
    const r = mesh.send({ from: 'curl', method: 'TCP', url: 'tcp://istio-ingressgateway.istio-system:31400' });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^one /);
    expect(r.hops.map((h) => [h.from, h.to])).toEqual([['curl', 'istio-ingressgateway'], ['istio-ingressgateway', 'tcp-echo-v1']]);
  });

  it('tcp-echo-20-v2: about 20 % "two …"', () => {
    const mesh = meshWith(['tcp-echo-all-v1.yaml', 'tcp-echo-20-v2.yaml']);
    const rs = many(mesh, 400, req);
    const two = rs.filter((r) => r.body?.startsWith('two ')).length / rs.length;
    expect(two).toBeGreaterThan(0.12);
    expect(two).toBeLessThan(0.28);
  });
});

describe('request timeouts (tasks/traffic-management/request-timeouts)', () => {
  it('2 s ratings delay: page works with stars but takes about 2 s', () => {
    const mesh = meshWith([...ALL_V1, 'timeouts-reviews-v2.yaml']);
    const r = productpage(mesh);
    expect(r.view).toMatchObject({ reviews: 'ok', stars: 'black' });
    expect(r.durationMs).toBeGreaterThan(2000);
    expect(r.durationMs).toBeLessThan(2100);
  });

  it('plus a 0.5 s timeout on reviews: about 1 s (productpage retries once), reviews unavailable, UT', () => {
    const mesh = meshWith([...ALL_V1, 'timeouts-reviews-v2.yaml', 'timeouts-reviews-0.5s.yaml']);
    const r = productpage(mesh);
    expect(r.view?.reviews).toBe('unavailable');
    expect(r.durationMs).toBeGreaterThan(1000);
    expect(r.durationMs).toBeLessThan(1100);
    const reviews = hopsTo(r, 'reviews');
    expect(reviews).toHaveLength(2);
    for (const h of reviews) expect(h).toMatchObject({ status: 504, flags: 'UT' });
    expect(r.records.filter((x) => x.details === 'response_timeout')).toHaveLength(2);
  });
});

describe('circuit breaking (tasks/traffic-management/circuit-breaking)', () => {
  const req = { from: 'fortio', method: 'GET', url: 'http://httpbin:8000/get' };
  const rate = (seed: number, c: number, n: number) => {
    const mesh = meshWith(['circuit-breaking-httpbin.yaml'], { seed });
    const rs = mesh.load(req, { count: n, concurrency: c, qps: 0 });
    const overflow = rs.filter((r) => r.status === 503);
    expect(overflow.every((r) => r.hops[0].flags === 'UO')).toBe(true);
    return overflow.length / n;
  };

  it('one call succeeds', () => {
    const mesh = meshWith(['circuit-breaking-httpbin.yaml']);
    expect(mesh.send(req).status).toBe(200);
  });

  it('-c 2 gives some 503 UO, -c 3 gives more (run-to-run numbers vary)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c2 = rate(seed, 2, 200);
      const c3 = rate(seed, 3, 300);
      expect(c2).toBeGreaterThan(0);
      expect(c2).toBeLessThan(0.5);
      expect(c3).toBeGreaterThan(c2);
    }
  });

  it('without the DestinationRule nothing overflows', () => {
    const mesh = meshWith([]);
    expect(mesh.load(req, { count: 100, concurrency: 3, qps: 0 }).every((r) => r.status === 200)).toBe(true);
  });
});

describe('mirroring (tasks/traffic-management/mirroring)', () => {
  const req = { from: 'curl', method: 'GET', url: 'http://httpbin:8000/headers' };
  const inboundOf = (r: ReturnType<typeof many>[number], workload: string) => r.records.filter((x) => x.proxy.workload.name === workload && x.cluster?.startsWith('inbound|'));

  it('step 1: only httpbin-v1 gets requests', () => {
    const mesh = meshWith(['mirroring-v1.yaml']);
    const r = mesh.send(req);
    expect(r.status).toBe(200);
    expect(inboundOf(r, 'httpbin-v1')).toHaveLength(1);
    expect(inboundOf(r, 'httpbin-v2')).toHaveLength(0);
  });

  it('step 2: v2 gets a mirrored copy of every request; the client is answered by v1', () => {
    const mesh = meshWith(['mirroring-v1.yaml', 'mirroring-mirror-v2.yaml']);
    for (const r of many(mesh, 10, req)) {
      expect(r.servedBy).toBe('httpbin-v1');
      expect(inboundOf(r, 'httpbin-v1')).toHaveLength(1);
      expect(inboundOf(r, 'httpbin-v2')).toHaveLength(1);
      expect(r.hops.find((h) => h.mirror)).toMatchObject({ to: 'httpbin-v2', mirror: true });
      // Envoy logs only the primary call on the client side; the shadow request appears only in
      // httpbin-v2's inbound log.
      expect(r.records.filter((x) => x.cluster?.startsWith('outbound|8000|')).map((x) => x.cluster)).toEqual(['outbound|8000|v1|httpbin.default.svc.cluster.local']);
      // Since Istio 1.28 the mirror keeps the original Host (no -shadow suffix).
      expect(inboundOf(r, 'httpbin-v2')[0].authority).toBe('httpbin:8000');
    }
  });
});

describe('locality failover (tasks/traffic-management/locality-load-balancing/failover)', () => {
  const req = { from: 'curl', method: 'GET', url: 'http://helloworld:5000/hello' };
  const versions = (rs: ReturnType<typeof many>) => new Set(rs.filter((r) => r.status === 200).map((r) => /version: (\S+),/.exec(r.body ?? '')?.[1]));

  it('traffic stays in region1/zone1, then fails over zone2 → region2 → region3 as proxies drain', () => {
    const mesh = meshWith(['locality-failover.yaml']);
    expect(versions(many(mesh, 10, req))).toEqual(new Set(['region1.zone1']));
    mesh.drain('helloworld-region1-zone1');
    many(mesh, 1, req);
    expect(versions(many(mesh, 10, req))).toEqual(new Set(['region1.zone2']));
    mesh.drain('helloworld-region1-zone2');
    many(mesh, 1, req);
    // The failover rule sends region1 clients to region2 before region3.
    expect(versions(many(mesh, 10, req))).toEqual(new Set(['region2.zone3']));
    mesh.drain('helloworld-region2-zone3');
    many(mesh, 1, req);
    expect(versions(many(mesh, 10, req))).toEqual(new Set(['region3.zone4']));
  });

  it('without the DestinationRule all localities share the traffic', () => {
    const mesh = meshWith([]);
    expect(versions(many(mesh, 80, req)).size).toBe(4);
  });
});

describe('locality weighted distribution (tasks/traffic-management/locality-load-balancing/distribute)', () => {
  it('splits about 70/20/0/10 as the distribute rule says', async () => {
    const { parseManifestText } = await import('../../main/core/manifests.ts');
    const mesh = meshWith([]);
    mesh.apply(parseManifestText(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld}
spec:
  host: helloworld.default.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        enabled: true
        distribute:
        - from: region1/zone1/*
          to:
            "region1/zone1/*": 70
            "region1/zone2/*": 20
            "region3/zone4/*": 10
    outlierDetection:
      consecutive5xxErrors: 100
      interval: 1s
      baseEjectionTime: 1m
`, 'distribute.yaml'));
    const rs = many(mesh, 1000, { from: 'curl', method: 'GET', url: 'http://helloworld:5000/hello' });
    const share = (v: string) => rs.filter((r) => r.body?.includes(`version: ${v},`)).length / rs.length;
    expect(share('region1.zone1')).toBeGreaterThan(0.64);
    expect(share('region1.zone1')).toBeLessThan(0.76);
    expect(share('region1.zone2')).toBeGreaterThan(0.15);
    expect(share('region1.zone2')).toBeLessThan(0.25);
    expect(share('region2.zone3')).toBe(0);
    expect(share('region3.zone4')).toBeGreaterThan(0.06);
    expect(share('region3.zone4')).toBeLessThan(0.14);
  });
});

describe('ingress gateway (tasks/traffic-management/ingress/ingress-control)', () => {
  it('Gateway hosts and VS matches decide: 200 for /status, 404 NR for other paths or hosts', async () => {
    const { parseManifestText } = await import('../../main/core/manifests.ts');
    const mesh = meshWith([]);
    mesh.apply(parseManifestText(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: httpbin-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["httpbin.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: ["httpbin.example.com"]
  gateways: [httpbin-gateway]
  http:
  - match:
    - uri: {prefix: /status}
    - uri: {prefix: /delay}
    route:
    - destination:
        port: {number: 8000}
        host: httpbin
`, 'ingress.yaml'));
    const req = (url: string) => mesh.send({ from: 'ingressgateway', method: 'GET', url });
    expect(req('http://httpbin.example.com/status/200').status).toBe(200);
    const nr = req('http://httpbin.example.com/headers');
    expect(nr.status).toBe(404);
    expect(nr.records[0]).toMatchObject({ flags: 'NR', details: 'route_not_found' });
    expect(req('http://other.example.com/status/200').status).toBe(404);
    // Nothing listens on a port without a Gateway server: the connection is refused.
    expect(req('http://httpbin.example.com:443/status/200').status).toBe(0);
  });
});
