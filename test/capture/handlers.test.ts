// capture.parseLines over a real core: the request detail view asks the core for the fields of a
// hop's lines (the parser runs in the core, not in the renderer).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core/index.ts';
import { ApiError } from '../../main/core/api/errors.ts';
import { MAX_LINE_BYTES } from '../../main/core/capture/line-store.ts';
import { parseAccessLog } from '../../main/core/capture/parser.ts';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'capture');
const lines = (f: string) => readFileSync(path.join(fixtures, f), 'utf8').split('\n').filter((l) => l.trim() !== '');

let core: Core;
let dir: string;
const call = (method: string, params: unknown) => core.router.invoke(method, params, { transport: 'test', signal: new AbortController().signal });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-capture-api-'));
  core = createCore({ dataDir: dir, version: 'test', transport: 'test', backend: 'sandbox' });
});
afterAll(async () => {
  await core.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('capture.parseLines', () => {
  it('returns each line parsed field for field, and null for a line that does not parse', async () => {
    const [text] = lines('istio-docs-text-format.log');
    const [json] = lines('community-json-format.jsonl');
    const [broken] = lines('broken-lines.log');
    const { entries } = (await call('capture.parseLines', { lines: [text, broken, json] })) as { entries: unknown[] };
    expect(entries).toEqual([parseAccessLog(text!), null, parseAccessLog(json!)]);
    expect(entries[0]).toMatchObject({ upstreamCluster: { raw: 'outbound|8000||httpbin.foo.svc.cluster.local', direction: 'outbound', port: 8000 } });
  });

  it('refuses lines longer than capture keeps, and more lines than a request has', async () => {
    await expect(call('capture.parseLines', { lines: ['x'.repeat(MAX_LINE_BYTES + 1)] })).rejects.toBeInstanceOf(ApiError);
    await expect(call('capture.parseLines', { lines: Array.from({ length: 513 }, () => 'x') })).rejects.toBeInstanceOf(ApiError);
  });
});
