// API handlers for the packet domain (contract: main/core/api/packet.ts).
import type { packetMethods } from '../api/packet.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function packetHandlers(_ctx: CoreContext): Handlers<keyof typeof packetMethods & string> {
  return {};
}
