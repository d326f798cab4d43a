import type { ApiErrorShape, ErrorCode } from './contract.ts';

/** An error meant for the user: a readable message and, where we know it, what to do about it. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toShape(): ApiErrorShape {
    const shape: ApiErrorShape = { code: this.code, message: this.message };
    if (this.fix) shape.fix = this.fix;
    if (this.details !== undefined) shape.details = this.details;
    return shape;
  }
}

/** Turn anything thrown into plain data for the wire. Unknown errors keep their message, never a stack. */
export function toErrorShape(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return err.toShape();
  const fix = typeof (err as { fix?: unknown })?.fix === 'string' ? (err as { fix: string }).fix : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return fix ? { code: 'failed', message, fix } : { code: 'failed', message };
}
