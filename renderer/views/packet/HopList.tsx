// The ordered hops beside the diagram. Each hop names its evidence and expands to the raw rule or
// config object it came from.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { HopView } from './types.ts';

function evidence(h: HopView): string {
  if (h.kind === 'iptables') return `${h.table}/${h.chain}${h.index ? ` #${h.index}` : ''}`;
  if (h.kind === 'redirect') return `:${h.port}`;
  return h.name ?? h.address ?? (h.port ? `:${h.port}` : '');
}

export function HopList({ hops, step, onSelect }: { hops: HopView[]; step: number; onSelect: (i: number) => void }) {
  const { t } = useTranslation('packet');
  const list = useRef<HTMLOListElement>(null);
  // Keep the current hop in view inside the list (without scrolling the page).
  useEffect(() => {
    const ol = list.current;
    const li = ol?.children[step] as HTMLElement | undefined;
    if (ol && li) ol.scrollTo({ top: Math.max(0, li.offsetTop - ol.offsetTop - 8), behavior: 'smooth' });
  }, [step]);
  return (
    <ol className="pk-hops" data-testid="hop-list" ref={list}>
      {hops.map((h, i) => (
        <li key={i} className={`pk-hop pk-kind-${h.kind}${i === step ? ' pk-current' : ''}${i > step ? ' pk-future' : ''}`} data-testid={`hop-${i}`} data-kind={h.kind}>
          <button type="button" className="pk-hop-head" onClick={() => onSelect(i)} aria-current={i === step ? 'step' : undefined}>
            <span className="pk-kind">{t(`kind.${h.kind}`)}</span>
            <code className="pk-evidence">{evidence(h)}</code>
          </button>
          <p className="pk-explain">{h.explain}</p>
          {h.warning && <p className="pk-warning">⚠ {h.warning}</p>}
          {(h.rule || h.raw || h.detail) && (
            <details className="pk-raw" data-testid={`hop-raw-${i}`}>
              <summary>{h.kind === 'iptables' || h.kind === 'redirect' || h.kind === 'bypass' ? t('raw.rule') : t('raw.config')}</summary>
              <pre>{h.raw ?? h.rule ?? JSON.stringify(h.detail, null, 2)}</pre>
              {h.raw && h.detail && <pre>{JSON.stringify(h.detail, null, 2)}</pre>}
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
