// `meshwalk capture parse [--format text|json|auto] < file`: one JSON object per access-log line,
// with the field names of AccessLogEntry. A bad line prints {"line": N, "error": "…"} and the run
// goes on, so instructors can feed whole `kubectl logs` dumps through it.
import { createInterface } from 'node:readline';
import { parse } from '../args.ts';
import { UsageError, type CliCommand, type CliIO } from '../io.ts';
import { parseAccessLog, type AccessLogFormat } from '../../core/capture/parser.ts';

const USAGE = 'meshwalk capture parse [--format text|json|auto] < access.log';

async function parseCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string', default: 'auto' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`capture parse reads standard input; unexpected argument "${positionals[0]}"`);
  const format = values.format as string;
  if (format !== 'text' && format !== 'json' && format !== 'auto') throw new UsageError(`--format must be text, json or auto (got "${format}")`);
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  let out = '';
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      out += `${JSON.stringify(parseAccessLog(line, format as AccessLogFormat))}\n`;
    } catch (err) {
      out += `${JSON.stringify({ line: lineNo, error: (err as Error).message })}\n`;
    }
    // Write in chunks: one write per line is slow for large dumps.
    if (out.length > 64 * 1024) {
      io.stdout.write(out);
      out = '';
    }
  }
  if (out) io.stdout.write(out);
  return 0;
}

export const captureCommand: CliCommand = {
  name: 'capture',
  summary: 'Parse Envoy access-log lines (Istio TEXT or JSON) into named fields',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'parse') return parseCommand(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown capture subcommand "${sub}" (expected: parse)`);
  },
};
