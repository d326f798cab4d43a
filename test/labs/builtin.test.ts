// The built-in curriculum: every lab validates, in both languages, with the published schema too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.ts';
import { BUILTIN_PACK_DIR, loadBuiltinPack } from '../../main/core/labs/pack.ts';
import { formatProblem } from '../../main/core/labs/yaml-locate.ts';
import { LAB_SCHEMA_FILE, labSchemaText } from '../../main/core/labs/gen-schema.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: new Writable({ write: (c, _e, cb) => ((out += c), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((err += c), cb()) }),
    stdin: process.stdin,
    env: { ...process.env, MESHWALK_DATA_DIR: path.join(process.cwd(), 'test-results', 'labs-data') },
    cwd: process.cwd(),
  });
  return { code, out, err };
}

const CURRICULUM = ['install', 'bookinfo', 'traffic-resources', 'request-routing', 'fault-injection', 'traffic-shifting', 'tcp-traffic-shifting', 'request-timeouts', 'circuit-breaking', 'mirroring', 'locality-load-balancing', 'ingress', 'egress', 'life-of-a-packet'];

describe('built-in labs', () => {
  it('all pass validation, in curriculum order, in English and Korean', async () => {
    const pack = await loadBuiltinPack();
    expect(pack.problems.map(formatProblem)).toEqual([]);
    expect(pack.labs.map((l) => l.spec.id)).toEqual(CURRICULUM);
    for (const lab of pack.labs) {
      expect(lab.languages, lab.spec.id).toEqual(['en', 'ko']);
      expect(lab.spec.title.ko, lab.spec.id).toBeTruthy();
      // Korean text is Korean, not a copy of the English.
      for (const step of lab.spec.steps) {
        const ko = lab.text.ko!.sections[step.id];
        expect(/[가-힣]/.test(ko.title + ko.body), `${lab.spec.id}#${step.id} ko`).toBe(true);
      }
      // Every lab that checks something sends traffic and has at least one check.
      expect(lab.spec.steps.some((s) => s.kind === 'check'), lab.spec.id).toBe(true);
    }
  });

  it('manifests use networking.istio.io/v1 for Istio networking resources', async () => {
    const pack = await loadBuiltinPack();
    const istio = pack.labs.flatMap((l) => Object.values(l.manifests).flat()).filter((d) => d.object.apiVersion.startsWith('networking.istio.io'));
    expect(istio.length).toBeGreaterThan(20);
    expect(new Set(istio.map((d) => d.object.apiVersion))).toEqual(new Set(['networking.istio.io/v1']));
  });

  it('meshwalk lab validate labs/ exits 0', async () => {
    const r = await cli(['lab', 'validate', BUILTIN_PACK_DIR]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: 14 labs/);
  });

  it('meshwalk lab list --json prints {id, title, languages, steps}', async () => {
    const r = await cli(['lab', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { id: string; title: { en: string; ko: string }; languages: string[]; steps: number }[];
    expect(rows.map((x) => x.id)).toEqual(CURRICULUM);
    expect(rows.find((x) => x.id === 'request-routing')).toEqual({ id: 'request-routing', title: { en: 'Request routing', ko: '요청 라우팅' }, languages: ['en', 'ko'], steps: 11 });
  });

  it('meshwalk lab with a bad subcommand or missing id is a usage error', async () => {
    expect((await cli(['lab', 'frobnicate'])).code).toBe(2);
    expect((await cli(['lab', 'run'])).code).toBe(2);
    expect((await cli(['lab', 'run', 'request-routing', '--backend', 'moon'])).code).toBe(2);
  });
});

describe('lab.yaml JSON Schema', () => {
  it('the committed schema/lab.schema.json is generated from the current zod schema', () => {
    expect(readFileSync(LAB_SCHEMA_FILE, 'utf8'), 'run: node --import tsx main/core/labs/gen-schema.ts').toBe(labSchemaText());
  });

  it('accepts every built-in lab.yaml and rejects a broken one', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(LAB_SCHEMA_FILE, 'utf8')));
    const pack = await loadBuiltinPack();
    for (const lab of pack.labs) {
      const doc = parse(readFileSync(path.join(BUILTIN_PACK_DIR, lab.dir, 'lab.yaml'), 'utf8'));
      expect(validate(doc), `${lab.dir}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ id: 'x', title: { en: 'x' }, summary: { en: 'x' }, level: 'beginner', estimatedMinutes: 1, steps: [{ id: 'a', kind: 'dance' }] })).toBe(false);
  });
});

describe('meshwalk lab run (headless)', () => {
  it('runs the request-routing lab on the sandbox and prints each outcome as JSON; exit 0', async () => {
    const r = await cli(['lab', 'run', 'request-routing', '--backend', 'sandbox', '--json']);
    const rows = JSON.parse(r.out) as { step: string; kind: string; outcome: string; message: string }[];
    expect(rows.map((x) => x.step)).toEqual(['intro', 'setup', 'pods-ready', 'all-v1', 'browse-v1', 'verify-v1', 'jason-v2', 'browse-jason', 'browse-anonymous', 'verify-jason', 'quiz-header']);
    expect(Object.keys(rows[0]).sort()).toEqual(['kind', 'message', 'outcome', 'step']);
    expect(rows.filter((x) => x.kind === 'check').map((x) => x.outcome)).toEqual(['pass', 'pass']);
    expect(r.code).toBe(0);
    expect((await cli(['lab', 'reset', 'request-routing', '--backend', 'sandbox'])).code).toBe(0);
  }, 60_000);

  it('refuses to run the commands of a pack that is not built in without --yes', async () => {
    const r = await cli(['lab', 'run', 'routing', '--pack', 'test/fixtures/labs/engine-pack']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('kubectl get virtualservice reviews');
    expect(r.err).toContain('--yes');
  });
});
