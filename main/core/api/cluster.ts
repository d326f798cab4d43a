// The cluster part of the contract. Owned by the cluster module; see main/core/api/contract.ts.
import type { EventTable, MethodTable } from './define.ts';

export const clusterMethods = {} satisfies MethodTable;
export const clusterEvents = {} satisfies EventTable;
