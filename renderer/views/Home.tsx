import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SystemInfo } from '../../main/core/api/system.ts';
import { CoreError } from '../api/client.ts';
import { useApi } from '../api/context.tsx';

export default function HomeView(_props: { route?: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.call('system.info', {}).then(setInfo, (e: CoreError) => setError(e.message));
  }, [api]);
  return (
    <section className="view">
      <h1>{t('home.title')}</h1>
      <p>{t('home.intro')}</p>
      {error && <p role="alert" className="error-text">{error}</p>}
      {info && (
        <dl className="facts" data-testid="system-info">
          <dt>{t('home.backend')}</dt>
          <dd>{t(`status.${info.backend.kind}`)} — {info.backend.label}</dd>
          <dt>Meshwalk</dt>
          <dd>{info.version} · {info.platform}</dd>
        </dl>
      )}
    </section>
  );
}
