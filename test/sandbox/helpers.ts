// Shared set-up for sandbox tests: a fresh mesh with fixture manifests applied, as a learner would.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifestText } from '../../main/core/manifests.ts';
import { Mesh, type MeshOptions, type SimRequest, type SimResponse } from '../../main/core/sandbox/mesh.ts';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sandbox');
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function docsOf(file: string) {
  const full = path.isAbsolute(file) ? file : path.join(FIXTURES, file);
  return parseManifestText(readFileSync(full, 'utf8'), path.basename(full));
}

export function meshWith(files: string[], opts: MeshOptions = {}): Mesh {
  const mesh = new Mesh({ seed: 42, ...opts });
  for (const f of files) {
    const outcomes = mesh.apply(docsOf(f));
    const warnings = outcomes.flatMap((o) => o.warnings);
    if (warnings.length) throw new Error(`unexpected warnings for ${f}: ${warnings.join('; ')}`);
  }
  return mesh;
}

export function productpage(mesh: Mesh, user?: string, from = 'curl'): SimResponse {
  const url = from === 'ingressgateway' ? 'http://bookinfo.example/productpage' : 'http://productpage:9080/productpage';
  return mesh.send({ from, method: 'GET', url, user } satisfies SimRequest);
}

export function many(mesh: Mesh, n: number, req: SimRequest): SimResponse[] {
  return mesh.load(req, { count: n, concurrency: 1, qps: 0 });
}

export function hopsTo(r: SimResponse, service: string) {
  return r.hops.filter((h) => h.service === service && !h.mirror);
}
