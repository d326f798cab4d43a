// Terminals over web mode: only a WebSocket that presents the token can open (or type into) one.
import { decodeTerminalFrame, type TerminalFrame } from '../../main/core/api/terminal-frame.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore, type Core } from '../../main/core/index.ts';
import { startWebServer, type WebServer } from '../../main/web/server.ts';
import { isAlive } from '../../main/core/terminal/process-tree.ts';

let core: Core;
let server: WebServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-termweb-'));
  mkdirSync(path.join(dir, 'renderer'));
  writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html>');
  core = createCore({ dataDir: path.join(dir, 'data'), version: 'test', transport: 'web', backend: 'sandbox' });
  server = await startWebServer({ core, staticDir: path.join(dir, 'renderer') });
});

afterAll(async () => {
  await server.close();
  await core.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function connect(headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => undefined);
  });
}

function request(ws: WebSocket, id: number, method: string, params: unknown): Promise<{ ok: boolean; result?: { id: string; pid?: number } }> {
  return new Promise((resolve) => {
    const onMessage = (m: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return;
      const msg = JSON.parse(m.toString());
      if (msg.type === 'response' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'request', id, method, params }));
  });
}

describe('terminal over web mode', () => {
  const origin = () => `http://127.0.0.1:${server.port}`;

  it('a WebSocket without the token (or with a wrong one) cannot reach the terminal', async () => {
    expect((await connect({ origin: origin() })).status).toBe(401);
    expect((await connect({ origin: origin(), cookie: 'meshwalk_token=wrong' })).status).toBe(401);
    const before = (await core.router.invoke('terminal.list', {}, { transport: 'test', signal: new AbortController().signal })) as { sessions: unknown[] };
    expect(before.sessions).toEqual([]);
  });

  it('with the token it opens a shell, streams its output as events and closes it', async () => {
    const { ws } = await connect({ origin: origin(), cookie: `meshwalk_token=${server.token}` });
    expect(ws).toBeDefined();
    // Terminal output comes as binary frames: UTF-8 bytes plus the count to acknowledge.
    const frames: Promise<TerminalFrame>[] = [];
    ws!.on('message', (m, isBinary) => {
      if (isBinary) frames.push(decodeTerminalFrame(m as Buffer));
    });
    const output = async () => {
      const texts = (await Promise.all(frames)).map((f) => ({ chars: f.chars, text: new TextDecoder().decode(f.data) }));
      for (const t of texts) expect(t.chars).toBe(t.text.length);
      return texts.map((t) => t.text).join('');
    };
    const opened = await request(ws!, 1, 'terminal.open', { cols: 80, rows: 24, kind: 'shell' });
    expect(opened.ok).toBe(true);
    const { id, pid } = opened.result!;
    expect((await request(ws!, 2, 'terminal.attach', { id })).ok).toBe(true);
    await request(ws!, 3, 'terminal.input', { id, data: 'echo WS=$((2*21))\r' });
    await expect.poll(async () => /\nWS=42/.test((await output()).replace(/\x1b\[\?2004l\r?/g, '')), { timeout: 20_000 }).toBe(true);
    expect((await request(ws!, 4, 'terminal.close', { id })).ok).toBe(true);
    expect(isAlive(pid!)).toBe(false);
    ws!.close();
  });
});
