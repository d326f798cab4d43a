// One session's output on its way to the view: coalesced into batches (one event per few ms
// instead of one per read), kept in a bounded scrollback for views that attach later, and
// throttled by acknowledgements (VS Code's scheme) so `yes` cannot flood the renderer.

export interface FlowControlOptions {
  /** Unacknowledged characters at which the producer is paused. */
  highWatermark: number;
  /** Paused producers resume once unacknowledged characters drop below this. */
  lowWatermark: number;
  /**
   * Output after a quiet spell goes out at once (a keystroke's echo); output that follows within
   * this window is held and sent together, or sooner when it reaches maxBatchChars.
   */
  batchMs: number;
  maxBatchChars: number;
  /** Characters of recent output kept for reattaching views. */
  scrollbackChars: number;
  /** A paused producer whose view sends no ack for this long is resumed (the view went away). */
  stallMs: number;
}

// Tuned with `npm run bench terminal` (a flood through the web transport into xterm.js):
// - Window: VS Code's 100k/5k made the pty wait until the view had drawn nearly everything, so each
//   ~100 kB made a full round trip through the browser (~3 MB/s). Resuming at half of the window
//   keeps the view fed: with 4M rather than 2M, xterm.js always has output queued and parses it in
//   longer runs between repaints (median of five runs 14.5 MB/s against 12.6 on this 2-vCPU VM).
//   Ctrl-C in a flood of `yes` still brings the prompt back in ~0.11 s here (~0.09 s with 2M).
// - Batches: every message costs a trip through Chromium's network service and the socket worker,
//   so fewer, bigger (deflated) ones: up to 1M characters, held for at most two display frames
//   (33 ms rather than 16: ~20 MB/s against ~15 in alternating runs here). Output after a quiet
//   spell (an echo, a prompt, a screen update) still goes at once.
export const DEFAULT_FLOW: FlowControlOptions = {
  highWatermark: 4_000_000,
  lowWatermark: 2_000_000,
  batchMs: 33,
  maxBatchChars: 1024 * 1024,
  scrollbackChars: 256 * 1024,
  stallMs: 10_000,
};

export interface OutputSink {
  /** Send one batch to the views. */
  emit(data: string): void;
  pause(): void;
  resume(): void;
}

export class OutputChannel {
  private pending: string[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private unacked = 0;
  private paused = false;
  private viewers = 0;
  private readonly scroll: string[] = [];
  private scrollChars = 0;
  private closed = false;
  private lastFlush = -Infinity;

  constructor(
    private readonly sink: OutputSink,
    readonly options: FlowControlOptions = DEFAULT_FLOW,
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }
  get unacknowledged(): number {
    return this.unacked;
  }
  get viewerCount(): number {
    return this.viewers;
  }

  push(data: string): void {
    if (this.closed || data.length === 0) return;
    this.remember(data);
    // Nobody is watching: keep the scrollback only, and let the program run at full speed.
    if (this.viewers === 0) return;
    this.pending.push(data);
    this.pendingChars += data.length;
    this.unacked += data.length;
    if (this.pendingChars >= this.options.maxBatchChars) this.flush();
    else if (!this.timer && performance.now() - this.lastFlush >= this.options.batchMs) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.batchMs);
    if (!this.paused && this.unacked > this.options.highWatermark) this.setPaused(true);
  }

  /** Send whatever is waiting now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pendingChars === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.lastFlush = performance.now();
    this.sink.emit(data);
  }

  ack(chars: number): void {
    // An ack proves someone is drawing, even after the stall guard gave up on the views.
    if (this.viewers === 0) this.viewers = 1;
    this.unacked = Math.max(0, this.unacked - chars);
    if (this.paused) {
      if (this.unacked < this.options.lowWatermark) this.setPaused(false);
      else this.armStallTimer();
    }
  }

  /** A view starts showing this session; returns the scrollback to replay first. */
  attach(): string {
    // Whatever is pending is already in the scrollback: send it now so the view, which ignores
    // data until the attach reply arrives, neither loses nor duplicates it.
    this.flush();
    this.viewers++;
    return this.scrollback();
  }

  detach(): void {
    this.flush();
    this.viewers = Math.max(0, this.viewers - 1);
    if (this.viewers === 0) this.resetFlow();
  }

  scrollback(): string {
    const text = this.scroll.join('');
    if (this.scrollChars <= this.options.scrollbackChars) return text;
    // Start at a line start so the replay does not begin in the middle of an escape sequence.
    const cut = text.slice(text.length - this.options.scrollbackChars);
    const nl = cut.indexOf('\n');
    return nl >= 0 && nl < 4096 ? cut.slice(nl + 1) : cut;
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private resetFlow(): void {
    this.unacked = 0;
    if (this.paused) this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) {
      this.sink.pause();
      this.armStallTimer();
    } else {
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = null;
      this.sink.resume();
    }
  }

  private armStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      // No view drew anything for a long time (a closed browser tab that never detached).
      this.viewers = 0;
      this.resetFlow();
    }, this.options.stallMs);
    this.stallTimer.unref?.();
  }

  private remember(data: string): void {
    this.scroll.push(data);
    this.scrollChars += data.length;
    // Drop whole chunks from the front while the rest still covers the limit: O(1) per push,
    // no copying on the hot path (a flood reads the pty in ~4 KB chunks).
    const max = this.options.scrollbackChars;
    while (this.scroll.length > 1 && this.scrollChars - this.scroll[0].length >= max) {
      this.scrollChars -= this.scroll.shift()!.length;
    }
  }
}
