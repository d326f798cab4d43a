// The Electron transport: one invoke channel into the core router, one event channel out.
// Only the app's own frame may call in; every message is validated by the router.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { Core } from '../core/index.ts';
import { isAppUrl } from './security.ts';

export const INVOKE_CHANNEL = 'meshwalk:invoke';
export const EVENT_CHANNEL = 'meshwalk:event';

export function wireIpc(core: Core, target: () => WebContents | null): () => void {
  const controller = new AbortController();
  let nextId = 0;
  ipcMain.handle(INVOKE_CHANNEL, async (event: IpcMainInvokeEvent, method: unknown, params: unknown) => {
    if (!event.senderFrame || !isAppUrl(event.senderFrame.url)) {
      return { ok: false, error: { code: 'forbidden', message: 'calls are accepted only from the Meshwalk window' } };
    }
    const reply = await core.router.handle({ type: 'request', id: nextId++, method, params }, { transport: 'electron', signal: controller.signal });
    return reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error };
  });
  const unsubscribe = core.events.subscribe((topic, data) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(EVENT_CHANNEL, topic, data);
  });
  return () => {
    controller.abort();
    unsubscribe();
    ipcMain.removeHandler(INVOKE_CHANNEL);
  };
}
