// The sandbox MeshBackend.
import { ApiError } from '../api/errors.ts';
import type { CoreContext } from '../context.ts';
import type { MeshBackend } from '../backend/types.ts';

export async function createSandboxBackend(_ctx: CoreContext): Promise<MeshBackend> {
  throw new ApiError('unavailable', 'the sandbox backend is not available in this build');
}
