// The live mesh: workloads (per version) as nodes laid out by dagre, edges labelled with the
// sliding-window numbers, and a moving dot for each hop of each request as it arrives.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { layoutGraph, NODE_H, NODE_W } from './layout.ts';
import type { GraphEdge, GraphNode, Marker } from './store.ts';

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function edgeClass(e: GraphEdge): string {
  if (e.errorRate >= 0.05) return 'mesh-edge err';
  if (e.errorRate > 0) return 'mesh-edge warn';
  return 'mesh-edge';
}

export function Diagram({ nodes, edges, markers }: { nodes: GraphNode[]; edges: GraphEdge[]; markers: Marker[] }) {
  const { t } = useTranslation('mesh');
  const shape = nodes.map((n) => n.id).join('|') + '#' + edges.map((e) => e.id).join('|');
  // Re-layout only when the graph's shape changes.
  const layout = useMemo(() => layoutGraph(nodes.map((n) => n.id), edges), [shape]); // eslint-disable-line react-hooks/exhaustive-deps
  // Scale the whole canvas (SVG and marker layer together) down to the available width.
  const box = useRef<HTMLDivElement>(null);
  const [avail, setAvail] = useState(0);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setAvail(el.clientWidth));
    ro.observe(el);
    setAvail(el.clientWidth);
    return () => ro.disconnect();
  }, [nodes.length > 0]); // eslint-disable-line react-hooks/exhaustive-deps
  const scale = avail > 0 ? Math.min(1, avail / layout.width) : 1;
  if (nodes.length === 0) {
    return (
      <div className="mesh-empty muted" data-testid="mesh-empty">
        {t('empty')}
      </div>
    );
  }
  return (
    <div className="mesh-fit" ref={box} style={{ height: layout.height * scale }}>
    <div className="mesh-canvas" style={{ width: layout.width, height: layout.height, transform: `scale(${scale})` }} data-scale={scale}>
      <svg width={layout.width} height={layout.height} data-testid="mesh-diagram" role="img" aria-label={t('diagramLabel')}>
        <defs>
          <marker id="mesh-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="mesh-arrowhead" />
          </marker>
        </defs>
        {edges.map((e) => {
          const le = layout.edges.get(e.id);
          if (!le) return null;
          return (
            <g key={e.id} data-testid="mesh-edge" data-edge-id={e.id} data-count={e.count} data-error-rate={e.errorRate}>
              <path d={le.d} className={edgeClass(e)} markerEnd="url(#mesh-arrow)" style={{ strokeWidth: Math.min(6, 1.5 + Math.log2(1 + e.rps)) }} />
              <text x={le.labelX} y={le.labelY - 9} className="mesh-edge-label" textAnchor="middle">
                {`${e.rps}/s · ${pct(e.errorRate)}${e.p95 !== null ? ` · p95 ${e.p95}ms` : ''}`}
              </text>
              <text x={le.labelX} y={le.labelY + 5} className="mesh-edge-label muted" textAnchor="middle">
                {t('count', { count: e.count })}
              </text>
              {e.badges.length > 0 && (
                <text x={le.labelX} y={le.labelY + 19} className="mesh-badges" textAnchor="middle" data-testid="mesh-edge-badges">
                  {e.badges.map((b) => t(`badge.${b.split(':')[0]}`, { subset: b.split(':')[1] ?? '' })).join(' · ')}
                </text>
              )}
            </g>
          );
        })}
        {nodes.map((n) => {
          const p = layout.nodes.get(n.id);
          if (!p) return null;
          const cls = `mesh-node kind-${n.kind}${n.errorRate >= 0.05 ? ' err' : ''}`;
          return (
            <g key={n.id} className={cls} transform={`translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})`} data-testid="mesh-node" data-node-id={n.id}>
              <rect width={NODE_W} height={NODE_H} rx={8} />
              <text x={10} y={20} className="mesh-node-name">
                {n.label}
                {n.version && <tspan className="mesh-node-version">{` ${n.version}`}</tspan>}
              </text>
              <text x={10} y={38} className="mesh-node-stats">
                {n.kind === 'external' ? t('kind.external') : n.kind === 'gateway' ? t('kind.gateway') : n.count > 0 ? `${n.rps}/s · ${pct(n.errorRate)}` : ''}
              </text>
            </g>
          );
        })}
      </svg>
      <div className="mesh-markers" aria-hidden="true">
        {markers.map((m) => {
          const le = layout.edges.get(m.edgeId);
          if (!le) return null;
          return <span key={m.key} className={m.error ? 'mesh-marker err' : 'mesh-marker'} style={{ offsetPath: `path('${le.d}')`, animationDelay: `${m.delayMs}ms` }} />;
        })}
      </div>
    </div>
    </div>
  );
}
