// Holds the active backend and switches between the sandbox and the lab cluster.
import type { BackendStatus } from '../api/system.ts';
import type { EventBus } from '../events.ts';
import type { MeshBackend } from './types.ts';

export type BackendFactory = () => Promise<MeshBackend> | MeshBackend;

export class BackendHub {
  private active: MeshBackend | null = null;
  private switching: Promise<MeshBackend> | null = null;
  private readonly listeners = new Set<(b: MeshBackend) => void>();

  constructor(
    private readonly factories: Record<MeshBackend['kind'], BackendFactory>,
    private readonly events: EventBus,
    private kind: MeshBackend['kind'],
  ) {}

  get activeKind(): MeshBackend['kind'] {
    return this.kind;
  }

  /** The active backend, created on first use. */
  async current(): Promise<MeshBackend> {
    if (this.switching) return this.switching;
    if (this.active) return this.active;
    return this.select(this.kind);
  }

  async select(kind: MeshBackend['kind']): Promise<MeshBackend> {
    if (this.active?.kind === kind) return this.active;
    const run = async () => {
      const previous = this.active;
      this.active = null;
      if (previous) await previous.dispose();
      this.kind = kind;
      const next = await this.factories[kind]();
      this.active = next;
      for (const l of this.listeners) l(next);
      this.events.emit('backend.status', await next.status());
      return next;
    };
    this.switching = run().finally(() => {
      this.switching = null;
    });
    return this.switching;
  }

  async status(): Promise<BackendStatus> {
    return (await this.current()).status();
  }

  /** Called with each newly active backend (capture re-subscribes to its access logs). */
  onChange(listener: (b: MeshBackend) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    const b = this.active;
    this.active = null;
    if (b) await b.dispose();
  }
}
