import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { projectRoot } from '../../main/core/paths.ts';

const run = (argv: string[]) => runCli(argv);

describe('meshwalk CLI', () => {
  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('--help lists the commands and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'doctor', 'lab', 'sandbox', 'capture', 'packet']) expect(r.stdout).toContain(c);
  });

  it('an unknown command is a usage error (exit 2) with one line', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('bad options are usage errors with one line', async () => {
    for (const argv of [['serve', '--port', 'abc'], ['serve', '--bogus'], ['serve', '--backend', 'docker']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('`meshwalk serve` prints a tokened URL; without the token the server answers 401', async () => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'meshwalk.mjs'), 'serve', '--port', '0'], {
      env: { ...process.env, MESHWALK_DATA_DIR: path.join(projectRoot, 'test-results', 'serve-data') },
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const bare = url.replace(/\?token=.*/, '');
      expect((await fetch(bare)).status).toBe(401);
      expect((await fetch(url)).status).not.toBe(401);
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    }
  });
});
