// Before/after counts of a proxy's configuration under a Sidecar that limits its egress hosts.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context.tsx';
import { CoreError } from '../../api/client.ts';
import type { CountsResult, ScopeResult } from './types.ts';

const ROWS = ['listeners', 'clusters', 'routes', 'virtualHosts', 'endpoints', 'bytes'] as const;

export function SidecarPanel({ pod }: { pod: { namespace: string; name: string } | null }) {
  const { t } = useTranslation('packet');
  const api = useApi();
  const [hosts, setHosts] = useState('./*, istio-system/*');
  const [result, setResult] = useState<ScopeResult | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // Live measurements of the proxy's real config: take one, apply a Sidecar, take another.
  const [measured, setMeasured] = useState<CountsResult[]>([]);
  const measure = async () => {
    if (!pod) return;
    setError(null);
    try {
      const m = await api.call('packet.configCounts', { pod });
      setMeasured((prev) => [...prev, m].slice(-2));
    } catch (e) {
      setError({ message: (e as Error).message, ...(e instanceof CoreError && e.fix ? { fix: e.fix } : {}) });
    }
  };
  const run = async () => {
    if (!pod) return;
    setBusy(true);
    setError(null);
    try {
      const egressHosts = hosts.split(',').map((h) => h.trim()).filter(Boolean);
      setResult(await api.call('packet.sidecarScope', { pod, egressHosts }));
    } catch (e) {
      setError({ message: (e as Error).message, ...(e instanceof CoreError && e.fix ? { fix: e.fix } : {}) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="pk-scope" data-testid="scope-panel">
      <h2>{t('scope.title')}</h2>
      <p className="muted">{t('scope.intro')}</p>
      <div className="pk-scope-controls">
        <label>
          {t('scope.hosts')}
          <input data-testid="scope-hosts" value={hosts} onChange={(e) => setHosts(e.target.value)} spellCheck={false} />
        </label>
        <button type="button" data-testid="scope-run" disabled={!pod || busy} onClick={() => void run()}>
          {t('scope.run')}
        </button>
        <button type="button" data-testid="scope-measure" disabled={!pod} onClick={() => void measure()}>
          {t('scope.measure')}
        </button>
      </div>
      {measured.length > 0 && (
        <table className="pk-scope-table" data-testid="scope-measured">
          <thead>
            <tr>
              <th>{t('scope.live')}</th>
              {measured.map((m) => (
                <th key={m.at}>{new Date(m.at).toLocaleTimeString()}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ROWS.map((r) => (
              <tr key={r}>
                <th>{t(`scope.row.${r}`)}</th>
                {measured.map((m, i) => (
                  <td key={m.at} className={i === 1 && m[r] < measured[0][r] ? 'pk-less' : ''}>
                    {m[r].toLocaleString()}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && (
        <p className="pk-error" role="alert">
          {error.message}
          {error.fix && <span className="muted"> — {error.fix}</span>}
        </p>
      )}
      {result && (
        <div data-testid="scope-result">
          <table className="pk-scope-table">
            <thead>
              <tr>
                <th />
                <th>{t('scope.before')}</th>
                <th>{t('scope.after')}</th>
              </tr>
            </thead>
            <tbody>
              {ROWS.map((r) => (
                <tr key={r}>
                  <th>{t(`scope.row.${r}`)}</th>
                  <td>{result.before[r].toLocaleString()}</td>
                  <td className={result.after[r] < result.before[r] ? 'pk-less' : ''}>{result.after[r].toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>{t('scope.memory', { kib: Math.round(result.estimatedMemorySavedBytes / 1024) })}</p>
          <p className="muted">{result.explain}</p>
          {result.removedClusters.length > 0 && (
            <details>
              <summary>{t('scope.removed', { count: result.removedClusters.length })}</summary>
              <pre>{result.removedClusters.join('\n')}</pre>
            </details>
          )}
        </div>
      )}
    </section>
  );
}
