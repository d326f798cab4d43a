// Isolation from the learner's own clusters. Meshwalk keeps its own kubeconfig file in its data
// folder; every child process and client-node use it. minikube writes the `meshwalk` profile's
// context there (because KUBECONFIG points there), and "bring your own cluster" copies ONE chosen
// context (cluster + user + context) into it. The user's kubeconfig files are only ever read.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ApiError } from '../api/errors.ts';

export const KUBECONFIG_FILE = 'kubeconfig';

export function meshwalkKubeconfigPath(dataDir: string): string {
  return path.join(dataDir, KUBECONFIG_FILE);
}

/** Create Meshwalk's kubeconfig (mode 0600) if it does not exist yet. */
export function ensureKubeconfig(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\npreferences: {}\n', { mode: 0o600 });
  // Credentials live in here; tighten a file created by another tool too.
  if (process.platform !== 'win32') chmodSync(file, 0o600);
}

/**
 * The environment for every child: KUBECONFIG points at Meshwalk's file, and kube variables that
 * could redirect a tool to another cluster (in-cluster service host, a kubectl context override)
 * are removed.
 */
export function isolatedEnv(base: NodeJS.ProcessEnv, kubeconfig: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (/^(KUBECONFIG|KUBECTL_|KUBERNETES_SERVICE_|KUBERNETES_PORT|KUBE_|MINIKUBE_ACTIVE_|MINIKUBE_PROFILE)/.test(k)) continue;
    env[k] = v;
  }
  env.KUBECONFIG = kubeconfig;
  return env;
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  _value?: T;
}
interface RawKubeconfig {
  clusters?: (NamedEntry<unknown> & { cluster?: Record<string, unknown> })[];
  users?: (NamedEntry<unknown> & { user?: Record<string, unknown> })[];
  contexts?: (NamedEntry<unknown> & { context?: { cluster?: string; user?: string; namespace?: string } })[];
  'current-context'?: string;
}

/** The user's kubeconfig files, in kubectl's merge order. */
export function userKubeconfigPaths(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter(Boolean);
  return [path.join(env.HOME ?? env.USERPROFILE ?? os.homedir(), '.kube', 'config')];
}

interface LoadedFile {
  file: string;
  config: RawKubeconfig;
}

function readConfigs(files: string[], exclude: string): LoadedFile[] {
  const out: LoadedFile[] = [];
  for (const file of files) {
    if (path.resolve(file) === path.resolve(exclude) || !existsSync(file)) continue;
    try {
      const config = (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as RawKubeconfig;
      out.push({ file, config });
    } catch (err) {
      throw new ApiError('failed', `cannot read kubeconfig ${file}: ${(err as Error).message}`, 'Fix the YAML in that file, or remove it from KUBECONFIG');
    }
  }
  return out;
}

/** kubectl merge rule: the first file that defines a name wins. */
function firstByName<T extends { name: string }>(loaded: LoadedFile[], key: 'clusters' | 'users' | 'contexts'): Map<string, { entry: T; file: string }> {
  const map = new Map<string, { entry: T; file: string }>();
  for (const { file, config } of loaded) {
    for (const e of (config[key] ?? []) as unknown as T[]) if (e?.name && !map.has(e.name)) map.set(e.name, { entry: e, file });
  }
  return map;
}

export interface UserContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
  server?: string;
  /** The file that defines the context. */
  file: string;
  current: boolean;
}

/** The user's contexts (read-only). Meshwalk's own file is never listed. */
export function listUserContexts(env: NodeJS.ProcessEnv, ownFile: string): UserContext[] {
  const loaded = readConfigs(userKubeconfigPaths(env), ownFile);
  const clusters = firstByName<{ name: string; cluster?: { server?: string } }>(loaded, 'clusters');
  const current = loaded.find((l) => l.config['current-context'])?.config['current-context'];
  const contexts = firstByName<{ name: string; context?: { cluster?: string; user?: string; namespace?: string } }>(loaded, 'contexts');
  return [...contexts.values()].map(({ entry, file }) => ({
    name: entry.name,
    cluster: entry.context?.cluster ?? '',
    user: entry.context?.user ?? '',
    namespace: entry.context?.namespace,
    server: clusters.get(entry.context?.cluster ?? '')?.entry.cluster?.server,
    file,
    current: entry.name === current,
  }));
}

const PATH_KEYS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile', 'token-file'];

/** Relative file references in a kubeconfig are relative to that file; our copy lives elsewhere. */
function absolutize(obj: Record<string, unknown> | undefined, baseDir: string): Record<string, unknown> | undefined {
  if (!obj) return obj;
  const copy: Record<string, unknown> = structuredClone(obj);
  for (const key of PATH_KEYS) {
    const v = copy[key];
    if (typeof v === 'string' && v && !path.isAbsolute(v)) copy[key] = path.resolve(baseDir, v);
  }
  const exec = copy.exec as { command?: string } | undefined;
  if (exec?.command && (exec.command.startsWith('./') || exec.command.startsWith('../'))) exec.command = path.resolve(baseDir, exec.command);
  return copy;
}

/**
 * Copy one context (with its cluster and user) from the user's kubeconfig into Meshwalk's file and
 * make it current there. The user's files are opened read-only.
 */
export function copyContext(env: NodeJS.ProcessEnv, contextName: string, ownFile: string): UserContext {
  const loaded = readConfigs(userKubeconfigPaths(env), ownFile);
  const contexts = firstByName<{ name: string; context?: { cluster?: string; user?: string; namespace?: string } }>(loaded, 'contexts');
  const ctx = contexts.get(contextName);
  if (!ctx) {
    const names = [...contexts.keys()];
    throw new ApiError('invalid_params', `no context named "${contextName}" in ${userKubeconfigPaths(env).join(', ')}`, names.length ? `Pick one of: ${names.join(', ')}` : 'Create a cluster first (kind, k3d, Docker Desktop) or use minikube');
  }
  const clusterName = ctx.entry.context?.cluster ?? '';
  const userName = ctx.entry.context?.user ?? '';
  const cluster = firstByName<{ name: string; cluster?: Record<string, unknown> }>(loaded, 'clusters').get(clusterName);
  const user = firstByName<{ name: string; user?: Record<string, unknown> }>(loaded, 'users').get(userName);
  if (!cluster) throw new ApiError('failed', `context "${contextName}" names cluster "${clusterName}", which no kubeconfig file defines`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: clusterName, cluster: absolutize(cluster.entry.cluster, path.dirname(cluster.file)) }],
    users: user ? [{ name: userName, user: absolutize(user.entry.user, path.dirname(user.file)) }] : [],
    contexts: [{ name: contextName, context: { ...ctx.entry.context } }],
    'current-context': contextName,
  };
  mkdirSync(path.dirname(ownFile), { recursive: true, mode: 0o700 });
  writeFileSync(ownFile, YAML.stringify(config), { mode: 0o600 });
  if (process.platform !== 'win32') chmodSync(ownFile, 0o600);
  return listUserContexts(env, ownFile).find((c) => c.name === contextName)!;
}

/** The current context of Meshwalk's own kubeconfig, if any. */
export function currentContext(ownFile: string): string | null {
  if (!existsSync(ownFile)) return null;
  try {
    const cfg = YAML.parse(readFileSync(ownFile, 'utf8')) as RawKubeconfig | null;
    return cfg?.['current-context'] || null;
  } catch {
    return null;
  }
}
