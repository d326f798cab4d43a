// In-process event bus: the core emits typed events, transports forward them to their clients.
import { events, type EventData, type Topic } from './api/contract.ts';

export type AnyEventListener = (topic: string, data: unknown) => void;

export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();

  emit<T extends Topic>(topic: T, data: EventData<T>): void {
    // Validate in development and tests so a producer cannot drift from the contract unnoticed.
    if (process.env.NODE_ENV !== 'production') events[topic].parse(data);
    for (const l of this.listeners) {
      try {
        l(topic, data);
      } catch {
        // One broken subscriber (a closed socket) must not stop the others.
      }
    }
  }

  subscribe(listener: AnyEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listen to one topic with typed data. */
  on<T extends Topic>(topic: T, listener: (data: EventData<T>) => void): () => void {
    return this.subscribe((t, d) => {
      if (t === topic) listener(d as EventData<T>);
    });
  }
}
