/**
 * Issue 11: peak RSS for every command on a hostile input stays under 512 MiB, bounded by the
 * documented limits (2 TiB model size, 224 MiB host budget), not by what the input claims.
 * These run the built CLI in a child process (`npm test` builds first) with
 * scripts/maxrss-hook.mjs, which prints the process's peak RSS as it exits, on the shapes of
 * bench/rss-shapes.ts that reach the budget fastest; bench/rss.ts measures the slower ones
 * (the 2 TiB compact map, fills up to the largest that fits).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillScenario, wideScenario } from '../../bench/rss-shapes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const hook = join(root, 'scripts', 'maxrss-hook.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'hiblab-rss-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LIMIT_MIB = 512;

function run(yaml: string, name: string, extra: string[]): { code: number; err: string; rssMiB: number } {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  const file = join(tmp, name);
  writeFileSync(file, yaml);
  const r = spawnSync(process.execPath, ['--import', hook, main, 'run', file, ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const m = /maxrss-kib (\d+)\s*$/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return {
    code: r.status ?? -1,
    err: r.stderr.replace(/maxrss-kib \d+\s*$/, ''),
    rssMiB: Number(m![1]) / 1024,
  };
}

describe('peak RSS stays under 512 MiB at the default limits (issue 11)', () => {
  it('a 2 TiB map with page cache scattered over it is refused by the budget, plan and full, under 512 MiB', () => {
    for (const extra of [['--plan'], []]) {
      const r = run(wideScenario(60_000), 'wide.yaml', extra);
      expect(r.code).toBe(2);
      expect(r.err).toContain('[MODEL_HOST_MEMORY]');
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.rssMiB).toBeLessThan(LIMIT_MIB);
    }
  }, 120_000);

  it('a scattered fill near the default budget (24 GiB) runs under 512 MiB, plan and full', () => {
    for (const extra of [['--plan', '--quiet'], ['--quiet']]) {
      const r = run(fillScenario(24), 'fill.yaml', extra);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.rssMiB).toBeLessThan(LIMIT_MIB);
    }
  }, 600_000);
});
