// A local HTTP server on 127.0.0.1 that answers like the Kubernetes API server for the calls the
// cluster layer makes: discovery, GET/PATCH (server-side apply)/DELETE of objects, watches that
// can be dropped, and pod logs. Each test scripts the parts it needs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  contentType?: string;
}

export type Route = (req: Recorded, res: http.ServerResponse) => boolean | void;

export const DISCOVERY: Record<string, unknown> = {
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list', 'watch'] },
      { name: 'services', singularName: 'service', namespaced: true, kind: 'Service', verbs: ['get', 'list', 'watch', 'patch'] },
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'patch'] },
    ],
  },
  '/apis/networking.istio.io/v1': {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'networking.istio.io/v1',
    resources: [
      { name: 'virtualservices', singularName: 'virtualservice', namespaced: true, kind: 'VirtualService', shortNames: ['vs'], verbs: ['delete', 'get', 'list', 'patch', 'watch'] },
      { name: 'destinationrules', singularName: 'destinationrule', namespaced: true, kind: 'DestinationRule', shortNames: ['dr'], verbs: ['delete', 'get', 'list', 'patch', 'watch'] },
    ],
  },
  '/apis/apps/v1': {
    kind: 'APIResourceList',
    groupVersion: 'apps/v1',
    resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'list', 'watch', 'patch'] }],
  },
};

export function json(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

export function status(code: number, reason: string, message: string, causes?: { field: string; message: string; reason?: string }[]): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(causes ? { details: { causes } } : {}) };
}

export class FakeApiServer {
  readonly requests: Recorded[] = [];
  private readonly server: http.Server;
  routes: Route[] = [];
  url = '';

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const rec: Recorded = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, body: Buffer.concat(chunks).toString('utf8'), contentType: req.headers['content-type'] };
        this.requests.push(rec);
        for (const r of this.routes) if (r(rec, res)) return;
        if (rec.method === 'GET' && DISCOVERY[rec.path]) return void json(res, 200, DISCOVERY[rec.path]);
        if (rec.path === '/version') return void json(res, 200, { major: '1', minor: '35', gitVersion: 'v1.35.1', platform: 'linux/amd64' });
        json(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${rec.method} ${rec.path})`));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A kubeconfig file pointing at this server (plain HTTP, token auth). */
  kubeconfig(dir: string): string {
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster: {server: "${this.url}", insecure-skip-tls-verify: true}\ncontexts:\n- name: fake\n  context: {cluster: fake, user: fake, namespace: default}\nusers:\n- name: fake\n  user: {token: t}\n`,
      { mode: 0o600 },
    );
    return file;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
