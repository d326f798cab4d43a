// Every object applied to the sandbox, keyed by API group (not version: networking.istio.io/v1,
// v1beta1 and v1alpha3 name the same resource, as on a real API server), kind, namespace and name.
import { isDeepStrictEqual } from 'node:util';
import type { DocSource, KubeObject, ObjectRef } from '../backend/types.ts';

export interface StoredObject {
  object: KubeObject;
  source?: DocSource;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i === -1 ? '' : apiVersion.slice(0, i);
}

export function namespaceOf(kind: string, ns: string | undefined): string {
  return CLUSTER_SCOPED.has(kind) ? '' : ns || 'default';
}

function keyOf(apiVersion: string, kind: string, ns: string | undefined, name: string): string {
  return `${groupOf(apiVersion)}|${kind}|${namespaceOf(kind, ns)}|${name}`;
}

export function refOf(o: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
  const ns = namespaceOf(o.kind, o.metadata.namespace);
  if (ns) ref.namespace = ns;
  return ref;
}

export class ConfigStore {
  private readonly objects = new Map<string, StoredObject>();
  /** Bumped on every change; compiled routing tables are cached per revision. */
  revision = 0;

  put(object: KubeObject, source?: DocSource): 'created' | 'configured' | 'unchanged' {
    const ns = namespaceOf(object.kind, object.metadata.namespace);
    const normalized: KubeObject = { ...object, metadata: { ...object.metadata, ...(ns ? { namespace: ns } : {}) } };
    const key = keyOf(object.apiVersion, object.kind, ns, object.metadata.name);
    const prev = this.objects.get(key);
    if (prev && isDeepStrictEqual(stripVersion(prev.object), stripVersion(normalized))) return 'unchanged';
    this.objects.set(key, { object: normalized, source });
    this.revision++;
    return prev ? 'configured' : 'created';
  }

  delete(ref: ObjectRef): boolean {
    const ok = this.objects.delete(keyOf(ref.apiVersion, ref.kind, ref.namespace, ref.name));
    if (ok) this.revision++;
    return ok;
  }

  get(ref: ObjectRef): StoredObject | undefined {
    return this.objects.get(keyOf(ref.apiVersion, ref.kind, ref.namespace, ref.name));
  }

  list(kind: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const s of this.objects.values()) {
      if (s.object.kind !== kind) continue;
      if (namespace !== undefined && s.object.metadata.namespace !== namespace) continue;
      out.push(s.object);
    }
    return out;
  }

  all(): StoredObject[] {
    return [...this.objects.values()];
  }
}

function stripVersion(o: KubeObject): unknown {
  return { ...o, apiVersion: groupOf(o.apiVersion) };
}
