// The transcript: every command the app ran (from the runner's `transcript.*` events), kept in a
// bounded log so a Transcript tab opened later still shows the history.
import type { EventData } from '../api/contract.ts';
import type { TranscriptEntry } from '../api/terminal.ts';
import type { EventBus } from '../events.ts';

export interface TranscriptLogLimits {
  /** Oldest entries are dropped beyond this many commands. */
  maxEntries: number;
  /** Output kept per command; the front is dropped (the end shows the outcome). */
  maxOutputChars: number;
}

const DEFAULT_LIMITS: TranscriptLogLimits = { maxEntries: 500, maxOutputChars: 64 * 1024 };

export class TranscriptLog {
  private readonly entries = new Map<string, TranscriptEntry & { outputChars: number }>();
  private readonly limits: TranscriptLogLimits;

  constructor(limits: Partial<TranscriptLogLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Follow the runner's events; returns the unsubscribe function. */
  follow(bus: EventBus): () => void {
    const offs = [
      bus.on('transcript.command', (d) => this.command(d)),
      bus.on('transcript.output', (d) => this.output(d)),
      bus.on('transcript.exit', (d) => this.exit(d)),
    ];
    return () => offs.forEach((off) => off());
  }

  command(d: EventData<'transcript.command'>): void {
    this.entries.delete(d.id);
    this.entries.set(d.id, { ...d, output: [], truncated: false, outputChars: 0 });
    while (this.entries.size > this.limits.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  output(d: EventData<'transcript.output'>): void {
    const e = this.entries.get(d.id);
    if (!e || !d.text) return;
    const last = e.output.at(-1);
    if (last && last.stream === d.stream) last.text += d.text;
    else e.output.push({ stream: d.stream, text: d.text });
    e.outputChars += d.text.length;
    while (e.outputChars > this.limits.maxOutputChars && e.output.length) {
      const excess = e.outputChars - this.limits.maxOutputChars;
      const first = e.output[0];
      if (first.text.length <= excess) {
        e.output.shift();
        e.outputChars -= first.text.length;
      } else {
        first.text = first.text.slice(excess);
        e.outputChars -= excess;
      }
      e.truncated = true;
    }
  }

  exit(d: EventData<'transcript.exit'>): void {
    const e = this.entries.get(d.id);
    if (!e) return;
    e.exitCode = d.exitCode;
    e.durationMs = d.durationMs;
    if (d.error) e.error = d.error;
  }

  list(): TranscriptEntry[] {
    return [...this.entries.values()].map(({ outputChars: _, output, ...rest }) => ({ ...rest, output: output.map((o) => ({ ...o })) }));
  }
}
