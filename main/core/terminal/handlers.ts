// API handlers for the terminal domain (contract: main/core/api/terminal.ts).
import type { terminalMethods } from '../api/terminal.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function terminalHandlers(_ctx: CoreContext): Handlers<keyof typeof terminalMethods & string> {
  return {};
}
