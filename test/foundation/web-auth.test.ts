import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore, type Core } from '../../main/core/index.ts';
import { startWebServer, type WebServer } from '../../main/web/server.ts';

let core: Core;
let server: WebServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-web-'));
  const staticDir = path.join(dir, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Meshwalk</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  core = createCore({ dataDir: path.join(dir, 'data'), version: 'test', transport: 'web', backend: 'sandbox' });
  server = await startWebServer({ core, staticDir });
});

afterAll(async () => {
  await server.close();
  await core.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function openSocket(headers: Record<string, string>, url = `ws://127.0.0.1:${server.port}/api`): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => undefined);
  });
}

describe('web mode', () => {
  it('binds loopback and prints a URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    expect(server.tokenUrl).toBe(`${server.url}?token=${server.token}`);
  });

  it('refuses to bind a non-loopback address', async () => {
    await expect(startWebServer({ core, staticDir: dir, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('answers 401 without the token and with a wrong one', async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(`${server.url}?token=nope`)).status).toBe(401);
    expect((await fetch(`${server.url}assets/app.js`)).status).toBe(401);
  });

  it('serves the page with the token, with a strict CSP, and trades the token for an HttpOnly cookie', async () => {
    const res = await fetch(server.tokenUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Meshwalk</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("worker-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const viaCookie = await fetch(`${server.url}assets/app.js`, { headers: { cookie: cookie.split(';')[0] } });
    expect(viaCookie.status).toBe(200);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await fetch(`${server.url}..%2fsecret.txt?token=${server.token}`);
    expect([400, 404]).toContain(res.status);
    expect(await res.text()).not.toContain('secret');
  });

  it('refuses WebSocket upgrades without the token (401) and from a foreign Origin (403)', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    expect((await openSocket({ origin })).status).toBe(401);
    expect((await openSocket({ origin: 'http://evil.example', cookie: `meshwalk_token=${server.token}` })).status).toBe(403);
    expect((await openSocket({ cookie: `meshwalk_token=${server.token}` })).status).toBe(403);
  });

  it('speaks the API over an authorised WebSocket and survives malformed messages', async () => {
    const { ws } = await openSocket({ origin: `http://localhost:${server.port}`, cookie: `meshwalk_token=${server.token}` });
    expect(ws).toBeDefined();
    const replies: unknown[] = [];
    const got = new Promise<void>((resolve) =>
      ws!.on('message', (m) => {
        const msg = JSON.parse(m.toString());
        if (msg.type === 'response') replies.push(msg);
        if (replies.length === 3) resolve();
      }),
    );
    ws!.send('{not json');
    ws!.send(JSON.stringify({ type: 'request', id: 1, method: 'nope.nope', params: {} }));
    ws!.send(JSON.stringify({ type: 'request', id: 2, method: 'system.ping', params: { nonce: 'n1' } }));
    await got;
    expect(replies).toContainEqual(expect.objectContaining({ id: -1, ok: false, error: expect.objectContaining({ code: 'bad_request' }) }));
    expect(replies).toContainEqual(expect.objectContaining({ id: 1, ok: false, error: expect.objectContaining({ code: 'unknown_method' }) }));
    expect(replies).toContainEqual(expect.objectContaining({ id: 2, ok: true, result: expect.objectContaining({ nonce: 'n1' }) }));
    ws!.close();
  });
});
