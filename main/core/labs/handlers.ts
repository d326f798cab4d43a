// API handlers for the labs domain (contract: main/core/api/labs.ts).
import type { labsMethods } from '../api/labs.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function labsHandlers(_ctx: CoreContext): Handlers<keyof typeof labsMethods & string> {
  return {};
}
