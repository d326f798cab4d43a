import { useTranslation } from 'react-i18next';
import type { ActionError } from './useAction.ts';

/** A failure in plain words, with what to do about it. */
export function ErrorNote({ error, testId }: { error: ActionError; testId?: string }) {
  const { t } = useTranslation('home');
  return (
    <div role="alert" className="home-error" data-testid={testId ?? 'home-error'}>
      <p className="error-text">{error.message}</p>
      {error.fix && (
        <p className="home-fix">
          <strong>{t('fix')}</strong> {error.fix}
        </p>
      )}
    </div>
  );
}
