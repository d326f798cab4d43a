// One xterm.js terminal bound to one core session: replays the session's scrollback on attach,
// writes batched output and acknowledges what it drew (flow control), sends keystrokes and its
// size. Sessions outlive the pane: unmounting only detaches.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';
import type { SessionKind } from '../../../main/core/api/terminal.ts';
import { useApi } from '../../api/context.tsx';
import { monoFont, onThemeChange, xtermTheme } from './xterm-theme.ts';
import { testHooks } from './test-hooks.ts';

/** Drawn characters are acknowledged in chunks this big (or after a short idle). */
const ACK_CHUNK = 5000;
const ACK_IDLE_MS = 30;

export interface PaneHandle {
  focus(): void;
  copy(): Promise<void>;
  paste(): Promise<void>;
  find(query: string, backwards?: boolean): boolean;
  clearFind(): void;
}

interface Props {
  id: string;
  kind: SessionKind;
  visible: boolean;
  register(id: string, handle: PaneHandle | null): void;
  onFindRequested(): void;
}

export function TerminalPane({ id, kind, visible, register, onFindRequested }: Props) {
  const api = useApi();
  const { t } = useTranslation('terminal');
  const host = useRef<HTMLDivElement>(null);
  const fitRef = useRef<(() => void) | null>(null);
  const termRef = useRef<Terminal | null>(null);
  const findRef = useRef(onFindRequested);
  findRef.current = onFindRequested;
  const tRef = useRef(t);
  tRef.current = t;

  useEffect(() => {
    const el = host.current!;
    const term = new Terminal({
      allowProposedApi: true,
      fontFamily: monoFont(),
      fontSize: 13,
      theme: xtermTheme(),
      scrollback: 5000,
      cursorBlink: kind === 'shell',
      disableStdin: kind !== 'shell',
      // xterm's own handling of bracketed paste and line endings for the clipboard.
      rightClickSelectsWord: true,
    });
    termRef.current = term;
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new Unicode11Addon());
    term.unicode.activeVersion = '11';
    term.loadAddon(
      new WebLinksAddon((_ev, uri) => {
        api.call('shell.openExternal', { url: uri }).then(
          (r) => {
            if (!r.opened) window.open(uri, '_blank', 'noopener,noreferrer');
          },
          () => undefined,
        );
      }),
    );
    term.open(el);
    const hooks = testHooks();
    hooks?.terminals.set(id, term);

    let disposed = false;
    let attached = false;
    let unacked = 0;
    let ackTimer: ReturnType<typeof setTimeout> | null = null;
    const sendAck = () => {
      if (ackTimer) clearTimeout(ackTimer);
      ackTimer = null;
      const bytes = unacked;
      unacked = 0;
      if (bytes > 0) api.call('terminal.ack', { id, bytes }).catch(() => undefined);
    };
    const drawn = (n: number) => {
      unacked += n;
      if (hooks) hooks.written.set(id, (hooks.written.get(id) ?? 0) + n);
      if (unacked >= ACK_CHUNK) sendAck();
      else ackTimer ??= setTimeout(sendAck, ACK_IDLE_MS);
    };
    const showExit = (code: number | null) => {
      const text = code === null ? tRef.current('exitedSignal') : tRef.current('exited', { code });
      term.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
    };

    // Output that arrives before the attach reply is already part of the scrollback it returns.
    const offData = api.on('terminal.data', (d) => {
      if (d.id !== id || !attached) return;
      // Acknowledge what the core counted (text length), whichever form the batch came in.
      const n = d.chars ?? d.data.length;
      term.write(d.data, () => drawn(n));
    });
    const offExit = api.on('terminal.exit', (d) => {
      if (d.id === id && attached) showExit(d.exitCode);
    });

    const fitNow = () => {
      // A hidden pane has no size; fitting it would shrink the shell to nothing.
      if (disposed || el.offsetWidth === 0 || el.offsetHeight === 0) return;
      fit.fit();
    };
    fitRef.current = fitNow;
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(fitNow);
    });
    observer.observe(el);

    api.call('terminal.attach', { id }).then(
      ({ session, scrollback }) => {
        if (disposed) {
          api.call('terminal.detach', { id }).catch(() => undefined);
          return;
        }
        attached = true;
        if (scrollback) term.write(scrollback);
        if (session.exited) showExit(session.exitCode);
        fitNow();
        // Tell the shell our size even when fit found it unchanged from xterm's default.
        if (kind === 'shell' && (session.cols !== term.cols || session.rows !== term.rows)) {
          api.call('terminal.resize', { id, cols: term.cols, rows: term.rows }).catch(() => undefined);
        }
      },
      (err: Error) => term.write(`\x1b[31m${err.message}\x1b[0m\r\n`),
    );

    const subs = [
      term.onData((data) => {
        api.call('terminal.input', { id, data }).catch(() => undefined);
      }),
      term.onBinary((data) => {
        api.call('terminal.input', { id, data }).catch(() => undefined);
      }),
      term.onResize(({ cols, rows }) => {
        if (attached) api.call('terminal.resize', { id, cols, rows }).catch(() => undefined);
      }),
    ];

    const copy = async () => {
      const text = term.getSelection();
      if (text) await navigator.clipboard?.writeText(text);
    };
    const paste = async () => {
      const text = await navigator.clipboard?.readText();
      if (text) term.paste(text);
    };
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        void copy();
        e.preventDefault();
        return false;
      }
      // Ctrl+Shift+V: let the browser deliver its paste event, which xterm handles itself.
      if (e.code === 'KeyV') return false;
      if (e.code === 'KeyF') {
        findRef.current();
        e.preventDefault();
        return false;
      }
      return true;
    });

    const offTheme = onThemeChange(() => {
      term.options.theme = xtermTheme();
    });

    register(id, {
      focus: () => term.focus(),
      copy,
      paste,
      find: (q, backwards) => (backwards ? search.findPrevious(q) : search.findNext(q)),
      clearFind: () => search.clearDecorations(),
    });

    return () => {
      disposed = true;
      register(id, null);
      offData();
      offExit();
      offTheme();
      observer.disconnect();
      cancelAnimationFrame(frame);
      for (const s of subs) s.dispose();
      sendAck();
      if (attached) api.call('terminal.detach', { id }).catch(() => undefined);
      hooks?.terminals.delete(id);
      term.dispose();
      termRef.current = null;
    };
  }, [api, id, kind, register]);

  useEffect(() => {
    if (!visible) return;
    const hooks = testHooks();
    if (hooks) hooks.active = id;
    fitRef.current?.();
    termRef.current?.focus();
    if (kind === 'shell') api.call('terminal.focus', { id }).catch(() => undefined);
  }, [api, id, kind, visible]);

  return <div ref={host} className="terminal-pane" hidden={!visible} data-testid={`terminal-pane-${id}`} data-kind={kind} />;
}
