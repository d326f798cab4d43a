// One request's hop tree with every hop's details, response flags spelled out.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context.tsx';
import { describeFlag } from '../../../main/core/capture/flags.ts';
import type { AccessLogEntry, Hop, RequestTree, WorkloadRef } from '../../../main/core/capture/types.ts';

/** Parsed lines by their text; a line missing here is not parsed yet (or could not be). */
type LineFields = ReadonlyMap<string, AccessLogEntry | null>;

function name(w: WorkloadRef): string {
  return w.app && w.version ? `${w.app} ${w.version}` : w.workload;
}

function depthOf(tree: RequestTree): number[] {
  // A hop's depth: one more than the hop that called its client.
  const depth: number[] = [];
  tree.hops.forEach((h, i) => {
    const parent = tree.hops.findIndex((p, j) => j < i && p.to.workload === h.from.workload);
    depth.push(parent === -1 ? 0 : depth[parent]! + 1);
  });
  return depth;
}

/**
 * The fields of the tree's lines, parsed by the core (the parser runs there, over the lines' bytes):
 * asked for when a tree is shown, and again as it grows.
 */
function useLineFields(tree: RequestTree): LineFields {
  const api = useApi();
  const [fields, setFields] = useState<LineFields>(new Map());
  useEffect(() => {
    const lines = [...new Set(tree.hops.flatMap((h) => [h.outboundLine, h.inboundLine]).filter((l): l is string => !!l))];
    let current = true;
    api.call('capture.parseLines', { lines }).then(
      ({ entries }) => current && setFields(new Map(lines.map((l, i) => [l, entries[i] ?? null]))),
      // The raw lines are shown anyway; their fields are an explanation of them.
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api, tree]);
  return fields;
}

/** One proxy's side of a hop: its access-log line as written, and the fields that explain it. */
function Side({ title, line, fields }: { title: string; line: string | undefined; fields: LineFields }) {
  const { t } = useTranslation('mesh');
  if (!line) return null;
  const e = fields.get(line);
  const rows: [string, string | number | null][] = !e ? [] : [
    [t('field.details'), e.responseCodeDetails],
    [t('field.upstreamHost'), e.upstreamHost],
    [t('field.cluster'), e.upstreamCluster?.raw ?? null],
    [t('field.route'), e.routeName],
    [t('field.local'), e.downstreamLocalAddress],
    [t('field.remote'), e.downstreamRemoteAddress],
    [t('field.upstreamLocal'), e.upstreamLocalAddress],
    [t('field.sni'), e.requestedServerName],
    [t('field.duration'), e.durationMs],
    [t('field.serviceTime'), e.upstreamServiceTimeMs],
  ];
  return (
    <div className="mesh-side">
      <h4>{title}</h4>
      <pre className="mesh-raw-line" data-testid="mesh-raw-line">
        <code>{line.trim()}</code>
      </pre>
      <dl>
        {rows
          .filter(([, v]) => v !== null)
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>
                <code>{String(v)}</code>
              </dd>
            </div>
          ))}
      </dl>
    </div>
  );
}

function HopRow({ hop, depth, fields }: { hop: Hop; depth: number; fields: LineFields }) {
  const { t } = useTranslation('mesh');
  return (
    <li className="mesh-hop" style={{ marginLeft: `${depth * 1.2}rem` }} data-testid="mesh-hop">
      <div className="mesh-hop-head">
        <strong>{name(hop.from)}</strong> → <strong>{name(hop.to)}</strong>
        <span className={hop.status >= 500 || hop.flags.length ? 'error-text' : ''}> {hop.status}</span>
        <span className="muted"> {hop.method ?? 'tcp'} {hop.path ?? ''} · {hop.durationMs ?? '-'}ms</span>
        {hop.mirror && <span className="mesh-badge">{t('badge.mirror')}</span>}
      </div>
      {hop.flags.length > 0 && (
        <ul className="mesh-flag-list">
          {hop.flags.map((f) => {
            const info = describeFlag(f);
            return (
              <li key={f}>
                <code>{f}</code> {info.name} — {t(`flag.${f}`, { defaultValue: info.meaning })}
              </li>
            );
          })}
        </ul>
      )}
      <details>
        <summary>{t('hopDetails')}</summary>
        <div className="mesh-sides">
          <Side title={t('outboundSide', { who: name(hop.from) })} line={hop.outboundLine} fields={fields} />
          <Side title={t('inboundSide', { who: name(hop.to) })} line={hop.inboundLine} fields={fields} />
        </div>
      </details>
    </li>
  );
}

export function RequestDetail({ tree, onClose }: { tree: RequestTree; onClose: () => void }) {
  const { t } = useTranslation('mesh');
  const depth = depthOf(tree);
  const fields = useLineFields(tree);
  return (
    <section className="mesh-detail" data-testid="mesh-detail" aria-label={t('detailTitle')}>
      <header>
        <h3>{t('detailTitle')}</h3>
        <button onClick={onClose}>{t('close')}</button>
      </header>
      <p className="muted">
        <code>{tree.requestId}</code> · {tree.startTime ?? '-'} {tree.user ? `· ${t('user', { user: tree.user })}` : ''}
        {tree.complete === false ? ` · ${t('inProgress')}` : ''}
      </p>
      <ol className="mesh-hops">
        {tree.hops.map((h, i) => (
          <HopRow key={i} hop={h} depth={depth[i] ?? 0} fields={fields} />
        ))}
      </ol>
    </section>
  );
}
