// Web mode: the same renderer and the same API over HTTP + WebSocket, bound to loopback, behind
// a random token. Used for tests here, a classroom projector, or a remote dev container.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../core/index.ts';
import { contentSecurityPolicy } from '../core/csp.ts';
import { encodeTerminalFrame } from '../core/api/terminal-frame.ts';
import type { EventData } from '../core/api/contract.ts';
import { COOKIE, isAllowedOrigin, isAuthorized, isLoopbackHost, newToken, presentedToken } from './auth.ts';

export interface WebServerOptions {
  core: Core;
  /** Built renderer (dist/renderer). */
  staticDir: string;
  host?: string;
  port?: number;
  token?: string;
}

export interface WebServer {
  url: string;
  /** The URL with the token, to print or open. */
  tokenUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** Outgoing messages waiting longer than this on a slow client are dropped with the socket. */
const MAX_BUFFERED = 64 * 1024 * 1024;
// Level 1: ~6 ms per MB of terminal output here, for ~8× fewer bytes (see terminal-frame.ts).
const deflate = (bytes: Uint8Array) => deflateRawSync(bytes, { level: 1 });

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new Error(`web mode binds loopback only; "${host}" is not a loopback address`);
  const token = opts.token ?? newToken();
  const { core } = opts;
  let port = 0;

  const server = http.createServer((req, res) => {
    const security = {
      'Content-Security-Policy': contentSecurityPolicy(),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (!isAuthorized(req, token)) {
      res.writeHead(401, { ...security, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('401: open the URL with its token, as printed by `meshwalk serve`.\n');
      return;
    }
    const headers: Record<string, string> = { ...security };
    // Trade the query token for an HttpOnly cookie so it does not linger in links and history.
    if (presentedToken(req).via === 'query') headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    let file = path.normalize(path.join(opts.staticDir, pathname));
    if (!file.startsWith(path.resolve(opts.staticDir))) {
      res.writeHead(400, headers).end();
      return;
    }
    // Single-page app: unknown paths without an extension get index.html.
    if (!existsSync(file) || statSync(file).isDirectory()) {
      if (path.extname(pathname)) {
        res.writeHead(404, headers).end();
        return;
      }
      file = path.join(opts.staticDir, 'index.html');
    }
    if (!existsSync(file)) {
      res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The renderer is not built. Run `npm run build` first.\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/api') return reject(404, 'Not Found');
    if (!isAuthorized(req, token)) return reject(401, 'Unauthorized');
    if (!isAllowedOrigin(req.headers.origin, port)) return reject(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const abort = new AbortController();
    const transmit = (payload: string | Uint8Array) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        ws.terminate();
        return;
      }
      ws.send(payload);
    };
    const send = (msg: unknown) => transmit(JSON.stringify(msg));
    const unsubscribe = core.events.subscribe((topic, data) => {
      const out = topic === 'terminal.data' ? (data as EventData<'terminal.data'>) : null;
      if (out && typeof out.data === 'string') transmit(encodeTerminalFrame(out.id, out.data, deflate));
      else send({ type: 'event', topic, data });
    });
    ws.on('message', async (raw, isBinary) => {
      let msg: unknown;
      try {
        if (isBinary) throw new Error('binary');
        msg = JSON.parse(raw.toString());
      } catch {
        send({ type: 'response', id: -1, ok: false, error: { code: 'bad_request', message: 'messages must be JSON text' } });
        return;
      }
      send(await core.router.handle(msg, { transport: 'web', signal: abort.signal }));
    });
    ws.on('close', () => {
      abort.abort();
      unsubscribe();
    });
    ws.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    tokenUrl: `${url}?token=${token}`,
    token,
    port,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
