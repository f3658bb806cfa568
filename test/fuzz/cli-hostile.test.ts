/**
 * No input file or scenario reaches "internal error" (exit 70) through the CLI:
 * hostile special files (/dev/zero, /dev/null, a directory, empty and 1-byte
 * files) through every command that reads one, and a fixed sample of mutated
 * inputs from the fuzz targets through the commands that read that format.
 * Every failure must be one `hiblab: …` line with exit 1 or 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { inputArbitrary } from '../../fuzz/lib/mutate.js';
import { getTarget } from '../../fuzz/targets/index.js';
import { cli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'hiblab-cli-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function expectNoInternalError(argv: string[]): Promise<void> {
  const r = await cli(argv);
  const what = `hiblab ${argv.join(' ')} → ${r.code}: ${r.err.slice(0, 400)}`;
  expect(r.code, what).not.toBe(70);
  expect(r.err, what).not.toContain('internal error');
  if (r.code !== 0) {
    expect([1, 2], what).toContain(r.code);
    if (r.err !== '') expect(r.err.trimEnd().split('\n'), what).toHaveLength(1);
  }
}

/** A fixed sample of mutated inputs of a target, written to files. */
async function sample(target: string, n: number, ext: string): Promise<string[]> {
  const t = getTarget(target);
  const seeds = await t.seeds();
  const inputs = fc.sample(inputArbitrary(t, seeds), { seed: 424242, numRuns: n });
  return inputs.map((b, i) => {
    const p = join(tmp, `${target}-${i}.${ext}`);
    writeFileSync(p, b);
    return p;
  });
}

describe('no input reaches exit 70 through the CLI', () => {
  it('special files through every command that reads a file', async () => {
    const dir = join(tmp, 'a-dir');
    mkdirSync(dir);
    const empty = join(tmp, 'empty.yaml');
    writeFileSync(empty, '');
    const one = join(tmp, 'one.img');
    writeFileSync(one, 'x');
    const out = join(tmp, 'out.raw');
    for (const f of ['/dev/zero', '/dev/null', dir, empty, one, join(tmp, 'missing')]) {
      await expectNoInternalError(['e820', 'show', f]);
      await expectNoInternalError(['e820', 'diff', f, f]);
      await expectNoInternalError(['boot', f]);
      for (const c of ['info', 'verify', 'pages']) await expectNoInternalError(['image', c, f]);
      await expectNoInternalError(['image', 'extract', f, '-o', out]);
      await expectNoInternalError(['image', 'check', f, '--e820', f]);
    }
    for (const f of [empty, join(tmp, 'dir.yaml')]) {
      await expectNoInternalError(['scenarios', 'check', f]);
      await expectNoInternalError(['run', f]);
    }
  }, 120_000);

  it('mutated e820 inputs (text, iomem, etc/e820, JSON) through e820 show and boot', async () => {
    const files = [
      ...(await sample('e820-text', 12, 'txt')),
      ...(await sample('iomem', 8, 'txt')),
      ...(await sample('qemu-e820', 8, 'bin')),
      ...(await sample('e820-json', 12, 'json')),
    ];
    for (const [i, f] of files.entries()) {
      await expectNoInternalError(['e820', 'show', f]);
      if (i % 4 === 0)
        await expectNoInternalError(['boot', f, '--profile', i % 8 ? 'linux-6.12' : 'linux-3.10']);
    }
  }, 180_000);

  it('mutated scenarios through scenarios check', async () => {
    for (const f of await sample('scenario', 24, 'yaml'))
      await expectNoInternalError(['scenarios', 'check', f]);
  }, 120_000);

  it('mutated images through image info / verify / pages / extract', async () => {
    for (const [i, f] of (await sample('image', 10, 'img')).entries()) {
      for (const c of ['info', 'verify', 'pages']) await expectNoInternalError(['image', c, f]);
      await expectNoInternalError(['image', 'extract', f, '-o', join(tmp, `x${i}.raw`)]);
    }
  }, 180_000);
});
