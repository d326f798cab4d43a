// The list of labs with each one's progress, and "open a lab pack" for instructors' packs.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Result } from '../../../main/core/api/contract.ts';
import { useApi } from '../../api/context.tsx';
import { pick, useLang } from './lang.ts';

type List = Result<'labs.list'>;

export function labHref(packId: string, id: string): string {
  return packId === 'builtin' ? `#/labs/${id}` : `#/labs/${packId}/${id}`;
}

export function LabList() {
  const api = useApi();
  const { t } = useTranslation('labs');
  const lang = useLang();
  const [list, setList] = useState<List | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [packPath, setPackPath] = useState('');
  const [packResult, setPackResult] = useState<Result<'labs.openPack'> | null>(null);

  const load = () =>
    api
      .call('labs.list', {})
      .then(setList)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
  }, [api]);

  const openPack = async () => {
    setPackResult(null);
    try {
      setPackResult(await api.call('labs.openPack', { path: packPath }));
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section className="view labs-view">
      <h1>{t('title')}</h1>
      <p className="muted">{t('intro')}</p>
      {error && <p className="error-text">{error}</p>}
      {!list && !error && <p className="muted">{t('loading')}</p>}
      <ol className="lab-cards" data-testid="lab-list">
        {list?.labs.map((l) => {
          const p = l.progress;
          const pct = p ? Math.round((100 * p.done) / p.total) : 0;
          return (
            <li key={`${l.packId}/${l.id}`} className="lab-card" data-testid={`lab-card-${l.id}`}>
              <a href={labHref(l.packId, l.id)} className="lab-card-title">
                {pick(l.title, lang)}
              </a>
              <p>{pick(l.summary, lang)}</p>
              <div className="lab-card-meta muted">
                <span>{t(`level.${l.level}`, { defaultValue: l.level })}</span>
                <span>{t('minutes', { count: l.estimatedMinutes })}</span>
                <span>{t('steps', { count: l.steps })}</span>
                {l.packId !== 'builtin' && <span className="lab-pack-tag">{l.packId}</span>}
              </div>
              <div className="lab-progress" aria-label={p ? t('progress', { done: p.done, total: p.total }) : t('notStarted')}>
                <div className="lab-progress-bar" style={{ width: `${pct}%` }} />
              </div>
              <span className="muted lab-progress-text">{p ? (p.finished ? t('finished') : t('progress', { done: p.done, total: p.total })) : t('notStarted')}</span>
            </li>
          );
        })}
      </ol>
      <form
        className="lab-open-pack"
        onSubmit={(e) => {
          e.preventDefault();
          void openPack();
        }}
      >
        <label>
          {t('openPack.label')}{' '}
          <input value={packPath} onChange={(e) => setPackPath(e.target.value)} placeholder={t('openPack.placeholder')} data-testid="pack-path" />
        </label>{' '}
        <button type="submit" disabled={!packPath.trim()}>
          {t('openPack.button')}
        </button>
      </form>
      {packResult && (
        <div className="lab-pack-result" data-testid="pack-result">
          {packResult.problems.length ? (
            <>
              <p className="error-text">{t('openPack.problems', { count: packResult.problems.length })}</p>
              <pre>{packResult.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n')}</pre>
            </>
          ) : (
            <p className="ok-text">{t('openPack.opened', { count: packResult.labs })}</p>
          )}
        </div>
      )}
    </section>
  );
}
