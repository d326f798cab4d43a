// `meshwalk` — the headless client of the core. Argument parsing and output only.
import { appVersion } from '../core/version.ts';
import { EXIT, UsageError, type CliCommand, type CliIO } from './io.ts';
import { serveCommand } from './commands/serve.ts';
import { doctorCommand } from './commands/doctor.ts';
import { labCommand } from './commands/lab.ts';
import { sandboxCommand } from './commands/sandbox.ts';
import { captureCommand } from './commands/capture.ts';
import { packetCommand } from './commands/packet.ts';

export const commands: CliCommand[] = [serveCommand, doctorCommand, labCommand, sandboxCommand, captureCommand, packetCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'meshwalk — learn the Istio service mesh on your laptop',
    '',
    'Usage: meshwalk <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show help (also: meshwalk <command> --help)',
    '  --version, -v  print the version',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(help() + '\n');
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(appVersion() + '\n');
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(`meshwalk: unknown command "${first}" (see meshwalk --help)\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`meshwalk ${command.name}: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`meshwalk ${command.name}: ${(err as Error).message ?? String(err)}\n`);
    return EXIT.failure;
  }
}
