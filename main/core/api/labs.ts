// The labs part of the contract. Owned by the labs module; see main/core/api/contract.ts.
import type { EventTable, MethodTable } from './define.ts';

export const labsMethods = {} satisfies MethodTable;
export const labsEvents = {} satisfies EventTable;
