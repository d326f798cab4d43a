import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOW, OutputChannel } from '../../main/core/terminal/output-channel.ts';
import { BracketedPasteTracker, pasteSequence } from '../../main/core/terminal/paste.ts';

function channel(over: Partial<typeof DEFAULT_FLOW> = {}) {
  const sent: string[] = [];
  const calls: string[] = [];
  const c = new OutputChannel({ emit: (d) => sent.push(d), pause: () => calls.push('pause'), resume: () => calls.push('resume') }, { ...DEFAULT_FLOW, ...over });
  return { c, sent, calls };
}

describe('output channel', () => {
  it('sends output after a quiet spell at once, coalesces what follows, and flushes big batches early', async () => {
    // A wide window so a loaded machine cannot turn "held" into "quiet".
    const { c, sent } = channel({ batchMs: 200, maxBatchChars: 100 });
    c.attach();
    c.push('echo');
    expect(sent).toEqual(['echo']);
    c.push('a');
    c.push('b');
    expect(sent).toEqual(['echo']);
    await expect.poll(() => sent.length).toBe(2);
    expect(sent).toEqual(['echo', 'ab']);
    // Quiet for longer than the batch window: the next output goes at once again.
    await new Promise((r) => setTimeout(r, 250));
    c.push('c');
    expect(sent).toHaveLength(3);
    c.push('x'.repeat(150));
    expect(sent).toHaveLength(4);
    expect(sent[3]).toBe('x'.repeat(150));
  });

  it('pauses above the high watermark and resumes below the low one', () => {
    const { c, calls } = channel({ highWatermark: 1000, lowWatermark: 100, maxBatchChars: 10 });
    c.attach();
    c.push('x'.repeat(1001));
    expect(calls).toEqual(['pause']);
    c.ack(500);
    expect(calls).toEqual(['pause']);
    c.ack(450);
    expect(calls).toEqual(['pause', 'resume']);
    c.close();
  });

  it('runs at full speed with nobody watching, keeping only the scrollback', () => {
    const { c, sent, calls } = channel({ highWatermark: 10, scrollbackChars: 50 });
    c.push('line\n'.repeat(100));
    expect(sent).toEqual([]);
    expect(calls).toEqual([]);
    const replay = c.attach();
    expect(replay.length).toBeLessThanOrEqual(50);
    expect(replay.startsWith('line\n')).toBe(true);
  });

  it('resumes a paused producer whose view went away without detaching', async () => {
    const { c, calls } = channel({ highWatermark: 10, stallMs: 30 });
    c.attach();
    c.push('x'.repeat(20));
    expect(calls).toEqual(['pause']);
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toEqual(['pause', 'resume']);
    expect(c.viewerCount).toBe(0);
  });
});

describe('paste', () => {
  it('never ends in a line break and wraps in bracketed paste when the shell asked for it', () => {
    expect(pasteSequence('kubectl get pods\n', true)).toBe('\x1b[200~kubectl get pods\x1b[201~');
    expect(pasteSequence('a\r\nb\n\n', true)).toBe('\x1b[200~a\rb\x1b[201~');
    expect(pasteSequence('a\x1b[201~; rm -rf ~\n', true)).toBe('\x1b[200~a; rm -rf ~\x1b[201~');
    expect(pasteSequence('a\nb\n', false, 'linux')).toBe('a\x16\nb');
  });

  it('tracks the bracketed paste mode across chunks', () => {
    const t = new BracketedPasteTracker();
    t.feed('prompt \x1b[?20');
    expect(t.enabled).toBe(false);
    t.feed('04h$ ');
    expect(t.enabled).toBe(true);
    t.feed('\x1b[?2004l\rrunning');
    expect(t.enabled).toBe(false);
  });
});
