// The packet part of the contract. Owned by the packet module; see main/core/api/contract.ts.
import type { EventTable, MethodTable } from './define.ts';

export const packetMethods = {} satisfies MethodTable;
export const packetEvents = {} satisfies EventTable;
