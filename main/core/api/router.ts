// Validates every message at the boundary and dispatches it. Malformed input becomes an error
// response; nothing a client sends can throw out of here.
import { z } from 'zod';
import { methods, RequestEnvelope, type MethodName, type Methods, type ResponseEnvelope } from './contract.ts';
import { ApiError, toErrorShape } from './errors.ts';

export type Handler<M extends MethodName> = (
  params: z.output<Methods[M]['params']>,
  call: CallContext,
) => Promise<z.input<Methods[M]['result']>> | z.input<Methods[M]['result']>;

export type Handlers<Names extends MethodName = MethodName> = { [M in Names]: Handler<M> };

export interface CallContext {
  /** Which transport the call came through; some methods behave differently (openExternal). */
  transport: 'electron' | 'web' | 'cli' | 'test';
  signal: AbortSignal;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export class Router {
  constructor(private readonly handlers: Partial<Handlers>) {}

  has(name: string): name is MethodName {
    return Object.hasOwn(methods, name) && typeof this.handlers[name as MethodName] === 'function';
  }

  /** Handle one raw message (already JSON-decoded). Always resolves to a response envelope. */
  async handle(raw: unknown, call: CallContext): Promise<ResponseEnvelope> {
    const envelope = RequestEnvelope.safeParse(raw);
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
    if (!envelope.success) {
      return { type: 'response', id, ok: false, error: { code: 'bad_request', message: `malformed request: ${describeIssues(envelope.error)}` } };
    }
    const { method, params } = envelope.data;
    try {
      const result = await this.invoke(method, params ?? {}, call);
      return { type: 'response', id, ok: true, result };
    } catch (err) {
      return { type: 'response', id, ok: false, error: toErrorShape(err) };
    }
  }

  /** Validate params, run the handler, validate the result. Throws ApiError. */
  async invoke(method: string, params: unknown, call: CallContext): Promise<unknown> {
    if (!this.has(method)) throw new ApiError('unknown_method', `unknown method "${method}"`);
    const spec = methods[method];
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) throw new ApiError('invalid_params', `${method}: ${describeIssues(parsed.error)}`);
    const handler = this.handlers[method] as (p: unknown, c: CallContext) => unknown;
    const result = await handler(parsed.data, call);
    const checked = spec.result.safeParse(result);
    if (!checked.success) throw new ApiError('failed', `${method} produced an invalid result: ${describeIssues(checked.error)}`);
    return checked.data;
  }
}
