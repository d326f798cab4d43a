// `meshwalk packet walk|scope`: the life-of-a-packet walk over recorded iptables rules and Envoy
// config dumps, for instructors and tests (no cluster needed).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isIP } from 'node:net';
import { parse } from '../args.ts';
import { EXIT, UsageError, type CliCommand, type CliIO } from '../io.ts';
import { IptablesParseError, parseIptables, type ParsedIptables } from '../../core/packet/iptables-parse.ts';
import { addText, ConfigDumpError, emptyProxyConfig, type ProxyConfig } from '../../core/packet/config-dump.ts';
import { parseHostPort, walk } from '../../core/packet/walk.ts';
import { DIRECTIONS, type Direction, type Walk } from '../../core/packet/types.ts';
import { applySidecarEgress, compareScopes, SidecarHostError } from '../../core/packet/sidecar-scope.ts';

const USAGE = `Usage:
  meshwalk packet walk --iptables <file> [--config <proxy-config.json>]... --direction inbound|outbound
                       --to <host-or-ip>:<port> [--from-ip IP] [--uid N] [--pod-ip IP] [--json]
        [--gateway-config <gateway proxy-config.json>] [--path /p] [--protocol http|tls|tcp] [--plaintext]
  meshwalk packet scope --config <proxy-config.json>... (--after <proxy-config.json>... | --egress-host <ns/host>... --namespace <ns>) [--json]

walk: evaluates the pod's nat table (iptables-save, iptables-restore input, "iptables -t nat -S" or the
  istio-init log) for one connection and, with --config (istioctl proxy-config all <pod> -o json; repeat
  to merge listener/route/cluster/endpoint dumps), follows it through Envoy. Without --config the walk
  stops after iptables. --direction also accepts inbound-response and outbound-response.
  --pod-ip tells which addresses are the pod's own (loopback routing); default: the inbound --to address,
  or the POD_IP an istio-init log prints. --uid is the app's uid (default 1000; 1337 is Envoy's).
scope: counts listeners, clusters and routes before and after a Sidecar's egress hosts.`;

class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly exit: number,
  ) {
    super(message);
  }
}

async function readInput(file: string, io: CliIO): Promise<string> {
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.failure);
  }
}

async function loadIptables(file: string, io: CliIO): Promise<ParsedIptables> {
  const text = await readInput(file, io);
  try {
    return parseIptables(text, file);
  } catch (err) {
    if (err instanceof IptablesParseError) throw new InputError(err.message, EXIT.usage);
    throw err;
  }
}

async function loadConfigs(files: string[], io: CliIO): Promise<ProxyConfig> {
  const pc = emptyProxyConfig();
  for (const file of files) {
    const text = await readInput(file, io);
    try {
      addText(pc, text, file);
    } catch (err) {
      if (err instanceof ConfigDumpError) throw new InputError(err.message, EXIT.usage);
      throw err;
    }
  }
  return pc;
}

function printWalk(w: Walk, io: CliIO): void {
  io.stdout.write(`${w.direction}\n`);
  w.hops.forEach((h, i) => {
    const ev = h.kind === 'iptables' ? `${h.table}/${h.chain}#${h.index}` : h.kind === 'redirect' ? `:${h.port}` : (h.name ?? h.address ?? '');
    io.stdout.write(`${String(i + 1).padStart(2)}. ${h.kind.padEnd(8)} ${ev}\n    ${h.explain}\n`);
    if (h.rule && h.kind === 'iptables') io.stdout.write(`    ${h.rule}\n`);
  });
  for (const warning of w.warnings) io.stderr.write(`warning: ${warning}\n`);
}

async function runWalk(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    iptables: { type: 'string' },
    config: { type: 'string', multiple: true },
    'gateway-config': { type: 'string', multiple: true },
    direction: { type: 'string' },
    to: { type: 'string' },
    'from-ip': { type: 'string' },
    'pod-ip': { type: 'string' },
    uid: { type: 'string' },
    gid: { type: 'string' },
    path: { type: 'string' },
    protocol: { type: 'string' },
    plaintext: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.iptables) throw new UsageError('--iptables <file> is required');
  if (!values.direction) throw new UsageError('--direction inbound|outbound is required');
  if (!(DIRECTIONS as readonly string[]).includes(values.direction)) throw new UsageError(`--direction must be one of ${DIRECTIONS.join(', ')} (got "${values.direction}")`);
  if (!values.to) throw new UsageError('--to <host-or-ip>:<port> is required');
  const to = parseHostPort(values.to);
  if (!to) throw new UsageError(`--to must be <host-or-ip>:<port> (got "${values.to}")`);
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a number (got "${v}")`);
    return Number(v);
  };
  const ip = (name: string, v: string | undefined) => {
    if (v !== undefined && !isIP(v)) throw new UsageError(`--${name} must be an IP address (got "${v}")`);
    return v;
  };
  const uid = num('uid', values.uid);
  const gid = num('gid', values.gid);
  const fromIp = ip('from-ip', values['from-ip']);
  const podIp = ip('pod-ip', values['pod-ip']);
  if (values.protocol && !['http', 'tls', 'tcp'].includes(values.protocol)) throw new UsageError(`--protocol must be http, tls or tcp (got "${values.protocol}")`);

  const ipt = await loadIptables(values.iptables, io);
  const pod = values.config?.length ? await loadConfigs(values.config, io) : undefined;
  const gateway = values['gateway-config']?.length ? await loadConfigs(values['gateway-config'], io) : undefined;
  const direction = values.direction as Direction;
  const result = walk({
    direction,
    iptables: ipt,
    ...(pod ? { pod } : {}),
    ...(gateway ? { gateway } : {}),
    to,
    ...(podIp ? { podIp } : direction.startsWith('inbound') && isIP(to.host) ? { podIp: to.host } : {}),
    ...(fromIp ? { fromIp } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
    ...(values.path ? { path: values.path } : {}),
    ...(values.protocol ? { protocol: values.protocol as 'http' | 'tls' | 'tcp' } : {}),
    ...(values.plaintext ? { mtls: false } : {}),
  });
  const warnings = [...ipt.warnings, ...result.warnings];
  if (values.json) {
    io.stdout.write(JSON.stringify({ direction: result.direction, hops: result.hops, warnings }, null, 2) + '\n');
  } else printWalk({ ...result, warnings }, io);
  return EXIT.ok;
}

async function runScope(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string', multiple: true },
    after: { type: 'string', multiple: true },
    'egress-host': { type: 'string', multiple: true },
    namespace: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.config?.length) throw new UsageError('--config <proxy-config.json> is required');
  if (!values.after?.length && !values['egress-host']?.length) throw new UsageError('give --after <dump> or --egress-host <ns/host> (with --namespace)');
  const before = await loadConfigs(values.config, io);
  let after: ProxyConfig;
  if (values.after?.length) after = await loadConfigs(values.after, io);
  else {
    if (!values.namespace) throw new UsageError('--egress-host needs --namespace (the Sidecar\'s namespace, for "./*")');
    try {
      after = applySidecarEgress(before, values['egress-host']!, values.namespace);
    } catch (err) {
      if (err instanceof SidecarHostError) throw new UsageError(err.message);
      throw err;
    }
  }
  const cmp = compareScopes(before, after);
  if (values.json) io.stdout.write(JSON.stringify(cmp, null, 2) + '\n');
  else {
    io.stdout.write(`              before   after\n`);
    for (const k of ['listeners', 'clusters', 'routes', 'virtualHosts', 'endpoints', 'bytes'] as const) io.stdout.write(`${k.padEnd(13)} ${String(cmp.before[k]).padStart(6)}  ${String(cmp.after[k]).padStart(6)}\n`);
    io.stdout.write(`${cmp.explain}\n`);
  }
  return EXIT.ok;
}

export const packetCommand: CliCommand = {
  name: 'packet',
  summary: 'walk a connection through a pod\'s iptables and Envoy config (life of a packet)',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    try {
      if (sub === 'walk') return await runWalk(rest, io);
      if (sub === 'scope') return await runScope(rest, io);
    } catch (err) {
      if (err instanceof InputError) {
        io.stderr.write(`meshwalk packet: ${err.message}\n`);
        return err.exit;
      }
      throw err;
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}" (walk, scope)` : 'missing subcommand (walk, scope)');
  },
};
