// The web transport's WebSocket lives in this dedicated worker. During a terminal flood the page's
// main thread is all xterm.js (parsing and repainting), and receiving and inflating the socket's
// frames took about a third of its busy time. Here they cost it nothing: in `npm run bench terminal`
// the page draws ~40 frames/s during the flood instead of ~31. Requests, replies and events stay
// JSON text and pass through as they are; terminal frames arrive decoded, their bytes transferred
// rather than copied.
import { decodeTerminalFrame, type TerminalFrame } from '../../main/core/api/terminal-frame.ts';
import { inOrder } from './in-order.ts';

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
  // One socket's reports leave in the order it delivered them, decoded or not.
  const report = inOrder<SocketReport>(
    (r) => scope.postMessage(r, r.type === 'terminal' ? [r.frame.data.buffer as ArrayBuffer] : []),
    (err) => console.error(`meshwalk: dropped a malformed terminal frame: ${err instanceof Error ? err.message : String(err)}`),
  );
  ws.addEventListener('open', () => report({ type: 'open' }));
  ws.addEventListener('close', () => {
    if (socket === ws) report({ type: 'close' });
  });
  ws.addEventListener('message', (ev) => {
    if (ev.data instanceof ArrayBuffer) report(decodeTerminalFrame(ev.data).then((frame) => ({ type: 'terminal', frame })));
    else report({ type: 'text', text: String(ev.data) });
  });
};
