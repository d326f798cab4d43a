// The doctor's checks: what is fine, what is not, and the fix for each failure — a command to copy,
// a link, or a button when the app can do it.
import { useTranslation } from 'react-i18next';
import type { DoctorCheck, DoctorReport } from '../../../main/core/api/cluster.ts';
import { useApi } from '../../api/context.tsx';

const ICON: Record<DoctorCheck['status'], string> = { ok: '✔', warn: '!', fail: '✘', skip: '–' };

export function DoctorPanel(props: { report: DoctorReport | null; busy: boolean; onRun: () => void; onAction: (action: string) => void }) {
  const { t } = useTranslation('home');
  const api = useApi();
  const { report } = props;
  return (
    <section className="home-panel" data-testid="doctor">
      <header>
        <h2>{t('doctor.title')}</h2>
        <button data-testid="doctor-run" onClick={props.onRun} disabled={props.busy}>
          {props.busy ? t('doctor.running') : t('doctor.run')}
        </button>
      </header>
      {report && (
        <>
          <p data-testid="doctor-summary" className={report.ok ? 'ok-text' : 'error-text'}>
            {report.ok ? t('doctor.ready') : t('doctor.notReady')}
          </p>
          <ul className="home-checks">
            {report.checks.map((c) => (
              <li key={c.id} data-testid={`check-${c.id}`} data-status={c.status} className={`home-check ${c.status}`}>
                <span className="home-icon" aria-label={t(`status.${c.status}`)}>
                  {ICON[c.status]}
                </span>
                <div>
                  <strong>{t(`checks.${c.id}`, { defaultValue: c.title })}</strong> <span className="muted">{c.detail}</span>
                  {c.fix && c.status !== 'ok' && (
                    <div className="home-fix" data-testid={`fix-${c.id}`}>
                      <span>{c.fix.text}</span>
                      {c.fix.command && <code className="home-cmd">{c.fix.command}</code>}
                      {c.fix.url && (
                        <button className="link" onClick={() => void api.call('shell.openExternal', { url: c.fix!.url! })}>
                          {t('doctor.openLink')}
                        </button>
                      )}
                      {c.fix.action && (
                        <button className="primary" data-testid={`action-${c.fix.action}`} onClick={() => props.onAction(c.fix!.action!)}>
                          {t(`action.${c.fix.action}`)}
                        </button>
                      )}
                    </div>
                  )}
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
