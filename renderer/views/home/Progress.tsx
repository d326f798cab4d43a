// Steps of a long task (minikube start, istioctl install, Bookinfo) from `cluster.progress`.
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ClusterProgress } from '../../../main/core/api/cluster.ts';
import { useEvent } from '../../api/context.tsx';

export function useProgress() {
  const [tasks, setTasks] = useState<Record<string, ClusterProgress[]>>({});
  const onProgress = useCallback((p: ClusterProgress) => {
    setTasks((prev) => {
      const list = prev[p.task] ?? [];
      // A new run of the task starts a fresh list.
      const fresh = p.step === 0 && p.state === 'running' ? [] : list;
      const last = fresh.at(-1);
      const next = last && last.name === p.name ? [...fresh.slice(0, -1), p] : [...fresh, p];
      return { ...prev, [p.task]: next.slice(-30) };
    });
  }, []);
  useEvent('cluster.progress', onProgress);
  return tasks;
}

export function ProgressSteps({ steps }: { steps: ClusterProgress[] }) {
  const { t } = useTranslation('home');
  if (!steps.length) return null;
  const last = steps.at(-1)!;
  const pct = last.total ? Math.round((Math.min(last.step, last.total) / last.total) * 100) : 0;
  return (
    <div className="home-progress" data-testid={`progress-${last.task}`} data-state={last.state}>
      <div className="home-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={t(`task.${last.task}`)}>
        <span style={{ width: `${pct}%` }} />
      </div>
      <ol>
        {steps.map((s, i) => (
          <li key={i} data-state={i === steps.length - 1 ? s.state : 'done'}>
            <span className="home-step-name">{s.name}</span> <span className="muted">{s.message}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
