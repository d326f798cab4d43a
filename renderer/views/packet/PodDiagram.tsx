// The pod and its surroundings as an SVG: client, ingress gateway, network, and inside the pod the
// kernel (iptables), Envoy and the app. A dot moves to the box of the current hop (CSS transition
// on its transform) and a trail joins the boxes visited so far.
import { useTranslation } from 'react-i18next';
import type { HopView, Place } from './types.ts';

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const BOXES: Record<Place, Box> = {
  client: { x: 10, y: 150, w: 84, h: 64 },
  gateway: { x: 104, y: 150, w: 132, h: 64 },
  network: { x: 246, y: 150, w: 90, h: 64 },
  app: { x: 372, y: 44, w: 252, h: 60 },
  envoy: { x: 372, y: 128, w: 252, h: 112 },
  iptables: { x: 372, y: 264, w: 252, h: 60 },
  remote: { x: 656, y: 150, w: 96, h: 64 },
};

// The dot sits at the right edge of a box so it does not cover the box's text.
const center = (p: Place) => ({ x: BOXES[p].x + BOXES[p].w - 16, y: BOXES[p].y + BOXES[p].h / 2 });

function last(hops: HopView[], kind: HopView['kind'], upto: number, at?: Place): string | undefined {
  for (let i = upto; i >= 0; i--) if (hops[i]?.kind === kind && (!at || hops[i].at === at)) return hops[i].name;
  return undefined;
}

export function PodDiagram({ hops, step, podName }: { hops: HopView[]; step: number; podName: string }) {
  const { t } = useTranslation('packet');
  const current = hops[step];
  const visited = new Set(hops.slice(0, step + 1).map((h) => h.at));
  const trail = hops.slice(0, step + 1).map((h) => center(h.at));
  const dot = current ? center(current.at) : center('client');
  const labels: Record<Place, string> = {
    client: t('place.client'),
    gateway: t('place.gateway'),
    network: t('place.network'),
    app: t('place.app'),
    envoy: t('place.envoy'),
    iptables: t('place.iptables'),
    remote: t('place.remote'),
  };
  const envoyLines = [
    ['L', last(hops, 'listener', step, 'envoy')],
    ['R', last(hops, 'route', step, 'envoy')],
    ['C', last(hops, 'cluster', step, 'envoy')],
  ].filter((l): l is [string, string] => Boolean(l[1]));
  const gwCluster = last(hops, 'cluster', step, 'gateway');
  const rule = current?.kind === 'iptables' || current?.kind === 'redirect' || current?.kind === 'bypass' ? (current.kind === 'redirect' ? `REDIRECT → :${current.port}` : `${current.chain ?? ''}${current.index ? ` #${current.index}` : ''}`) : undefined;
  return (
    <svg className="pk-diagram" viewBox="0 0 768 340" role="img" aria-label={t('diagram')} data-testid="packet-diagram">
      <rect className="pk-pod" x={356} y={14} width={284} height={322} rx={12} />
      <text className="pk-pod-label" x={368} y={32}>
        {t('place.pod', { name: podName })}
      </text>
      {(Object.keys(BOXES) as Place[]).map((p) => {
        const b = BOXES[p];
        const cls = ['pk-box', current?.at === p ? 'pk-active' : '', visited.has(p) ? 'pk-visited' : ''].join(' ');
        return (
          <g key={p} className={cls} data-testid={`box-${p}`} data-active={current?.at === p ? 'true' : 'false'}>
            <rect x={b.x} y={b.y} width={b.w} height={b.h} rx={8} />
            <text className="pk-box-title" x={b.x + 10} y={b.y + 20}>
              {labels[p]}
            </text>
          </g>
        );
      })}
      {envoyLines.map(([k, v], i) => (
        <text key={k} className="pk-box-line" x={BOXES.envoy.x + 10} y={BOXES.envoy.y + 42 + i * 20}>
          <tspan className="pk-tag">{k}</tspan> {v.length > 38 ? `${v.slice(0, 37)}…` : v}
        </text>
      ))}
      {gwCluster && (
        <text className="pk-box-line" x={BOXES.gateway.x + 8} y={BOXES.gateway.y + 44}>
          {gwCluster.split('|').slice(-1)[0].split('.')[0]}
        </text>
      )}
      {rule && (
        <text className="pk-box-line" x={BOXES.iptables.x + 10} y={BOXES.iptables.y + 44}>
          {rule}
        </text>
      )}
      <polyline className="pk-trail" points={trail.map((c) => `${c.x},${c.y}`).join(' ')} />
      <circle className={`pk-dot pk-dot-${current?.kind ?? 'none'}`} r={9} cx={0} cy={0} style={{ transform: `translate(${dot.x}px, ${dot.y}px)` }} data-testid="packet-dot" data-at={current?.at ?? ''} />
    </svg>
  );
}
