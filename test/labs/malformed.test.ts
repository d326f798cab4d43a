// Malformed lab packs are rejected with file:line problems and never crash the loader.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { zipSync, strToU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.ts';
import { loadPack } from '../../main/core/labs/pack.ts';
import { formatProblem } from '../../main/core/labs/yaml-locate.ts';

const CORPUS = path.resolve('test/fixtures/labs/malformed');

async function problems(dir: string): Promise<string[]> {
  const pack = await loadPack(dir);
  expect(pack.labs).toEqual([]);
  return pack.problems.map(formatProblem);
}

describe('malformed lab corpus', () => {
  it.each([
    ['missing-fields', ['lab/lab.yaml:1: title: missing required field (expected object)', 'lab/lab.yaml:1: level: missing required field', 'lab/lab.yaml:5: steps[0].files: missing required field (expected array)']],
    ['wrong-types', ['lab/lab.yaml:4: level: Invalid option', 'lab/lab.yaml:5: estimatedMinutes: Invalid input: expected number, received string', 'lab/lab.yaml:6: prerequisites: Invalid input: expected array', 'lab/lab.yaml:11: steps[0].count: Invalid input: expected number']],
    ['unknown-kind', ['lab/lab.yaml:8: steps[0].kind: unknown kind "dance"; expected one of read, apply, delete, run, wait, traffic, check, quiz']],
    ['yaml-syntax', ['lab/lab.yaml:3: YAML: Flow map in block collection must be sufficiently indented and end with a }']],
    ['not-kubernetes', ['lab/manifests/bad.yaml:9: document is not a Kubernetes object: missing apiVersion, kind, metadata.name']],
    ['path-escape', ['lab/lab.yaml:11: steps[0].files[1]: must be a relative path inside the lab folder', 'lab/lab.yaml:12: steps[0].files[2]: must be a relative path inside the lab folder']],
    ['text-mismatch', ['lab/en.md:9: section "No id here" has no step id', 'lab/en.md:1: no section for step "two"', 'lab/en.md:6: section {#three} matches no step', 'lab/lab.yaml:2: ko.md exists but title.ko is missing']],
    ['check-order', ['lab/lab.yaml:12: duplicate step id "one"', 'lab/lab.yaml:7: check step "one" needs a traffic step before it', 'lab/lab.yaml:10: expect: share needs atLeast and/or atMost', 'lab/lab.yaml:16: quiz "one" has no choice marked correct: true']],
  ])('%s', async (name, expected) => {
    const got = await problems(path.join(CORPUS, name));
    for (const e of expected) expect(got.some((g) => g.startsWith(e)), `${e}\n  in\n${got.join('\n')}`).toBe(true);
    for (const g of got) expect(g).toMatch(/^[^:]+:\d+: \S/);
  });

  it('meshwalk lab validate prints every problem as file:line: message and exits 1', async () => {
    let out = '';
    const sink = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
    const code = await main(['lab', 'validate', path.join(CORPUS, 'wrong-types')], { stdout: sink, stderr: new Writable({ write: (_c, _e, cb) => cb() }), stdin: process.stdin, env: process.env, cwd: process.cwd() });
    expect(code).toBe(1);
    expect(out.trim().split('\n')).toHaveLength(4);
    expect(out).toContain('lab/lab.yaml:5: estimatedMinutes:');
  });
});

describe('lab packs from zip archives', () => {
  let dir: string;
  const lab = {
    'lab/lab.yaml': 'id: zipped\ntitle: {en: Zipped}\nsummary: {en: From a zip.}\nlevel: beginner\nestimatedMinutes: 1\nsteps:\n  - {id: one, kind: read}\n',
    'lab/en.md': '# Z\n\n## One {#one}\n',
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mw-zip-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function zip(name: string, files: Record<string, Uint8Array | [Uint8Array, { os?: number; attrs?: number; level?: 0 | 9 }]>): Promise<string> {
    const f = path.join(dir, name);
    await writeFile(f, zipSync(files as Parameters<typeof zipSync>[0]));
    return f;
  }
  const text = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, strToU8(v)]));

  it('opens a good pack, also when wrapped in a top folder', async () => {
    expect((await loadPack(await zip('good.zip', text(lab)))).labs.map((l) => l.spec.id)).toEqual(['zipped']);
    const wrapped = Object.fromEntries(Object.entries(lab).map(([k, v]) => [`my-pack/${k}`, v]));
    const pack = await loadPack(await zip('wrapped.zip', text(wrapped)));
    expect(pack.problems).toEqual([]);
    expect(pack.labs.map((l) => l.spec.id)).toEqual(['zipped']);
  });

  it('refuses entries that escape the pack (zip slip) or are absolute', async () => {
    const pack = await loadPack(await zip('slip.zip', text({ ...lab, '../../evil.sh': 'rm -rf ~', 'lab/../../../outside.yaml': 'x: 1', '/etc/cron.d/evil': '* * * * * root true' })));
    const msgs = pack.problems.map(formatProblem);
    expect(msgs).toContain('slip.zip!../../evil.sh:1: archive entry escapes the pack (".."); refused');
    expect(msgs).toContain('slip.zip!lab/../../../outside.yaml:1: archive entry escapes the pack (".."); refused');
    expect(msgs.some((m) => m.startsWith('slip.zip!/etc/cron.d/evil:1: archive entry is an absolute path'))).toBe(true);
    // The good lab in the archive still loads; nothing was written anywhere.
    expect(pack.labs.map((l) => l.spec.id)).toEqual(['zipped']);
  });

  it('refuses symbolic links', async () => {
    const link: [Uint8Array, { os: number; attrs: number }] = [strToU8('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }];
    const pack = await loadPack(await zip('link.zip', { ...text(lab), 'lab/manifests/passwd.yaml': link }));
    expect(pack.problems.map(formatProblem)).toContain('link.zip!lab/manifests/passwd.yaml:1: archive entry is a symbolic link; refused');
  });

  it('refuses a size bomb without inflating it', async () => {
    const bomb = new Uint8Array(20 * 1024 * 1024); // 20 MiB of zeros compress to a few KiB
    const file = await zip('bomb.zip', { ...text(lab), 'lab/manifests/huge.yaml': [bomb, { level: 9 }] });
    const pack = await loadPack(file);
    expect(pack.problems.map(formatProblem)).toContain('bomb.zip!lab/manifests/huge.yaml:1: archive entry is too large or too compressed (possible zip bomb); refused');
  });

  it('reports a file that is not a zip instead of crashing', async () => {
    const f = path.join(dir, 'junk.zip');
    await writeFile(f, 'this is not a zip archive');
    const pack = await loadPack(f);
    expect(pack.labs).toEqual([]);
    expect(pack.problems[0].message).toMatch(/not a zip archive/);
  });
});
