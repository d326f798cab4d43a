// Runs sandboxed with context isolation: exposes exactly two functions to the page, nothing of
// ipcRenderer itself. Bundled to CommonJS (sandboxed preloads cannot be ES modules).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

const INVOKE_CHANNEL = 'meshwalk:invoke';
const EVENT_CHANNEL = 'meshwalk:event';

contextBridge.exposeInMainWorld('meshwalk', {
  invoke: (method: string, params: unknown) => ipcRenderer.invoke(INVOKE_CHANNEL, String(method), params),
  onEvent: (listener: (topic: string, data: unknown) => void) => {
    const wrapped = (_e: IpcRendererEvent, topic: string, data: unknown) => listener(topic, data);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
  },
});
