/**
 * `hiblab boot` end to end (in-process), on the seed-000 resume boot as parsed
 * by the firmware layer; the text output is pinned by a golden baseline and
 * the key values are checked against the seed's crash output independently.
 */
import { describe, expect, test } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { sharedPath } from '../helpers/fixtures.js';
import { expectBaseline } from './baseline.js';

function io(): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    isTty: false,
    exitCode: 0,
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
  };
  return o;
}

const SEED = (): string => sharedPath('seeds/000_3abfce8d8115b358.txt');
const BASES = ['--page-offset-base', '0xffff926340000000', '--vmemmap-base', '0xffffe30300000000'];

describe('hiblab boot', () => {
  test('seed 000 resume boot: text output (golden) with the crash vtop', async () => {
    const c = io();
    const rc = await runCli(
      ['boot', SEED(), ...BASES, '--vtop', '0xffff9263fe142000', '--page', '0xbe142'],
      c,
    );
    expect(c.stderr).toBe('');
    expect(rc).toBe(0);
    const text = c.stdout.replaceAll(SEED(), '<seeds>/000_3abfce8d8115b358.txt');
    // independent checks from the seed's crash session
    expect(text).toContain('PGD DIRECTORY: ffffffff8be10000');
    expect(text).toContain('PAGE DIRECTORY: 1fe74067');
    expect(text).toContain('   PUD: 1fe74c78 => 13ffff067');
    expect(text).toContain('   PMD: 13fffff80 => 13fffe067');
    expect(text).toContain('   PTE: 13fffea10 => 0');
    expect(text).toContain('ffffe30302f85080 be142000');
    expect(text).toMatch(/DMA32\s+start 0x1000\s+spanned 0xff000\s+present 0xbe75e/);
    expectBaseline('seed000-resume.txt', text);
  });

  test('--json has the documented keys and the seed values', async () => {
    const c = io();
    const rc = await runCli(['boot', SEED(), ...BASES, '--ptov', '0xbe142000', '--json'], c);
    expect(rc).toBe(0);
    const j = JSON.parse(c.stdout);
    for (const k of [
      'file',
      'boot',
      'profile',
      'crc32',
      'maxPfn',
      'firmwareE820',
      'kernelE820',
      'memblock',
      'zones',
      'totalPages',
      'sections',
      'nosave',
      'kaslr',
      'kernelImage',
      'directMap',
      'log',
      'ptov',
    ])
      expect(j).toHaveProperty(k);
    expect(j.maxPfn).toBe(0x140000);
    expect(j.nosave).toHaveLength(12);
    expect(j.ptov.vaddr).toBe('0xffff9263fe142000');
    expect(j.zones[1]).toMatchObject({ name: 'DMA32', startPfn: 0x1000, presentPages: 0xbe75e });
  });

  test('suspend boot (--boot 1): pfn 0xbe142 mapped', async () => {
    const c = io();
    const rc = await runCli(['boot', SEED(), '--boot', '1', ...BASES, '--page', '0xbe142', '--json'], c);
    expect(rc).toBe(0);
    expect(JSON.parse(c.stdout).page.directMapped).toBe(true);
  });

  test('linux-6.12 with nokaslr uses the fixed bases', async () => {
    const c = io();
    const rc = await runCli(['boot', SEED(), '--profile', 'linux-6.12', '--cmdline', 'nokaslr', '--json'], c);
    expect(rc).toBe(0);
    const j = JSON.parse(c.stdout);
    expect(j.kaslr.pageOffsetBase).toBe('0xffff888000000000');
    expect(j.kaslr.source).toBe('fixed');
  });

  test('bad boot index is a one-line usage error', async () => {
    const c = io();
    const rc = await runCli(['boot', SEED(), '--boot', '7'], c);
    expect(rc).toBe(2);
    expect(c.stderr).toMatch(/^hiblab: .*boot 7 requested.*\[E820_BOOT_RANGE\]\n$/);
  });
});
