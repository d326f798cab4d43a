import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createCore } from '../../main/core/index.ts';
import { startWebServer } from '../../main/web/server.ts';
const dir = mkdtempSync(path.join(os.tmpdir(), 'mwb-'));
const core = createCore({ dataDir: dir, version: 't', transport: 'web', backend: 'sandbox' });
const server = await startWebServer({ core, staticDir: dir });
const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers: { origin: `http://127.0.0.1:${server.port}`, cookie: `meshwalk_token=${server.token}` } });
await new Promise((r) => ws.on('open', r));
let nextId = 1;
const pending = new Map<number, (v: any) => void>();
let n = 0, events = 0, doneResolve: () => void = () => {};
ws.on('message', (m) => {
  const msg = JSON.parse(m.toString());
  if (msg.type === 'response') pending.get(msg.id)?.(msg.result);
  else if (msg.topic === 'terminal.data') {
    n += msg.data.data.length; events++;
    if (process.env.ACK !== '0') call('terminal.ack', { id: msg.data.id, bytes: msg.data.data.length });
    if (msg.data.data.includes('DONE')) doneResolve();
  }
});
const call = (method: string, params: unknown) => new Promise<any>((resolve) => { const id = nextId++; pending.set(id, resolve); ws.send(JSON.stringify({ type: 'request', id, method, params })); });
const s = await call('terminal.open', { cols: 120, rows: 40, kind: 'shell' });
await call('terminal.attach', { id: s.id });
await new Promise((r) => setTimeout(r, 3000));
const done = new Promise<void>((r) => (doneResolve = r));
n = 0; events = 0;
const t = Date.now();
await call('terminal.input', { id: s.id, data: 'cat /tmp/mwt/p.txt; echo DO""NE\r' });
await done;
const ms = Date.now() - t;
console.log('core+ws MB/s', (n / 1e6 / (ms / 1000)).toFixed(1), 'events', events, 'avg', Math.round(n / events));
ws.close(); await server.close(); await core.dispose();
