// Line numbers for problems in YAML files: parse errors, and schema issues mapped back to the
// node they are about (or the closest existing parent, for a missing field).
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

export interface Problem {
  /** Path relative to the pack root, with forward slashes. */
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}

export interface LocatedYaml {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** YAML syntax problems; when non-empty the document must not be used. */
  problems: Problem[];
}

export function parseYamlLocated(text: string, file: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [...doc.errors, ...doc.warnings.filter((w) => w.code !== 'TAB_AS_INDENT')].map((e) => ({
    file,
    line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
    message: `YAML: ${e.message.split('\n')[0]}`,
  }));
  const seen = new Set<string>();
  return { doc, lineCounter, problems: problems.filter((p) => !seen.has(`${p.line}:${p.message}`) && !!seen.add(`${p.line}:${p.message}`)) };
}

/** Line of the node at `path`, or of the nearest ancestor that exists. */
export function lineOfPath(y: LocatedYaml, path: readonly PropertyKey[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = y.doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    const range = node && typeof node === 'object' ? node.range : undefined;
    if (range) return y.lineCounter.linePos(range[0]).line;
    if (n === 0 && y.doc.contents?.range) return y.lineCounter.linePos(y.doc.contents.range[0]).line;
  }
  return 1;
}

/** Line of a key inside the map at `path` (for "unrecognized key" issues). */
function lineOfKey(y: LocatedYaml, path: readonly PropertyKey[], key: string): number | null {
  const map = path.length ? y.doc.getIn(path as unknown[], true) : y.doc.contents;
  if (!isMap(map)) return null;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return y.lineCounter.linePos(pair.key.range[0]).line;
  }
  return null;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** One Problem per zod issue, each with the line of the offending node. */
export function zodProblems(y: LocatedYaml, file: string, issues: readonly z.core.$ZodIssue[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const where = pathText(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ file, line: lineOfKey(y, issue.path, key) ?? lineOfPath(y, issue.path), message: `${where ? where + ': ' : ''}unknown field "${key}"` });
      }
      continue;
    }
    let message = issue.message;
    const present = issue.path.length === 0 || y.doc.hasIn(issue.path as unknown[]);
    if (!present) message = issue.code === 'invalid_type' ? `missing required field (expected ${issue.expected})` : `missing required field (${issue.message.replace(/^Invalid option: /, '')})`;
    if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
      const got = y.doc.getIn(issue.path as unknown[]);
      message = `unknown ${String(issue.discriminator)} ${JSON.stringify(got ?? null)}; expected one of ${(issue as { options?: unknown[] }).options?.join(', ')}`;
    }
    out.push({ file, line: lineOfPath(y, issue.path), message: where ? `${where}: ${message}` : message });
  }
  return out;
}
