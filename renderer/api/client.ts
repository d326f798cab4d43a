// The renderer's one way to reach the core. Under Electron the preload exposes `window.meshwalk`;
// in a browser (web mode) we speak the same envelopes over a WebSocket. Same interface for both.
import type { SocketCommand, SocketReport } from './socket-worker.ts';
import type { ApiClient, ApiErrorShape, ConnectionState, EventData, MethodName, Params, Result, ServerMessage, Topic } from '../../main/core/api/contract.ts';

/** What the Electron preload exposes through contextBridge. */
export interface PreloadBridge {
  invoke(method: string, params: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorShape }>;
  onEvent(listener: (topic: string, data: unknown) => void): () => void;
}

declare global {
  interface Window {
    meshwalk?: PreloadBridge;
  }
}

/** Errors from the core arrive as plain data; this gives them back a message and a fix. */
export class CoreError extends Error {
  readonly code: ApiErrorShape['code'];
  readonly fix?: string;
  constructor(shape: ApiErrorShape) {
    super(shape.message);
    this.code = shape.code;
    this.fix = shape.fix;
  }
}

type Listener = (data: unknown) => void;

class Topics {
  private readonly map = new Map<string, Set<Listener>>();
  on(topic: string, l: Listener): () => void {
    let set = this.map.get(topic);
    if (!set) this.map.set(topic, (set = new Set()));
    set.add(l);
    return () => set.delete(l);
  }
  emit(topic: string, data: unknown) {
    for (const l of this.map.get(topic) ?? []) l(data);
  }
}

function electronClient(bridge: PreloadBridge): ApiClient {
  const topics = new Topics();
  bridge.onEvent((t, d) => topics.emit(t, d));
  return {
    async call(method, params) {
      const reply = await bridge.invoke(method, params);
      if (!reply.ok) throw new CoreError(reply.error);
      return reply.result as never;
    },
    on: (topic, listener) => topics.on(topic, listener as Listener),
    onConnection(listener) {
      listener('open');
      return () => undefined;
    },
  };
}

function webSocketClient(url: string): ApiClient {
  const topics = new Topics();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const connection = new Set<(s: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let nextId = 1;
  let opened!: Promise<void>;
  let markOpen!: () => void;
  let retry = 250;
  // The socket itself runs in a worker (see socket-worker.ts); this side keeps the protocol.
  const worker = new Worker(new URL('./socket-worker.ts', import.meta.url), { type: 'module', name: 'meshwalk-socket' });
  const command = (cmd: SocketCommand) => worker.postMessage(cmd);

  const setState = (s: ConnectionState) => {
    state = s;
    for (const l of connection) l(s);
  };
  // Calls made while (re)connecting wait for the socket to open.
  const armOpened = () => {
    opened = new Promise((resolve) => (markOpen = resolve));
  };
  const connect = () => {
    setState('connecting');
    command({ type: 'connect', url });
  };
  worker.addEventListener('message', ({ data: report }: MessageEvent<SocketReport>) => {
    switch (report.type) {
      case 'open':
        retry = 250;
        markOpen();
        setState('open');
        return;
      case 'terminal':
        topics.emit('terminal.data', report.frame);
        return;
      case 'text': {
        const msg = JSON.parse(report.text) as ServerMessage;
        if (msg.type === 'event') topics.emit(msg.topic, msg.data);
        else {
          const p = pending.get(msg.id);
          if (!p) return;
          pending.delete(msg.id);
          if (msg.ok) p.resolve(msg.result);
          else p.reject(new CoreError(msg.error));
        }
        return;
      }
      case 'close':
        setState('closed');
        armOpened();
        for (const p of pending.values()) p.reject(new CoreError({ code: 'unavailable', message: 'connection to Meshwalk lost' }));
        pending.clear();
        // Reconnect with backoff: the server may be restarting.
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 5000);
    }
  });
  armOpened();
  connect();

  return {
    async call(method, params) {
      await opened;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        command({ type: 'send', text: JSON.stringify({ type: 'request', id, method, params }) });
      });
    },
    on: (topic, listener) => topics.on(topic, listener as Listener),
    onConnection(listener) {
      connection.add(listener);
      listener(state);
      return () => connection.delete(listener);
    },
  };
}

export function createApiClient(): ApiClient {
  if (window.meshwalk) return electronClient(window.meshwalk);
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return webSocketClient(`${proto}//${location.host}/api`);
}

export type { ApiClient, EventData, MethodName, Params, Result, Topic };
