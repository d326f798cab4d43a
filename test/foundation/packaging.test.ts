import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../main/core/paths.ts';

const config = parse(readFileSync(path.join(projectRoot, 'electron-builder.yml'), 'utf8'));

describe('electron-builder.yml', () => {
  it("validates against electron-builder's own configuration schema", () => {
    const schema = JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is not vacuous: a wrong type is rejected', () => {
    const schema = JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate({ ...config, asar: 'sometimes', electronFuses: { runAsNode: 'no' } })).toBe(false);
  });

  it('targets AppImage+deb, dmg for x64 and arm64, and nsis', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target[0]).toMatchObject({ target: 'dmg', arch: ['x64', 'arm64'] });
    expect(config.win.target[0]).toMatchObject({ target: 'nsis' });
  });

  it('turns RunAsNode and the inspect flags off, and ships node-pty rebuilt and unpacked', () => {
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeCliInspectArguments: false, enableNodeOptionsEnvironmentVariable: false });
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/node-pty/**/*');
  });

  it('pins the same Electron version as package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    const installed = JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', 'electron', 'package.json'), 'utf8'));
    expect(pkg.devDependencies.electron).toBeDefined();
    expect(config.electronVersion).toBe(installed.version);
  });
});
