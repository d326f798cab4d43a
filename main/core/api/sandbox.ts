// The sandbox part of the contract. Owned by the sandbox module; see main/core/api/contract.ts.
import type { EventTable, MethodTable } from './define.ts';

export const sandboxMethods = {} satisfies MethodTable;
export const sandboxEvents = {} satisfies EventTable;
