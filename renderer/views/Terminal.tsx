// The Terminal view: tabs of real shells (wired to the lab cluster), the live flow tail, and the
// transcript of every command the app ran. Shells live in the core and survive leaving the view.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionInfo, SessionKind } from '../../main/core/api/terminal.ts';
import { useApi, useConnection, useEvent } from '../api/context.tsx';
import { CoreError } from '../api/client.ts';
import { TerminalPane, type PaneHandle } from './terminal/TerminalPane.tsx';
import { TranscriptPanel } from './terminal/TranscriptPanel.tsx';
import './terminal.css';

const TRANSCRIPT = 'transcript';
/** The tab on screen, kept across visits to other views. */
let remembered: string | null = null;
/** One first shell even if the view mounts twice at once. */
let firstShell: Promise<unknown> | null = null;

export default function TerminalView(_props: { route?: string }) {
  const api = useApi();
  const connection = useConnection();
  const { t } = useTranslation('terminal');
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [active, setActiveState] = useState<string | null>(remembered);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const panes = useRef(new Map<string, PaneHandle>());
  const searchBox = useRef<HTMLInputElement>(null);

  const setActive = useCallback((id: string) => {
    remembered = id;
    setActiveState(id);
  }, []);
  const report = (e: unknown) => setError(e instanceof CoreError && e.fix ? `${e.message} — ${e.fix}` : (e as Error).message);

  const open = useCallback(
    async (kind: SessionKind) => {
      try {
        const info = await api.call('terminal.open', { cols: 80, rows: 24, kind });
        setSessions((s) => (s && !s.some((x) => x.id === info.id) ? [...s, info] : s));
        setActive(info.id);
      } catch (e) {
        report(e);
      }
    },
    [api, setActive],
  );

  useEffect(() => {
    if (connection !== 'open') return;
    let cancelled = false;
    api.call('terminal.list', {}).then(async (r) => {
      if (cancelled) return;
      setSessions(r.sessions);
      if (r.sessions.length === 0) {
        firstShell ??= open('shell').finally(() => (firstShell = null));
        return;
      }
      const keep = remembered && (remembered === TRANSCRIPT || r.sessions.some((s) => s.id === remembered));
      if (!keep) setActive(r.active ?? r.sessions[0].id);
    }, report);
    return () => {
      cancelled = true;
    };
  }, [api, connection, open, setActive]);

  useEvent(
    'terminal.sessions',
    useCallback((d: { sessions: SessionInfo[] }) => setSessions(d.sessions), []),
  );
  useEvent(
    'terminal.exit',
    useCallback((d: { id: string; exitCode: number | null }) => setSessions((s) => s?.map((x) => (x.id === d.id ? { ...x, exited: true, exitCode: d.exitCode } : x)) ?? s), []),
  );
  // "Copy to terminal" in a lab: show the shell that received the text.
  useEvent(
    'terminal.paste',
    useCallback(
      (d: { id: string }) => {
        setActive(d.id);
        setTimeout(() => panes.current.get(d.id)?.focus(), 0);
      },
      [setActive],
    ),
  );

  const close = async (id: string) => {
    const rest = (sessions ?? []).filter((s) => s.id !== id);
    setSessions(rest);
    if (active === id) setActive(rest.at(-1)?.id ?? TRANSCRIPT);
    try {
      await api.call('terminal.close', { id });
    } catch (e) {
      report(e);
    }
  };

  const register = useCallback((id: string, handle: PaneHandle | null) => {
    if (handle) panes.current.set(id, handle);
    else panes.current.delete(id);
  }, []);
  const focusSearch = useCallback(() => searchBox.current?.focus(), []);
  const current = active && active !== TRANSCRIPT ? panes.current.get(active) : undefined;
  const shown = active ?? sessions?.[0]?.id ?? TRANSCRIPT;

  return (
    <section className="view terminal-view" data-testid="terminal-view">
      <div className="terminal-toolbar" role="toolbar">
        <div className="terminal-tabs" role="tablist">
          {(sessions ?? []).map((s) => (
            <div key={s.id} className="terminal-tab" role="tab" aria-selected={shown === s.id} data-testid={`terminal-tab-${s.id}`} data-kind={s.kind} data-exited={s.exited || undefined}>
              <button className="tab-label" onClick={() => setActive(s.id)}>
                {s.kind === 'flows' ? t('tabs.flows') : s.title}
                {s.exited && <span className="muted"> ({t('tabs.exited')})</span>}
              </button>
              <button className="tab-close" aria-label={t('tabs.close')} title={t('tabs.close')} data-testid={`terminal-close-${s.id}`} onClick={() => void close(s.id)}>
                ×
              </button>
            </div>
          ))}
          <div className="terminal-tab" role="tab" aria-selected={shown === TRANSCRIPT} data-testid="terminal-tab-transcript">
            <button className="tab-label" onClick={() => setActive(TRANSCRIPT)}>
              {t('tabs.transcript')}
            </button>
          </div>
        </div>
        <button data-testid="terminal-new-shell" onClick={() => void open('shell')} title={t('actions.newShellHint')}>
          + {t('actions.newShell')}
        </button>
        <button data-testid="terminal-new-flows" onClick={() => void open('flows')} title={t('actions.flowsHint')}>
          + {t('actions.flows')}
        </button>
        <div className="terminal-actions">
          <input
            ref={searchBox}
            type="search"
            data-testid="terminal-search"
            placeholder={t('actions.search')}
            aria-label={t('actions.searchHint')}
            title={t('actions.searchHint')}
            value={query}
            disabled={!current}
            onChange={(e) => {
              setQuery(e.target.value);
              if (!e.target.value) current?.clearFind();
              else current?.find(e.target.value);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') current?.find(query, e.shiftKey);
              if (e.key === 'Escape') {
                setQuery('');
                current?.clearFind();
                current?.focus();
              }
            }}
          />
          <button disabled={!current} onClick={() => void current?.copy()} title={t('actions.copyHint')} data-testid="terminal-copy">
            {t('actions.copy')}
          </button>
          <button disabled={!current} onClick={() => void current?.paste().catch(report)} title={t('actions.pasteHint')} data-testid="terminal-paste">
            {t('actions.paste')}
          </button>
        </div>
      </div>
      {error && (
        <p className="error-text terminal-error" role="alert">
          {error}
        </p>
      )}
      <div className="terminal-stage">
        {(sessions ?? []).map((s) => (
          <TerminalPane key={s.id} id={s.id} kind={s.kind} visible={shown === s.id} register={register} onFindRequested={focusSearch} />
        ))}
        <TranscriptPanel visible={shown === TRANSCRIPT} />
      </div>
    </section>
  );
}
