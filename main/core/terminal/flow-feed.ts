// Feeds the flow tail tabs from the capture's `capture.requests` events: each request is printed
// once, as the capture module formats it, when it is complete (or has waited long enough for
// hops that may never arrive).
import type { EventData } from '../api/contract.ts';
import { formatFlowLine } from '../capture/flow-tail.ts';
import type { RequestTree } from '../capture/types.ts';
import type { EventBus } from '../events.ts';

const INCOMPLETE_WAIT_MS = 2000;
const REMEMBERED = 5000;

export const FLOW_TAIL_HEADER = '\x1b[2mLive flows: one line per request, then one per hop. Send traffic from the Mesh view or a lab.\x1b[0m\r\n';

export class FlowFeed {
  private readonly printed = new Set<string>();
  private readonly waiting = new Map<string, { tree: RequestTree; since: number }>();
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (text: string) => void,
    private readonly active: () => boolean,
  ) {}

  follow(bus: EventBus): () => void {
    const off = bus.on('capture.requests', (d) => this.onRequests(d));
    return () => {
      off();
      if (this.sweep) clearInterval(this.sweep);
      this.sweep = null;
    };
  }

  onRequests(d: EventData<'capture.requests'>): void {
    if (!this.active()) return;
    const out: string[] = [];
    for (const tree of d.trees as RequestTree[]) {
      if (this.printed.has(tree.requestId)) continue;
      if (tree.complete === false) {
        const w = this.waiting.get(tree.requestId);
        this.waiting.set(tree.requestId, { tree, since: w?.since ?? Date.now() });
        continue;
      }
      this.waiting.delete(tree.requestId);
      out.push(this.format(tree));
    }
    if (out.length) this.write(out.join(''));
    if (this.waiting.size && !this.sweep) {
      this.sweep = setInterval(() => this.flushStale(), 500);
      this.sweep.unref?.();
    }
  }

  private flushStale(): void {
    const now = Date.now();
    const out: string[] = [];
    for (const [id, w] of this.waiting) {
      if (now - w.since < INCOMPLETE_WAIT_MS) continue;
      this.waiting.delete(id);
      out.push(this.format(w.tree));
    }
    if (out.length && this.active()) this.write(out.join(''));
    if (this.waiting.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
  }

  private format(tree: RequestTree): string {
    this.printed.add(tree.requestId);
    if (this.printed.size > REMEMBERED) this.printed.delete(this.printed.values().next().value!);
    // Terminal line endings: the flow tail has no pty to turn \n into \r\n.
    return formatFlowLine(tree, { color: true }).replace(/\n/g, '\r\n') + '\r\n';
  }
}
