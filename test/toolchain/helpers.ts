// Test helpers: stand-in tools on PATH, a throw-away data folder, and liveness checks for pids.
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBus } from '../../main/core/events.ts';
import type { CoreContext } from '../../main/core/context.ts';

export const STANDINS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'standins');
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cluster');

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** A PATH with only the chosen stand-ins, plus node itself (the stand-ins are node scripts). */
export function binDir(tools: string[] = ['minikube', 'istioctl', 'kubectl', 'docker']): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshwalk-bin-'));
  for (const t of tools) symlinkSync(path.join(STANDINS, t), path.join(dir, t));
  symlinkSync(process.execPath, path.join(dir, 'node'));
  return dir;
}

export function standinEnv(extra: NodeJS.ProcessEnv = {}, tools?: string[]): NodeJS.ProcessEnv {
  const dir = binDir(tools);
  return { HOME: tempDir('home'), PATH: `${dir}${path.delimiter}/usr/bin${path.delimiter}/bin`, SHELL: '/bin/sh', ...extra };
}

export function tempDir(prefix = 'data'): string {
  return mkdtempSync(path.join(os.tmpdir(), `meshwalk-${prefix}-`));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

export async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

const disposers: (() => Promise<void>)[] = [];

/** Run every cleanup registered by fakeCtx (use in afterEach). */
export async function disposeAll(): Promise<void> {
  for (const d of disposers.splice(0)) await d();
}

/** A CoreContext without the router: options, an event bus and dispose hooks. */
export function fakeCtx(env: NodeJS.ProcessEnv, events = new EventBus()): CoreContext {
  const dataDir = tempDir('data');
  const cleanups: (() => void | Promise<void>)[] = [];
  const ctx = {
    options: { dataDir, version: 'test', transport: 'test', backend: 'sandbox', env },
    events,
    backends: undefined as never,
    onDispose: (fn: () => void | Promise<void>) => void cleanups.push(fn),
  } as CoreContext;
  disposers.push(async () => {
    for (const fn of cleanups.reverse()) await fn();
    cleanup(dataDir);
  });
  return ctx;
}

