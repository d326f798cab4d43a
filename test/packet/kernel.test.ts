// Checks the iptables part of the walk against a real kernel: two throw-away network namespaces
// (a "pod" with the sidecar rules, and a "peer" that also owns a fake Service VIP), real TCP
// connections as an app uid and as the proxy uid 1337, and the listener each one reached.
// Addresses exist only inside the namespaces this test creates.
// Needs root and the `ip` (iproute2), `iptables` and `setpriv` (util-linux) binaries plus python3.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, execaSync, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIptables, ruleSetFor } from '../../main/core/packet/iptables-parse.ts';
import { evaluate } from '../../main/core/packet/iptables-eval.ts';
import { walk } from '../../main/core/packet/walk.ts';

const RULES = path.join(import.meta.dirname, '../fixtures/packet/default-sidecar.iptables-restore.txt');
const POD_IP = '10.244.0.10';
const PEER_IP = '10.244.0.1';
const VIP = '10.96.0.50';
const APP_UID = 1000;

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

// A system interpreter: a per-user one (pyenv under /root) is not readable by uid 1000/1337.
const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables)';
  const missing = ['ip', 'iptables', 'iptables-restore', 'setpriv', 'python3'].filter((b) => !which(b));
  if (missing.length) return `missing binaries: ${missing.join(', ')} (apt-get install -y iproute2 iptables util-linux python3)`;
  if (!PYTHON) return 'no system python3 in /usr/bin or /usr/local/bin (apt-get install -y python3-minimal)';
  // uid 0 in a container without CAP_SYS_ADMIN/CAP_NET_ADMIN cannot create namespaces or nat rules.
  const probe = `mw-probe-${randomBytes(3).toString('hex')}`;
  try {
    execaSync('ip', ['netns', 'add', probe]);
    execaSync('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-L', '-n']);
  } catch (err) {
    return `cannot create a network namespace with a nat table here: ${((err as { stderr?: string }).stderr || (err as Error).message).trim().split('\n')[0]}`;
  } finally {
    execaSync('ip', ['netns', 'del', probe], { reject: false });
  }
  return null;
}
const reason = skipReason();

// One small program for both ends: `serve <name> <port>...` prints a JSON line per accepted
// connection (with SO_ORIGINAL_DST); `connect <tag> <ip> <port> [<source ip>]` sends the tag.
const PROGRAM = String.raw`
import json, selectors, socket, struct, sys
SO_ORIGINAL_DST = 80
def serve(name, ports):
    sel = selectors.DefaultSelector()
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('0.0.0.0', int(p)))
        s.listen(16)
        sel.register(s, selectors.EVENT_READ, int(p))
    print(json.dumps({'ready': name}), flush=True)
    while True:
        for key, _ in sel.select():
            conn, peer = key.fileobj.accept()
            conn.settimeout(5)
            tag = conn.recv(128).decode()
            try:
                raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
                port, ip = struct.unpack('!2xH4s8x', raw)
                orig = '%s:%d' % (socket.inet_ntoa(ip), port)
            except OSError:
                orig = None
            local = conn.getsockname()
            print(json.dumps({'at': name, 'tag': tag, 'port': key.data, 'local': '%s:%d' % local, 'peer': '%s:%d' % peer, 'origDst': orig}), flush=True)
            conn.sendall(b'ok')
            conn.close()
def connect(tag, ip, port, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    if src:
        s.bind((src, 0))
    s.connect((ip, int(port)))
    s.sendall(tag.encode())
    s.recv(16)
    s.close()
if sys.argv[1] == 'serve':
    serve(sys.argv[2], sys.argv[3:])
else:
    connect(*sys.argv[2:])
`;

interface Accepted {
  at: string;
  tag: string;
  port: number;
  local: string;
  peer: string;
  origDst: string | null;
}

describe.skipIf(reason !== null)(`iptables walk on a real kernel${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const id = randomBytes(3).toString('hex');
  const podNs = `mw-pod-${id}`;
  const peerNs = `mw-peer-${id}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-kernel-'));
  const program = path.join(dir, 'netcheck.py');
  const servers: ResultPromise[] = [];
  const accepted: Accepted[] = [];
  const rules = parseIptables(readFileSync(RULES, 'utf8'), RULES);

  const inNs = (ns: string, argv: string[], opts: { input?: string } = {}) => execa('ip', ['netns', 'exec', ns, ...argv], { ...opts, timeout: 15_000 });

  async function startServer(ns: string, name: string, ports: number[]) {
    const child = execa('ip', ['netns', 'exec', ns, PYTHON!, '-u', program, 'serve', name, ...ports.map(String)], { buffer: false, reject: false });
    servers.push(child);
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`${name} server did not start`)), 10_000);
      child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (line.ready) {
            clearTimeout(timer);
            resolve();
          } else accepted.push(line);
        }
      });
    });
  }

  async function connect(tag: string, from: { ns: string; uid: number; src?: string }, ip: string, port: number): Promise<Accepted> {
    await inNs(from.ns, ['setpriv', `--reuid=${from.uid}`, `--regid=${from.uid}`, '--clear-groups', PYTHON!, program, 'connect', tag, ip, String(port), ...(from.src ? [from.src] : [])]);
    for (let i = 0; i < 100; i++) {
      const hit = accepted.find((a) => a.tag === tag);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no server saw connection ${tag}`);
  }

  beforeAll(async () => {
    // The clients run as uid 1000/1337: the mkdtemp directory (0700) must be readable to them.
    chmodSync(dir, 0o755);
    writeFileSync(program, PROGRAM, { mode: 0o644 });
    const vp = `mwp${id}`;
    const vq = `mwq${id}`;
    await execa('ip', ['netns', 'add', podNs]);
    await execa('ip', ['netns', 'add', peerNs]);
    await execa('ip', ['link', 'add', vp, 'type', 'veth', 'peer', 'name', vq]);
    await execa('ip', ['link', 'set', vp, 'netns', podNs]);
    await execa('ip', ['link', 'set', vq, 'netns', peerNs]);
    for (const [ns, dev, addrs] of [[podNs, vp, [`${POD_IP}/16`]], [peerNs, vq, [`${PEER_IP}/16`, `${VIP}/32`]]] as const) {
      await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
      await inNs(ns, ['ip', 'link', 'set', dev, 'name', 'eth0']);
      for (const a of addrs) await inNs(ns, ['ip', 'addr', 'add', a, 'dev', 'eth0']);
      await inNs(ns, ['ip', 'link', 'set', 'eth0', 'up']);
    }
    await inNs(podNs, ['ip', 'route', 'add', '10.96.0.0/12', 'via', PEER_IP]);
    await inNs(podNs, ['iptables-restore', '--noflush'], { input: readFileSync(RULES, 'utf8') });
    await startServer(podNs, 'pod', [15001, 15006, 9080, 15021]);
    await startServer(peerNs, 'peer', [9080]);
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    await Promise.allSettled(servers);
    await execa('ip', ['netns', 'del', podNs], { reject: false });
    await execa('ip', ['netns', 'del', peerNs], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Where the walk says the connection ends up: the redirect port, or the original port. */
  function walkPort(w: ReturnType<typeof walk>, original: number): number {
    const redirect = w.hops.find((h) => h.kind === 'redirect');
    return redirect?.port ?? original;
  }

  it('the rules are installed in the pod namespace', async () => {
    const { stdout } = await inNs(podNs, ['iptables-save', '-t', 'nat']);
    expect(stdout).toContain('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
  });

  it('app (uid 1000) → VIP:9080 lands on 15001, with the VIP as SO_ORIGINAL_DST', async () => {
    const w = walk({ direction: 'outbound', iptables: rules, podIp: POD_IP, to: { host: VIP, port: 9080 }, uid: APP_UID });
    expect(walkPort(w, 9080)).toBe(15001);
    const a = await connect(`app-vip-${id}`, { ns: podNs, uid: APP_UID }, VIP, 9080);
    expect(a).toMatchObject({ at: 'pod', port: 15001, origDst: `${VIP}:9080` });
    expect(a.local).toBe('127.0.0.1:15001');
  });

  it('envoy (uid 1337) → VIP:9080 bypasses and reaches the peer unchanged', async () => {
    const w = walk({ direction: 'outbound', iptables: rules, podIp: POD_IP, to: { host: VIP, port: 9080 }, uid: 1337 });
    expect(w.hops.some((h) => h.kind === 'bypass')).toBe(true);
    expect(w.hops.find((h) => h.kind === 'bypass')?.rule).toBe('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
    const a = await connect(`envoy-vip-${id}`, { ns: podNs, uid: 1337 }, VIP, 9080);
    expect(a).toMatchObject({ at: 'peer', port: 9080, local: `${VIP}:9080` });
  });

  it('client → pod:9080 lands on 15006 (inbound capture)', async () => {
    const w = walk({ direction: 'inbound', iptables: rules, podIp: POD_IP, to: { host: POD_IP, port: 9080 }, fromIp: PEER_IP });
    expect(walkPort(w, 9080)).toBe(15006);
    const a = await connect(`in-9080-${id}`, { ns: peerNs, uid: 0 }, POD_IP, 9080);
    expect(a).toMatchObject({ at: 'pod', port: 15006, local: `${POD_IP}:15006`, origDst: `${POD_IP}:9080` });
  });

  it('client → pod:15021 reaches 15021 directly (excluded port)', async () => {
    const w = walk({ direction: 'inbound', iptables: rules, podIp: POD_IP, to: { host: POD_IP, port: 15021 }, fromIp: PEER_IP });
    expect(walkPort(w, 15021)).toBe(15021);
    expect(w.hops.find((h) => h.kind === 'bypass')?.rule).toBe('-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN');
    const a = await connect(`in-15021-${id}`, { ns: peerNs, uid: 0 }, POD_IP, 15021);
    expect(a).toMatchObject({ at: 'pod', port: 15021 });
  });

  it('envoy from 127.0.0.6 → podIP:9080 reaches the app, which sees 127.0.0.6', async () => {
    const v = evaluate(ruleSetFor(rules, 'ipv4')!, { hook: 'OUTPUT', proto: 'tcp', src: '127.0.0.6', dst: POD_IP, dport: 9080, outIface: 'lo', uid: 1337, gid: 1337 });
    expect(v.kind).toBe('accept');
    expect(v.steps.find((s) => s.outcome === 'return')).toMatchObject({ chain: 'ISTIO_OUTPUT', index: 1 });
    const a = await connect(`envoy-app-${id}`, { ns: podNs, uid: 1337, src: '127.0.0.6' }, POD_IP, 9080);
    expect(a).toMatchObject({ at: 'pod', port: 9080 });
    expect(a.peer.startsWith('127.0.0.6:')).toBe(true);
  });

  it('envoy (uid 1337) → own pod IP is sent to 15006 (hairpin); the app → own pod IP is not', async () => {
    const hair = walk({ direction: 'outbound', iptables: rules, podIp: POD_IP, to: { host: POD_IP, port: 9080 }, uid: 1337 });
    expect(walkPort(hair, 9080)).toBe(15006);
    expect(await connect(`hairpin-${id}`, { ns: podNs, uid: 1337 }, POD_IP, 9080)).toMatchObject({ at: 'pod', port: 15006 });
    const self = walk({ direction: 'outbound', iptables: rules, podIp: POD_IP, to: { host: POD_IP, port: 9080 }, uid: APP_UID });
    expect(walkPort(self, 9080)).toBe(9080);
    expect(await connect(`self-${id}`, { ns: podNs, uid: APP_UID }, POD_IP, 9080)).toMatchObject({ at: 'pod', port: 9080 });
  });
});
