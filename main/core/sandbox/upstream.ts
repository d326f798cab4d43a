// Per-proxy, per-cluster upstream state: circuit breakers (connection pool), outlier detection
// and load balancing with locality priorities. Envoy keeps these per cluster in each proxy, so
// the sandbox does too.
import type { Rng } from './random.ts';
import type { TrafficPolicy } from './routing.ts';
import { localityString, type Pod } from './topology.ts';

const UNLIMITED = 2 ** 32 - 1;

/**
 * The connection pool of one cluster in one proxy. Requests are simulated in start order, so the
 * pool only needs the end times of connections in use and the dispatch times of queued requests.
 */
export class Breaker {
  private busy: number[] = [];
  private pending: number[] = [];
  private inFlight: number[] = [];
  constructor(
    private readonly maxConnections: number,
    private readonly maxPending: number,
    private readonly maxRequests: number,
  ) {}

  /** Start time of the request (now, or when a connection frees up), or null for overflow (UO). */
  admit(t: number): number | null {
    this.busy = this.busy.filter((e) => e > t);
    this.pending = this.pending.filter((d) => d > t);
    this.inFlight = this.inFlight.filter((e) => e > t);
    if (this.inFlight.length >= this.maxRequests) return null;
    if (this.busy.length < this.maxConnections) {
      this.busy.push(Infinity);
      this.inFlight.push(Infinity);
      return t;
    }
    if (this.pending.length >= this.maxPending) return null;
    // Queue for the connection that frees first; it becomes this request's connection.
    let i = 0;
    for (let k = 1; k < this.busy.length; k++) if (this.busy[k] < this.busy[i]) i = k;
    const dispatch = Math.max(t, this.busy[i]);
    this.busy[i] = Infinity;
    this.pending.push(dispatch);
    this.inFlight.push(Infinity);
    return dispatch;
  }

  /** The request that started at `start` ended at `end`; its connection is busy a little longer when it must be closed. */
  release(start: number, end: number, policy: TrafficPolicy, rng: Rng): void {
    const k = this.busy.indexOf(Infinity);
    // maxRequestsPerConnection: 1 closes the connection after each request; a new one must be
    // set up before the slot is usable again. This is the run-to-run "leeway" the docs mention.
    const close = policy.maxRequestsPerConnection === 1 ? rng.between(0, 0.8) : 0;
    if (k !== -1) this.busy[k] = end + close;
    const f = this.inFlight.indexOf(Infinity);
    if (f !== -1) this.inFlight[f] = end;
    void start;
  }
}

/** Consecutive-error ejection, as Envoy's outlier detector does it. */
export class Outlier {
  private readonly errors = new Map<string, number>();
  private readonly ejectedUntil = new Map<string, number>();
  private readonly ejections = new Map<string, number>();

  result(host: string, status: number, t: number, policy: TrafficPolicy, hosts: number): void {
    const od = policy.outlier;
    if (!od) return;
    if (status >= 500 || status === 0) {
      const n = (this.errors.get(host) ?? 0) + 1;
      this.errors.set(host, n);
      const gateway = status === 502 || status === 503 || status === 504;
      const hit = (od.consecutive5xx > 0 && n >= od.consecutive5xx) || (gateway && od.consecutiveGateway > 0 && n >= od.consecutiveGateway);
      if (hit && this.ejectedCount(t) < Math.max(1, Math.floor((hosts * od.maxEjectionPercent) / 100))) {
        const times = (this.ejections.get(host) ?? 0) + 1;
        this.ejections.set(host, times);
        this.ejectedUntil.set(host, t + od.baseEjectionMs * times);
        this.errors.set(host, 0);
      }
    } else this.errors.set(host, 0);
  }

  ejected(host: string, t: number): boolean {
    const u = this.ejectedUntil.get(host);
    return u !== undefined && u > t;
  }

  private ejectedCount(t: number): number {
    let n = 0;
    for (const u of this.ejectedUntil.values()) if (u > t) n++;
    return n;
  }
}

export class ProxyState {
  private readonly breakers = new Map<string, Breaker | null>();
  private readonly outliers = new Map<string, Outlier>();
  private readonly rr = new Map<string, number>();

  breaker(proxy: string, cluster: string, p: TrafficPolicy): Breaker | null {
    if (p.maxConnections === UNLIMITED && p.maxPending === UNLIMITED && p.maxRequests === UNLIMITED) return null;
    const key = `${proxy}|${cluster}`;
    let b = this.breakers.get(key);
    if (b === undefined) {
      b = new Breaker(p.maxConnections, p.maxPending, p.maxRequests);
      this.breakers.set(key, b);
    }
    return b;
  }

  outlier(proxy: string, cluster: string): Outlier {
    const key = `${proxy}|${cluster}`;
    let o = this.outliers.get(key);
    if (!o) this.outliers.set(key, (o = new Outlier()));
    return o;
  }

  nextRoundRobin(key: string): number {
    const n = this.rr.get(key) ?? 0;
    this.rr.set(key, n + 1);
    return n;
  }

  /** Forget all pools and ejections (config change to the DestinationRule, or a reset). */
  clear(): void {
    this.breakers.clear();
    this.outliers.clear();
    this.rr.clear();
  }
}

function localityMatch(pattern: string, loc: string): boolean {
  if (pattern === '*' || pattern === loc) return true;
  const p = pattern.split('/');
  const l = loc.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '*') return true;
    if (p[i] !== l[i]) return false;
  }
  return true;
}

/** Locality priority of `ep` seen from `client` (0 best), following Istio's failover rules. */
function priority(client: Pod, ep: Pod, failover: { from: string; to: string }[]): number {
  const c = client.locality;
  const e = ep.locality;
  if (c.region === e.region) return c.zone === e.zone ? 0 : 1;
  if (failover.some((f) => f.from === c.region && f.to === e.region)) return 2;
  return 3;
}

export function pickEndpoint(state: ProxyState, client: Pod, cluster: string, eps: Pod[], policy: TrafficPolicy, outlier: Outlier | null, tried: Set<string> | null, t: number, rng: Rng): Pod {
  let pool = eps;
  if (outlier) {
    const healthy = pool.filter((p) => !outlier.ejected(p.name, t));
    // Panic mode: when every host is ejected Envoy balances across all of them.
    if (healthy.length > 0) pool = healthy;
  }
  const loc = policy.locality;
  // Locality-aware LB only acts with outlier detection configured (Istio requires it).
  if (loc && loc.enabled && policy.outlier && pool.length > 1) {
    const from = localityString(client.locality);
    const dist = loc.distribute.find((d) => localityMatch(d.from, from));
    if (dist) {
      const weighted = Object.entries(dist.to).map(([pattern, w]) => ({ w: Number(w), eps: pool.filter((p) => localityMatch(pattern, localityString(p.locality))) })).filter((x) => x.eps.length > 0 && x.w > 0);
      const total = weighted.reduce((a, x) => a + x.w, 0);
      let x = rng.next() * total;
      for (const g of weighted) {
        x -= g.w;
        if (x < 0) {
          pool = g.eps;
          break;
        }
      }
    } else {
      let best = Infinity;
      for (const p of pool) best = Math.min(best, priority(client, p, loc.failover));
      pool = pool.filter((p) => priority(client, p, loc.failover) === best);
    }
  }
  // Retries prefer hosts not tried yet (Istio's previous-hosts predicate).
  if (tried && tried.size > 0 && pool.length > 1) {
    const fresh = pool.filter((p) => !tried.has(p.name));
    if (fresh.length) pool = fresh;
  }
  if (pool.length === 1) return pool[0];
  if (policy.lb === 'ROUND_ROBIN') return pool[state.nextRoundRobin(`${client.name}|${cluster}`) % pool.length];
  if (policy.lb === 'LEAST_REQUEST') {
    // Power of two choices; with no request counts this is a random pick.
    return pool[rng.int(pool.length)];
  }
  return pool[rng.int(pool.length)];
}
