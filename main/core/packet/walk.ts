// Puts the iptables evaluation and the Envoy walk together into the four directions:
//   inbound            client → (ingress gateway) → pod: PREROUTING → 15006 → inbound cluster → app
//   inbound-response   the app's reply back to the client (conntrack, no rule is evaluated)
//   outbound           app → 15001 → outbound listener/route/cluster → endpoint (or external)
//   outbound-response  the remote's reply back to the app (conntrack, no rule is evaluated)
// Facts: ISTIO-FACTS §3 (ports, uid 1337, 127.0.0.6, chain and listener names).
import { isIP } from 'node:net';
import { arr, f, type ProxyConfig } from './config-dump.ts';
import { walkEnvoy, type EnvoyRequest, type EnvoyResult } from './envoy-walk.ts';
import { evaluate, outInterface, type EvalStep, type Packet, type Verdict } from './iptables-eval.ts';
import { ruleSetFor, type Condition, type ParsedIptables, type RuleSet } from './iptables-parse.ts';
import type { Direction, Hop, Walk } from './types.ts';

export const PROXY_UID = 1337;
export const INBOUND_PASSTHROUGH_SOURCE = '127.0.0.6';
/** The app's uid when none is given: a typical non-root container user. */
export const DEFAULT_APP_UID = 1000;

export interface WalkInput {
  direction: Direction;
  /** The pod's nat rules. Without them the walk cannot say what the kernel does. */
  iptables?: ParsedIptables;
  /** The pod's sidecar configuration. Without it the walk stops after the iptables part. */
  pod?: ProxyConfig;
  /** The ingress gateway's configuration (inbound only). */
  gateway?: ProxyConfig;
  podIp?: string;
  /** inbound: the pod address (or Service host) and port; outbound: where the app connects. */
  to: { host: string; port: number };
  fromIp?: string;
  uid?: number;
  gid?: number;
  protocol?: 'http' | 'tls' | 'tcp';
  /** Inbound: whether the caller speaks Istio mTLS (sidecars and gateways do). Default true with a gateway. */
  mtls?: boolean;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  /** The gateway pod's listening port (the Service's port 80 targets 8080). */
  gatewayPort?: number;
  /** Host header sent to the gateway (default: any; the gateway vhost `*` accepts it). */
  gatewayHost?: string;
}

// ---- iptables → hops ----------------------------------------------------------------------

function describeCondition(c: Condition): string {
  const not = 'neg' in c && c.neg ? 'not ' : '';
  switch (c.kind) {
    case 'addr':
      return `${c.field === 'src' ? 'source' : 'destination'} ${not}${c.cidr}`;
    case 'proto':
      return `protocol ${not}${c.proto}`;
    case 'iface':
      return `${c.field === 'in' ? 'in' : 'out'} interface ${not}${c.name}`;
    case 'port':
      return `${c.field === 'dport' ? 'destination port' : c.field === 'sport' ? 'source port' : 'port'} ${not}${c.ranges.map(([a, b]) => (a === b ? a : `${a}:${b}`)).join(',')}`;
    case 'owner':
      return `socket ${c.field} ${not}${c.id}`;
    case 'ctstate':
      return `state ${not}${c.states.join(',')}`;
    case 'unsupported':
      return c.text;
  }
}

/** Why a well-known Istio rule is there, keyed by what it matches. */
function istioHint(step: EvalStep, conds: Condition[]): string | undefined {
  const has = (p: (c: Condition) => boolean) => conds.some(p);
  if (step.outcome === 'return' && has((c) => c.kind === 'addr' && c.field === 'src' && c.cidr.startsWith('127.0.0.6'))) return 'Envoy forwards inbound traffic to the app from 127.0.0.6, so it is never captured again';
  if (step.outcome === 'return' && has((c) => c.kind === 'owner' && !c.neg && c.id === String(PROXY_UID))) return "the socket belongs to the proxy (1337): Envoy's own upstream connections leave uncaptured";
  if (step.outcome === 'return' && has((c) => c.kind === 'owner' && c.neg) && has((c) => c.kind === 'iface' && c.name === 'lo')) return 'the app talks to itself over loopback: not captured';
  if (step.outcome === 'return' && step.chain === 'ISTIO_INBOUND' && has((c) => c.kind === 'port' && c.field === 'dport')) return 'this port is excluded from inbound capture (15008 HBONE, 15090 stats, 15021 health, 15020 agent, or an excludeInboundPorts annotation)';
  if (step.outcome === 'jump' && step.target === 'ISTIO_IN_REDIRECT' && step.chain === 'ISTIO_OUTPUT') return 'the proxy calls its own pod IP (an app calling itself through its Service): sent to the inbound side';
  if (step.outcome === 'return' && has((c) => c.kind === 'addr' && c.field === 'dst' && !c.neg)) return 'the destination is excluded from outbound capture';
  return undefined;
}

function iptablesHops(v: Verdict, rs: RuleSet, at: Hop['at'] = 'iptables'): Hop[] {
  const condsOf = (s: EvalStep): Condition[] => rs.tables[s.table]?.chains[s.chain]?.rules[s.index - 1]?.conditions ?? [];
  return v.steps.map((s) => {
    const conds = condsOf(s);
    const what = conds.length ? conds.map(describeCondition).join(', ') : 'every packet';
    const hint = istioHint(s, conds);
    const result =
      s.outcome === 'jump' || s.outcome === 'goto'
        ? `${s.outcome === 'goto' ? 'goes' : 'jumps'} to ${s.target}`
        : s.outcome === 'redirect'
          ? `REDIRECT to port ${s.target}`
          : s.outcome === 'return'
            ? 'RETURN (leave this chain)'
            : s.outcome === 'policy'
              ? `no rule decided: chain policy ${s.target}`
              : s.outcome === 'unknown'
                ? `cannot be decided (${s.note})`
                : s.outcome.toUpperCase();
    const hop: Hop = {
      kind: 'iptables',
      at,
      table: s.table,
      chain: s.chain,
      rule: s.rule,
      index: s.index,
      explain: s.outcome === 'policy' ? `${s.chain}: ${result}.` : `${s.chain} rule ${s.index} matches (${what}) → ${result}${hint ? `: ${hint}` : ''}.`,
      raw: s.rule,
    };
    if (s.outcome === 'unknown') hop.warning = s.note;
    return hop;
  });
}

function verdictHop(v: Verdict, p: Packet): Hop {
  // The deciding rule: the REDIRECT, or the RETURN/ACCEPT that ended the walk before the policy.
  const final = v.steps[v.steps.length - 1];
  const decided = [...v.steps].reverse().find((s) => s.outcome !== 'unknown' && s.outcome !== 'policy');
  const last = decided && ['return', 'accept', 'drop', 'redirect', 'dnat'].includes(decided.outcome) ? decided : final;
  if (v.kind === 'redirect') {
    const to = p.hook === 'PREROUTING' ? `${p.dst ?? 'the pod IP'}:${v.port}` : `127.0.0.1:${v.port}`;
    const listener = v.port === 15001 ? ' (Envoy virtualOutbound)' : v.port === 15006 ? ' (Envoy virtualInbound)' : v.port === 15053 ? ' (istio-agent DNS proxy)' : '';
    return {
      kind: 'redirect', at: 'iptables', port: v.port,
      explain: `The kernel rewrites the destination to ${to}${listener}; the original ${p.dst ?? p.dstName ?? '?'}:${p.dport} stays readable via SO_ORIGINAL_DST.`,
      ...(last ? { table: last.table, chain: last.chain, rule: last.rule } : {}),
    };
  }
  return {
    kind: 'bypass', at: 'iptables',
    explain:
      v.kind === 'drop'
        ? `The packet is dropped by ${last?.chain ?? 'the chain policy'}.`
        : `Not redirected: the connection goes to ${p.dst ?? p.dstName ?? '?'}:${p.dport} unchanged${last && last.outcome !== 'policy' ? ` (${last.chain} rule ${last.index}: ${last.rule})` : ' (no rule matched)'}.`,
    ...(last ? { table: last.table, chain: last.chain, rule: last.rule } : {}),
  };
}

function runIptables(ipt: ParsedIptables | undefined, p: Packet, warnings: string[]): { verdict?: Verdict; hops: Hop[] } {
  if (!ipt) return { hops: [] };
  const family = p.dst && isIP(p.dst) === 6 ? 'ipv6' : 'ipv4';
  const rs = ruleSetFor(ipt, family);
  if (!rs) {
    warnings.push(`no ${family} rule set in the iptables input`);
    return { hops: [] };
  }
  const verdict = evaluate(rs, p);
  for (const u of verdict.undecided) warnings.push(`${u.chain} rule ${u.index} (${u.rule}): ${u.note}`);
  return { verdict, hops: [...iptablesHops(verdict, rs), verdictHop(verdict, p)] };
}

/**
 * Runs the pod's nat table on the first packet and records the hops. Returns true when the packet
 * is redirected (the walk goes on into Envoy; the port is in `out.redirectedTo`), false when the
 * walk ends here: no verdict, or a bypass, whose hop `bypass` describes.
 */
function capture(ipt: ParsedIptables | undefined, pkt: Packet, out: Forward, bypass: () => Hop): boolean {
  const r = runIptables(ipt, pkt, out.warnings);
  out.hops.push(...r.hops);
  const v = r.verdict;
  if (!v) return false;
  if (v.kind !== 'redirect') {
    out.bypassed = true;
    out.hops.push(bypass());
    return false;
  }
  out.redirectedTo = v.port;
  return true;
}

// ---- helpers ------------------------------------------------------------------------------

/** A Service name → its VIP, from the route dump (Istio lists the VIP among a vhost's domains). */
function resolveHost(pc: ProxyConfig | undefined, host: string, port: number): string | undefined {
  if (isIP(host)) return host;
  if (!pc) return undefined;
  const wanted = new Set([host, `${host}:${port}`]);
  for (const rc of pc.routes) {
    for (const vh of arr(f(rc, 'virtual_hosts'))) {
      const domains = arr<string>(f(vh, 'domains'));
      if (!domains.some((d) => wanted.has(d))) continue;
      const ip = domains.map((d) => d.replace(/:\d+$/, '')).find((d) => isIP(d) === 4);
      if (ip) return ip;
    }
  }
  return undefined;
}

function protocolFor(input: WalkInput): 'http' | 'tls' | 'tcp' {
  return input.protocol ?? (input.to.port === 443 ? 'tls' : 'http');
}

function envoyHops(r: EnvoyResult, warnings: string[]): Hop[] {
  warnings.push(...r.warnings);
  return r.hops;
}

function uidOf(input: WalkInput): number {
  return input.uid ?? DEFAULT_APP_UID;
}

// ---- the directions -----------------------------------------------------------------------

interface Forward {
  hops: Hop[];
  warnings: string[];
  gateway?: EnvoyResult;
  sidecar?: EnvoyResult;
  podIp?: string;
  redirectedTo?: number;
  bypassed: boolean;
}

function inboundForward(input: WalkInput): Forward {
  const warnings: string[] = [];
  const hops: Hop[] = [];
  const out: Forward = { hops, warnings, bypassed: false };
  let podIp = input.podIp ?? input.iptables?.podIp ?? (isIP(input.to.host) ? input.to.host : undefined);
  let port = input.to.port;
  const mtls = input.mtls ?? Boolean(input.gateway);
  let fromIp = input.fromIp;

  if (input.gateway) {
    const gwPort = input.gatewayPort ?? 8080;
    hops.push({ kind: 'network', at: 'client', explain: `The client connects to the ingress gateway Service (port 80 → gateway pod :${gwPort}). The gateway is a standalone Envoy: no iptables capture.`, port: gwPort });
    const host = input.gatewayHost ?? input.to.host;
    const g = walkEnvoy(input.gateway, { dstPort: gwPort, protocol: 'http', host, path: input.path ?? '/productpage', method: input.method, headers: input.headers }, { entry: 'gateway', at: 'gateway' });
    out.gateway = g;
    hops.push(...envoyHops(g, warnings));
    if (g.terminated || !g.endpoint) return out;
    if (g.endpoint.address) podIp = input.podIp ?? g.endpoint.address;
    port = g.endpoint.port || port;
    hops.push({ kind: 'network', at: 'network', address: `${podIp}:${port}`, explain: `The gateway opens ${g.endpoint.tls?.startsWith('mTLS') ? 'an mTLS' : 'a'} connection to ${podIp}:${port} (the pod IP, not the Service VIP).` });
  } else {
    hops.push({ kind: 'network', at: 'client', address: `${podIp ?? input.to.host}:${port}`, explain: `A client${fromIp ? ` at ${fromIp}` : ''} connects to ${podIp ?? input.to.host}:${port}; the packet arrives on the pod's eth0.` });
  }
  out.podIp = podIp;
  if (!input.iptables) {
    warnings.push('no iptables rules given: cannot say what the kernel does with the packet');
    return out;
  }
  const pkt: Packet = { hook: 'PREROUTING', proto: 'tcp', ...(fromIp ? { src: fromIp } : {}), ...(podIp ? { dst: podIp } : {}), dport: port, inIface: 'eth0' };
  const redirected = capture(input.iptables, pkt, out, () => ({ kind: 'app', at: 'app', port, explain: `The process listening on ${port} receives the connection directly${port === 15021 || port === 15020 ? ' (pilot-agent health/metrics port)' : port === 15090 ? ' (Envoy stats port)' : ''}.` }));
  if (!redirected) return out;
  if (!input.pod) return out;
  const protocol = protocolFor(input);
  const req: EnvoyRequest = mtls
    ? { dstIp: podIp, dstPort: port, protocol, transport: 'tls', alpn: protocol === 'http' ? ['istio-http/1.1', 'istio', 'istio-peer-exchange'] : ['istio', 'istio-peer-exchange'], host: input.to.host, path: input.path ?? '/', method: input.method, headers: input.headers }
    : { dstIp: podIp, dstPort: port, protocol, host: input.to.host, path: input.path ?? '/', method: input.method, headers: input.headers };
  if (out.redirectedTo !== 15006) warnings.push(`inbound traffic was redirected to ${out.redirectedTo}, not 15006`);
  const s = walkEnvoy(input.pod, req, { entry: 'inbound' });
  out.sidecar = s;
  hops.push(...envoyHops(s, warnings));
  if (s.terminated || !s.endpoint) return out;
  // Envoy → app: a new local connection, evaluated by OUTPUT as uid 1337.
  const src = s.bindAddress ?? podIp;
  const dst = s.endpoint.address || podIp;
  const localIps = [podIp, dst].filter((x): x is string => Boolean(x));
  const back: Packet = { hook: 'OUTPUT', proto: 'tcp', ...(src ? { src } : {}), ...(dst ? { dst } : {}), dport: s.endpoint.port, outIface: outInterface(dst, localIps), uid: PROXY_UID, gid: PROXY_UID };
  const leg = runIptables(input.iptables, back, warnings);
  hops.push(...leg.hops.map((h) => ({ ...h, explain: `Envoy → app: ${h.explain}` })));
  hops.push({ kind: 'app', at: 'app', port: s.endpoint.port, address: `${dst}:${s.endpoint.port}`, explain: `The app accepts on :${s.endpoint.port} and sees the peer as ${src ?? 'the proxy'}${src === INBOUND_PASSTHROUGH_SOURCE ? ' (not the real client: use X-Forwarded-For or the access log)' : ''}.` });
  return out;
}

function outboundForward(input: WalkInput): Forward {
  const warnings: string[] = [];
  const hops: Hop[] = [];
  const out: Forward = { hops, warnings, bypassed: false };
  const podIp = input.podIp ?? input.iptables?.podIp;
  out.podIp = podIp;
  const uid = uidOf(input);
  const dstIp = resolveHost(input.pod, input.to.host, input.to.port) ?? (input.to.host === 'localhost' ? '127.0.0.1' : undefined);
  const target = `${input.to.host}:${input.to.port}`;
  hops.push({
    kind: 'app', at: 'app', address: target,
    explain: `The app (uid ${uid}) connects to ${target}${dstIp && dstIp !== input.to.host ? ` (DNS: ${dstIp})` : !dstIp ? ' (resolved by DNS; the address does not matter to the default rules)' : ''}.`,
  });
  if (!input.iptables) {
    warnings.push('no iptables rules given: cannot say what the kernel does with the connection');
    return out;
  }
  const localIps = podIp ? [podIp] : [];
  const pkt: Packet = { hook: 'OUTPUT', proto: 'tcp', ...(podIp ? { src: podIp } : {}), ...(dstIp ? { dst: dstIp } : { dstName: input.to.host }), dport: input.to.port, outIface: outInterface(dstIp, localIps), uid, gid: input.gid ?? uid };
  const redirected = capture(input.iptables, pkt, out, () => ({ kind: 'network', at: pkt.outIface === 'lo' ? 'app' : 'network', address: `${dstIp ?? input.to.host}:${input.to.port}`, explain: pkt.outIface === 'lo' ? `The connection stays inside the pod on lo and reaches ${dstIp ?? input.to.host}:${input.to.port} directly.` : `The connection leaves the pod through eth0 to ${dstIp ?? input.to.host}:${input.to.port} without passing Envoy: no mTLS, no routing, no access log.` }));
  if (!redirected) return out;
  if (!input.pod) return out;
  const protocol = protocolFor(input);
  if (out.redirectedTo === 15006) {
    // The hairpin: uid 1337 → own pod IP lands on the inbound listener.
    const s = walkEnvoy(input.pod, { dstIp, dstPort: input.to.port, protocol, host: target, path: input.path ?? '/' }, { entry: 'inbound' });
    out.sidecar = s;
    hops.push(...envoyHops(s, warnings));
    return out;
  }
  const req: EnvoyRequest = {
    dstIp, dstPort: input.to.port, protocol, ...(dstIp ? {} : { dstName: input.to.host }),
    ...(protocol === 'tls' ? { sni: input.to.host, alpn: ['h2', 'http/1.1'] } : {}),
    host: input.to.host.includes(':') || isIP(input.to.host) ? input.to.host : `${input.to.host}:${input.to.port}`,
    path: input.path ?? '/', method: input.method, headers: input.headers,
  };
  const s = walkEnvoy(input.pod, req, { entry: 'outbound' });
  out.sidecar = s;
  hops.push(...envoyHops(s, warnings));
  if (s.terminated) {
    hops.push({ kind: 'app', at: 'app', explain: s.terminated.status ? `The app gets HTTP ${s.terminated.status} from its own sidecar (${s.terminated.reason}).` : `The app's connection is closed by its sidecar (${s.terminated.reason}); a TLS client fails (curl exit 35).` });
    return out;
  }
  if (!s.endpoint) return out;
  // Envoy's upstream connection: uid 1337, evaluated by OUTPUT again.
  const upIp = isIP(s.endpoint.address) ? s.endpoint.address : undefined;
  const up: Packet = { hook: 'OUTPUT', proto: 'tcp', ...(podIp ? { src: podIp } : {}), ...(upIp ? { dst: upIp } : { dstName: s.endpoint.address || input.to.host }), dport: s.endpoint.port, outIface: outInterface(upIp, localIps), uid: PROXY_UID, gid: PROXY_UID };
  const leg = runIptables(input.iptables, up, warnings);
  hops.push(...leg.hops.map((h) => ({ ...h, explain: `Envoy's upstream connection: ${h.explain}` })));
  const ext = s.cluster === 'PassthroughCluster' || !(s.cluster ?? '').endsWith('.svc.cluster.local');
  hops.push({
    kind: 'network', at: 'network', address: `${s.endpoint.address}:${s.endpoint.port}`,
    explain: `Envoy's connection leaves through eth0 to ${s.endpoint.address}:${s.endpoint.port}${s.endpoint.tls ? ` (${s.endpoint.tls})` : ''}${ext ? '; outside the cluster the node SNATs it' : ''}.`,
  });
  hops.push({ kind: 'app', at: 'remote', address: `${s.endpoint.address}:${s.endpoint.port}`, explain: ext ? `The external server at ${s.endpoint.address}:${s.endpoint.port} receives the request.` : `The destination pod ${s.endpoint.address} receives it on its own eth0; its sidecar then runs the inbound walk.` });
  return out;
}

const CONNTRACK = 'Established connection: the nat table only sees the first packet of a connection, so no iptables rule is evaluated; conntrack reverses the NAT';

function inboundResponse(fw: Forward): Hop[] {
  const hops: Hop[] = [];
  const app = fw.hops.find((h) => h.kind === 'app');
  hops.push({ kind: 'app', at: 'app', ...(app?.port ? { port: app.port } : {}), explain: `The app writes the response on the socket it accepted${fw.sidecar?.bindAddress ? ` (peer ${fw.sidecar.bindAddress}, the sidecar)` : ''}.` });
  if (fw.redirectedTo) {
    hops.push({ kind: 'network', at: 'iptables', explain: `${CONNTRACK}: the reply of the Envoy → app connection goes back to Envoy over lo.` });
    if (fw.sidecar?.listener) hops.push({ kind: 'listener', at: 'envoy', name: fw.sidecar.listener, explain: `Envoy (${fw.sidecar.listener}, chain ${fw.sidecar.filterChain ?? '?'}) relays the response downstream and writes the access-log line for ${fw.sidecar.cluster ?? 'the inbound cluster'} when the request ends.` });
    hops.push({ kind: 'network', at: 'iptables', port: fw.redirectedTo, explain: `${CONNTRACK}: the source ${fw.podIp ?? 'pod IP'}:${fw.redirectedTo} is rewritten back to the original port, so the caller sees the reply from the port it called.` });
  } else {
    hops.push({ kind: 'network', at: 'iptables', explain: `${CONNTRACK}; this connection was never redirected.` });
  }
  if (fw.gateway?.cluster) {
    hops.push({ kind: 'cluster', at: 'gateway', name: fw.gateway.cluster, explain: `The ingress gateway receives the reply on its upstream connection (${fw.gateway.cluster}) and logs it.` });
    if (fw.gateway.listener) hops.push({ kind: 'listener', at: 'gateway', name: fw.gateway.listener, explain: `The gateway writes it back to the client's connection on ${fw.gateway.listener}.` });
  }
  hops.push({ kind: 'network', at: 'client', explain: 'The client receives the response.' });
  return hops;
}

function outboundResponse(fw: Forward, input: WalkInput): Hop[] {
  const hops: Hop[] = [];
  const remote = fw.sidecar?.endpoint ? `${fw.sidecar.endpoint.address}:${fw.sidecar.endpoint.port}` : `${input.to.host}:${input.to.port}`;
  hops.push({ kind: 'app', at: 'remote', address: remote, explain: `The server at ${remote} sends its reply.` });
  if (fw.sidecar && !fw.sidecar.terminated && fw.redirectedTo) {
    hops.push({ kind: 'network', at: 'network', address: remote, explain: `${CONNTRACK}: the reply comes in through eth0 on Envoy's upstream socket (and the node un-SNATs it for external hosts).` });
    if (fw.sidecar.cluster) hops.push({ kind: 'cluster', at: 'envoy', name: fw.sidecar.cluster, explain: `Envoy counts bytes, duration and response flags for ${fw.sidecar.cluster}; they appear in the outbound access-log line.` });
    if (fw.sidecar.listener) hops.push({ kind: 'listener', at: 'envoy', name: fw.sidecar.listener, explain: `Envoy relays the reply to the app's connection accepted by ${fw.sidecar.listener}.` });
    hops.push({ kind: 'network', at: 'iptables', port: fw.redirectedTo, explain: `${CONNTRACK}: the app sees the reply from ${input.to.host}:${input.to.port}, not from 127.0.0.1:${fw.redirectedTo}.` });
  } else if (fw.sidecar?.terminated) {
    hops.push({ kind: 'listener', at: 'envoy', ...(fw.sidecar.listener ? { name: fw.sidecar.listener } : {}), explain: `No reply from ${remote}: the sidecar ended the request itself (${fw.sidecar.terminated.reason}).` });
  } else {
    hops.push({ kind: 'network', at: 'iptables', explain: `${CONNTRACK}; the connection bypassed Envoy, so the reply goes straight to the app.` });
  }
  hops.push({ kind: 'app', at: 'app', explain: 'The app reads the response.' });
  return hops;
}

export function walk(input: WalkInput): Walk {
  switch (input.direction) {
    case 'inbound': {
      const fw = inboundForward(input);
      return { direction: 'inbound', hops: fw.hops, warnings: fw.warnings };
    }
    case 'outbound': {
      const fw = outboundForward(input);
      return { direction: 'outbound', hops: fw.hops, warnings: fw.warnings };
    }
    case 'inbound-response': {
      const fw = inboundForward(input);
      return { direction: 'inbound-response', hops: inboundResponse(fw), warnings: fw.warnings };
    }
    case 'outbound-response': {
      const fw = outboundForward(input);
      return { direction: 'outbound-response', hops: outboundResponse(fw, input), warnings: fw.warnings };
    }
  }
}

/** `host:port`, `[v6]:port` or `ip:port`. */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:\s]+):(\d+)$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}
