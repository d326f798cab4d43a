#!/usr/bin/env node
// Entry point for `npx meshwalk` from the checkout: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
// Run as the packaged app does: the check of every emitted event against the contract
// (main/core/events.ts) is for development and tests, and sits on hot paths (capture, terminal).
process.env.NODE_ENV ??= 'production';
const { main } = await import('../main/cli/index.ts');
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
// Long-running commands (serve) resolve only when they are done.
process.exitCode = code;
