// API handlers for the capture domain (contract: main/core/api/capture.ts).
import type { captureMethods } from '../api/capture.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function captureHandlers(_ctx: CoreContext): Handlers<keyof typeof captureMethods & string> {
  return {};
}
