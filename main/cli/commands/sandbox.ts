import type { CliCommand } from '../io.ts';

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: '(sandbox: not available in this build)',
  usage: 'meshwalk sandbox',
  async run(_argv, io) {
    io.stderr.write('meshwalk sandbox: not available in this build\n');
    return 1;
  },
};
