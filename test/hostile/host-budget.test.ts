/**
 * Issue 11, memory: `hiblab run` holds the model's per-page state to a
 * counted host-memory budget (mm/host-budget.ts, --max-mem). A scattered
 * workload on a large map past the budget stops with one clear line
 * (MODEL_HOST_MEMORY, exit 2) in plan and full mode, leaves no output file,
 * and gives the same verdict every time; a raised budget runs it. `hiblab resume`
 * holds a real image's boot to the same machine size and budget.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostBudget } from '../../src/mm/host-budget.js';
import { loadScenario } from '../../src/scenario/index.js';
import { DEFAULT_HOST_BUDGET_BYTES } from '../../src/scenario/limits.js';
import { planScenario } from '../../src/scenario/run.js';
import { cli } from '../helpers/cli.js';
import { fixturePath, swapImagePath } from '../helpers/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'hiblab-budget-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MAP = `
    inline: |
      BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
      BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable
      BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] usable`;

/** 4 GiB of RAM, 1.5 GiB of it in pages scattered among the free ones. */
const SCATTERED = `name: scatter-4g
seed: 5
profile: linux-6.12
suspend:
  e820:${MAP}
  workload:
    groups:
      - { kind: anon, size: 1G, placement: scattered }
      - { kind: pagecache, size: 512M, placement: scattered }
resume:
  e820:${MAP}
`;

/** One clean error line with the code. */
function expectCleanError(err: string, code: string): void {
  const lines = err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(err).not.toContain('internal error');
  expect(err).not.toMatch(/\s+at .*:\d+:\d+/);
  expect(err).toContain(`[${code}]`);
}

describe('hiblab run: host-memory budget (issue 11)', () => {
  const p = join(tmp, 'scatter.yaml');
  writeFileSync(p, SCATTERED);

  it('a scattered fill past --max-mem is refused with one line, plan and full, no partial file', async () => {
    const img = join(tmp, 'out.img');
    const errs: string[] = [];
    for (const extra of [['--plan'], ['--image', img], ['--plan']]) {
      const r = await cli(['run', p, '--max-mem', '16M', ...extra]);
      expect(r.code).toBe(2);
      expectCleanError(r.err, 'MODEL_HOST_MEMORY');
      // What was modelled, what it needed, and how to raise the budget.
      expect(r.err).toContain('scatter-4g: modelling the suspend boot needs more than 16.0 MiB');
      expect(r.err).toMatch(
        /struct pages [\d.]+ \w+, free lists [\d.]+ \w+, content map [\d.]+ \w+, frames [\d.]+ \w+, working arrays/,
      );
      expect(r.err).toContain('--max-mem SIZE');
      expect(r.out).toBe('');
      errs.push(r.err);
    }
    expect(existsSync(img)).toBe(false);
    // Counted, not measured: the same scenario stops at the same place every time.
    expect(errs[2]).toBe(errs[0]);
    const bad = await cli(['run', p, '--plan', '--max-mem', '1K']);
    expect(bad.code).toBe(2);
    expectCleanError(bad.err, 'BAD_ARGUMENT');
  }, 120_000);

  it('a raised budget runs it; the default budget holds it', async () => {
    const r = await cli(['run', p, '--plan', '--quiet', '--max-mem', '64M']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: RESUMED');
    // In the library: the budget's count of what the run held, under the default.
    const sc = loadScenario(SCATTERED, p);
    const budget = new HostBudget(DEFAULT_HOST_BUDGET_BYTES, sc.name);
    const res = await planScenario(sc, { readFile: () => '', baseDir: tmp, hostBudget: budget });
    expect(res.verdict).toBe('resumed');
    expect(budget.peak).toBeGreaterThan(16 * 2 ** 20);
    expect(budget.peak).toBeLessThan(64 * 2 ** 20);
    expect(budget.heldBy('struct pages')).toBeGreaterThan(0);
    expect(budget.heldBy('free lists')).toBeGreaterThan(0);
    expect(budget.heldBy('content map')).toBeGreaterThan(0);
    // The placement's working arrays are given back: what stays charged is the placed groups'
    // pfn lists (4 bytes a page; 1.5 GiB placed) and what the buddy keeps between bulk takes
    // (up to 2^17 entries of its survivor columns, 18 bytes, and of its two int and three double
    // scratch arrays, 32 bytes), not the 25 bytes a page the scattered draws held while they ran
    // (9.8 MiB here).
    const placed = (1.5 * 2 ** 30) / 4096;
    expect(budget.heldBy('working arrays')).toBeGreaterThanOrEqual(4 * placed);
    expect(budget.heldBy('working arrays')).toBeLessThanOrEqual(4 * placed + 50 * 2 ** 17);
  }, 180_000);
});

/** A 3-line table whose RAM reaches 64 TiB (MAX_ARCH_PFN with 4-level paging). */
const TABLE_64T = [
  'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable',
  'BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable',
  'BIOS-e820: [mem 0x0000000100000000-0x00003fffffffffff] usable',
  '',
].join('\n');

describe('hiblab resume: the same limits as run (issue 11)', () => {
  const log = fixturePath('kernel-images/runs/tiny612-lzo/console-resume-same-layout.log');

  it('a log whose table claims 64 TiB of RAM is refused before booting, with the flag that raises it', async () => {
    const p = join(tmp, 'huge.txt');
    writeFileSync(p, TABLE_64T);
    const r = await cli(['resume', swapImagePath('tiny612-lzo'), '--e820', p, '--profile', 'linux-6.12']);
    expect(r.code).toBe(2);
    expectCleanError(r.err, 'MODEL_TOO_LARGE');
    // e820_end_of_ram_pfn() clamps to MAX_ARCH_PFN: 2^46 bytes with 4-level paging.
    expect(r.err).toContain("the resume boot's memory reaches 64.0 TiB");
    expect(r.err).toContain('hiblab resume models up to 2.00 TiB');
    expect(r.err).toContain('--max-ram SIZE');
    expect(r.out).toBe('');
  });

  it('a real image costs no host page per restored frame: it resumes under the smallest --max-mem; a boot past it stops with one line naming the image', async () => {
    const img = swapImagePath('tiny612-lzo');
    // 37,249 stream pages (~145 MiB of page data) under a 16 MiB budget: the frames read from the image.
    const ok = await cli(['resume', img, '--e820', log, '--max-mem', '16M']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    // A 16 TiB table (allowed by --max-ram 16T): its free lists pass 16 MiB while the boot runs.
    const p = join(tmp, 'sixteen-t.txt');
    writeFileSync(p, TABLE_64T.replace('00003fffffffffff', '00000fffffffffff'));
    const r = await cli([
      'resume',
      img,
      '--e820',
      p,
      '--profile',
      'linux-6.12',
      '--max-ram',
      '16T',
      '--max-mem',
      '16M',
    ]);
    expect(r.code).toBe(2);
    expectCleanError(r.err, 'MODEL_HOST_MEMORY');
    expect(r.err).toContain(`${img}: modelling the resume boot needs more than 16.0 MiB`);
    expect(r.err).toMatch(/free lists [\d.]+ MiB/);
    expect(r.err).toContain('hiblab resume --max-mem SIZE');
    expect(r.out).toBe('');
    const bad = await cli(['resume', img, '--e820', log, '--max-ram', '1M']);
    expect(bad.code).toBe(2);
    expectCleanError(bad.err, 'BAD_ARGUMENT');
  }, 300_000);
});

describe('hiblab boot: the host budget (issue 11)', () => {
  it('a 3-line table claiming 64 TiB of RAM (16M free max-order blocks) stops with one line; --max-mem is the way past', async () => {
    const p = join(tmp, 'huge-boot.txt');
    writeFileSync(p, TABLE_64T);
    const r = await cli(['boot', p]);
    expect(r.code).toBe(2);
    expectCleanError(r.err, 'MODEL_HOST_MEMORY');
    expect(r.err).toContain(`${p}: modelling the boot needs more than 224.0 MiB`);
    expect(r.err).toMatch(/free lists [\d.]+ MiB/);
    expect(r.err).toContain('hiblab boot --max-mem SIZE');
    expect(r.out).toBe('');
    const bad = await cli(['boot', p, '--max-mem', 'lots']);
    expect(bad.code).toBe(2);
    expectCleanError(bad.err, 'BAD_ARGUMENT');
  }, 120_000);
});
