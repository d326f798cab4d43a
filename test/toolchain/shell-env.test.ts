// GUI launches: the login shell's PATH, the usual install folders, and tool discovery.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Runner } from '../../main/core/toolchain/runner.ts';
import { fallbackDirs, mergePath, parseEnvDump, readLoginShellEnv, resolveToolEnv } from '../../main/core/toolchain/shell-env.ts';
import { findTool } from '../../main/core/toolchain/tools.ts';
import { cleanup, tempDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(cleanup));

describe('login shell environment', () => {
  it('parses an env dump framed by sentinels, ignoring banners and multi-line values', () => {
    const dump = 'Welcome!\n__MESHWALK_ENV_7f3a__\nPATH=/opt/homebrew/bin:/usr/bin\nFOO=a=b\nBASH_FUNC_x%%=() {  echo\n}\n__MESHWALK_ENV_7f3a__\nbye';
    expect(parseEnvDump(dump)).toEqual({ PATH: '/opt/homebrew/bin:/usr/bin', FOO: 'a=b' });
    expect(parseEnvDump('no sentinel')).toBeNull();
  });

  it('reads the real login shell of this machine', async () => {
    const home = tempDir('home');
    dirs.push(home);
    // A profile that adds a folder, as Homebrew's shellenv does.
    writeFileSync(path.join(home, '.bash_profile'), 'export PATH="/opt/from-profile/bin:$PATH"\necho "profile banner"\n');
    const env = await readLoginShellEnv(new Runner(null), { HOME: home, SHELL: '/bin/bash', PATH: '/usr/bin:/bin' });
    expect(env?.PATH?.split(':')[0]).toBe('/opt/from-profile/bin');
  });

  it('a shell that does not answer in time is skipped', async () => {
    const home = tempDir('home');
    dirs.push(home);
    writeFileSync(path.join(home, '.bash_profile'), 'sleep 30\n');
    const started = Date.now();
    expect(await readLoginShellEnv(new Runner(null), { HOME: home, SHELL: '/bin/bash', PATH: '/usr/bin:/bin' }, 500)).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps the caller\'s PATH first, then the shell\'s, then the usual folders (Istio release first among them)', async () => {
    const env = await resolveToolEnv(new Runner(null), { HOME: '/home/u', PATH: '/stand-ins:/usr/bin' }, { loginShell: false, istioReleaseDir: '/opt/istio-1.30.3' });
    expect(env.PATH!.split(':')).toEqual(['/stand-ins', '/usr/bin', '/opt/istio-1.30.3/bin', '/opt/homebrew/bin', '/usr/local/bin', '/home/u/.istioctl/bin', '/home/u/bin', '/home/u/.local/bin']);
    expect(fallbackDirs({ HOME: '/h' })).toContain('/h/.istioctl/bin');
    expect(mergePath('/a:/b', '/b:/c', undefined)).toBe('/a:/b:/c');
  });

  it('finds which binary runs for a tool name', () => {
    const d = tempDir('bin');
    dirs.push(d);
    mkdirSync(path.join(d, 'one'));
    mkdirSync(path.join(d, 'two'));
    writeFileSync(path.join(d, 'two', 'istioctl'), '#!/bin/sh\n');
    chmodSync(path.join(d, 'two', 'istioctl'), 0o755);
    writeFileSync(path.join(d, 'one', 'istioctl'), 'not executable');
    expect(findTool('istioctl', { PATH: `${d}/one:${d}/two` })).toBe(path.join(d, 'two', 'istioctl'));
    expect(findTool('istioctl', { PATH: `${d}/one` })).toBeNull();
  });
});
