// One text line per hop for the terminal flow tail:
//   istio-ingressgateway → productpage-v1  GET /productpage  200  23ms  user=jason
// ANSI colours when asked: red for 5xx and failure flags, yellow for 4xx, green for 2xx.
import { isError } from './aggregate.ts';
import { describeFlag } from './flags.ts';
import type { Hop, RequestTree, WorkloadRef } from './types.ts';

export interface FlowFilter {
  /** Matches a hop whose source or destination app/workload/service contains this text. */
  service?: string;
  /** Status class: 2, 3, 4, 5, or 0 for TCP/no response. */
  statusClass?: number;
  user?: string;
}

export interface FlowFormatOptions {
  color: boolean;
  /** Wrap flags with their long names, e.g. "UO(UpstreamOverflow)". */
  longFlags?: boolean;
}

const C = { reset: '\x1b[0m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', dim: '\x1b[2m', magenta: '\x1b[35m' };

function name(w: WorkloadRef): string {
  if (w.app && w.version) return `${w.app}-${w.version}`;
  return w.workload;
}

function paint(text: string, color: string, on: boolean): string {
  return on ? `${color}${text}${C.reset}` : text;
}

function statusColor(status: number, flags: string[]): string {
  if (isError(status, flags)) return C.red;
  if (status >= 400) return C.yellow;
  if (status >= 200 && status < 400) return C.green;
  return C.dim;
}

function flagText(flags: string[], long: boolean): string {
  return flags.map((f) => (long ? `${f}(${describeFlag(f).name})` : f)).join(',');
}

function matchesHop(h: Hop, f: FlowFilter): boolean {
  if (f.service) {
    const s = f.service.toLowerCase();
    const names = [h.from.workload, h.from.app, h.from.service, h.to.workload, h.to.app, h.to.service];
    if (!names.some((n) => n?.toLowerCase().includes(s))) return false;
  }
  if (f.statusClass !== undefined && Math.floor(h.status / 100) !== f.statusClass) return false;
  return true;
}

/** Whether a tree passes the filter (the user must match; at least one hop must match the rest). */
export function matchesFlow(tree: RequestTree, f: FlowFilter): boolean {
  if (f.user && tree.user !== f.user) return false;
  return tree.hops.some((h) => matchesHop(h, f));
}

/** One hop as a line. */
export function formatHop(h: Hop, opts: FlowFormatOptions, user: string | null = null): string {
  const parts = [
    `${paint(name(h.from), C.cyan, opts.color)} → ${paint(name(h.to), C.cyan, opts.color)}${h.mirror ? paint(' (mirror)', C.magenta, opts.color) : ''}`,
    h.method || h.path ? `${h.method ?? ''} ${h.path ?? ''}`.trim() : 'tcp',
    paint(String(h.status), statusColor(h.status, h.flags), opts.color),
    h.durationMs === null ? '-' : `${h.durationMs}ms`,
  ];
  if (h.flags.length) parts.push(paint(flagText(h.flags, opts.longFlags ?? false), C.red, opts.color));
  if (user) parts.push(paint(`user=${user}`, C.dim, opts.color));
  return parts.join('  ');
}

/** A tree as one line per hop, the first with the full chain; or a single hop. */
export function formatFlowLine(item: RequestTree | Hop, opts: FlowFormatOptions): string {
  if (!('hops' in item)) return formatHop(item, opts);
  const t = item;
  if (t.hops.length === 0) return paint(`${t.requestId}  (no hops yet)`, C.dim, opts.color);
  const chain = chainOf(t).map((n) => paint(n, C.cyan, opts.color)).join(' → ');
  const first = t.hops[0]!;
  const total = first.durationMs === null ? '-' : `${first.durationMs}ms`;
  const flags = [...new Set(t.hops.flatMap((h) => h.flags))];
  const head = [chain, paint(String(t.status), statusColor(t.status, flags), opts.color), total];
  if (flags.length) head.push(paint(flagText(flags, opts.longFlags ?? false), C.red, opts.color));
  if (t.user) head.push(paint(`user=${t.user}`, C.dim, opts.color));
  const lines = [head.join('  ')];
  for (const h of t.hops) lines.push(`  ${formatHop(h, opts)}`);
  return lines.join('\n');
}

/** The request's path through the mesh in call order: ingress → productpage → reviews-v2 → ratings. */
export function chainOf(t: RequestTree): string[] {
  if (t.hops.length === 0) return [];
  const out = [name(t.hops[0]!.from)];
  const seen = new Set(out);
  for (const h of t.hops) {
    const n = name(h.to);
    if (!seen.has(n)) {
      seen.add(n);
      out.push(n);
    }
  }
  return out;
}

/** Formats the trees that pass the filter. */
export function formatFlows(trees: RequestTree[], opts: FlowFormatOptions, filter: FlowFilter = {}): string[] {
  return trees.filter((t) => matchesFlow(t, filter)).map((t) => formatFlowLine(t, opts));
}
