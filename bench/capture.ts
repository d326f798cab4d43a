// Capture figures: ingest rate on one core (the parser alone; parse + correlate + aggregate with a
// small pending window; the capture service itself at full speed, its own timers running, each
// run until every request it started is complete; a cluster's pod log streams split into lines
// before the service, and both together);
// request→diagram latency in Chromium (line received by the core → request row in the DOM);
// renderer heap while 1 M requests flow through the same event path as live capture
// (MESHWALK_BENCH_REQUESTS sets a smaller count for a quick run).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { parseManifestText } from '../main/core/manifests.ts';
import { projectRoot } from '../main/core/paths.ts';
import { lineChunk, linesOf } from '../main/core/backend/access-log.ts';
import type { AccessLogChunk, AccessLogLine, AccessLogSource, MeshBackend } from '../main/core/backend/types.ts';
import type { RequestTree } from '../main/core/capture/types.ts';
import { parseAccessLog } from '../main/core/capture/parser.ts';
import { CapturePipeline } from '../main/core/capture/pipeline.ts';
import { CaptureService } from '../main/core/capture/service.ts';
import { LogLines } from '../main/core/cluster/log-lines.ts';
import { tuneHeapForCapture } from '../main/core/capture/heap.ts';
import { EventBus } from '../main/core/events.ts';
import { bookinfoRequest } from '../test/capture/bookinfo-lines.ts';
// What the app's core process loads (web mode: the core and its server), so that the ingest
// figures run in a heap like the app's (~52 MB). The Chromium harness (playwright, ~35 MB more,
// which slowed the service by a sixth in alternating runs) is loaded after them.
import '../main/core/index.ts';
import '../main/web/server.ts';
import type { AppHarness } from '../test/e2e/harness.ts';

type Figures = Record<string, number | string>;

/** A series of timed runs: CPU ms of the median and the best, and the median's GC share. */
interface Timed {
  median: number;
  best: number;
  gcPausePct: number;
}

/**
 * One run: CPU milliseconds of this process (every thread: GC helpers count), and the share of
 * it the main thread spent paused for garbage collection (the helpers' share is not in that).
 */
async function measureRun(fn: () => void | Promise<void>): Promise<{ cpu: number; gcPausePct: number }> {
  let gc = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const c = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(c);
  // GC entries are delivered from a timer.
  await new Promise((r) => setTimeout(r, 0));
  observer.disconnect();
  const cpu = (d.user + d.system) / 1000;
  return { cpu, gcPausePct: (gc / cpu) * 100 };
}

/** A pod's chunk of lines as its log stream delivers it: bytes, and the lines they hold. */
interface PodChunk {
  source: AccessLogSource;
  bytes: Buffer;
  lines: number;
}

/**
 * The capture service as the app runs it, on a stand-in backend, for a series of runs: the same
 * service throughout, as it runs for hours in a workshop.
 */
function benchService() {
  const listeners = new Set<(c: AccessLogChunk) => void>();
  // Only what the service uses of a backend: its kind and its access-log lines.
  const backend = {
    kind: 'sandbox',
    onAccessLog: (fn: (c: AccessLogChunk) => void) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  } as unknown as MeshBackend;
  const service = new CaptureService(new EventBus(), { current: async () => backend, onChange: () => () => undefined });
  service.attach(backend);
  const emit = (c: AccessLogChunk) => {
    for (const fn of listeners) fn(c);
  };
  return {
    /**
     * One run, fed as fast as the service takes lines: `deliver` hands it each chunk, stamped with
     * the wall clock on arrival, the event loop turning every few chunks (about a thousand lines)
     * so that the service's own timers run (75 ms flush, the sandbox's 300 ms settle window). The
     * run ends once every request it started is complete, counted and its batch sent.
     */
    async run<T>(chunks: T[], deliver: (chunk: T, emit: (c: AccessLogChunk) => void) => void): Promise<void> {
      let n = 0;
      for (const chunk of chunks) {
        deliver(chunk, emit);
        if (++n % 4 === 0) await new Promise((r) => setImmediate(r));
      }
      while (service.diagnostics().pending > 0) await new Promise((r) => setTimeout(r, 25));
      service.flushRequests();
    },
    dispose: () => service.dispose(),
  };
}

/** `times()` of one service's runs. */
async function serviceRuns(runs: (svc: ReturnType<typeof benchService>) => Promise<void>, times: (fn: () => Promise<void>, count: number) => Promise<Timed>): Promise<Timed> {
  const svc = benchService();
  try {
    return await times(() => runs(svc), 9);
  } finally {
    svc.dispose();
  }
}

/**
 * Runs `fn` with every thread of this process (the collector's and the compiler's helpers too)
 * on one CPU: lines per CPU-second are then lines per second of one core. Unpinned, the helpers
 * run beside the main thread on other cores, and their parallel work costs more CPU in all
 * (the figure unpinned is reported too). Linux with `taskset` only; null elsewhere.
 */
async function onOneCore<T>(fn: () => Promise<T>): Promise<T | null> {
  const taskset = (args: string[]) => spawnSync('taskset', args, { encoding: 'utf8' });
  const was = process.platform === 'linux' ? /mask: ([0-9a-f]+)/.exec(taskset(['-p', String(process.pid)]).stdout ?? '')?.[1] : undefined;
  if (!was) return null;
  const mask = BigInt(`0x${was}`);
  const cpu = mask.toString(2).length - 1; // the highest CPU this process may use
  if (taskset(['-a', '-p', '-c', String(cpu), String(process.pid)]).status !== 0) return null;
  try {
    return await fn();
  } finally {
    taskset(['-a', '-p', was, String(process.pid)]);
  }
}

/**
 * Runs `fn` as the app runs (the packaged app and `npm run web`): without the development-time
 * check of every emitted event against the contract, which would measure zod.
 */
async function asTheAppRuns<T>(fn: () => Promise<T>): Promise<T> {
  const prev = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    return await fn();
  } finally {
    if (prev === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = prev;
  }
}

/** Consecutive runs of `items` of at most 64 KiB each (`size` of an item), as a socket delivers a stream. */
function in64KiB<T>(items: T[], size: (x: T) => number): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; ) {
    let end = i;
    for (let total = 0; end < items.length && total + size(items[end]!) <= 64 * 1024; end++) total += size(items[end]!);
    runs.push(items.slice(i, end));
    i = end;
  }
  return runs;
}

/**
 * The lines as the cluster backend reads them: each pod's log followed on its own stream, in
 * chunks of up to 64 KiB (Envoy writes its access log through a 64 KiB buffer), each chunk
 * delivered once its last line was written: chunks of all pods in that order. `timestamps`: with
 * the kubelet's RFC3339Nano timestamp (trailing zeros trimmed) before each line, as the API server
 * sends them; without, as LogLines hands them on.
 */
function podLogStreams(lines: AccessLogLine[], timestamps: boolean): PodChunk[] {
  const byPod = new Map<string, { source: AccessLogSource; lines: { text: string; at: number }[] }>();
  let lastMs = -1;
  let seq = 0;
  lines.forEach((l, at) => {
    seq = l.receivedAt === lastMs ? seq + 1 : 0;
    lastMs = l.receivedAt;
    const ts = `${new Date(l.receivedAt).toISOString().slice(0, 23)}${String(seq).padStart(6, '0')}`.replace(/\.?0+$/, '');
    let pod = byPod.get(l.source.pod);
    if (!pod) byPod.set(l.source.pod, (pod = { source: l.source, lines: [] }));
    pod.lines.push({ text: timestamps ? `${ts}Z ${l.line}\n` : `${l.line}\n`, at });
  });
  const chunks: (PodChunk & { at: number })[] = [];
  for (const pod of byPod.values()) {
    for (const run of in64KiB(pod.lines, (l) => Buffer.byteLength(l.text))) {
      const last = run.at(-1)!.at;
      chunks.push({ source: pod.source, bytes: Buffer.from(run.map((l) => l.text).join('')), lines: run.length, at: last });
    }
  }
  return chunks.sort((a, b) => a.at - b.at).map(({ at: _, ...c }) => c);
}

/** The bench's traffic: 40,000 Bookinfo requests, ~293k lines (the same every call). */
function benchLines(): AccessLogLine[] {
  const versions = ['v1', 'v2', 'v3'] as const;
  const lines: AccessLogLine[] = [];
  const t0 = Date.parse('2026-11-25T07:00:00Z');
  for (let i = 0; i < 40_000; i++) lines.push(...bookinfoRequest(`bench-${i}`, versions[i % 3]!, { start: new Date(t0 + i * 5), receivedAt: t0 + i * 5 + 20 }));
  return lines;
}

export async function ingest(): Promise<Figures> {
  tuneHeapForCapture(); // as the app's core does at start-up
  // Per core: CPU time of this process, not wall time (other processes share the machine). Warm
  // up the JIT, then time five runs (nine for the service, whose runs vary most here): the median
  // is the figure, the best shows the spread.
  const times = async (fn: () => void | Promise<void>, count = 5): Promise<Timed> => {
    await fn();
    const runs: { cpu: number; gcPausePct: number }[] = [];
    for (let r = 0; r < count; r++) runs.push(await measureRun(fn));
    runs.sort((a, b) => a.cpu - b.cpu);
    const median = runs[count >> 1]!;
    return { median: median.cpu, best: runs[0]!.cpu, gcPausePct: median.gcPausePct };
  };
  // Capacity: lines pile up between the 75 ms flushes and for the settle window (held as bytes
  // outside the JS heap), and requests complete in bursts of thousands. Each pod's lines come in
  // chunks of up to 64 KiB, as its log stream's socket delivers them.
  // The service first, in a heap that holds what the app's core would: its input is bytes outside
  // the heap. The lines as strings, ~150–600 MB of heap (a line is built as a tree of
  // concatenated pieces until first read), are made again for the other figures: every major GC
  // during the service's runs marked all of it, and with 600 MB live runs took up to three times
  // as long.
  let streams = podLogStreams(benchLines(), false);
  let stamped = podLogStreams(benchLines(), true);
  const lineCount = streams.reduce((n, c) => n + c.lines, 0);
  const handOn = (c: PodChunk, emit: (c: AccessLogChunk) => void) => emit({ source: c.source, bytes: c.bytes, receivedAt: Date.now() });
  const service = await asTheAppRuns(() => serviceRuns((svc) => svc.run(streams, handOn), times));
  const oneCore = await onOneCore(() => asTheAppRuns(() => serviceRuns((svc) => svc.run(streams, handOn), times)));
  // The cluster path whole: each pod's stream read by LogLines (timestamps stripped, in place: each
  // chunk is copied first, as a socket read gives a fresh buffer), then the service. Each run's
  // streams are new ones (the same lines again would be dropped as a resume's repeats).
  const clusterPath = await onOneCore(() =>
    asTheAppRuns(() =>
      serviceRuns((svc) => {
        const readers = new Map<AccessLogSource, LogLines>();
        return svc.run(stamped, (c, emit) => {
          let reader = readers.get(c.source);
          if (!reader) readers.set(c.source, (reader = new LogLines()));
          reader.push(Buffer.from(c.bytes), (bytes) => emit({ source: c.source, bytes, receivedAt: Date.now() }));
        });
      }, times),
    ),
  );
  // LogLines alone: what the cluster path adds before the service. Its output must be the lines
  // without their timestamps, every one of them.
  const plainBytes = streams.reduce((n, c) => n + c.bytes.length, 0);
  let handed = 0;
  const logStream = await times(() => {
    handed = 0;
    const readers = new Map<AccessLogSource, LogLines>();
    for (const c of stamped) {
      let reader = readers.get(c.source);
      if (!reader) readers.set(c.source, (reader = new LogLines()));
      reader.push(Buffer.from(c.bytes), (b) => void (handed += b.length));
    }
  });
  if (handed !== plainBytes) throw new Error(`log streams handed on ${handed} bytes of ${plainBytes}`);
  stamped = [];
  const lines = benchLines();
  if (lines.length !== lineCount) throw new Error(`pod chunks hold ${lineCount} lines of ${lines.length}`);
  const texts = lines.map((l) => l.line);
  const parse = await times(() => {
    for (const t of texts) parseAccessLog(t);
  });
  // A workshop's traffic: few requests pending, each line a chunk of its own as the sandbox sends
  // them, settled every 2,000 lines (the lines' own clock, 50 ms settle), about what the service
  // holds at ~5k lines/s (300 ms settle + 75 ms flush). The cost per line while requests stay few,
  // every request built into a tree; not the service's capacity.
  const one = lines.map(lineChunk);
  const pipe = await times(() => {
    const p = new CapturePipeline({ settleMs: 50, maxPending: 20_000 });
    let n = 0;
    for (const c of one) {
      p.ingest(c);
      if (++n % 2_000 === 0) {
        p.settle(c.receivedAt, () => undefined);
        p.takeDirty(400);
      }
    }
    p.drain();
  });
  streams = [];
  const rate = (ms: number) => Math.round((lineCount / ms) * 1000);
  return {
    'ingest.lines': lines.length,
    'ingest.parse of in-memory lines, lines per CPU-second, median': rate(parse.median),
    'ingest.parse of in-memory lines, best': rate(parse.best),
    'ingest.parse+correlate+aggregate of in-memory lines, a chunk each, 2,000-line window, lines per CPU-second, median': rate(pipe.median),
    'ingest.parse+correlate+aggregate, 2,000-line window, best': rate(pipe.best),
    'ingest.parse+correlate+aggregate, 2,000-line window, main-thread GC pauses % of its CPU (median run)': Math.round(pipe.gcPausePct),
    ...(oneCore
      ? {
          'ingest.capture service at full speed on one core (every thread on one CPU), lines per second, median (target ≥ 500k)': rate(oneCore.median),
          'ingest.capture service at full speed on one core, best': rate(oneCore.best),
        }
      : { 'ingest.capture service at full speed on one core': 'not measured: needs Linux and taskset' }),
    'ingest.capture service at full speed, threads on any CPU, lines per CPU-second of all threads, median': rate(service.median),
    'ingest.capture service at full speed, threads on any CPU, best': rate(service.best),
    // What holding requests still costs: pending ones, and the trees kept for the views.
    'ingest.capture service at full speed, threads on any CPU, main-thread GC pauses % of its CPU (median run)': Math.round(service.gcPausePct),
    'ingest.cluster pod log streams (split, kubelet timestamps, resume check), lines per CPU-second, median': rate(logStream.median),
    ...(clusterPath
      ? { 'ingest.cluster path on one core: pod log streams, then the capture service, lines per second, median': rate(clusterPath.median) }
      : {}),
    'ingest.verdict': oneCore === null ? 'not measured on one core' : rate(oneCore.median) >= 500_000 ? 'meets target' : 'below target',
  };
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
}

async function watchRows(app: AppHarness): Promise<void> {
  // Record when each request row first appears in the DOM (same clock as the core: one machine).
  await app.page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    new MutationObserver(() => {
      const now = Date.now();
      for (const el of document.querySelectorAll('[data-request-id]')) {
        const id = el.getAttribute('data-request-id')!;
        if (!(id in seen)) seen[id] = now;
      }
    }).observe(document.body, { subtree: true, childList: true });
  });
}

async function latency(app: AppHarness): Promise<Figures> {
  const backend = await app.core.ctx.backends.current().catch(() => null);
  await watchRows(app);
  const firstLine = new Map<string, number>();
  const samples = 100;
  if (backend) {
    // The real path: sandbox emits lines → capture service → WebSocket → view.
    await backend.apply(parseManifestText(readFileSync(path.join(projectRoot, 'assets/manifests/bookinfo-gateway.yaml'), 'utf8'), 'bookinfo-gateway.yaml'));
    const off = backend.onAccessLog((chunk) => {
      for (const l of linesOf(chunk)) {
        try {
          const id = parseAccessLog(l.line).requestId;
          if (id && !firstLine.has(id)) firstLine.set(id, l.receivedAt);
        } catch {
          // counted by the service
        }
      }
    });
    try {
      for (let i = 0; i < samples; i++) {
        await backend.sendTraffic({ from: 'ingressgateway', method: 'GET', url: 'http://istio-ingressgateway.istio-system/productpage', headers: {}, count: 1, concurrency: 1, qps: 0 });
        await new Promise((r) => setTimeout(r, 60));
      }
      // Late rows still count (a busy machine delays them); they show in the tail of the figures.
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      off();
    }
  } else {
    // No sandbox in this build: time the event path alone (emit → DOM), without the 75 ms batching.
    for (let i = 0; i < samples; i++) {
      const id = `lat-${i}`;
      const now = Date.now();
      firstLine.set(id, now);
      app.core.events.emit('capture.requests', { emittedAt: now, trees: [leanTree(id, i)] });
      await new Promise((r) => setTimeout(r, 60));
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const seen = await app.page.evaluate(() => (window as unknown as { __seen: Record<string, number> }).__seen);
  const lat = [...firstLine].filter(([id]) => id in seen).map(([id, at]) => seen[id]! - at);
  return {
    'latency.path': backend ? 'sandbox line → DOM row' : 'event emit → DOM row (sandbox unavailable)',
    'latency.samples': lat.length,
    'latency.p50 ms': percentile(lat, 0.5),
    'latency.p95 ms (target < 250)': percentile(lat, 0.95),
  };
}

function leanTree(id: string, i: number): RequestTree {
  const ref = (app: string, version: string | null, ns: string | null = 'default') => ({ workload: version ? `${app}-${version}` : app, app, version, namespace: ns, service: app });
  const v = ['v1', 'v2', 'v3'][i % 3]!;
  const hop = (from: ReturnType<typeof ref>, to: ReturnType<typeof ref>, path: string, ms: number) => ({ from, to, startTime: null, status: 200, flags: [], durationMs: ms, cluster: `outbound|9080||${to.app}.default.svc.cluster.local`, path, method: 'GET', connection: null });
  return {
    requestId: id,
    startTime: new Date().toISOString(),
    user: null,
    status: 200,
    receivedAt: Date.now(),
    complete: true,
    hops: [
      hop(ref('istio-ingressgateway', null, 'istio-system'), ref('productpage', 'v1'), '/productpage', 30),
      hop(ref('productpage', 'v1'), ref('details', 'v1'), '/details/0', 3),
      hop(ref('productpage', 'v1'), ref('reviews', v), '/reviews/0', 15),
    ],
  };
}

async function heap(app: AppHarness, total = 1_000_000, batch = 5_000): Promise<Figures> {
  const cdp = await app.page.context().newCDPSession(app.page);
  const usedMb = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    return Math.round((h.usedSize / 1048576) * 10) / 10;
  };
  const figures: Figures = {};
  const marks = new Set([100_000, 250_000, 500_000, total].map((m) => Math.ceil(m / batch) * batch));
  const started = performance.now();
  await app.page.getByTestId('mesh-clear').click();
  figures['heap.start MB'] = await usedMb();
  let sent = 0;
  while (sent < total) {
    const trees: RequestTree[] = [];
    for (let i = 0; i < batch; i++) trees.push(leanTree(`heap-${sent + i}`, sent + i));
    sent += batch;
    app.core.events.emit('capture.requests', { emittedAt: Date.now(), trees });
    // Back-pressure: wait until the view has drawn this batch's newest request.
    await app.page.locator(`[data-request-id="heap-${sent - 1}"]`).waitFor({ state: 'attached', timeout: 60_000 });
    if (marks.has(sent)) figures[`heap.after ${sent.toLocaleString('en-US')} MB`] = await usedMb();
  }
  figures['heap.requests/s through the view'] = Math.round(total / ((performance.now() - started) / 1000));
  const start = figures['heap.start MB'] as number;
  const end = figures[`heap.after ${total.toLocaleString('en-US')} MB`] as number;
  const mid = figures['heap.after 100,000 MB'] as number;
  const label = total >= 1_000_000 ? `${total / 1_000_000}M` : `${total / 1000}k`;
  if (total > 100_000) figures[`heap.growth 100k→${label} MB (target: flat)`] = Math.round((end - mid) * 10) / 10;
  figures[`heap.growth start→${label} MB`] = Math.round((end - start) * 10) / 10;
  return figures;
}

export async function run(): Promise<Figures> {
  const figures: Figures = { ...(await ingest()) };
  const { chromiumMissingReason, startApp } = await import('../test/e2e/harness.ts');
  const skip = chromiumMissingReason();
  if (skip) return { ...figures, 'chromium figures': `skipped: ${skip}` };
  const app = await startApp({ backend: 'sandbox', viewport: { width: 1280, height: 800 } });
  try {
    await app.page.getByTestId('nav-mesh').click();
    await app.page.getByTestId('mesh-view').waitFor();
    await asTheAppRuns(async () => {
      Object.assign(figures, await latency(app));
      Object.assign(figures, await heap(app, Number(process.env.MESHWALK_BENCH_REQUESTS ?? 1_000_000)));
    });
  } finally {
    await app.close();
  }
  return figures;
}
