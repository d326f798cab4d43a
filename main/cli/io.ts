// What a CLI command gets: its arguments and output streams, so tests can run commands in-process.
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the exit code: 0 ok, 1 failure, 2 usage error. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A usage error: the CLI prints its one-line message and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
