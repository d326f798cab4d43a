import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BackendStatus } from '../../main/core/api/system.ts';
import { useApi, useConnection, useEvent } from '../api/context.tsx';

/** Which backend is active and whether the UI is connected to the core. */
export function StatusBar() {
  const { t } = useTranslation();
  const api = useApi();
  const connection = useConnection();
  const [backend, setBackend] = useState<BackendStatus | null>(null);
  useEffect(() => {
    if (connection === 'open') api.call('backend.status', {}).then(setBackend, () => setBackend(null));
  }, [api, connection]);
  useEvent('backend.status', useCallback((s: BackendStatus) => setBackend(s), []));
  return (
    <footer className="status-bar" data-testid="status-bar">
      <span data-testid="status-backend" data-kind={backend?.kind ?? ''}>
        {t('status.backend')}: {backend ? `${t(`status.${backend.kind}`)} · ${t(`status.state.${backend.state}`)}` : '—'}
      </span>
      {backend?.detail && <span className="status-detail">{backend.detail}</span>}
      <span className={`conn conn-${connection}`} data-testid="status-connection" data-state={connection}>
        {t(`status.connection.${connection}`)}
      </span>
    </footer>
  );
}
