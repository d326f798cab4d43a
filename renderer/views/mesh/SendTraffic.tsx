// "Send requests": N requests to Bookinfo through the ingress gateway of the active backend,
// optionally logged in as a user, so a learner sees traffic without running a lab.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CoreError } from '../../api/client.ts';
import { useApi } from '../../api/context.tsx';

export function SendTraffic() {
  const { t } = useTranslation('mesh');
  const api = useApi();
  const [count, setCount] = useState(10);
  const [user, setUser] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const send = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await api.call('capture.sendTraffic', { count, ...(user.trim() ? { user: user.trim() } : {}) });
      setResult(
        t('sent', {
          count: r.sent,
          statuses: Object.entries(r.statuses)
            .map(([s, n]) => `${s}×${n}`)
            .join(' '),
        }),
      );
    } catch (e) {
      const err = e as CoreError;
      setError({ message: err.message, ...(err.fix ? { fix: err.fix } : {}) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="mesh-send"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label>
        {t('send.count')}
        <input type="number" min={1} max={500} value={count} onChange={(e) => setCount(Math.max(1, Math.min(500, Number(e.target.value) || 1)))} data-testid="send-count" />
      </label>
      <label>
        {t('send.user')}
        <input value={user} placeholder={t('send.userPlaceholder')} onChange={(e) => setUser(e.target.value)} data-testid="send-user" pattern="[A-Za-z0-9_.\-]{0,64}" />
      </label>
      <button className="primary" type="submit" disabled={busy} data-testid="send-traffic">
        {busy ? t('send.sending') : t('send.button')}
      </button>
      {result && (
        <span className="ok-text" data-testid="send-result">
          {result}
        </span>
      )}
      {error && (
        <span role="alert" className="error-text" data-testid="send-error">
          {error.message}
          {error.fix ? ` — ${error.fix}` : ''}
        </span>
      )}
    </form>
  );
}
