// The capture part of the contract. Owned by the capture module; see main/core/api/contract.ts.
import type { EventTable, MethodTable } from './define.ts';

export const captureMethods = {} satisfies MethodTable;
export const captureEvents = {} satisfies EventTable;
