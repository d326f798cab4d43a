// The requests beside the diagram, newest first; click one to see its hops.
import { useTranslation } from 'react-i18next';
import { chainOf } from '../../../main/core/capture/flow-tail.ts';
import { isError } from '../../../main/core/capture/aggregate.ts';
import type { RequestTree } from '../../../main/core/capture/types.ts';

export function RequestList({ trees, selected, onSelect }: { trees: RequestTree[]; selected: string | null; onSelect: (id: string) => void }) {
  const { t } = useTranslation('mesh');
  if (trees.length === 0) return <p className="muted">{t('noRequests')}</p>;
  return (
    <ol className="mesh-requests" data-testid="mesh-requests">
      {trees.map((r) => {
        const flags = [...new Set(r.hops.flatMap((h) => h.flags))];
        const bad = isError(r.status, flags);
        return (
          <li key={r.requestId}>
            <button
              className={`mesh-request${selected === r.requestId ? ' selected' : ''}${bad ? ' err' : ''}`}
              data-testid="mesh-request"
              data-request-id={r.requestId}
              data-user={r.user ?? ''}
              onClick={() => onSelect(r.requestId)}
            >
              <span className="mesh-request-status">{r.status}</span>
              <span className="mesh-request-chain">{chainOf(r).join(' → ')}</span>
              {flags.length > 0 && <span className="mesh-flags">{flags.join(',')}</span>}
              {r.user && <span className="mesh-user">{t('user', { user: r.user })}</span>}
              <span className="mesh-request-time muted">{r.hops[0]?.durationMs ?? '-'}ms</span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
