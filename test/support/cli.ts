// Runs the meshwalk CLI in-process with captured streams (spawning it costs a tsx start-up).
import { PassThrough } from 'node:stream';
import { main } from '../../main/cli/index.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { stdin?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const stdin = new PassThrough();
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  stdin.end(opts.stdin ?? '');
  const code = await main(argv, { stdout: out, stderr: err, stdin, env: opts.env ?? process.env, cwd: opts.cwd ?? process.cwd() });
  return { code, stdout, stderr };
}
