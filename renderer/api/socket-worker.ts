// The web transport's WebSocket lives in this dedicated worker. During a terminal flood the page's
// main thread is all xterm.js (parsing and repainting), and receiving and inflating the socket's
// frames took about a third of its busy time. Here they cost it nothing: in `npm run bench terminal`
// the page draws ~40 frames/s during the flood instead of ~31, at the same throughput (the bytes
// per second are bound by repaints and this machine's two cores). Requests, replies and events
// stay JSON text and pass through as they are; terminal frames arrive decoded, their bytes
// transferred rather than copied.
import { decodeTerminalFrame, type TerminalFrame } from '../../main/core/api/terminal-frame.ts';

/** From the page. */
export type SocketCommand = { type: 'connect'; url: string } | { type: 'send'; text: string };

/** To the page. */
export type SocketReport = { type: 'open' } | { type: 'close' } | { type: 'text'; text: string } | { type: 'terminal'; frame: TerminalFrame };

// The DOM lib's `self` is a Window; this is what a dedicated worker's global offers.
const scope = self as unknown as {
  postMessage(report: SocketReport, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<SocketCommand>) => void) | null;
};

let socket: WebSocket | null = null;

scope.onmessage = ({ data: cmd }) => {
  if (cmd.type === 'send') {
    socket?.send(cmd.text);
    return;
  }
  socket?.close();
  const ws = new WebSocket(cmd.url);
  socket = ws;
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('open', () => scope.postMessage({ type: 'open' }));
  ws.addEventListener('close', () => {
    if (socket === ws) scope.postMessage({ type: 'close' });
  });
  ws.addEventListener('message', (ev) => {
    if (!(ev.data instanceof ArrayBuffer)) {
      scope.postMessage({ type: 'text', text: String(ev.data) });
      return;
    }
    const frame = decodeTerminalFrame(ev.data);
    scope.postMessage({ type: 'terminal', frame }, [frame.data.buffer as ArrayBuffer]);
  });
};
