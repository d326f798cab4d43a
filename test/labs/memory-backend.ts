// A small MeshBackend stand-in for engine tests: an object store (optionally kept in a JSON file so
// a second process sees what the first applied), plus a toy "reviews" router whose answer depends
// on the reviews VirtualService in the store — so checks pass or fail for real reasons.
import { readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { ApiError } from '../../main/core/api/errors.ts';
import type { ApplyOutcome, KubeObject, ManifestDoc, MeshBackend, ObjectRef, TrafficRequest, TrafficResult } from '../../main/core/backend/types.ts';
import type { RequestTree } from '../../main/core/capture/types.ts';
import { refKey, refOf } from '../../main/core/labs/engine.ts';

export interface MemoryBackend extends MeshBackend {
  objects: Map<string, KubeObject>;
  applyCalls: number;
  /** Trees for the last sendTraffic, for the injected collect(). */
  lastTrees: RequestTree[];
}

function clean(o: KubeObject): KubeObject {
  return JSON.parse(JSON.stringify(o)) as KubeObject;
}

export function memoryBackend(opts: { file?: string; tools?: Record<string, string> } = {}): MemoryBackend {
  const objects = new Map<string, KubeObject>();
  if (opts.file && existsSync(opts.file)) for (const [k, v] of JSON.parse(readFileSync(opts.file, 'utf8')) as [string, KubeObject][]) objects.set(k, v);
  const persist = () => {
    if (!opts.file) return;
    writeFileSync(opts.file + '.tmp', JSON.stringify([...objects]));
    renameSync(opts.file + '.tmp', opts.file);
  };
  let seq = 0;
  const b: MemoryBackend = {
    kind: 'sandbox',
    objects,
    applyCalls: 0,
    lastTrees: [],
    async status() {
      return { kind: 'sandbox', label: 'memory', state: 'ready' };
    },
    async apply(docs: ManifestDoc[]): Promise<ApplyOutcome[]> {
      b.applyCalls++;
      const out: ApplyOutcome[] = [];
      for (const d of docs) {
        const ref = refOf(d.object);
        const key = refKey(ref);
        const prev = objects.get(key);
        const next = clean({ ...d.object, metadata: { ...d.object.metadata, namespace: ref.namespace } });
        if (!ref.namespace) delete next.metadata.namespace;
        objects.set(key, next);
        out.push({ ref, action: !prev ? 'created' : JSON.stringify(prev) === JSON.stringify(next) ? 'unchanged' : 'configured', warnings: [], source: d.source });
      }
      persist();
      return out;
    },
    async delete(docs: ManifestDoc[]): Promise<ApplyOutcome[]> {
      const out: ApplyOutcome[] = docs.map((d) => {
        const ref = refOf(d.object);
        const had = objects.delete(refKey(ref));
        return { ref, action: had ? 'deleted' : 'not-found', warnings: [] };
      });
      persist();
      return out;
    },
    async get(ref: ObjectRef) {
      const o = objects.get(refKey(ref));
      return o ? clean(o) : null;
    },
    async diff(docs: ManifestDoc[]) {
      return docs.map((d) => {
        const ref = refOf(d.object);
        const live = objects.get(refKey(ref)) ?? null;
        const desired = clean({ ...d.object, metadata: { ...d.object.metadata, namespace: ref.namespace } });
        if (!ref.namespace) delete desired.metadata.namespace;
        const a = live ? stringify(live) : '';
        const z = stringify(desired);
        return { ref, source: d.source, live, desired, patch: a === z ? '' : createTwoFilesPatch('live', 'desired', a, z) };
      });
    },
    async waitFor(cond) {
      if (cond.kind === 'exists') {
        const ok = objects.has(refKey(cond.ref));
        return { ok, reason: ok ? 'exists' : `${cond.ref.kind} ${cond.ref.name} does not exist`, elapsedMs: 0 };
      }
      return { ok: true, reason: 'ready', elapsedMs: 1 };
    },
    async sendTraffic(req: TrafficRequest): Promise<TrafficResult> {
      const vs = objects.get('networking.istio.io/VirtualService/default/reviews') as { spec?: { http?: { route?: { destination?: { subset?: string } }[] }[] } } | undefined;
      const version = vs?.spec?.http?.[0]?.route?.[0]?.destination?.subset ?? 'v1';
      const trees: RequestTree[] = [];
      const responses = Array.from({ length: req.count }, () => {
        const requestId = `req-${++seq}`;
        const ref = (app: string, v: string) => ({ workload: `${app}-${v}`, app, version: v, namespace: 'default', service: app });
        trees.push({
          requestId,
          startTime: null,
          user: req.user ?? null,
          status: 200,
          hops: [
            { from: { workload: 'istio-ingressgateway', app: 'istio-ingressgateway', version: null, namespace: 'istio-system' }, to: ref('productpage', 'v1'), startTime: null, status: 200, flags: [], durationMs: 5, cluster: null, path: req.url, method: 'GET', connection: null },
            { from: ref('productpage', 'v1'), to: ref('reviews', version), startTime: null, status: 200, flags: [], durationMs: 3, cluster: null, path: '/reviews/0', method: 'GET', connection: null },
          ],
        });
        const stars = version === 'v1' ? 'none' : version === 'v2' ? 'black' : 'red';
        return { status: 200, durationMs: 5, requestId, view: { reviews: 'ok' as const, stars: stars as 'none' | 'black' | 'red', ratings: 'ok' as const } };
      });
      b.lastTrees = trees;
      return { responses };
    },
    onAccessLog() {
      return () => {};
    },
    async pods() {
      return [];
    },
    async proxyConfig() {
      return { configs: [] };
    },
    async iptables() {
      return '';
    },
    async runTool(argv: string[]) {
      const out = opts.tools?.[argv.join(' ')];
      if (out === undefined) throw new ApiError('unavailable', `the memory backend does not model \`${argv.join(' ')}\``);
      return { argv, exitCode: 0, stdout: out, stderr: '', durationMs: 1 };
    },
    async dispose() {},
  };
  return b;
}

/** collect() for the memory backend: the trees of the traffic sent during `during`. */
export async function memoryCollect(backend: MeshBackend, during: () => Promise<void>): Promise<RequestTree[]> {
  await during();
  return (backend as MemoryBackend).lastTrees;
}
