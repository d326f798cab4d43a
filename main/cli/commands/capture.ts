import type { CliCommand } from '../io.ts';

export const captureCommand: CliCommand = {
  name: 'capture',
  summary: '(capture: not available in this build)',
  usage: 'meshwalk capture',
  async run(_argv, io) {
    io.stderr.write('meshwalk capture: not available in this build\n');
    return 1;
  },
};
