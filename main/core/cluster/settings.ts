// What the learner chose for the lab cluster: Meshwalk's own minikube profile (default) or one
// context copied from their kubeconfig. Stored next to Meshwalk's kubeconfig in the data folder.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const ClusterSettings = z.object({
  mode: z.enum(['minikube', 'context']).default('minikube'),
  profile: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/).default('meshwalk'),
  /** The picked context when mode is 'context'. */
  context: z.string().optional(),
  /** minikube driver; unset lets minikube pick (docker, podman, hyperkit, …). */
  driver: z.string().optional(),
  cpus: z.number().int().min(2).default(4),
  memoryMiB: z.number().int().min(1800).default(8192),
  /** An unpacked Istio release (istio-1.x.y); its bin/ is searched for istioctl. */
  istioReleaseDir: z.string().optional(),
  /** Namespace the labs run in. */
  labNamespace: z.string().default('default'),
});
export type ClusterSettings = z.infer<typeof ClusterSettings>;

const FILE = 'cluster.json';

export function loadSettings(dataDir: string): ClusterSettings {
  const file = path.join(dataDir, FILE);
  if (!existsSync(file)) return ClusterSettings.parse({});
  try {
    return ClusterSettings.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    // A corrupt settings file must not lock the learner out; start from defaults.
    return ClusterSettings.parse({});
  }
}

export function saveSettings(dataDir: string, settings: ClusterSettings): void {
  writeFileSync(path.join(dataDir, FILE), JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
}
