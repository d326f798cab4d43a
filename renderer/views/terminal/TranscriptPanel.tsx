// The Transcript tab: every command the app ran, shown as a learner would have typed it, with its
// output and exit code; "Save as script" downloads it as a shell script.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TranscriptEntry } from '../../../main/core/api/terminal.ts';
import { useApi, useEvent } from '../../api/context.tsx';
import { CoreError } from '../../api/client.ts';
import { commandLine } from '../../../main/core/terminal/transcript-script.ts';

const MAX_SHOWN = 500;

export function TranscriptPanel({ visible }: { visible: boolean }) {
  const api = useApi();
  const { t } = useTranslation('terminal');
  const [entries, setEntries] = useState<TranscriptEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    api.call('terminal.transcript', {}).then(
      (r) => setEntries((live) => merge(r.entries, live)),
      (e: Error) => setError(e.message),
    );
  }, [api]);

  useEvent(
    'transcript.command',
    useCallback((d) => setEntries((es) => [...es.filter((e) => e.id !== d.id), { ...d, output: [], truncated: false }].slice(-MAX_SHOWN)), []),
  );
  useEvent(
    'transcript.output',
    useCallback(
      (d) =>
        setEntries((es) =>
          es.map((e) => {
            if (e.id !== d.id) return e;
            const last = e.output.at(-1);
            const output = last && last.stream === d.stream ? [...e.output.slice(0, -1), { ...last, text: last.text + d.text }] : [...e.output, { stream: d.stream, text: d.text }];
            return { ...e, output };
          }),
        ),
      [],
    ),
  );
  useEvent(
    'transcript.exit',
    useCallback((d) => setEntries((es) => es.map((e) => (e.id === d.id ? { ...e, exitCode: d.exitCode, durationMs: d.durationMs, error: d.error } : e))), []),
  );

  useEffect(() => {
    if (visible) bottom.current?.scrollIntoView({ block: 'end' });
  }, [entries.length, visible]);

  const save = async () => {
    try {
      const { script, filename } = await api.call('terminal.transcriptScript', {});
      const url = URL.createObjectURL(new Blob([script], { type: 'text/x-shellscript' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e instanceof CoreError && e.fix ? `${e.message} — ${e.fix}` : (e as Error).message);
    }
  };

  return (
    <div className="transcript" hidden={!visible} data-testid="transcript">
      <div className="transcript-bar">
        <span className="muted">{t('transcript.intro')}</span>
        <button data-testid="transcript-save" onClick={save} disabled={entries.length === 0}>
          {t('transcript.save')}
        </button>
      </div>
      {error && <p className="error-text">{error}</p>}
      {entries.length === 0 && <p className="muted" data-testid="transcript-empty">{t('transcript.empty')}</p>}
      {entries.map((e) => (
        <section key={e.id} className="transcript-entry" data-testid="transcript-entry" data-exit={e.exitCode ?? ''}>
          {e.purpose && <div className="transcript-purpose"># {e.purpose}</div>}
          <div className="transcript-command">
            <span className="prompt">$ </span>
            <span data-testid="transcript-command">{commandLine(e.argv)}</span>
            {e.equivalent && (
              <span className="badge" title={t('transcript.equivalentHint')}>
                {t('transcript.equivalent')}
              </span>
            )}
          </div>
          {e.truncated && <div className="muted">{t('transcript.truncated')}</div>}
          {e.output.map((o, i) => (
            <pre key={i} className={o.stream === 'stderr' ? 'transcript-out stderr' : 'transcript-out'}>
              {o.text}
            </pre>
          ))}
          <div className={`transcript-exit ${e.exitCode === 0 ? 'ok-text' : e.exitCode === undefined ? 'muted' : 'error-text'}`}>
            {e.exitCode === undefined
              ? t('transcript.running')
              : t('transcript.exit', { code: e.exitCode ?? '—', seconds: ((e.durationMs ?? 0) / 1000).toFixed(1) })}
            {e.error && ` · ${e.error}`}
          </div>
        </section>
      ))}
      <div ref={bottom} />
    </div>
  );
}

/** History from the core, plus anything that arrived live while it was loading. */
function merge(history: TranscriptEntry[], live: TranscriptEntry[]): TranscriptEntry[] {
  const ids = new Set(history.map((e) => e.id));
  return [...history, ...live.filter((e) => !ids.has(e.id))].slice(-MAX_SHOWN);
}
