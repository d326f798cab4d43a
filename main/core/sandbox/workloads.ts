// What each sample application does when a request reaches it: its own processing time, the calls
// it makes (with its own timeouts and retries, as in the sample sources), and what it answers.
import type { Rng } from './random.ts';

export type BehaviourKind =
  | 'productpage' | 'details' | 'reviews' | 'ratings' | 'httpbin' | 'helloworld' | 'tcp-echo'
  | 'curl' | 'fortio' | 'gateway' | 'external' | 'generic';

/** Which model serves a container image; unknown images answer like a plain HTTP server. */
export function behaviourFor(image: string): BehaviourKind {
  const i = image.toLowerCase();
  if (i.includes('examples-bookinfo-productpage')) return 'productpage';
  if (i.includes('examples-bookinfo-details')) return 'details';
  if (i.includes('examples-bookinfo-reviews')) return 'reviews';
  if (i.includes('examples-bookinfo-ratings')) return 'ratings';
  if (i.includes('httpbin')) return 'httpbin';
  if (i.includes('helloworld')) return 'helloworld';
  if (i.includes('tcp-echo')) return 'tcp-echo';
  if (i.includes('curl') || i.includes('sleep')) return 'curl';
  if (i.includes('fortio')) return 'fortio';
  return 'generic';
}

export interface AppRequest {
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** TCP connection instead of an HTTP request (tcp-echo). */
  tcp: boolean;
  /** For TCP: the line the client sends. */
  payload?: string;
  /** productpage session user (set by POST /login; the sandbox's --user). */
  sessionUser?: string;
}

export interface AppCallResult {
  /** HTTP status the app saw; 0 when the call failed or the app's own timeout fired. */
  status: number;
  endMs: number;
  data?: AppData;
}

export interface AppData {
  stars?: 'none' | 'black' | 'red';
  ratings?: 'ok' | 'unavailable';
  view?: { reviews: 'ok' | 'unavailable'; stars: 'none' | 'black' | 'red'; ratings: 'ok' | 'unavailable'; details: 'ok' | 'unavailable' };
  body?: string;
}

export interface AppResponse {
  status: number;
  bytes: number;
  endMs: number;
  data?: AppData;
}

/** What an app can do while serving: call another service through its sidecar. */
export interface AppEnv {
  rng: Rng;
  podName: string;
  version: string;
  env: Record<string, string>;
  args: string[];
  /** Outbound call at time `at`; `timeoutMs` is the app's own client timeout (0 = none). */
  call(host: string, port: number, method: string, path: string, headers: Record<string, string>, at: number, timeoutMs: number): AppCallResult;
}

/** Headers Bookinfo propagates on its outbound calls (productpage.py / LibertyRestEndpoint.java). */
const PROPAGATED = ['x-request-id', 'end-user', 'user-agent', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'traceparent', 'tracestate'];
function forward(h: Record<string, string>, extra?: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of PROPAGATED) if (h[k] !== undefined) out[k] = h[k];
  return extra ? Object.assign(out, extra) : out;
}

function work(rng: Rng, lo: number, hi: number): number {
  return rng.between(lo, hi);
}

const PRODUCT_ID = /^\/(?:details|reviews|ratings)\/(\d+)$/;

export function serve(kind: BehaviourKind, req: AppRequest, at: number, app: AppEnv): AppResponse {
  const r = app.rng;
  const q = req.path.indexOf('?');
  const path = q === -1 ? req.path : req.path.slice(0, q);
  switch (kind) {
    case 'productpage':
      return productpage(req, path, at, app);
    case 'details':
      if (path === '/health') return { status: 200, bytes: 32, endMs: at + work(r, 0.3, 0.8) };
      if (PRODUCT_ID.test(path)) return { status: 200, bytes: 178, endMs: at + work(r, 0.8, 2.5) };
      return { status: 404, bytes: 0, endMs: at + 0.5 };
    case 'ratings':
      if (path === '/health') return { status: 200, bytes: 33, endMs: at + work(r, 0.3, 0.8) };
      if (PRODUCT_ID.test(path)) return { status: 200, bytes: 48, endMs: at + work(r, 0.6, 1.8) };
      return { status: 404, bytes: 0, endMs: at + 0.5 };
    case 'reviews':
      return reviews(req, path, at, app);
    case 'httpbin':
      return httpbin(req, path, at, app);
    case 'helloworld': {
      const v = app.env.SERVICE_VERSION ?? app.version;
      if (path !== '/hello') return { status: 404, bytes: 0, endMs: at + 0.5 };
      const body = `Hello version: ${v}, instance: ${app.podName}`;
      return { status: 200, bytes: body.length + 1, endMs: at + work(r, 0.5, 1.5), data: { body } };
    }
    case 'tcp-echo': {
      const word = app.args[1] ?? 'one';
      const body = `${word} ${req.payload ?? ''}`.trimEnd();
      return { status: 200, bytes: body.length + 1, endMs: at + work(r, 0.2, 0.6), data: { body } };
    }
    case 'external':
      return external(req, path, at, app);
    case 'fortio':
      return { status: 200, bytes: 0, endMs: at + work(r, 0.2, 0.5) };
    case 'curl':
      // The curl pod only sleeps; nothing listens on its port.
      return { status: 0, bytes: 0, endMs: at + 0.2 };
    default:
      return { status: 200, bytes: 615, endMs: at + work(r, 0.5, 1.5) };
  }
}

function productpage(req: AppRequest, path: string, at: number, app: AppEnv): AppResponse {
  const r = app.rng;
  if (path === '/health') return { status: 200, bytes: 23, endMs: at + work(r, 0.3, 0.8) };
  if (path === '/' || path === '/index.html') return { status: 200, bytes: 1683, endMs: at + work(r, 1, 3) };
  if (path.startsWith('/static/')) return { status: 200, bytes: 3043, endMs: at + work(r, 0.5, 1.5) };
  if (path === '/login' || path === '/logout') return { status: 302, bytes: 209, endMs: at + work(r, 1, 2) };
  const headers = forward(req.headers, req.sessionUser ? { 'end-user': req.sessionUser } : undefined);
  if (path === '/api/v1/products') return { status: 200, bytes: 395, endMs: at + work(r, 0.5, 1.5) };
  if (path === '/productpage' || /^\/api\/v1\/products\/\d+\/reviews$/.test(path)) {
    let t = at + work(r, 2, 5);
    let details: 'ok' | 'unavailable' = 'ok';
    if (path === '/productpage') {
      // productpage.py: details with timeout=3.0, one try.
      const d = app.call('details', 9080, 'GET', '/details/0', headers, t, 3000);
      t = d.endMs;
      if (d.status !== 200) details = 'unavailable';
    }
    // productpage.py getProductReviews: `for _ in range(2)` with timeout=3.0 — a non-200 or a
    // timeout is tried once more. This is why a 7 s ratings delay shows up after ~6 s.
    let rev: AppCallResult | null = null;
    for (let i = 0; i < 2; i++) {
      rev = app.call('reviews', 9080, 'GET', '/reviews/0', headers, t, 3000);
      t = rev.endMs;
      if (rev.status === 200) break;
    }
    const ok = rev?.status === 200;
    const stars = ok ? rev?.data?.stars ?? 'none' : 'none';
    const ratings = ok && rev?.data?.ratings === 'unavailable' ? 'unavailable' : 'ok';
    const view = { reviews: ok ? 'ok' : 'unavailable', stars, ratings, details } as const;
    if (path !== '/productpage') return { status: ok ? 200 : rev?.status || 500, bytes: ok ? 358 : 78, endMs: t + 0.5, data: { view } };
    const bytes = 3769 + (details === 'ok' ? 525 : 0) + (ok ? 420 + (stars !== 'none' ? 580 : ratings === 'unavailable' ? 140 : 0) : 0);
    return { status: 200, bytes, endMs: t + work(r, 1, 3), data: { view } };
  }
  return { status: 404, bytes: 207, endMs: at + 1 };
}

function reviews(req: AppRequest, path: string, at: number, app: AppEnv): AppResponse {
  const r = app.rng;
  if (path === '/health') return { status: 200, bytes: 21, endMs: at + work(r, 0.5, 1) };
  const m = PRODUCT_ID.exec(path);
  if (!m || !path.startsWith('/reviews/')) return { status: 404, bytes: 0, endMs: at + 1 };
  let t = at + work(r, 2, 6);
  // ENABLE_RATINGS / STAR_COLOR are build args: v1 never calls ratings, v2 is black, v3 red.
  const color = app.version === 'v3' ? 'red' : app.version === 'v2' ? 'black' : null;
  if (!color) return { status: 200, bytes: 295, endMs: t };
  // LibertyRestEndpoint.java: timeout 10 s for black stars, 2.5 s for red.
  const rt = app.call('ratings', 9080, 'GET', `/ratings/${m[1]}`, forward(req.headers), t, color === 'black' ? 10_000 : 2_500);
  t = rt.endMs + work(r, 0.5, 1.5);
  if (rt.status === 200) return { status: 200, bytes: 358, endMs: t, data: { stars: color, ratings: 'ok' } };
  return { status: 200, bytes: 368, endMs: t, data: { stars: 'none', ratings: 'unavailable' } };
}

function httpbin(req: AppRequest, path: string, at: number, app: AppEnv): AppResponse {
  const r = app.rng;
  const base = at + work(r, 0.4, 1.2);
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) return { status: Number(status[1]), bytes: 0, endMs: base };
  const delay = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(path);
  if (delay) return { status: 200, bytes: 412, endMs: base + Math.min(10, Number(delay[1])) * 1000 };
  if (['/get', '/headers', '/ip', '/user-agent', '/uuid', '/anything', '/'].includes(path) || path.startsWith('/anything/')) {
    return { status: 200, bytes: path === '/ip' ? 28 : 321, endMs: base };
  }
  return { status: 404, bytes: 0, endMs: base };
}

function external(req: AppRequest, path: string, at: number, app: AppEnv): AppResponse {
  const r = app.rng;
  const base = at + work(r, 15, 45);
  if (req.tcp) return { status: 200, bytes: 4230, endMs: base };
  const delay = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(path);
  if (delay) return { status: 200, bytes: 412, endMs: base + Math.min(10, Number(delay[1])) * 1000 };
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) return { status: Number(status[1]), bytes: 0, endMs: base };
  return { status: 200, bytes: 1024, endMs: base };
}
