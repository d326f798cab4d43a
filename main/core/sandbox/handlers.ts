// API handlers for the sandbox domain (contract: main/core/api/sandbox.ts).
import type { sandboxMethods } from '../api/sandbox.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function sandboxHandlers(_ctx: CoreContext): Handlers<keyof typeof sandboxMethods & string> {
  return {};
}
