// Toolchain figures: what the runner adds on top of a bare spawn (line splitting, transcript
// events, process-group bookkeeping), how fast a long command's output streams through it, and
// how fast minikube CloudEvents and stalled pods are interpreted.
import { execa } from 'execa';
import { EventBus } from '../main/core/events.ts';
import { Runner } from '../main/core/toolchain/runner.ts';
import { parseCloudEvent } from '../main/core/cluster/minikube.ts';
import { explainPods, type PodJson } from '../main/core/cluster/diagnose.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => Promise<unknown>, rounds: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

export async function run(): Promise<Record<string, number | string>> {
  const events = new EventBus();
  let outputs = 0;
  events.on('transcript.output', () => outputs++);
  const runner = new Runner(events);
  const node = process.execPath;

  const bare = await time(() => execa(node, ['-e', '0']), 10);
  const viaRunner = await time(() => runner.run(node, ['-e', '0']), 10);

  // 100k lines of access-log-sized text through the runner and the transcript.
  const LINES = 100_000;
  const script = `const l='[2026-11-24T10:00:00.120Z] "GET /reviews/0 HTTP/1.1" 200 - via_upstream - "-" 0 358 7 6 "-" "curl/8" "id" "reviews:9080" "10.244.0.12:9080"\\n';let s='';for(let i=0;i<${LINES};i++)s+=l;process.stdout.write(s)`;
  outputs = 0;
  const s = performance.now();
  await runner.run(node, ['-e', script], { maxBuffer: 1024 });
  const streamMs = performance.now() - s;
  if (outputs !== LINES) throw new Error(`expected ${LINES} transcript lines, got ${outputs}`);

  const ev = '{"specversion":"1.0","id":"x","source":"https://minikube.sigs.k8s.io/","type":"io.k8s.sigs.minikube.step","datacontenttype":"application/json","data":{"currentstep":"5","message":"🚜  Pulling base image ...","name":"Pulling Base Image","totalsteps":"19"}}';
  const N = 100_000;
  let t = performance.now();
  for (let i = 0; i < N; i++) parseCloudEvent(ev);
  const eventsPerSec = N / ((performance.now() - t) / 1000);

  const pods: PodJson[] = Array.from({ length: 1000 }, (_, i) => ({
    metadata: { name: `p-${i}`, namespace: 'default' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: 1 Insufficient cpu.' }] },
  }));
  t = performance.now();
  explainPods(pods, []);
  const diagnoseMs = performance.now() - t;

  return {
    'spawn bare execa (ms, median of 10)': Math.round(bare * 10) / 10,
    'spawn via runner (ms, median of 10)': Math.round(viaRunner * 10) / 10,
    'runner streaming (lines/s, 100k lines with transcript events)': Math.round(LINES / (streamMs / 1000)),
    'minikube CloudEvents parsed (events/s)': Math.round(eventsPerSec),
    'diagnose 1000 stalled pods (ms)': Math.round(diagnoseMs * 10) / 10,
  };
}
