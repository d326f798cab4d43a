// Lays the mesh out left to right with dagre (clients and gateways on the left, leaves on the
// right). Layout only changes when the set of nodes or edges changes, not with every number.
import dagre from '@dagrejs/dagre';

export const NODE_W = 168;
export const NODE_H = 50;

export interface LayoutNode {
  id: string;
  x: number;
  y: number;
}

export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
  /** SVG path through dagre's control points. */
  d: string;
  /** Where the edge label goes. */
  labelX: number;
  labelY: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, LayoutNode>;
  edges: Map<string, LayoutEdge>;
}

function pathOf(points: { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  const [p0, ...rest] = points;
  if (rest.length === 0) return `M${p0!.x},${p0!.y}`;
  // A smooth curve through the points: quadratic segments between midpoints.
  let d = `M${p0!.x.toFixed(1)},${p0!.y.toFixed(1)}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const c = rest[i]!;
    const n = rest[i + 1]!;
    d += ` Q${c.x.toFixed(1)},${c.y.toFixed(1)} ${((c.x + n.x) / 2).toFixed(1)},${((c.y + n.y) / 2).toFixed(1)}`;
  }
  const last = rest[rest.length - 1]!;
  d += ` L${last.x.toFixed(1)},${last.y.toFixed(1)}`;
  return d;
}

export function layoutGraph(nodeIds: string[], edges: { id: string; from: string; to: string }[]): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 24, edgesep: 16, ranksep: 60, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of nodeIds) g.setNode(id, { width: NODE_W, height: NODE_H });
  for (const e of edges) {
    if (e.from === e.to) continue;
    // Room for the three label lines (numbers, count, badges) so they do not sit on other edges.
    g.setEdge(e.from, e.to, { width: 150, height: 46, labelpos: 'c' }, e.id);
  }
  dagre.layout(g);
  const nodes = new Map<string, LayoutNode>();
  for (const id of nodeIds) {
    const n = g.node(id);
    if (n) nodes.set(id, { id, x: n.x ?? 0, y: n.y ?? 0 });
  }
  const out = new Map<string, LayoutEdge>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    const le = g.edge({ v: e.from, w: e.to, name: e.id });
    const points = (le?.points ?? []) as { x: number; y: number }[];
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    out.set(e.id, { id: e.id, from: e.from, to: e.to, d: pathOf(points), labelX: le?.x ?? mid.x, labelY: le?.y ?? mid.y });
  }
  const graph = g.graph();
  return { width: Math.max(200, graph.width ?? 0), height: Math.max(120, graph.height ?? 0), nodes, edges: out };
}
