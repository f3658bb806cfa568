import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HIBLAB_VERSION } from '../../src/version.js';
import { cli } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('hiblab --version', () => {
  it('is the version in package.json (the constant must be bumped with it)', () => {
    expect(HIBLAB_VERSION).toBe(pkg.version);
  });

  it('prints it alone on stdout and exits 0, as -V too', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
    }
  });

  it('is listed in the top-level help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/-V, --version\s+print the version and exit/);
  });
});
