// Before/after counts of a proxy's configuration under a Sidecar that limits its egress hosts.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context.tsx';
import { CoreError } from '../../api/client.ts';
import type { ScopeResult } from './types.ts';

const ROWS = ['listeners', 'clusters', 'routes', 'virtualHosts', 'endpoints', 'bytes'] as const;

export function SidecarPanel({ pod }: { pod: { namespace: string; name: string } | null }) {
  const { t } = useTranslation('packet');
  const api = useApi();
  const [hosts, setHosts] = useState('./*, istio-system/*');
  const [result, setResult] = useState<ScopeResult | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const [busy, setBusy] = useState(false);
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
      </div>
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
