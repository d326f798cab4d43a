// The shape of a packet walk: an ordered list of hops, each with the evidence it came from.

export type HopKind = 'iptables' | 'redirect' | 'bypass' | 'listener' | 'route' | 'cluster' | 'endpoint' | 'app' | 'network';

/** The four directions of the seed's "life of a packet". */
export const DIRECTIONS = ['inbound', 'inbound-response', 'outbound', 'outbound-response'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Which box of the pod diagram a hop belongs to. */
export type Place = 'client' | 'gateway' | 'network' | 'iptables' | 'envoy' | 'app' | 'remote';

export interface Hop {
  kind: HopKind;
  at: Place;
  /** One English sentence; the view localises by kind and shows this as the detail. */
  explain: string;
  // iptables evidence
  table?: string;
  chain?: string;
  rule?: string;
  /** 1-based rule number in the chain (`iptables -L --line-numbers`). */
  index?: number;
  // redirect evidence
  port?: number;
  // listener / route / cluster evidence
  name?: string;
  // endpoint evidence
  address?: string;
  /** Extra facts: filter chain, virtual host, route match, weights, TLS, circuit breakers … */
  detail?: Record<string, unknown>;
  /** The raw rule or config object (JSON text) the hop came from. */
  raw?: string;
  /** Set when the hop could not be decided from the input (unsupported match, missing config). */
  warning?: string;
}

export interface Walk {
  direction: Direction;
  hops: Hop[];
  warnings: string[];
}
