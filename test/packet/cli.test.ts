import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { fixturePath as f } from './fixtures.ts';

const run = (argv: string[]) => runCli(argv);

describe('meshwalk packet walk', () => {
  it('--json prints {direction, hops} with iptables evidence; without --config it stops after iptables', async () => {
    const r = await run(['packet', 'walk', '--iptables', f('default-sidecar.iptables-save.txt'), '--direction', 'outbound', '--to', '10.96.0.50:9080', '--pod-ip', '10.244.0.10', '--uid', '0', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.direction).toBe('outbound');
    expect(j.hops.map((h: { kind: string }) => h.kind)).toEqual(['app', 'iptables', 'iptables', 'iptables', 'redirect']);
    expect(j.hops[2]).toMatchObject({ table: 'nat', chain: 'ISTIO_OUTPUT', rule: '-A ISTIO_OUTPUT -j ISTIO_REDIRECT' });
    expect(j.hops[4]).toMatchObject({ kind: 'redirect', port: 15001 });
  });

  it('with --config (repeatable) walks into Envoy: listener, cluster, endpoint names', async () => {
    const r = await run(['packet', 'walk', '--iptables', f('default-sidecar.iptables-restore.txt'), '--config', f('listeners.configdump.json'), '--config', f('endpoints.configdump.json'), '--direction', 'outbound', '--to', '10.96.0.10:53', '--protocol', 'tcp', '--json']);
    expect(r.code).toBe(0);
    const hops = JSON.parse(r.stdout).hops as Array<{ kind: string; name?: string; address?: string }>;
    expect(hops.filter((h) => h.kind === 'listener').map((h) => h.name)).toEqual(['virtualOutbound', '10.96.0.10_53']);
    expect(hops.find((h) => h.kind === 'cluster')!.name).toBe('outbound|53||kube-dns.kube-system.svc.cluster.local');
    expect(hops.find((h) => h.kind === 'endpoint')!.address).toBe('10.244.0.8:53');
  });

  it('inbound with the older community rules (-S output) redirects to 15006', async () => {
    const r = await run(['packet', 'walk', '--iptables', f('iptables-nat-S.sidecar-pod.cnblogs-2023.txt'), '--direction', 'inbound', '--to', '10.244.0.10:9080', '--from-ip', '10.244.0.1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hops.find((h: { kind: string }) => h.kind === 'redirect').port).toBe(15006);
  });

  it('text output lists the hops', async () => {
    const r = await run(['packet', 'walk', '--iptables', f('default-sidecar.iptables-save.txt'), '--direction', 'inbound', '--to', '10.244.0.10:15021']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nat/ISTIO_INBOUND#3');
    expect(r.stdout).toContain('-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN');
  });

  it('usage errors exit 2 with one line', async () => {
    for (const argv of [
      ['packet', 'walk', '--direction', 'outbound', '--to', 'a:1'],
      ['packet', 'walk', '--iptables', f('tproxy.golden'), '--direction', 'sideways', '--to', 'a:1'],
      ['packet', 'walk', '--iptables', f('tproxy.golden'), '--direction', 'outbound', '--to', 'nope'],
      ['packet', 'walk', '--iptables', f('tproxy.golden'), '--direction', 'outbound', '--to', 'a:1', '--uid', 'root'],
      ['packet', 'walk', '--iptables', f('tproxy.golden'), '--direction', 'outbound', '--to', 'a:1', '--bogus'],
      ['packet', 'fly'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('unreadable files exit 1, unparsable files exit 2, both naming the file', async () => {
    const missing = await run(['packet', 'walk', '--iptables', '/nonexistent/rules.txt', '--direction', 'outbound', '--to', 'a:1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\/nonexistent\/rules\.txt: ENOENT/);
    const bad = await run(['packet', 'walk', '--iptables', f('README.md'), '--direction', 'outbound', '--to', 'a:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/README\.md: no iptables rules found/);
    const badCfg = await run(['packet', 'walk', '--iptables', f('tproxy.golden'), '--config', f('tproxy.golden'), '--direction', 'outbound', '--to', 'a:1']);
    expect(badCfg.code).toBe(2);
    expect(badCfg.stderr).toMatch(/tproxy\.golden: not an Envoy config dump/);
  });
});

describe('meshwalk packet scope', () => {
  it('counts before and after egress hosts', async () => {
    const r = await run(['packet', 'scope', '--config', f('listeners.configdump.json'), '--config', f('endpoints.configdump.json'), '--egress-host', './*', '--egress-host', 'istio-system/*', '--namespace', 'default', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.before.clusters).toBe(37);
    expect(j.after.clusters).toBeLessThan(37);
  });
});
