// Hardening that applies to every web contents the app creates: no navigation away from the app,
// no new windows (http(s) links go to the OS browser), no permission grants.
import { app, session, shell, type WebContents } from 'electron';

export const APP_ORIGIN = 'app://meshwalk';

export function isAppUrl(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`);
}

function openIfWebLink(url: string): void {
  if (/^https?:\/\//.test(url)) void shell.openExternal(url);
}

export function installSecurityRestrictions(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) {
        event.preventDefault();
        openIfWebLink(url);
      }
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openIfWebLink(url);
      return { action: 'deny' };
    });
  });
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
  });
}
