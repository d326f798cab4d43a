import type { CliCommand } from '../io.ts';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: '(doctor: not available in this build)',
  usage: 'meshwalk doctor',
  async run(_argv, io) {
    io.stderr.write('meshwalk doctor: not available in this build\n');
    return 1;
  },
};
