import { describe, expect, it } from 'vitest';
import { IptablesParseError, parseIptables, ruleSetFor } from '../../main/core/packet/iptables-parse.ts';
import { evaluate, outInterface, type Packet } from '../../main/core/packet/iptables-eval.ts';

import { read } from './fixtures.ts';
const v4 = (text: string) => ruleSetFor(parseIptables(text), 'ipv4')!;

const POD = '10.244.0.10';
const PEER = '10.244.0.1';
const VIP = '10.96.0.50';

/** The eight connections of packet-walk.real-kernel.txt and where the kernel delivered them. */
const KERNEL_CASES: Array<{ name: string; p: Packet; kind: string; port?: number; decidedBy: string }> = [
  { name: 'client → pod:9080', p: { hook: 'PREROUTING', proto: 'tcp', src: PEER, dst: POD, dport: 9080, inIface: 'eth0' }, kind: 'redirect', port: 15006, decidedBy: 'ISTIO_IN_REDIRECT#1' },
  { name: 'client → pod:15021', p: { hook: 'PREROUTING', proto: 'tcp', src: PEER, dst: POD, dport: 15021, inIface: 'eth0' }, kind: 'accept', decidedBy: 'ISTIO_INBOUND#3' },
  { name: 'app → VIP:9080', p: { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: VIP, dport: 9080, outIface: 'eth0', uid: 0, gid: 0 }, kind: 'redirect', port: 15001, decidedBy: 'ISTIO_REDIRECT#1' },
  { name: 'envoy → VIP:9080', p: { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: VIP, dport: 9080, outIface: 'eth0', uid: 1337, gid: 1337 }, kind: 'accept', decidedBy: 'ISTIO_OUTPUT#4' },
  { name: 'envoy from 127.0.0.6 → podIP:9080', p: { hook: 'OUTPUT', proto: 'tcp', src: '127.0.0.6', dst: POD, dport: 9080, outIface: 'lo', uid: 1337, gid: 1337 }, kind: 'accept', decidedBy: 'ISTIO_OUTPUT#1' },
  { name: 'envoy → own podIP:9080', p: { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: POD, dport: 9080, outIface: 'lo', uid: 1337, gid: 1337 }, kind: 'redirect', port: 15006, decidedBy: 'ISTIO_IN_REDIRECT#1' },
  { name: 'app → own podIP:9080', p: { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: POD, dport: 9080, outIface: 'lo', uid: 0, gid: 0 }, kind: 'accept', decidedBy: 'ISTIO_OUTPUT#3' },
  { name: 'app → 127.0.0.1:9080', p: { hook: 'OUTPUT', proto: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', dport: 9080, outIface: 'lo', uid: 0, gid: 0 }, kind: 'accept', decidedBy: 'ISTIO_OUTPUT#3' },
];

describe('iptables parser', () => {
  it('reads iptables-save output with policies and rule text', () => {
    const parsed = parseIptables(read('default-sidecar.iptables-save.txt'));
    expect(parsed.format).toBe('iptables-save');
    const nat = ruleSetFor(parsed, 'ipv4')!.tables.nat;
    expect(nat.chains.PREROUTING.policy).toBe('ACCEPT');
    expect(nat.chains.ISTIO_OUTPUT.rules).toHaveLength(9);
    expect(nat.chains.ISTIO_OUTPUT.rules[1].text).toBe('-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT');
    expect(nat.chains.ISTIO_IN_REDIRECT.rules[0].target).toEqual({ how: 'jump', name: 'REDIRECT', args: ['--to-ports', '15006'] });
  });

  it('reads restore input, -S output and the older community output', () => {
    expect(parseIptables(read('default-sidecar.iptables-restore.txt')).format).toBe('iptables-restore');
    expect(parseIptables(read('default-sidecar.iptables-S.txt')).format).toBe('iptables-S');
    const community = parseIptables(read('iptables-nat-S.sidecar-pod.cnblogs-2023.txt'));
    expect(community.format).toBe('iptables-S');
    expect(ruleSetFor(community, 'ipv4')!.tables.nat.chains.OUTPUT.rules[0].text).toBe('-A OUTPUT -p tcp -j ISTIO_OUTPUT');
  });

  it('splits an istio-iptables golden into its IPv4 and IPv6 rule sets', () => {
    const parsed = parseIptables(read('dns-uid-gid.golden'));
    expect(parsed.rulesets.map((r) => r.family)).toEqual(['ipv4', 'ipv6']);
    const v6 = ruleSetFor(parsed, 'ipv6')!;
    expect(v6.tables.nat.chains.ISTIO_OUTPUT.rules[0].text).toBe('-A ISTIO_OUTPUT -o lo -s ::6/128 -j RETURN');
    expect(Object.keys(ruleSetFor(parsed, 'ipv4')!.tables).sort()).toEqual(['nat', 'raw']);
  });

  it('applies -I positions (tproxy golden mangle table)', () => {
    const mangle = ruleSetFor(parseIptables(read('tproxy.golden')), 'ipv4')!.tables.mangle;
    expect(mangle.chains.ISTIO_INBOUND.rules.map((r) => r.text).slice(0, 3)).toEqual([
      '-A ISTIO_INBOUND -p tcp -m mark --mark 1337 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -s 127.0.0.6/32 -i lo -j RETURN',
      '-A ISTIO_INBOUND -p tcp -i lo -m mark ! --mark 1338 -j RETURN',
    ]);
  });

  it('reads an istio-init log: the restore input between timestamped log lines', () => {
    // Shape of a 1.2x istio-init log: env dump, then the rules it restores.
    const log = [
      '2026-01-10T08:00:00.000000Z\tinfo\tIstio iptables environment:',
      'ENVOY_PORT=',
      'POD_IP=10.244.0.10',
      '2026-01-10T08:00:00.000100Z\tinfo\tRunning iptables-restore with the following input:',
      ...read('default-sidecar.iptables-restore.txt').split('\n'),
      '2026-01-10T08:00:00.010000Z\tinfo\tRunning iptables-restore with the following input:',
      '',
    ].join('\n');
    const parsed = parseIptables(log, 'istio-init.log');
    expect(parsed.format).toBe('istio-init-log');
    expect(parsed.podIp).toBe('10.244.0.10');
    expect(ruleSetFor(parsed, 'ipv4')!.tables.nat.chains.ISTIO_OUTPUT.rules).toHaveLength(9);
  });

  it('reads command-form logs (`iptables -t nat -A …`)', () => {
    const text = ['+ iptables -t nat -N ISTIO_REDIRECT', '+ iptables -t nat -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-port 15001', '+ iptables -t nat -A OUTPUT -p tcp -j ISTIO_REDIRECT'].join('\n');
    const parsed = parseIptables(text);
    expect(parsed.format).toBe('commands');
    const v = evaluate(ruleSetFor(parsed, 'ipv4')!, { hook: 'OUTPUT', proto: 'tcp', dst: '1.2.3.4', dport: 80, outIface: 'eth0', uid: 0 });
    expect(v).toMatchObject({ kind: 'redirect', port: 15001 });
  });

  it('rejects input without rules, naming the file', () => {
    expect(() => parseIptables('hello\nworld\n', 'pod.txt')).toThrow(IptablesParseError);
    expect(() => parseIptables('hello\n', 'pod.txt')).toThrow(/pod\.txt: no iptables rules found/);
    expect(() => parseIptables('*nat\n-A OUTPUT -j\nCOMMIT\n', 'x')).toThrow(/x:2/);
  });
});

describe('nat table evaluation matches the real kernel', () => {
  for (const file of ['default-sidecar.iptables-save.txt', 'default-sidecar.iptables-restore.txt', 'default-sidecar.iptables-S.txt']) {
    for (const c of KERNEL_CASES) {
      it(`${file}: ${c.name}`, () => {
        const v = evaluate(v4(read(file)), c.p);
        expect(v.kind).toBe(c.kind);
        if (c.port) expect(v.port).toBe(c.port);
        expect(v.undecided).toEqual([]);
        const deciding = v.steps.filter((s) => s.outcome !== 'policy').at(-1)!;
        expect(`${deciding.chain}#${deciding.index}`).toBe(c.decidedBy);
      });
    }
  }

  it('the hairpin goes ISTIO_OUTPUT #2 → ISTIO_IN_REDIRECT', () => {
    const v = evaluate(v4(read('default-sidecar.iptables-save.txt')), KERNEL_CASES[5].p);
    expect(v.steps.map((s) => `${s.chain}#${s.index}:${s.outcome}`)).toEqual(['OUTPUT#1:jump', 'ISTIO_OUTPUT#2:jump', 'ISTIO_IN_REDIRECT#1:redirect']);
  });

  it('older community rules redirect app traffic too', () => {
    const v = evaluate(v4(read('iptables-nat-S.sidecar-pod.cnblogs-2023.txt')), KERNEL_CASES[2].p);
    expect(v).toMatchObject({ kind: 'redirect', port: 15001 });
  });

  it('the golden without -i "*" captures no outbound traffic', () => {
    const v = evaluate(v4(read('inbound-ports-wildcard.golden')), KERNEL_CASES[2].p);
    expect(v.kind).toBe('accept');
    expect(v.steps.at(-1)).toMatchObject({ outcome: 'policy', chain: 'OUTPUT' });
  });

  it('ip ranges: -d include/exclude (ip-range golden)', () => {
    const rs = v4(read('ip-range.golden'));
    const base: Packet = { hook: 'OUTPUT', proto: 'tcp', src: POD, dport: 80, outIface: 'eth0', uid: 0, gid: 0 };
    expect(evaluate(rs, { ...base, dst: '9.9.1.1' })).toMatchObject({ kind: 'redirect', port: 15001 });
    expect(evaluate(rs, { ...base, dst: '1.1.1.1' }).steps.at(-2)).toMatchObject({ chain: 'ISTIO_OUTPUT', rule: '-A ISTIO_OUTPUT -d 1.1.0.0/16 -j RETURN' });
    expect(evaluate(rs, { ...base, dst: '8.8.8.8' }).kind).toBe('accept');
  });

  it('multiport and DNS: uid 3 to 127.0.0.53:53 is redirected to 15053', () => {
    const rs = v4(read('dns-uid-gid.golden'));
    const v = evaluate(rs, { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: '127.0.0.53', dport: 53, outIface: 'lo', uid: 1000, gid: 1000 });
    expect(v).toMatchObject({ kind: 'redirect', port: 15053 });
    // uid 3 (the proxy in this golden) on lo to port 53 is excluded by `-m multiport ! --dports 53,15008`.
    const p3 = evaluate(rs, { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: POD, dport: 53, outIface: 'lo', uid: 3, gid: 3 });
    expect(p3.steps.find((s) => s.index === 2 && s.chain === 'ISTIO_OUTPUT')).toBeUndefined();
    expect(p3.steps.at(-2)).toMatchObject({ chain: 'ISTIO_OUTPUT', index: 4, outcome: 'return' });
  });

  it('reports matches it cannot evaluate instead of matching them', () => {
    const rs = v4(read('outbound-owner-groups.golden'));
    const v = evaluate(rs, { hook: 'OUTPUT', proto: 'tcp', src: POD, dst: VIP, dport: 80, outIface: 'eth0', uid: 1000, gid: 1000 });
    expect(v.undecided).toHaveLength(1);
    expect(v.undecided[0].rule).toBe('-A ISTIO_OUTPUT -m owner ! --gid-owner java -m owner ! --gid-owner 202 -j RETURN');
    expect(v.undecided[0].note).toMatch(/"java" is a group name/);
    const mark = evaluate(v4('*nat\n-A OUTPUT -m mark --mark 7 -j REDIRECT --to-ports 1\nCOMMIT\n'), { hook: 'OUTPUT', proto: 'tcp', dst: VIP, dport: 1, outIface: 'eth0', uid: 0 });
    expect(mark.kind).toBe('accept');
    expect(mark.undecided[0].note).toMatch(/-m mark --mark 7/);
  });

  it('follows -g (goto) and sport/dport ranges with !', () => {
    const rs = v4(['*nat', ':A - [0:0]', ':B - [0:0]', '-A OUTPUT -j A', '-A OUTPUT -j REDIRECT --to-ports 2', '-A A -g B', '-A B -p tcp ! --dport 1000:2000 -j RETURN', '-A B -j REDIRECT --to-ports 1', 'COMMIT'].join('\n'));
    const base: Packet = { hook: 'OUTPUT', proto: 'tcp', dst: VIP, dport: 1500, outIface: 'eth0', uid: 0 };
    expect(evaluate(rs, base)).toMatchObject({ kind: 'redirect', port: 1 });
    // RETURN from B goes back past A (goto) to OUTPUT's next rule.
    expect(evaluate(rs, { ...base, dport: 80 })).toMatchObject({ kind: 'redirect', port: 2 });
  });

  it('derives the outgoing interface', () => {
    expect(outInterface('127.0.0.1', [])).toBe('lo');
    expect(outInterface('127.9.9.9', [])).toBe('lo');
    expect(outInterface(POD, [POD])).toBe('lo');
    expect(outInterface(VIP, [POD])).toBe('eth0');
  });
});
