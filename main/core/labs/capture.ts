// Collects the request trees produced while `during` runs: subscribe to every proxy's access log,
// run the traffic, let late lines arrive, then parse and correlate them by x-request-id.
// Same signature as the capture module's collectRequests, so either can serve the lab checks.
import type { AccessLogLine, MeshBackend } from '../backend/types.ts';
import { correlateLines, type CapturedLine } from '../capture/correlate.ts';
import { parseAccessLog } from '../capture/parser.ts';
import type { RequestTree } from '../capture/types.ts';

/** Cluster logs reach us up to about a second after the response; the sandbox emits them at once. */
const SETTLE_MS = { sandbox: 50, cluster: 1500 } as const;

export async function collectRequests(backend: MeshBackend, during: () => Promise<void>): Promise<RequestTree[]> {
  const raw: AccessLogLine[] = [];
  const off = backend.onAccessLog((l) => raw.push(l));
  try {
    await during();
    await new Promise((r) => setTimeout(r, SETTLE_MS[backend.kind]));
  } finally {
    off();
  }
  const lines: CapturedLine[] = [];
  for (const l of raw) {
    try {
      lines.push({ entry: parseAccessLog(l.line), source: l.source, receivedAt: l.receivedAt });
    } catch {
      // Not an access-log line (proxy start-up chatter): nothing to correlate.
    }
  }
  return correlateLines(lines);
}
