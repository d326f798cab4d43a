// The recorded packet fixtures (real istio-init rules, real istioctl config dumps) and the one way
// the packet tests load them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { addText, emptyProxyConfig, type ProxyConfig } from '../../main/core/packet/config-dump.ts';

export const FIX = path.join(import.meta.dirname, '../fixtures/packet');
export const fixturePath = (f: string) => path.join(FIX, f);
export const read = (f: string) => readFileSync(fixturePath(f), 'utf8');

/** Merge config dumps (listeners, routes, endpoints…) into one proxy config, as `--config` does. */
export function load(...files: string[]): ProxyConfig {
  const pc = emptyProxyConfig();
  for (const f of files) addText(pc, read(f), f);
  return pc;
}
