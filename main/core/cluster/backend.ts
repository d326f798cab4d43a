// The cluster MeshBackend.
import { ApiError } from '../api/errors.ts';
import type { CoreContext } from '../context.ts';
import type { MeshBackend } from '../backend/types.ts';

export async function createClusterBackend(_ctx: CoreContext): Promise<MeshBackend> {
  throw new ApiError('unavailable', 'the cluster backend is not available in this build');
}
