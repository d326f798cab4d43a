import type { CliCommand } from '../io.ts';

export const packetCommand: CliCommand = {
  name: 'packet',
  summary: '(packet: not available in this build)',
  usage: 'meshwalk packet',
  async run(_argv, io) {
    io.stderr.write('meshwalk packet: not available in this build\n');
    return 1;
  },
};
