// Packet walk timings over the recorded fixtures: parsing the rules, loading a 250 KB listener
// dump, one walk per direction, and the Sidecar comparison. Target: a walk answers in < 50 ms so
// the Packet view feels immediate.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addText, emptyProxyConfig } from '../main/core/packet/config-dump.ts';
import { parseIptables } from '../main/core/packet/iptables-parse.ts';
import { walk } from '../main/core/packet/walk.ts';
import { applySidecarEgress, compareScopes } from '../main/core/packet/sidecar-scope.ts';
import { DIRECTIONS } from '../main/core/packet/types.ts';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/packet');

function time<T>(n: number, fn: () => T): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
}

export async function run(): Promise<Record<string, number | string>> {
  const rulesText = readFileSync(path.join(FIX, 'default-sidecar.iptables-save.txt'), 'utf8');
  const texts = ['listeners.configdump.json', 'endpoints.configdump.json'].map((f) => readFileSync(path.join(FIX, f), 'utf8'));
  const gwText = readFileSync(path.join(FIX, 'gateway.http_config.json'), 'utf8');
  const load = () => {
    const pc = emptyProxyConfig();
    texts.forEach((t, i) => addText(pc, t, String(i)));
    return pc;
  };
  const iptables = parseIptables(rulesText);
  const pod = load();
  const gateway = emptyProxyConfig();
  addText(gateway, gwText);
  const figures: Record<string, number | string> = {
    'parse iptables-save (ms)': time(200, () => parseIptables(rulesText)),
    'load listener+endpoint dumps, 314 KB (ms)': time(20, load),
  };
  for (const direction of DIRECTIONS) {
    const to = direction.startsWith('inbound') ? { host: 'productpage', port: 9080 } : { host: 'www.google.com', port: 443 };
    figures[`walk ${direction} (ms)`] = time(200, () => walk({ direction, iptables, pod, gateway, podIp: '10.244.0.10', to }));
  }
  figures['sidecar scope compare (ms)'] = time(20, () => compareScopes(pod, applySidecarEgress(pod, ['./*', 'istio-system/*'], 'default')));
  figures['target: walk'] = '< 50 ms';
  return figures;
}
