// Lab packs: the built-in labs/ folder, or an instructor's folder or .zip. Loading validates
// everything (lab.yaml against the schema, the Markdown sections, every manifest) and reports each
// problem as file:line; labs with problems are left out of the pack so nothing half-valid runs.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestDoc } from '../backend/types.ts';
import { projectRoot } from '../paths.ts';
import { ManifestError, parseManifestText } from '../manifests.ts';
import { readPackFolder, readPackZip, checkEntryName, type PackFiles } from './pack-files.ts';
import { LabSpec, LANGS, type Lang } from './schema.ts';
import { parseLabText, type LabText } from './text.ts';
import { parseYamlLocated, zodProblems, lineOfPath, type Problem } from './yaml-locate.ts';

export interface LoadedLab {
  /** Folder of the lab inside the pack ('' when the pack is a single lab). */
  dir: string;
  spec: LabSpec;
  languages: Lang[];
  text: Partial<Record<Lang, LabText>>;
  /** Parsed manifests by lab-relative path, with sources naming the pack-relative file. */
  manifests: Record<string, ManifestDoc[]>;
  /** Raw manifest text by lab-relative path (shown in the UI with highlighting). */
  manifestText: Record<string, string>;
  /** lab.yaml line of each prerequisite, for problems found across the pack. */
  prerequisiteLines: number[];
}

export interface LabPack {
  /** 'builtin', or a stable id derived from where the pack came from. */
  id: string;
  builtIn: boolean;
  source: string;
  labs: LoadedLab[];
  problems: Problem[];
}

export const BUILTIN_PACK_DIR = path.join(projectRoot, 'labs');

export async function loadBuiltinPack(): Promise<LabPack> {
  return loadPack(BUILTIN_PACK_DIR, { builtIn: true });
}

/** Loads a folder or a .zip. Never throws for bad content: problems are returned in the pack. */
export async function loadPack(source: string, opts: { builtIn?: boolean } = {}): Promise<LabPack> {
  const abs = path.resolve(source);
  const st = await stat(abs).catch(() => null);
  if (!st) throw new Error(`${source}: no such folder or file`);
  let files: PackFiles;
  let id: string;
  if (st.isDirectory()) {
    files = await readPackFolder(abs);
    id = opts.builtIn ? 'builtin' : `dir-${createHash('sha256').update(abs).digest('hex').slice(0, 12)}`;
  } else if (/\.zip$/i.test(abs)) {
    if (st.size > 64 * 1024 * 1024) throw new Error(`${source}: archive larger than 64 MiB; is this a lab pack?`);
    const data = new Uint8Array(await readFile(abs));
    files = readPackZip(data, path.basename(abs));
    id = `zip-${createHash('sha256').update(data).digest('hex').slice(0, 12)}`;
  } else {
    throw new Error(`${source}: a lab pack is a folder or a .zip file`);
  }
  return { id, builtIn: !!opts.builtIn, source: abs, ...validatePackFiles(files) };
}

const dec = new TextDecoder('utf-8', { fatal: false });

export function validatePackFiles(pack: PackFiles): { labs: LoadedLab[]; problems: Problem[] } {
  const problems: Problem[] = [...pack.problems];
  const labDirs = [...pack.files.keys()]
    .filter((f) => f === 'lab.yaml' || /^[^/]+\/lab\.yaml$/.test(f))
    .map((f) => (f === 'lab.yaml' ? '' : f.slice(0, -'/lab.yaml'.length)))
    .sort();
  if (!labDirs.length) problems.push({ file: 'lab.yaml', line: 1, message: 'no lab found: a pack holds folders that each contain a lab.yaml' });
  const labs: LoadedLab[] = [];
  const seen = new Map<string, string>();
  for (const dir of labDirs) {
    const before = problems.length;
    const lab = loadLab(pack.files, dir, problems);
    if (lab) {
      const other = seen.get(lab.spec.id);
      if (other !== undefined) problems.push({ file: join(dir, 'lab.yaml'), line: 1, message: `lab id "${lab.spec.id}" is already used by ${join(other, 'lab.yaml')}` });
      seen.set(lab.spec.id, dir);
    }
    if (lab && problems.length === before) labs.push(lab);
  }
  // Prerequisites must name labs of this pack.
  for (const lab of labs) {
    (lab.spec.prerequisites ?? []).forEach((pre, i) => {
      if (!seen.has(pre)) problems.push({ file: join(lab.dir, 'lab.yaml'), line: lab.prerequisiteLines[i] ?? 1, message: `prerequisite "${pre}" is not a lab in this pack` });
    });
  }
  return { labs, problems };
}

function join(dir: string, rel: string): string {
  return dir ? `${dir}/${rel}` : rel;
}

function loadLab(files: Map<string, Uint8Array>, dir: string, problems: Problem[]): LoadedLab | null {
  const yamlFile = join(dir, 'lab.yaml');
  const located = parseYamlLocated(dec.decode(files.get(yamlFile)!), yamlFile);
  if (located.problems.length) {
    problems.push(...located.problems);
    return null;
  }
  const parsed = LabSpec.safeParse(located.doc.toJS());
  if (!parsed.success) {
    problems.push(...zodProblems(located, yamlFile, parsed.error.issues));
    return null;
  }
  const spec = parsed.data;
  const stepLine = (i: number, key?: string) => lineOfPath(located, key ? ['steps', i, key] : ['steps', i]);

  const ids = new Set<string>();
  spec.steps.forEach((s, i) => {
    if (ids.has(s.id)) problems.push({ file: yamlFile, line: stepLine(i, 'id'), message: `duplicate step id "${s.id}"` });
    ids.add(s.id);
  });
  let sawTraffic = false;
  spec.steps.forEach((s, i) => {
    if (s.kind === 'traffic') sawTraffic = true;
    if (s.kind === 'check' && !sawTraffic) problems.push({ file: yamlFile, line: stepLine(i), message: `check step "${s.id}" needs a traffic step before it (checks look at captured requests)` });
    if (s.kind === 'quiz' && !s.choices.some((c) => c.correct)) problems.push({ file: yamlFile, line: stepLine(i, 'choices'), message: `quiz "${s.id}" has no choice marked correct: true` });
    if (s.kind === 'check') {
      s.assert.forEach((a, j) => {
        if (a.expect === 'share' && a.atLeast === undefined && a.atMost === undefined) {
          problems.push({ file: yamlFile, line: lineOfPath(located, ['steps', i, 'assert', j]), message: 'expect: share needs atLeast and/or atMost' });
        }
      });
    }
  });

  // Text per language.
  const text: Partial<Record<Lang, LabText>> = {};
  const languages: Lang[] = [];
  for (const lang of LANGS) {
    const mdFile = join(dir, `${lang}.md`);
    const md = files.get(mdFile);
    if (!md) {
      if (lang === 'en') problems.push({ file: mdFile, line: 1, message: 'missing: every lab needs en.md' });
      continue;
    }
    if (!spec.title[lang]) problems.push({ file: yamlFile, line: lineOfPath(located, ['title']), message: `${lang}.md exists but title.${lang} is missing` });
    if (!spec.summary[lang]) problems.push({ file: yamlFile, line: lineOfPath(located, ['summary']), message: `${lang}.md exists but summary.${lang} is missing` });
    const { text: t, problems: tp } = parseLabText(dec.decode(md), mdFile);
    problems.push(...tp);
    spec.steps.forEach((s, i) => {
      if (!t.sections[s.id]) problems.push({ file: mdFile, line: 1, message: `no section for step "${s.id}" (lab.yaml:${stepLine(i)}); add a heading "## … {#${s.id}}"` });
    });
    for (const [sid, sec] of Object.entries(t.sections)) {
      if (!ids.has(sid)) problems.push({ file: mdFile, line: sec.line, message: `section {#${sid}} matches no step in lab.yaml` });
    }
    text[lang] = t;
    languages.push(lang);
  }

  // Manifests.
  const manifests: Record<string, ManifestDoc[]> = {};
  const manifestText: Record<string, string> = {};
  spec.steps.forEach((s, i) => {
    if (s.kind !== 'apply' && s.kind !== 'delete') return;
    s.files.forEach((rel, j) => {
      const line = lineOfPath(located, ['steps', i, 'files', j]);
      const norm = path.posix.normalize(rel);
      const bad = checkEntryName(norm) ?? (norm.startsWith('../') || norm === '..' ? 'escapes the lab folder' : null);
      if (bad) {
        problems.push({ file: yamlFile, line, message: `manifest path "${rel}" ${bad}` });
        return;
      }
      if (manifests[norm]) return;
      const full = join(dir, norm);
      const data = files.get(full);
      if (!data) {
        problems.push({ file: yamlFile, line, message: `manifest "${rel}" not found in the lab folder` });
        return;
      }
      const src = dec.decode(data);
      try {
        const docs = parseManifestText(src, full);
        if (!docs.length) problems.push({ file: full, line: 1, message: 'no Kubernetes objects in this file' });
        manifests[norm] = docs;
        manifestText[norm] = src;
      } catch (err) {
        if (err instanceof ManifestError) problems.push({ file: err.file, line: err.line, message: err.reason });
        else problems.push({ file: full, line: 1, message: (err as Error).message });
      }
    });
  });

  const prerequisiteLines = (spec.prerequisites ?? []).map((_, i) => lineOfPath(located, ['prerequisites', i]));
  return { dir, spec, languages, text, manifests, manifestText, prerequisiteLines };
}

/** Docs a step applies or deletes, in file order. */
export function stepDocs(lab: LoadedLab, files: readonly string[]): ManifestDoc[] {
  return files.flatMap((f) => lab.manifests[path.posix.normalize(f)] ?? []);
}
