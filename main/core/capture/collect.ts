// Captures the requests a piece of work causes, for lab `check` steps: subscribe to the backend's
// access logs, run the work, wait for the trailing lines (a real cluster flushes every second and
// `kubectl logs -f` adds its own delay), then correlate.
import type { MeshBackend } from '../backend/types.ts';
import { compareStart } from './correlate.ts';
import { CapturePipeline } from './pipeline.ts';
import type { RequestTree } from './types.ts';

export interface CollectOptions {
  /** Stop waiting once no line arrived for this long. */
  quietMs?: number;
  /** Never wait longer than this after `during` finished. */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

const DEFAULTS = {
  sandbox: { quietMs: 100, maxWaitMs: 1_000 },
  cluster: { quietMs: 1_500, maxWaitMs: 6_000 },
} as const;

export async function collectRequests(backend: MeshBackend, during: () => Promise<void>, opts: CollectOptions = {}): Promise<RequestTree[]> {
  const d = DEFAULTS[backend.kind];
  const quietMs = opts.quietMs ?? d.quietMs;
  const maxWaitMs = opts.maxWaitMs ?? d.maxWaitMs;
  const pipeline = new CapturePipeline({ maxPending: 100_000 });
  let lastLineAt = Date.now();
  const unsubscribe = backend.onAccessLog((chunk) => {
    lastLineAt = Date.now();
    pipeline.ingest(chunk);
  });
  try {
    await during();
    const doneAt = Date.now();
    // The trailing lines: wait until the logs go quiet (or the cap), checking every 25 ms.
    for (;;) {
      if (opts.signal?.aborted) break;
      const now = Date.now();
      if (now - Math.max(lastLineAt, doneAt) >= quietMs || now - doneAt >= maxWaitMs) break;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    unsubscribe();
  }
  return pipeline.drain().sort((a, b) => compareStart(a.startTime, b.startTime));
}
