// Browser tests and the terminal bench read what xterm drew, and time its writes, through this
// registry. It exists only when the page was opened with the test flag set in localStorage.
import type { Terminal } from '@xterm/xterm';

export const TEST_FLAG = 'meshwalk.testHooks';

export interface TerminalTestHooks {
  terminals: Map<string, Terminal>;
  /** Session id of the tab on screen. */
  active: string | null;
  /** Characters each session has written into xterm (write callbacks completed). */
  written: Map<string, number>;
  /** The visible screen of a session as text lines. */
  screen(id?: string): string[];
}

declare global {
  interface Window {
    __meshwalkTerm?: TerminalTestHooks;
  }
}

export function testHooks(): TerminalTestHooks | undefined {
  if (typeof localStorage === 'undefined' || localStorage.getItem(TEST_FLAG) !== '1') return undefined;
  window.__meshwalkTerm ??= {
    terminals: new Map(),
    active: null,
    written: new Map(),
    screen(id) {
      const term = this.terminals.get(id ?? this.active ?? '');
      if (!term) return [];
      const buf = term.buffer.active;
      const lines: string[] = [];
      for (let y = 0; y < term.rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
      return lines;
    },
  };
  return window.__meshwalkTerm;
}
