// Virtual time. The model computes every request in virtual milliseconds (a 7 s delay costs
// nothing); the sandbox backend can then play the results out in real time for the app.

/** Fixed epoch for virtual runs, so the CLI and tests print the same START_TIME for the same seed. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1, 0, 0, 0, 0);

export class VirtualClock {
  constructor(
    /** Wall-clock ms that virtual time 0 stands for (used only to print START_TIME). */
    readonly epochMs: number = VIRTUAL_EPOCH,
    public now = 0,
  ) {}
  advanceTo(t: number): void {
    if (t > this.now) this.now = t;
  }
  iso(t: number): string {
    return new Date(this.epochMs + Math.floor(t)).toISOString();
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Istio/protobuf durations as written in manifests: "7s", "0.5s", "100ms", "3m", "1h". */
export function parseDuration(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v * 1000;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)(ms|s|m|h)\s*$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2]];
}
