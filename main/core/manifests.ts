// Multi-document Kubernetes YAML → ManifestDoc[], keeping where each document came from so every
// error and warning can name "file:line". Shared by the sandbox, the labs and the cluster backend.
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject, ManifestDoc } from './backend/types.ts';

export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses every document of `text`. Empty documents (only comments, or a trailing `---`) are skipped.
 * Throws ManifestError for YAML syntax errors and for documents that are not Kubernetes objects.
 */
export function parseManifestText(text: string, file: string): ManifestDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const out: ManifestDoc[] = [];
  for (const doc of list) {
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const line = lineCounter.linePos(start).line;
    const err = doc.errors[0];
    if (err) {
      const at = err.linePos?.[0]?.line ?? lineCounter.linePos(err.pos[0]).line;
      throw new ManifestError(file, at, `YAML syntax error: ${err.message.split('\n')[0]}`);
    }
    if (doc.contents === null) continue;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) throw new ManifestError(file, line, 'document is not a mapping (expected a Kubernetes object with apiVersion, kind and metadata.name)');
    if (value.kind === 'List' && Array.isArray(value.items)) {
      value.items.forEach((item, i) => {
        if (!isRecord(item) || typeof item.kind !== 'string' || !isRecord(item.metadata)) {
          throw new ManifestError(file, line, `List item ${i} is not a Kubernetes object`);
        }
        out.push({ source: { file, index: out.length, line }, object: item as unknown as KubeObject });
      });
      continue;
    }
    const missing: string[] = [];
    if (typeof value.apiVersion !== 'string' || !value.apiVersion) missing.push('apiVersion');
    if (typeof value.kind !== 'string' || !value.kind) missing.push('kind');
    const meta = value.metadata;
    if (!isRecord(meta) || typeof meta.name !== 'string' || !meta.name) missing.push('metadata.name');
    if (missing.length) {
      const what = typeof value.kind === 'string' ? `${value.kind} document` : 'document';
      throw new ManifestError(file, line, `${what} is not a Kubernetes object: missing ${missing.join(', ')}`);
    }
    out.push({ source: { file, index: out.length, line }, object: value as unknown as KubeObject });
  }
  return out;
}

/** "file:line" for messages. */
export function where(doc: ManifestDoc): string {
  return `${doc.source.file}:${doc.source.line}`;
}
