// Web mode's two gates: a random token (query on first load, then an HttpOnly cookie) and, for
// WebSocket upgrades, an Origin that is this server itself.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'meshwalk_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

/** The token a request presents: `?token=`, `Authorization: Bearer`, or the cookie. */
export function presentedToken(req: IncomingMessage): { token?: string; via?: 'query' | 'header' | 'cookie' } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams.get('token');
  if (q) return { token: q, via: 'query' };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7), via: 'header' };
  const c = cookieToken(req);
  return c ? { token: c, via: 'cookie' } : {};
}

export function isAuthorized(req: IncomingMessage, token: string): boolean {
  const p = presentedToken(req).token;
  return p !== undefined && safeEqual(p, token);
}

/** Browsers always send Origin on WebSocket upgrades; accept only our own. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  if (!origin) return false;
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin);
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
