// Lab text: Markdown with highlighted code blocks, each with a "Copy to terminal" button that
// pastes the command into the active shell (without running it).
import { useState, type ReactNode } from 'react';
import ReactMarkdown from 'react-markdown';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/context.tsx';
import { highlight } from './highlight.ts';

function CodeBlock({ text, lang }: { text: string; lang: string }) {
  const api = useApi();
  const { t } = useTranslation('labs');
  const [state, setState] = useState<{ ok: boolean; message: string } | null>(null);
  const shell = lang === 'sh' || lang === 'bash' || lang === 'shell' || lang === '';
  const copy = async () => {
    try {
      await api.call('terminal.paste', { text: text.endsWith('\n') ? text.slice(0, -1) : text });
      setState({ ok: true, message: t('copied') });
    } catch (err) {
      setState({ ok: false, message: t('copyFailed', { message: (err as Error).message }) });
    }
  };
  return (
    <div className="lab-code">
      <pre>
        <code className="hljs" dangerouslySetInnerHTML={{ __html: highlight(text, lang || 'bash') }} />
      </pre>
      {shell && (
        <div className="lab-code-actions">
          <button type="button" onClick={copy} data-testid="copy-to-terminal">
            {t('copy')}
          </button>
          {state && (
            <span className={state.ok ? 'ok-text' : 'error-text'} role="status">
              {state.message}
            </span>
          )}
        </div>
      )}
    </div>
  );
}

export function Markdown({ text }: { text: string }) {
  return (
    <div className="lab-md">
      <ReactMarkdown
        components={{
          pre: ({ children }) => <>{children}</>,
          code: ({ className, children }) => {
            const body = String(children as ReactNode);
            const lang = /language-(\w+)/.exec(className ?? '')?.[1];
            if (lang === undefined && !body.includes('\n')) return <code>{body}</code>;
            return <CodeBlock text={body} lang={lang ?? ''} />;
          },
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
