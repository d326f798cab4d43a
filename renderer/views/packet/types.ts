// Renderer-side shapes of the packet API results (inferred from the contract).
import type { Result } from '../../../main/core/api/contract.ts';

export type WalkResult = Result<'packet.walk'>;
export type HopView = WalkResult['hops'][number];
export type Direction = WalkResult['direction'];
export type ScopeResult = Result<'packet.sidecarScope'>;
export type CountsResult = Result<'packet.configCounts'>;
export type Place = HopView['at'];

export const DIRECTIONS: Direction[] = ['inbound', 'inbound-response', 'outbound', 'outbound-response'];
