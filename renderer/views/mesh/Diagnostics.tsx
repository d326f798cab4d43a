// Lines received / not parsed, and how far behind the view is (core ingest and on-screen).
import { useTranslation } from 'react-i18next';
import type { CaptureDiagnostics } from '../../../main/core/api/capture.ts';

export function Diagnostics({ d, view }: { d: CaptureDiagnostics | null; view: { p50: number | null; p95: number | null; samples: number } }) {
  const { t } = useTranslation('mesh');
  const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);
  return (
    <details className="mesh-diagnostics" data-testid="mesh-diagnostics">
      <summary>
        {t('diag.title')}
        {d && d.unparsed > 0 && <span className="warn-text"> · {t('diag.unparsedShort', { count: d.unparsed })}</span>}
      </summary>
      <dl className="mesh-diag-grid">
        <dt>{t('diag.received')}</dt>
        <dd data-testid="diag-received">{d?.received ?? 0}</dd>
        <dt>{t('diag.unparsed')}</dt>
        <dd data-testid="diag-unparsed">{d?.unparsed ?? 0}</dd>
        <dt>{t('diag.pending')}</dt>
        <dd>{d?.pending ?? 0}</dd>
        <dt>{t('diag.ingest')}</dt>
        <dd>
          p50 {ms(d?.ingestLatencyMs.p50 ?? null)} · p95 {ms(d?.ingestLatencyMs.p95 ?? null)} · max {ms(d?.ingestLatencyMs.max ?? null)}
        </dd>
        <dt>{t('diag.view')}</dt>
        <dd data-testid="diag-view-latency">
          p50 {ms(view.p50)} · p95 {ms(view.p95)} ({view.samples})
        </dd>
      </dl>
      {d && d.errors.length > 0 && (
        <>
          <h4>{t('diag.lastErrors')}</h4>
          <ul className="mesh-diag-errors">
            {d.errors.map((e, i) => (
              <li key={i}>
                <span className="muted">{e.pod}</span> — {e.error}
                <pre>{e.line}</pre>
              </li>
            ))}
          </ul>
        </>
      )}
    </details>
  );
}
