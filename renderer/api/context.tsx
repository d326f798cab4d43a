// React access to the API client and a few hooks built on it.
import { createContext, useContext, useEffect, useState } from 'react';
import type { ApiClient, ConnectionState, EventData, Topic } from '../../main/core/api/contract.ts';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

/** Subscribe to one event topic for the component's lifetime. */
export function useEvent<T extends Topic>(topic: T, listener: (data: EventData<T>) => void): void {
  const api = useApi();
  useEffect(() => api.on(topic, listener), [api, topic, listener]);
}

export function useConnection(): ConnectionState {
  const api = useApi();
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => api.onConnection(setState), [api]);
  return state;
}
