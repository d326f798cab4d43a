// Runs one API call at a time for a panel and keeps its error (message + fix) for display.
import { useCallback, useState } from 'react';
import { CoreError } from '../../api/client.ts';

export interface ActionError {
  message: string;
  fix?: string;
}

export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ActionError | null>(null);
  const run = useCallback(async <T,>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(name);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e instanceof CoreError ? { message: e.message, fix: e.fix } : { message: (e as Error).message });
      return undefined;
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, error, run, setError };
}
