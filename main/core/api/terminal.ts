// The terminal part of the contract. Owned by the terminal module; see main/core/api/contract.ts.
import type { EventTable, MethodTable } from './define.ts';

export const terminalMethods = {} satisfies MethodTable;
export const terminalEvents = {} satisfies EventTable;
