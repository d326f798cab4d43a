import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Router } from '../../main/core/api/router.ts';
import { methods, events } from '../../main/core/api/contract.ts';
import { EventBus } from '../../main/core/events.ts';
import { ApiError } from '../../main/core/api/errors.ts';

const call = { transport: 'test' as const, signal: new AbortController().signal };

function router(overrides: Record<string, unknown> = {}) {
  return new Router({
    'system.ping': ({ nonce }: { nonce: string }) => ({ nonce, at: 1 }),
    ...overrides,
  } as never);
}

describe('contract validation at the boundary', () => {
  it('answers a well-formed request', async () => {
    const r = await router().handle({ type: 'request', id: 7, method: 'system.ping', params: { nonce: 'x' } }, call);
    expect(r).toEqual({ type: 'response', id: 7, ok: true, result: { nonce: 'x', at: 1 } });
  });

  it.each([
    ['not an object', 'hello'],
    ['null', null],
    ['missing type', { id: 1, method: 'system.ping' }],
    ['negative id', { type: 'request', id: -4, method: 'system.ping' }],
    ['extra envelope keys', { type: 'request', id: 1, method: 'system.ping', params: {}, admin: true }],
    ['method not a string', { type: 'request', id: 1, method: 42 }],
  ])('rejects a malformed envelope (%s) with bad_request', async (_name, raw) => {
    const r = await router().handle(raw, call);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad_request');
  });

  it('rejects an unknown method', async () => {
    const r = await router().handle({ type: 'request', id: 1, method: 'fs.readFile', params: {} }, call);
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  it('rejects a known method that has no handler as unknown', async () => {
    const r = await new Router({}).handle({ type: 'request', id: 1, method: 'system.ping', params: { nonce: 'a' } }, call);
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  it('rejects invalid params, naming the field', async () => {
    const r = await router().handle({ type: 'request', id: 2, method: 'system.ping', params: { nonce: 5 } }, call);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    if (!r.ok) expect(r.error.message).toContain('nonce');
  });

  it('rejects unknown params keys (strict)', async () => {
    const r = await router().handle({ type: 'request', id: 2, method: 'system.ping', params: { nonce: 'a', cmd: 'rm -rf /' } }, call);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
  });

  it('rejects non-http links for openExternal', async () => {
    const r = await router({ 'shell.openExternal': () => ({ opened: true }) }).handle(
      { type: 'request', id: 3, method: 'shell.openExternal', params: { url: 'file:///etc/passwd' } },
      call,
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
  });

  it('turns a throwing handler into an error response with its fix, never a crash', async () => {
    const r = await router({
      'system.ping': () => {
        throw new ApiError('unavailable', 'kubectl not found', 'Install kubectl');
      },
    }).handle({ type: 'request', id: 4, method: 'system.ping', params: { nonce: 'a' } }, call);
    expect(r).toEqual({ type: 'response', id: 4, ok: false, error: { code: 'unavailable', message: 'kubectl not found', fix: 'Install kubectl' } });
  });

  it('refuses a handler result that breaks the contract', async () => {
    const r = await router({ 'system.ping': () => ({ nonce: 1 }) }).handle(
      { type: 'request', id: 5, method: 'system.ping', params: { nonce: 'a' } },
      call,
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'failed' } });
  });

  it('every method has zod params/result schemas and a summary; every event a schema', () => {
    for (const [name, spec] of Object.entries(methods)) {
      expect(name).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
      expect(spec.params).toBeInstanceOf(z.ZodType);
      expect(spec.result).toBeInstanceOf(z.ZodType);
      expect(spec.summary.length).toBeGreaterThan(3);
    }
    for (const schema of Object.values(events)) expect(schema).toBeInstanceOf(z.ZodType);
  });

  it('the event bus refuses data that breaks the contract and isolates failing subscribers', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('closed socket');
    });
    bus.on('notice', (d) => seen.push(d.message));
    bus.emit('notice', { level: 'info', message: 'hello' });
    expect(seen).toEqual(['hello']);
    expect(() => bus.emit('notice', { level: 'loud', message: 1 } as never)).toThrow();
  });
});
