import type { CliCommand } from '../io.ts';

export const labCommand: CliCommand = {
  name: 'lab',
  summary: '(lab: not available in this build)',
  usage: 'meshwalk lab',
  async run(_argv, io) {
    io.stderr.write('meshwalk lab: not available in this build\n');
    return 1;
  },
};
