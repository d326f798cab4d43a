// The lab cluster: minikube profile or one of the user's contexts; start/stop/delete, Istio,
// Bookinfo, the tunnel — each long task shown as steps.
import { useTranslation } from 'react-i18next';
import type { ClusterProgress, ClusterStatus } from '../../../main/core/api/cluster.ts';
import type { Result } from '../../api/client.ts';
import { ProgressSteps } from './Progress.tsx';

export function ClusterPanel(props: {
  status: ClusterStatus | null;
  contexts: Result<'cluster.contexts'> | null;
  busy: string | null;
  progress: Record<string, ClusterProgress[]>;
  bookinfo: Result<'bookinfo.deploy'> | null;
  onAction: (action: string, arg?: string | null) => void;
}) {
  const { t } = useTranslation('home');
  const s = props.status;
  const disabled = props.busy !== null;
  return (
    <section className="home-panel" data-testid="cluster">
      <header>
        <h2>{t('cluster.title')}</h2>
      </header>
      {s && (
        <dl className="facts" data-testid="cluster-status" data-state={s.state}>
          <dt>{s.mode === 'minikube' ? t('cluster.profile') : t('cluster.context')}</dt>
          <dd>{s.name}</dd>
          <dt>{t('cluster.state')}</dt>
          <dd>
            {t(`clusterState.${s.state}`)}
            {s.kubernetesVersion ? ` · Kubernetes ${s.kubernetesVersion}` : ''}
            {s.detail ? <span className="muted"> — {s.detail}</span> : null}
          </dd>
          <dt>{t('cluster.tunnel')}</dt>
          <dd data-testid="tunnel-state">
            {t(`tunnelState.${s.tunnel.state}`)}
            {s.tunnel.detail ? <span className="muted"> — {s.tunnel.detail}</span> : null}
          </dd>
          <dt>kubeconfig</dt>
          <dd>
            <code>{s.kubeconfig}</code>
          </dd>
        </dl>
      )}
      <div className="home-actions">
        {s?.mode !== 'context' && (
          <>
            <button className="primary" data-testid="cluster-start" disabled={disabled} onClick={() => props.onAction('cluster.start')}>
              {t('action.cluster.start')}
            </button>
            <button disabled={disabled} onClick={() => props.onAction('cluster.stop')}>
              {t('action.cluster.stop')}
            </button>
            <button disabled={disabled} onClick={() => props.onAction('cluster.delete')}>
              {t('action.cluster.delete')}
            </button>
          </>
        )}
        <button disabled={disabled} data-testid="istio-install" onClick={() => props.onAction('istio.install')}>
          {t('action.istio.install')}
        </button>
        <button disabled={disabled} data-testid="bookinfo-deploy" onClick={() => props.onAction('bookinfo.deploy')}>
          {t('action.bookinfo.deploy')}
        </button>
        {s?.mode !== 'context' &&
          (s?.tunnel.state === 'running' || s?.tunnel.state === 'restarting' ? (
            <button disabled={disabled} onClick={() => props.onAction('cluster.tunnel.stop')}>
              {t('action.cluster.tunnel.stop')}
            </button>
          ) : (
            <button disabled={disabled} onClick={() => props.onAction('cluster.tunnel.start')}>
              {t('action.cluster.tunnel.start')}
            </button>
          ))}
      </div>
      {(['start', 'istio', 'bookinfo'] as const).map((task) => (props.progress[task]?.length ? <ProgressSteps key={task} steps={props.progress[task]} /> : null))}
      {props.bookinfo && (
        <p data-testid="bookinfo-result">
          {props.bookinfo.ingressUrl ? (
            <>
              {t('bookinfo.url')} <code>{props.bookinfo.ingressUrl}/productpage</code> {props.bookinfo.probe?.ok ? '✔' : ''}
            </>
          ) : null}
          {props.bookinfo.detail ? <span className="muted"> {props.bookinfo.detail}</span> : null}
        </p>
      )}
      <h3>{t('contexts.title')}</h3>
      <p className="muted">{t('contexts.intro')}</p>
      {props.contexts && (
        <ul className="home-contexts" data-testid="contexts">
          {props.contexts.contexts.length === 0 && <li className="muted">{t('contexts.none')}</li>}
          {props.contexts.contexts.map((c) => (
            <li key={c.name}>
              <code>{c.name}</code> <span className="muted">{c.server}</span>{' '}
              {props.contexts!.active === c.name ? (
                <strong>{t('contexts.inUse')}</strong>
              ) : (
                <button disabled={disabled} onClick={() => props.onAction('cluster.useContext', c.name)}>
                  {t('contexts.use')}
                </button>
              )}
            </li>
          ))}
          {props.contexts.active && (
            <li>
              <button disabled={disabled} onClick={() => props.onAction('cluster.useContext', null)}>
                {t('contexts.backToMinikube')}
              </button>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
