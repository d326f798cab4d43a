// Simulated requests per second for Bookinfo with the request-routing lab rules applied
// (virtual-service-all-v1 + reviews-test-v2, half the requests as jason). Target: ≥ 100k/s on
// one core for the model; formatting every access-log line is measured separately.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifestText } from '../main/core/manifests.ts';
import { Mesh } from '../main/core/sandbox/mesh.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/sandbox');

function routingLabMesh(): Mesh {
  const mesh = new Mesh({ seed: 1 });
  for (const f of ['destination-rule-all.yaml', 'virtual-service-all-v1.yaml', 'virtual-service-reviews-test-v2.yaml']) {
    mesh.apply(parseManifestText(readFileSync(path.join(fixtures, f), 'utf8'), f));
  }
  return mesh;
}

/**
 * CPU time of this process, not wall time: the figure is "requests per second of one core" and
 * stays meaningful when other processes compete for the machine.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(mesh: Mesh, n: number, format: boolean): { perSec: number; lines: number } {
  const reqs = [
    { from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage' },
    { from: 'curl', method: 'GET', url: 'http://productpage:9080/productpage', user: 'jason' },
  ];
  let lines = 0;
  let chars = 0;
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    const r = mesh.send(reqs[i & 1]);
    lines += r.records.length;
    if (format) for (const rec of r.records) chars += mesh.formatRecord(rec).length;
  }
  const ms = cpuMs() - t0;
  if (format && chars === 0) throw new Error('no lines formatted');
  return { perSec: (n / ms) * 1000, lines };
}

export async function run(): Promise<Record<string, number | string>> {
  const mesh = routingLabMesh();
  measure(mesh, 20_000, false); // warm-up (JIT)
  const model = measure(mesh, 200_000, false);
  const formatted = measure(mesh, 50_000, true);
  const fortio = new Mesh({ seed: 2 });
  fortio.apply(parseManifestText('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: httpbin}\nspec:\n  host: httpbin\n  trafficPolicy:\n    connectionPool:\n      tcp: {maxConnections: 1}\n      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}\n', 'dr.yaml'));
  const t0 = cpuMs();
  const rs = fortio.load({ from: 'fortio', method: 'GET', url: 'http://httpbin:8000/get' }, { count: 100_000, concurrency: 3, qps: 0 });
  const loadPerSec = (rs.length / (cpuMs() - t0)) * 1000;
  // Reference figure so results from a busy machine can be read: a plain loop's CPU time.
  const r0 = cpuMs();
  let acc = 0;
  for (let i = 0; i < 1e7; i++) acc += Math.sqrt(i);
  const referenceMs = cpuMs() - r0;
  if (acc < 0) throw new Error('unreachable');
  return {
    'reference loop, 1e7 Math.sqrt (CPU ms)': Math.round(referenceMs),
    'bookinfo routing-lab requests/s (model)': Math.round(model.perSec),
    'bookinfo routing-lab requests/s (with text log lines)': Math.round(formatted.perSec),
    'access-log lines per request': model.lines / 200_000,
    'fortio -c 3 circuit-breaking requests/s': Math.round(loadPerSec),
    target: '≥ 100,000 requests/s (model)',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
