// Evaluates the nat table for the first packet of a TCP connection, the way the kernel does:
// the hook's chain top to bottom, jumps push, RETURN pops, `-g` replaces the frame, the first
// terminal target (REDIRECT, DNAT, ACCEPT, DROP) ends the walk, and falling off a built-in chain
// applies its policy. Each condition evaluates to true, false or unknown; a rule with an unknown
// condition is reported and treated as not matching, never silently matched.
import { BlockList, isIP } from 'node:net';
import type { Condition, Rule, RuleSet } from './iptables-parse.ts';

export type Hook = 'PREROUTING' | 'OUTPUT';

export interface Packet {
  /** PREROUTING: arrives from the network. OUTPUT: created by a process in the pod. */
  hook: Hook;
  proto: 'tcp' | 'udp';
  src?: string;
  dst?: string;
  /**
   * A DNS name when the address is not known. A name other than localhost never resolves to
   * loopback, so loopback CIDRs can still be decided; other address matches stay unknown.
   */
  dstName?: string;
  dport: number;
  sport?: number;
  /** Incoming interface (PREROUTING), usually eth0. */
  inIface?: string;
  /** Outgoing interface (OUTPUT): lo for local destinations, else eth0. */
  outIface?: string;
  /** Socket owner for OUTPUT; owner matches are invalid in PREROUTING. */
  uid?: number;
  gid?: number;
}

export type StepOutcome = 'jump' | 'goto' | 'return' | 'redirect' | 'accept' | 'drop' | 'dnat' | 'continue' | 'policy' | 'unknown';

export interface EvalStep {
  table: string;
  chain: string;
  /** 1-based position in the chain, as `iptables -L --line-numbers` shows. 0 for a policy. */
  index: number;
  rule: string;
  outcome: StepOutcome;
  /** The chain jumped to, or the redirect port. */
  target?: string;
  /** Why a rule could not be decided. */
  note?: string;
  line?: number;
}

export interface Verdict {
  kind: 'redirect' | 'accept' | 'drop' | 'dnat';
  port?: number;
  /** DNAT target address. */
  to?: string;
  steps: EvalStep[];
  /** Rules that might have matched but use a match this evaluator does not implement. */
  undecided: EvalStep[];
}

type Tri = true | false | 'unknown';

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'REDIRECT', 'DNAT', 'SNAT', 'MASQUERADE', 'RETURN', 'TPROXY']);

function inCidr(ip: string, cidr: string): Tri {
  const fam = isIP(ip);
  if (!fam) return 'unknown';
  const [addr, lenText] = cidr.split('/');
  const cfam = isIP(addr);
  if (!cfam) return 'unknown';
  if (cfam !== fam) return false;
  const len = lenText === undefined ? (cfam === 4 ? 32 : 128) : Number(lenText);
  const bl = new BlockList();
  bl.addSubnet(addr, len, cfam === 4 ? 'ipv4' : 'ipv6');
  return bl.check(ip, fam === 4 ? 'ipv4' : 'ipv6');
}

function isLoopbackCidr(cidr: string): boolean {
  const [addr, len] = cidr.split('/');
  return (addr === '::1' && (len === undefined || len === '128')) || (inCidr(addr, '127.0.0.0/8') === true && Number(len ?? 32) >= 8);
}

function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

const neg = (v: Tri, n: boolean): Tri => (v === 'unknown' ? v : n ? !v : v);

function evalCondition(c: Condition, p: Packet): { value: Tri; note?: string } {
  switch (c.kind) {
    case 'addr': {
      const ip = c.field === 'src' ? p.src : p.dst;
      if (!ip && c.field === 'dst' && p.dstName && p.dstName !== 'localhost' && isLoopbackCidr(c.cidr)) return { value: neg(false, c.neg) };
      if (!ip) return { value: 'unknown', note: `the packet's ${c.field === 'src' ? 'source' : 'destination'} address is not known` };
      return { value: neg(inCidr(ip, c.cidr), c.neg) };
    }
    case 'proto':
      return { value: neg(c.proto === 'all' || c.proto === '0' ? true : c.proto === p.proto || (c.proto === '6' && p.proto === 'tcp') || (c.proto === '17' && p.proto === 'udp'), c.neg) };
    case 'iface': {
      const name = c.field === 'in' ? p.inIface : p.outIface;
      if (c.field === 'in' && p.hook === 'OUTPUT') return { value: neg(false, c.neg) };
      if (c.field === 'out' && p.hook === 'PREROUTING') return { value: neg(false, c.neg) };
      if (!name) return { value: 'unknown', note: `the ${c.field === 'in' ? 'incoming' : 'outgoing'} interface is not known` };
      return { value: neg(ifaceMatches(c.name, name), c.neg) };
    }
    case 'port': {
      const ports = c.field === 'dport' ? [p.dport] : c.field === 'sport' ? [p.sport] : [p.dport, p.sport];
      if (ports.some((x) => x === undefined) && c.field !== 'any') return { value: 'unknown', note: 'the source port is not known' };
      const hit = ports.some((x) => x !== undefined && c.ranges.some(([lo, hi]) => x >= lo && x <= hi));
      return { value: neg(hit, c.neg) };
    }
    case 'owner': {
      if (p.hook === 'PREROUTING') return { value: 'unknown', note: 'owner matches are only valid in OUTPUT and POSTROUTING' };
      const id = c.field === 'uid' ? p.uid : p.gid;
      if (!/^\d+$/.test(c.id)) return { value: 'unknown', note: `"${c.id}" is a ${c.field === 'uid' ? 'user' : 'group'} name; only numeric ids can be compared` };
      if (id === undefined) return { value: 'unknown', note: `the socket's ${c.field} is not known` };
      return { value: neg(Number(c.id) === id, c.neg) };
    }
    case 'ctstate':
      // The nat table only sees the first packet of a connection: its state is NEW.
      return { value: neg(c.states.includes('NEW'), c.neg) };
    case 'unsupported':
      return { value: 'unknown', note: `match "${c.text}" is not evaluated by Meshwalk` };
  }
}

export function evalRule(rule: Rule, p: Packet): { value: Tri; notes: string[] } {
  let value: Tri = true;
  const notes: string[] = [];
  for (const c of rule.conditions) {
    const r = evalCondition(c, p);
    if (r.value === false) return { value: false, notes: [] };
    if (r.value === 'unknown') {
      value = 'unknown';
      if (r.note) notes.push(r.note);
    }
  }
  return { value, notes };
}

function portArg(args: string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    if (['--to-ports', '--to-port', '--to', '--on-port'].includes(args[i])) {
      const m = /^(\d+)/.exec(args[i + 1] ?? '');
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/** Walk `table` (nat by default) of a rule set for one packet. */
export function evaluate(rs: RuleSet, p: Packet, tableName = 'nat'): Verdict {
  const table = rs.tables[tableName];
  const steps: EvalStep[] = [];
  const undecided: EvalStep[] = [];
  const policyStep = (chain: string, policy: string): Verdict => {
    steps.push({ table: tableName, chain, index: 0, rule: `-P ${chain} ${policy}`, outcome: 'policy', target: policy });
    return { kind: policy === 'DROP' ? 'drop' : 'accept', steps, undecided };
  };
  if (!table || !table.chains[p.hook]) return policyStep(p.hook, 'ACCEPT');

  // Call stack of [chain, next rule index]. The bottom frame is the built-in hook chain.
  const stack: Array<{ chain: string; i: number }> = [{ chain: p.hook, i: 0 }];
  let budget = 10_000;
  while (stack.length && budget-- > 0) {
    const frame = stack[stack.length - 1];
    const chain = table.chains[frame.chain];
    if (!chain || frame.i >= chain.rules.length) {
      // Fell off the end: built-in → policy; user chain → implicit return to the caller.
      stack.pop();
      if (!stack.length) return policyStep(p.hook, table.chains[p.hook]?.policy ?? 'ACCEPT');
      continue;
    }
    const rule = chain.rules[frame.i];
    const index = frame.i + 1;
    frame.i++;
    const base = { table: tableName, chain: frame.chain, index, rule: rule.text, line: rule.line };
    const m = evalRule(rule, p);
    if (m.value === 'unknown') {
      const s: EvalStep = { ...base, outcome: 'unknown', note: `${m.notes.join('; ')}; treated as not matching` };
      steps.push(s);
      undecided.push(s);
      continue;
    }
    if (!m.value) continue;
    const t = rule.target;
    if (!t) {
      steps.push({ ...base, outcome: 'continue', note: 'no target: counts the packet and continues' });
      continue;
    }
    switch (t.name) {
      case 'RETURN':
        steps.push({ ...base, outcome: 'return' });
        stack.pop();
        if (!stack.length) return policyStep(p.hook, chain.policy ?? 'ACCEPT');
        // A RETURN from a built-in chain applies the policy; stack depth 1 means we were in it.
        continue;
      case 'ACCEPT':
        steps.push({ ...base, outcome: 'accept' });
        return { kind: 'accept', steps, undecided };
      case 'DROP':
      case 'REJECT':
        steps.push({ ...base, outcome: 'drop' });
        return { kind: 'drop', steps, undecided };
      case 'REDIRECT': {
        const port = portArg(t.args) ?? p.dport;
        steps.push({ ...base, outcome: 'redirect', target: String(port) });
        return { kind: 'redirect', port, steps, undecided };
      }
      case 'DNAT': {
        const i = t.args.indexOf('--to-destination');
        const to = i >= 0 ? t.args[i + 1] : undefined;
        steps.push({ ...base, outcome: 'dnat', target: to });
        return { kind: 'dnat', ...(to ? { to } : {}), steps, undecided };
      }
      default:
        if (table.chains[t.name]) {
          steps.push({ ...base, outcome: t.how === 'goto' ? 'goto' : 'jump', target: t.name });
          if (t.how === 'goto') stack.pop();
          stack.push({ chain: t.name, i: 0 });
          continue;
        }
        // Non-terminating targets (MARK, CONNMARK, LOG, CT) do their work and the walk continues.
        steps.push({ ...base, outcome: TERMINAL.has(t.name) ? 'unknown' : 'continue', target: t.name, ...(TERMINAL.has(t.name) ? { note: `target ${t.name} is not modelled` } : {}) });
        if (TERMINAL.has(t.name)) {
          undecided.push(steps[steps.length - 1]);
          return { kind: 'accept', steps, undecided };
        }
    }
  }
  throw new Error(`iptables evaluation did not finish for ${p.hook} (a loop between chains?)`);
}

/** Loopback if the destination is in 127/8 (or ::1) or one of the pod's own addresses. */
export function outInterface(dst: string | undefined, localIps: string[]): 'lo' | 'eth0' {
  if (!dst) return 'eth0';
  if (dst === '::1' || inCidr(dst, '127.0.0.0/8') === true) return 'lo';
  return localIps.includes(dst) ? 'lo' : 'eth0';
}
