// Home: the lab environment at a glance — which backend is active, the doctor's checks with their
// fixes, and the lab cluster (minikube or a picked context) with Istio and Bookinfo.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SystemInfo } from '../../main/core/api/system.ts';
import type { ClusterStatus, DoctorReport } from '../../main/core/api/cluster.ts';
import type { Result } from '../api/client.ts';
import { useApi, useEvent } from '../api/context.tsx';
import { ClusterPanel } from './home/ClusterPanel.tsx';
import { DoctorPanel } from './home/DoctorPanel.tsx';
import { ErrorNote } from './home/ErrorNote.tsx';
import { useProgress } from './home/Progress.tsx';
import { useAction } from './home/useAction.ts';
import './home.css';

export default function HomeView(_props: { route?: string }) {
  const { t } = useTranslation('home');
  const api = useApi();
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [status, setStatus] = useState<ClusterStatus | null>(null);
  const [contexts, setContexts] = useState<Result<'cluster.contexts'> | null>(null);
  const [bookinfo, setBookinfo] = useState<Result<'bookinfo.deploy'> | null>(null);
  const progress = useProgress();
  const doctor = useAction();
  const action = useAction();
  const load = useAction();

  const refresh = useCallback(async () => {
    await load.run('load', async () => {
      const [i, s, c] = await Promise.all([api.call('system.info', {}), api.call('cluster.status', {}), api.call('cluster.contexts', {})]);
      setInfo(i);
      setStatus(s);
      setContexts(c);
    });
  }, [api, load.run]);
  const runDoctor = useCallback(() => doctor.run('doctor', async () => setReport(await api.call('doctor.run', {}))), [api, doctor.run]);

  useEffect(() => {
    void refresh();
    void runDoctor();
  }, [refresh, runDoctor]);
  useEvent(
    'backend.status',
    useCallback((b) => setInfo((i) => (i ? { ...i, backend: b } : i)), []),
  );
  const [notices, setNotices] = useState<{ message: string; fix?: string }[]>([]);
  useEvent(
    'notice',
    useCallback((n) => {
      if (n.level !== 'info') setNotices((list) => [...list.filter((x) => x.message !== n.message), { message: n.message, fix: n.fix }].slice(-3));
    }, []),
  );
  useEvent(
    'cluster.tunnel',
    useCallback((tunnel) => setStatus((s) => (s ? { ...s, tunnel } : s)), []),
  );

  const onAction = useCallback(
    async (name: string, arg?: string | null) => {
      await action.run(name, async () => {
        switch (name) {
          case 'doctor.run':
            return runDoctor();
          case 'backend.sandbox':
            return setInfo({ ...(await api.call('system.info', {})), backend: await api.call('backend.select', { kind: 'sandbox' }) });
          case 'backend.cluster':
            return setInfo({ ...(await api.call('system.info', {})), backend: await api.call('backend.select', { kind: 'cluster' }) });
          case 'cluster.start':
            return setStatus(await api.call('cluster.start', {}));
          case 'cluster.stop':
            return api.call('cluster.stop', {});
          case 'cluster.delete':
            return api.call('cluster.delete', {});
          case 'cluster.useContext':
            if (arg === undefined) return document.querySelector('[data-testid="contexts"]')?.scrollIntoView();
            return setStatus(await api.call('cluster.useContext', { context: arg }));
          case 'istio.install':
            return api.call('istio.install', {});
          case 'bookinfo.deploy':
            return setBookinfo(await api.call('bookinfo.deploy', {}));
          case 'cluster.tunnel.start':
            return api.call('cluster.tunnel.start', {});
          case 'cluster.tunnel.stop':
            return api.call('cluster.tunnel.stop', {});
        }
      });
      void refresh();
    },
    [action.run, api, refresh, runDoctor],
  );

  return (
    <section className="view home">
      <h1>{t('title')}</h1>
      <p>{t('intro')}</p>
      {load.error && <ErrorNote error={load.error} testId="home-load-error" />}
      {info && (
        <dl className="facts" data-testid="system-info">
          <dt>{t('backend')}</dt>
          <dd>
            {t(`backendKind.${info.backend.kind}`)}
            {/* The sandbox's label repeats its kind; the cluster's names the profile or context. */}
            {info.backend.kind === 'cluster' ? ` — ${info.backend.label}` : ''}{' '}
            {info.backend.kind === 'cluster' ? (
              <button onClick={() => void onAction('backend.sandbox')}>{t('useSandbox')}</button>
            ) : (
              <button onClick={() => void onAction('backend.cluster')}>{t('useCluster')}</button>
            )}
          </dd>
          <dt>Meshwalk</dt>
          <dd>
            {info.version} · {info.platform}
          </dd>
        </dl>
      )}
      {action.error && <ErrorNote error={action.error} testId="action-error" />}
      {notices.map((n) => (
        <ErrorNote key={n.message} error={n} testId="notice" />
      ))}
      {doctor.error && <ErrorNote error={doctor.error} testId="doctor-error" />}
      <div className="home-grid">
        <DoctorPanel report={report} busy={doctor.busy !== null} onRun={() => void runDoctor()} onAction={(a) => void onAction(a)} />
        <ClusterPanel status={status} contexts={contexts} busy={action.busy} progress={progress} bookinfo={bookinfo} onAction={(a, arg) => void onAction(a, arg)} />
      </div>
    </section>
  );
}
