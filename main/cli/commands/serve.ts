// `meshwalk serve`: web mode. Prints a tokened URL and serves until interrupted.
import path from 'node:path';
import { createCore } from '../../core/index.ts';
import { defaultDataDir, projectRoot } from '../../core/paths.ts';
import { startWebServer } from '../../web/server.ts';
import { parse } from '../args.ts';
import { UsageError, type CliCommand } from '../io.ts';
import { appVersion } from '../../core/version.ts';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'serve the app in a browser on 127.0.0.1 behind a token (web mode)',
  usage: [
    'Usage: meshwalk serve [--port N] [--host 127.0.0.1] [--backend sandbox|cluster]',
    '',
    '  --port N       port to listen on (default: a random free port)',
    '  --host H       loopback address to bind (127.0.0.1, ::1 or localhost)',
    '  --backend B    start on the sandbox mesh (default) or the lab cluster',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      backend: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got "${values.port}"`);
    const backend = values.backend ?? 'sandbox';
    if (backend !== 'sandbox' && backend !== 'cluster') throw new UsageError(`--backend must be sandbox or cluster, got "${backend}"`);

    const core = createCore({ dataDir: defaultDataDir(io.env), version: appVersion(), transport: 'web', backend, env: io.env });
    const server = await startWebServer({
      core,
      staticDir: path.join(projectRoot, 'dist', 'renderer'),
      host: values.host,
      port,
    });
    io.stdout.write(`Meshwalk web mode (${backend}) — open this URL in a browser:\n${server.tokenUrl}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.stdout.write('Stopping…\n');
    await server.close();
    await core.dispose();
    return 0;
  },
};
