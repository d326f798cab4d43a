// API handlers for the cluster domain (contract: main/core/api/cluster.ts).
import type { clusterMethods } from '../api/cluster.ts';
import type { CoreContext } from '../context.ts';
import type { Handlers } from '../api/router.ts';

export function clusterHandlers(_ctx: CoreContext): Handlers<keyof typeof clusterMethods & string> {
  return {};
}
