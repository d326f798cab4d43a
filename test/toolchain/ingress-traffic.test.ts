// sendTraffic through the ingress gateway: a bare path goes to the URL bookinfo.ts computes from
// the istio-ingressgateway Service; `user` logs in first and keeps the session cookie; count,
// concurrency and qps shape what the ingress (a local server on 127.0.0.1) sees.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClusterBackend } from '../../main/core/cluster/backend.ts';
import type { MeshBackend } from '../../main/core/backend/types.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { FakeApiServer, json } from './fake-apiserver.ts';
import { disposeAll, fakeCtx, fixture, standinEnv, waitUntil } from './helpers.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** Stand-in for the ingress gateway: Bookinfo's /login and /productpage, plus a failing path. */
class FakeIngress {
  readonly seen: Seen[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Hold each /productpage answer until this many are in flight (or no more can come). */
  holdUntil = 1;
  expected = 0;
  private held: (() => void)[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  port = 0;

  private served = 0;

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
    if (req.url === '/login' && req.method === 'POST') {
      const user = new URLSearchParams(body).get('username');
      // Flask's session cookie, then a redirect to the page (what productpage's login does).
      res.writeHead(302, { location: '/productpage', 'set-cookie': [`session=${user}-signed; HttpOnly; Path=/`] });
      return void res.end();
    }
    if (req.url === '/ratings/0') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return void res.end('no healthy upstream');
    }
    if (req.url !== '/productpage') {
      res.writeHead(404);
      return void res.end('not found');
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const signedIn = /(?:^|;\s*)session=jason-signed(?:;|$)/.test(req.headers.cookie ?? '');
    const answer = () => {
      this.inFlight--;
      this.served++;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(fixture(signedIn ? 'productpage-v3-signed-in.html' : 'productpage-v1-signed-out.html'));
    };
    this.held.push(answer);
    if (this.inFlight >= this.holdUntil || this.served + this.inFlight >= this.expected) this.release();
  }

  private release(): void {
    for (const a of this.held.splice(0)) a();
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let api: FakeApiServer;
let ingress: FakeIngress;
let backend: MeshBackend;
let lbIngress: { ip: string }[];
let nodePort: number | undefined;

beforeEach(async () => {
  api = await new FakeApiServer().start();
  ingress = await new FakeIngress().start();
  lbIngress = [{ ip: '127.0.0.1' }];
  nodePort = 31380;
  const ctx = fakeCtx(standinEnv());
  writeFileSync(path.join(ctx.options.dataDir, 'kubeconfig'), '');
  api.kubeconfig(ctx.options.dataDir);
  api.routes.push((req, res) => {
    if (req.method === 'GET' && req.path === '/api/v1/namespaces/istio-system/services/istio-ingressgateway') {
      return json(res, 200, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
        spec: { type: 'LoadBalancer', ports: [{ name: 'status-port', port: 15021, nodePort: 30521 }, { name: 'http2', port: ingress.port, ...(nodePort ? { nodePort } : {}) }] },
        status: { loadBalancer: { ingress: lbIngress } },
      });
    }
    return false;
  });
  backend = await createClusterBackend(ctx);
});
afterEach(async () => {
  await backend.dispose();
  await ingress.close();
  await api.close();
  await disposeAll();
});

const req = (over: Partial<Parameters<MeshBackend['sendTraffic']>[0]> = {}) => ({ from: 'curl', method: 'GET', url: '/productpage', headers: {}, count: 1, concurrency: 1, qps: 0, ...over });

describe('sendTraffic through the ingress', () => {
  it('a bare path goes to the ingress URL from the istio-ingressgateway Service, whatever the client', async () => {
    const r = await backend.sendTraffic(req({ headers: { 'x-lab': 'ingress' } }));
    expect(ingress.seen).toHaveLength(1);
    const seen = ingress.seen[0];
    expect(seen).toMatchObject({ method: 'GET', url: '/productpage' });
    expect(seen.headers.host).toBe(`127.0.0.1:${ingress.port}`);
    expect(seen.headers['x-lab']).toBe('ingress');
    expect(r.responses).toHaveLength(1);
    const resp = r.responses[0];
    expect(resp.status).toBe(200);
    expect(resp.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-request-id']).toBe(resp.requestId);
    expect(Number.isInteger(resp.durationMs) && resp.durationMs >= 0).toBe(true);
    // reviews-v1 for an anonymous visitor: no star block at all.
    expect(resp.view).toEqual({ reviews: 'ok', stars: 'none', ratings: 'ok', details: 'ok' });
  });

  it('from: ingressgateway with a full in-mesh URL keeps only its path and query', async () => {
    await backend.sendTraffic(req({ from: 'ingressgateway', url: 'http://productpage:9080/productpage?u=normal' }));
    expect(ingress.seen.map((s) => s.url)).toEqual(['/productpage?u=normal']);
  });

  it('a Host header from the lab is sent as written (Gateway hosts like httpbin.example.com)', async () => {
    await backend.sendTraffic(req({ url: '/ratings/0', headers: { Host: 'bookinfo.example.com' } }));
    expect(ingress.seen[0].headers.host).toBe('bookinfo.example.com');
  });

  it('user: logs in with POST /login first and sends the session cookie on every request', async () => {
    ingress.expected = 3;
    const r = await backend.sendTraffic(req({ user: 'jason', count: 3 }));
    const [login, ...rest] = ingress.seen;
    expect(login).toMatchObject({ method: 'POST', url: '/login' });
    expect(login.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(login.body))).toEqual({ username: 'jason', passwd: '' });
    expect(rest.map((s) => [s.method, s.url, s.headers.cookie])).toEqual(Array.from({ length: 3 }, () => ['GET', '/productpage', 'session=jason-signed']));
    // The signed-in page is reviews-v3's: red stars.
    for (const resp of r.responses) expect(resp.view).toEqual({ reviews: 'ok', stars: 'red', ratings: 'ok', details: 'ok' });
  });

  it('count and concurrency: every request arrives, never more than `concurrency` at once', async () => {
    ingress.holdUntil = 3;
    ingress.expected = 10;
    const r = await backend.sendTraffic(req({ count: 10, concurrency: 3 }));
    expect(ingress.seen.filter((s) => s.url === '/productpage')).toHaveLength(10);
    // The ingress holds answers until 3 are in flight, so reaching 3 proves the client keeps 3 open.
    expect(ingress.maxInFlight).toBe(3);
    expect(r.responses).toHaveLength(10);
    expect(new Set(r.responses.map((x) => x.requestId)).size).toBe(10);
    expect(new Set(ingress.seen.map((s) => s.headers['x-request-id'])).size).toBe(10);
  });

  it('qps paces the starts across all connections (arrivals are at least 1/qps apart)', async () => {
    ingress.expected = 4;
    const called = Date.now();
    await backend.sendTraffic(req({ count: 4, concurrency: 4, qps: 5 }));
    const at = ingress.seen.map((s) => s.at).sort((x, y) => x - y);
    expect(at).toHaveLength(4);
    // Never early: request i starts at least i/qps after the call, so the k-th arrival is at least
    // k × 200 ms after it. (A request may be late on a busy machine, the first one most.)
    for (let k = 0; k < at.length; k++) expect(at[k]! - called).toBeGreaterThanOrEqual(k * 200);
    // Paced at all: unpaced, all four arrive within a few ms of each other, not ~600 ms apart.
    expect(at[3]! - at[0]!).toBeGreaterThanOrEqual(300);
  });

  it('a lab\'s own X-Request-Id is kept and reported (one id, not two)', async () => {
    const r = await backend.sendTraffic(req({ url: '/ratings/0', headers: { 'X-Request-Id': 'lab-trace-1' } }));
    expect(r.responses[0].requestId).toBe('lab-trace-1');
    expect(ingress.seen[0].headers['x-request-id']).toBe('lab-trace-1');
  });

  it('cancelling stops sending: requests in flight are dropped and the call says cancelled', async () => {
    ingress.holdUntil = 99;
    ingress.expected = 99;
    const ac = new AbortController();
    const pending = backend.sendTraffic(req({ count: 20, concurrency: 2 }), ac.signal).catch((e: unknown) => e);
    await waitUntil(() => ingress.inFlight === 2);
    ac.abort();
    const err = (await pending) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('cancelled');
    expect(ingress.seen).toHaveLength(2);
  });

  it('non-productpage answers carry status and body, no view', async () => {
    const r = await backend.sendTraffic(req({ url: '/ratings/0' }));
    expect(r.responses[0]).toMatchObject({ status: 503, body: 'no healthy upstream' });
    expect(r.responses[0].view).toBeUndefined();
  });

  it('no external address and no node port: a clear error naming the tunnel', async () => {
    lbIngress = [];
    nodePort = undefined;
    const err = (await backend.sendTraffic(req()).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('unavailable');
    expect(err.fix).toMatch(/minikube tunnel/);
    expect(ingress.seen).toHaveLength(0);
  });
});
