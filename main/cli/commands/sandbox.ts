// `meshwalk sandbox run`: apply manifests to a fresh sandbox mesh, send requests in virtual time,
// print what each request did (JSON per request) or a summary. Instructors script this, and other
// tools test against its output, so the field names are a contract.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ManifestDoc } from '../../core/backend/types.ts';
import { ManifestError, parseManifestText } from '../../core/manifests.ts';
import { manifestFiles, Mesh, parseUrl, type SimResponse } from '../../core/sandbox/mesh.ts';
import { parse } from '../args.ts';
import { EXIT, UsageError, type CliCommand } from '../io.ts';

const USAGE = `Usage: meshwalk sandbox run -f <file|folder> [-f …] --request "GET http://productpage:9080/productpage" [options] (--json | --summary)

Runs requests through the built-in sandbox mesh (Istio + Bookinfo + samples, no cluster needed).

  -f, --file <path>        manifest file or folder of *.yaml (repeatable; applied in order)
  --request "<M> <url>"    e.g. "GET http://reviews:9080/reviews/0", "TCP tcp://istio-ingressgateway:31400"
  --from <workload>        client: curl (default), ingressgateway, fortio, or any workload/pod
  --header k=v             request header (repeatable)
  --user <name>            log in at productpage first, so it sends end-user: <name>
  --count N                number of requests (default 1)
  --concurrency C          parallel connections, fortio-style (default 1)
  --qps Q                  requests per second across connections (default 0 = max)
  --seed S                 random seed (default 1); same seed, same output
  --mesh-config k=v        outboundTrafficPolicy.mode=REGISTRY_ONLY, accessLogEncoding=JSON (repeatable)
  --json                   one JSON object per request: status, durationMs, hops, view, accessLog
  --summary                one JSON object: requests, byStatus, byWorkload, byFlag

Bad manifests or flags exit 2 naming the file and the reason. Warnings go to stderr.`;

function int(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${v}"`);
  return Number(v);
}

function pairs(name: string, list: string[] | undefined): [string, string][] {
  return (list ?? []).map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--${name} expects k=v, got "${p}"`);
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
  });
}

function loadDocs(files: string[], cwd: string): ManifestDoc[] {
  const docs: ManifestDoc[] = [];
  for (const f of files) {
    const abs = path.resolve(cwd, f);
    try {
      statSync(abs);
    } catch {
      throw new UsageError(`${f}: no such file or folder`);
    }
    const list = manifestFiles(abs);
    if (list.length === 0) throw new UsageError(`${f}: folder has no .yaml or .yml files`);
    for (const file of list) {
      const shown = path.relative(cwd, file) || file;
      try {
        docs.push(...parseManifestText(readFileSync(file, 'utf8'), shown));
      } catch (err) {
        if (err instanceof ManifestError) throw new UsageError(err.message);
        throw new UsageError(`${shown}: ${(err as Error).message}`);
      }
    }
  }
  return docs;
}

function requestJson(mesh: Mesh, r: SimResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: r.status,
    durationMs: round(r.durationMs),
    requestId: r.requestId,
    hops: r.hops.map((h) => ({
      from: h.from,
      to: h.to,
      service: h.service,
      version: h.version,
      status: h.status,
      flags: h.flags,
      durationMs: round(h.durationMs),
      ...(h.mirror ? { mirror: true } : {}),
    })),
  };
  if (r.view) out.view = { reviews: r.view.reviews, stars: r.view.stars, ratings: r.view.ratings, details: r.view.details };
  if (r.body !== undefined) out.body = r.body;
  out.accessLog = r.records.map((rec) => mesh.formatRecord(rec));
  return out;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: 'run requests through the built-in sandbox mesh (no cluster needed)',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'run') throw new UsageError(sub ? `unknown subcommand "${sub}" (try: meshwalk sandbox run --help)` : 'missing subcommand: run (see meshwalk sandbox --help)');
    const { values, positionals } = parse(rest, {
      file: { type: 'string', short: 'f', multiple: true },
      request: { type: 'string' },
      from: { type: 'string' },
      header: { type: 'string', multiple: true },
      user: { type: 'string' },
      count: { type: 'string' },
      concurrency: { type: 'string' },
      qps: { type: 'string' },
      seed: { type: 'string' },
      'mesh-config': { type: 'string', multiple: true },
      json: { type: 'boolean' },
      summary: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.request) throw new UsageError('--request "<METHOD> <url>" is required, e.g. --request "GET http://productpage:9080/productpage"');
    if (values.json && values.summary) throw new UsageError('choose one of --json and --summary');
    const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(values.request);
    if (!m) throw new UsageError(`--request must be "<METHOD> <url>", got "${values.request}"`);
    const [, method, url] = m;
    try {
      parseUrl(method, url);
    } catch (err) {
      throw new UsageError(`--request: ${(err as Error).message}`);
    }
    const count = int('count', values.count, 1, 1);
    const concurrency = int('concurrency', values.concurrency, 1, 1);
    const qps = int('qps', values.qps, 0, 0);
    const seed = int('seed', values.seed, 1, 0);
    const headers = Object.fromEntries(pairs('header', values.header));

    const mesh = new Mesh({ seed });
    for (const [k, v] of pairs('mesh-config', values['mesh-config'])) {
      try {
        mesh.setSetting(k, v);
      } catch (err) {
        throw new UsageError(`--mesh-config: ${(err as Error).message}`);
      }
    }
    const docs = loadDocs(values.file ?? [], io.cwd);
    for (const o of mesh.apply(docs)) for (const w of o.warnings) io.stderr.write(`warning: ${w}\n`);
    const from = values.from ?? 'curl';
    try {
      mesh.clientPod(from);
    } catch (err) {
      throw new UsageError(`--from: ${(err as Error).message}`);
    }

    const req = { from, method, url, headers, user: values.user };
    const summary = { requests: 0, byStatus: {} as Record<string, number>, byWorkload: {} as Record<string, number>, byFlag: {} as Record<string, number> };
    mesh.load(req, { count, concurrency, qps }, (r) => {
      if (!values.summary) {
        io.stdout.write(JSON.stringify(requestJson(mesh, r)) + '\n');
        return;
      }
      summary.requests++;
      summary.byStatus[r.status] = (summary.byStatus[r.status] ?? 0) + 1;
      for (const h of r.hops) {
        if (h.to !== '-') summary.byWorkload[h.to] = (summary.byWorkload[h.to] ?? 0) + 1;
        for (const f of h.flags.split(',')) if (f !== '-') summary.byFlag[f] = (summary.byFlag[f] ?? 0) + 1;
      }
    });
    if (values.summary) io.stdout.write(JSON.stringify(summary) + '\n');
    return EXIT.ok;
  },
};
