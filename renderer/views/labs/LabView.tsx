// One lab: its text, the step list with outcomes, and the controls of the current step
// (Apply / Verify / Next / Reset). Manifests are shown highlighted with their diff against the live
// state before they are applied; commands are shown before they run.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Result } from '../../../main/core/api/contract.ts';
import { useApi, useEvent } from '../../api/context.tsx';
import { highlight } from './highlight.ts';
import { Markdown } from './Markdown.tsx';
import { pick, useLang } from './lang.ts';

type Detail = Result<'labs.get'>;
type StepResult = Result<'labs.runStep'>;
type Preview = Result<'labs.preview'>;
type StepView = Detail['stepViews'][number];

const ICON = { pass: '✔', fail: '✘', skipped: '–' } as const;

/** A unified diff without its file header lines (Index:, ====): the object is named above it. */
function patchBody(patch: string): string {
  return patch
    .split('\n')
    .filter((l) => !/^(Index: |={10,})/.test(l))
    .join('\n')
    .trim();
}

function Code({ text, lang }: { text: string; lang: string }) {
  return (
    <pre className="lab-manifest">
      <code className="hljs" dangerouslySetInnerHTML={{ __html: highlight(text, lang) }} />
    </pre>
  );
}

function StepDetails({ step, preview, lang }: { step: StepView; preview: Preview | null; lang: 'en' | 'ko' }) {
  const { t } = useTranslation('labs');
  if (step.kind === 'apply' || step.kind === 'delete') {
    return (
      <div className="lab-step-panel">
        {preview?.diff && (
          <div data-testid="step-diff">
            <h4>{t('diff')}</h4>
            {preview.diff.every((d) => !d.patch) ? (
              <p className="muted">{t('noChanges')}</p>
            ) : (
              preview.diff
                .filter((d) => d.patch)
                .map((d, _i, changed) => (
                  // A big setup step lists many objects: open them only when there are few.
                  <details key={`${d.ref.kind}/${d.ref.namespace ?? ''}/${d.ref.name}`} open={changed.length <= 4}>
                    <summary className="lab-diff-title">
                      {d.ref.kind} {d.ref.namespace ? `${d.ref.namespace}/` : ''}
                      {d.ref.name} {!d.live && <span className="lab-new">({t('newObject')})</span>}
                    </summary>
                    <Code text={patchBody(d.patch)} lang="diff" />
                  </details>
                ))
            )}
          </div>
        )}
        {step.files?.map((f) => (
          <details key={f.path} open={step.kind === 'apply' && (step.files?.length ?? 0) === 1 && f.text.length < 4000}>
            <summary>
              {t('manifest')}: <code>{f.path}</code>
            </summary>
            <Code text={f.text} lang="yaml" />
          </details>
        ))}
      </div>
    );
  }
  if (step.kind === 'run' && step.argv) {
    return (
      <div className="lab-step-panel">
        <p>{t('command')}</p>
        <Code text={step.argv.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')} lang="bash" />
      </div>
    );
  }
  if (step.kind === 'traffic' && step.traffic) {
    const tr = step.traffic;
    return (
      <p className="lab-step-panel muted">
        {t('traffic', { count: tr.count, from: tr.from, url: tr.url })}
        {tr.user ? ` · ${t('asUser', { user: tr.user })}` : ''}
        {Object.keys(tr.headers).length ? ` · ${Object.entries(tr.headers).map(([k, v]) => `${k}: ${v}`).join(', ')}` : ''}
      </p>
    );
  }
  if (step.kind === 'check' && step.assertions?.some((a) => a.explain)) {
    return (
      <div className="lab-step-panel">
        <h4>{t('whatChecked')}</h4>
        <ul>{step.assertions.map((a, i) => a.explain && <li key={i}>{pick(a.explain, lang)}</li>)}</ul>
      </div>
    );
  }
  return null;
}

function ResultBox({ result, step, lang }: { result: StepResult; step: StepView; lang: 'en' | 'ko' }) {
  const { t } = useTranslation('labs');
  return (
    <div className={`lab-result lab-result-${result.outcome}`} data-testid="step-result" data-outcome={result.outcome}>
      <strong>
        {ICON[result.outcome]} {t(`outcome.${result.outcome}`)}
      </strong>
      {result.assertions ? (
        <ul className="lab-assertions">
          {result.assertions.map((a, i) => (
            <li key={i} className={a.ok ? 'ok-text' : 'error-text'}>
              {a.ok ? '✔' : '✘'} {pick(step.assertions?.[i]?.explain, lang) || a.message}
              <div className="muted lab-assertion-detail">{a.message}</div>
            </li>
          ))}
        </ul>
      ) : step.kind === 'quiz' && step.explanation ? (
        <p>
          <em>{t('explanation')}:</em> {pick(step.explanation, lang)}
        </p>
      ) : (
        <p className="lab-result-message">{result.message}</p>
      )}
    </div>
  );
}

export function LabView({ packId, labId }: { packId: string; labId: string }) {
  const api = useApi();
  const { t } = useTranslation('labs');
  const lang = useLang();
  const [lab, setLab] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [results, setResults] = useState<Record<string, StepResult>>({});
  const [busy, setBusy] = useState(false);
  const [consent, setConsent] = useState(false);
  const [answer, setAnswer] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const d = await api.call('labs.get', { packId, labId });
      setLab(d);
      setResults(d.progress?.results ?? {});
      const firstOpen = d.stepViews.findIndex((s) => !d.progress?.results[s.id] || d.progress.results[s.id].outcome === 'fail');
      setIndex(firstOpen < 0 ? 0 : firstOpen);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api, packId, labId]);
  useEffect(() => {
    void load();
  }, [load]);

  useEvent(
    'labs.step',
    useCallback((e) => {
      if (e.packId === packId && e.labId === labId) setResults((r) => ({ ...r, [e.result.step]: e.result }));
    }, [packId, labId]),
  );

  const step = lab?.stepViews[index];
  useEffect(() => {
    setPreview(null);
    setConsent(false);
    setAnswer(null);
    if (!step || !['apply', 'delete', 'run'].includes(step.kind)) return;
    api
      .call('labs.preview', { packId, labId, stepId: step.id })
      .then(setPreview)
      .catch((e: Error) => setNotice(e.message));
  }, [api, packId, labId, step?.id]);

  if (error) return <section className="view error-text">{error}</section>;
  if (!lab || !step) return <section className="view muted">{t('loading')}</section>;

  const run = async () => {
    setBusy(true);
    setNotice(null);
    try {
      const r = await api.call('labs.runStep', {
        packId,
        labId,
        stepId: step.id,
        ...(preview?.consentToken && consent ? { consent: preview.consentToken } : {}),
        ...(step.kind === 'quiz' && answer !== null ? { answer } : {}),
      });
      setResults((x) => ({ ...x, [step.id]: r }));
      if (step.kind === 'apply' || step.kind === 'delete') setPreview(await api.call('labs.preview', { packId, labId, stepId: step.id }));
    } catch (e) {
      setNotice((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const reset = async () => {
    if (!confirm(t('resetConfirm'))) return;
    setBusy(true);
    try {
      const r = await api.call('labs.reset', { packId, labId });
      setNotice(r.errors.length ? r.errors.join('; ') : t('resetDone', { count: r.restored.length }));
      await load();
      setIndex(0);
    } catch (e) {
      setNotice((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const resume = async () => {
    setBusy(true);
    try {
      await api.call('labs.resume', { packId, labId });
      await load();
    } catch (e) {
      setNotice((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const result = results[step.id];
  const needsConsent = step.kind === 'run' && preview?.consentRequired;
  const actionDisabled = busy || (needsConsent && !consent) || (step.kind === 'quiz' && answer === null);
  const title = (s: StepView) => pick(s.title, lang) || s.id;

  return (
    <section className="view labs-view lab-view" data-testid="lab-view" lang={lang}>
      <p>
        <a href="#/labs">← {t('back')}</a>
      </p>
      <h1 data-testid="lab-title">{pick(lab.title, lang)}</h1>
      <p className="muted">
        {t(`level.${lab.level}`, { defaultValue: lab.level })} · {t('minutes', { count: lab.estimatedMinutes })}
        {lab.prerequisites.length ? ` · ${t('prerequisites', { list: lab.prerequisites.join(', ') })}` : ''}
      </p>
      {lab.progress?.inFlight && (
        <p className="lab-interrupted warn-text">
          {t('interrupted', { step: lab.progress.inFlight })}{' '}
          <button type="button" onClick={resume} disabled={busy}>
            {t('resume')}
          </button>
        </p>
      )}
      <div className="lab-layout">
        <nav className="lab-steps" aria-label={t('steps', { count: lab.steps })}>
          <ol>
            {lab.stepViews.map((s, i) => {
              const r = results[s.id];
              return (
                <li key={s.id} aria-current={i === index ? 'step' : undefined}>
                  <button type="button" onClick={() => setIndex(i)} data-testid={`lab-step-${s.id}`}>
                    <span className={`lab-step-icon ${r ? `lab-${r.outcome}` : ''}`}>{r ? ICON[r.outcome] : i + 1}</span>
                    <span>{title(s)}</span>
                    <span className="muted lab-step-kind">{t(`kind.${s.kind}`)}</span>
                  </button>
                </li>
              );
            })}
          </ol>
          <button type="button" className="lab-reset" onClick={reset} disabled={busy} data-testid="lab-reset">
            {t('reset')}
          </button>
        </nav>
        <article className="lab-main">
          {index === 0 && lab.intro[lang] !== undefined && <Markdown text={pick(lab.intro, lang)} />}
          <h2 data-testid="step-title">
            <span className="muted">{index + 1}.</span> {title(step)}
          </h2>
          <Markdown text={pick(step.body, lang)} />
          <StepDetails step={step} preview={preview} lang={lang} />
          {step.kind === 'quiz' && (
            <fieldset className="lab-quiz">
              <legend>{pick(step.question, lang)}</legend>
              {step.choices?.map((c, i) => (
                <label key={i}>
                  <input type="radio" name={`quiz-${step.id}`} checked={answer === i} onChange={() => setAnswer(i)} /> {pick(c, lang)}
                </label>
              ))}
            </fieldset>
          )}
          {needsConsent && (
            <label className="lab-consent">
              <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} data-testid="step-consent" /> {t('consent')}
            </label>
          )}
          <div className="lab-controls">
            <button type="button" onClick={() => setIndex(index - 1)} disabled={index === 0} data-testid="step-prev">
              {t('prev')}
            </button>
            <button type="button" className="primary" onClick={run} disabled={actionDisabled} data-testid="step-action">
              {busy ? t('running') : t(`action.${step.kind}`)}
            </button>
            <button type="button" onClick={() => setIndex(index + 1)} disabled={index >= lab.stepViews.length - 1} data-testid="step-next">
              {t('next')}
            </button>
          </div>
          {notice && (
            <p className="lab-notice" role="status" data-testid="lab-notice">
              {notice}
            </p>
          )}
          {result && <ResultBox result={result} step={step} lang={lang} />}
        </article>
      </div>
    </section>
  );
}
