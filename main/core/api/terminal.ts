// The terminal part of the contract. Owned by the terminal module; see main/core/api/contract.ts.
// Shell sessions run in node-pty inside the core; their output reaches the renderer as batched
// `terminal.data` events, throttled by `terminal.ack` (flow control) so a flood cannot swamp the UI.
import { z } from 'zod';
import { Empty, method, Ok, type EventTable, type MethodTable } from './define.ts';
import { TranscriptCommand } from './system.ts';

export const SessionKind = z.enum(['shell', 'flows']);
export type SessionKind = z.infer<typeof SessionKind>;

const SessionId = z.string().min(1).max(64);
const Cols = z.number().int().min(2).max(1000);
const Rows = z.number().int().min(1).max(500);

export const SessionInfo = z.object({
  id: z.string(),
  kind: SessionKind,
  title: z.string(),
  /** The shell's pid; absent for the flow tail, which has no process. */
  pid: z.number().int().optional(),
  cols: z.number().int(),
  rows: z.number().int(),
  exited: z.boolean(),
  exitCode: z.number().nullable(),
  createdAt: z.number(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

export const TranscriptEntry = TranscriptCommand.extend({
  /** stdout and stderr in arrival order; trimmed at the front when very long. */
  output: z.array(z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() })),
  /** True when the front of the output was dropped to keep the log bounded. */
  truncated: z.boolean(),
  /** Undefined while the command is still running. */
  exitCode: z.number().nullable().optional(),
  durationMs: z.number().optional(),
  error: z.string().optional(),
});
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;

export const terminalMethods = {
  'terminal.open': method(
    'Open a terminal tab: a login shell wired to the lab cluster, or the live flow tail',
    z.object({ cols: Cols, rows: Rows, kind: SessionKind.default('shell') }).strict(),
    SessionInfo,
  ),
  'terminal.attach': method(
    'Reattach to a session after the view was closed: its info and recent output to replay',
    z.object({ id: SessionId }).strict(),
    z.object({ session: SessionInfo, scrollback: z.string() }),
  ),
  'terminal.detach': method('The view stopped showing a session (it keeps running)', z.object({ id: SessionId }).strict(), Ok),
  'terminal.focus': method('Mark a shell as the active one (where pastes go)', z.object({ id: SessionId }).strict(), Ok),
  'terminal.input': method('Keystrokes typed into a session', z.object({ id: SessionId, data: z.string().max(1024 * 1024) }).strict(), Ok),
  'terminal.resize': method('The terminal panel changed size', z.object({ id: SessionId, cols: Cols, rows: Rows }).strict(), Ok),
  'terminal.close': method('Close a tab: the shell and everything it started are stopped', z.object({ id: SessionId }).strict(), Ok),
  'terminal.list': method('Open terminal sessions', Empty, z.object({ sessions: z.array(SessionInfo), active: z.string().optional() })),
  'terminal.paste': method(
    'Paste text (without running it) into the active shell, or the given one; opens a shell if none is open',
    z.object({ text: z.string().min(1).max(256 * 1024), id: SessionId.optional() }).strict(),
    z.object({ id: z.string() }),
  ),
  'terminal.ack': method(
    'The view has drawn this many characters of a session (flow control)',
    z.object({ id: SessionId, bytes: z.number().int().nonnegative() }).strict(),
    Ok,
  ),
  'terminal.transcript': method('Commands the app has run, with their output', Empty, z.object({ entries: z.array(TranscriptEntry) })),
  'terminal.transcriptScript': method(
    'The transcript as a POSIX shell script a learner can rerun',
    z.object({ ids: z.array(z.string()).optional() }).strict(),
    z.object({ script: z.string(), filename: z.string(), commands: z.number().int() }),
  ),
} satisfies MethodTable;

export const terminalEvents = {
  /**
   * Batched output of one session. The core emits text; web mode delivers it to the page as UTF-8
   * bytes with the text's length in `chars` (see terminal-frame.ts).
   */
  'terminal.data': z.object({ id: z.string(), data: z.union([z.string(), z.instanceof(Uint8Array)]), chars: z.number().int().optional() }),
  'terminal.exit': z.object({ id: z.string(), exitCode: z.number().nullable(), signal: z.number().nullable().optional() }),
  /** Something was pasted into a shell (e.g. "Copy to terminal" in a lab): the view shows and focuses it. */
  'terminal.paste': z.object({ id: z.string() }),
  /** A session was opened or closed elsewhere (another window, a paste that opened a shell). */
  'terminal.sessions': z.object({ sessions: z.array(SessionInfo) }),
} satisfies EventTable;
