/**
 * The seed-002 HMM stories as `hiblab run` builtins: golden text, the JSON
 * report, and the facts each one must show (hmm-facts §2.7, §2.9, §2.10).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../src/profiles/index.js';
import { runBuiltin } from '../engine/helpers.js';
import { expectBaseline } from '../helpers/baseline.js';
import { cli } from '../helpers/cli.js';
import { sharedPath } from '../helpers/fixtures.js';

const swap = getProfile('linux-6.12').hmm!.swap;

/** The device-private chunk ranges the driver printed ("PFNs [0x… 0x…)"). */
function deviceRanges(console: string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const l of console) {
    const m = /PFNs \[0x([0-9a-f]+) 0x([0-9a-f]+)\)/.exec(l);
    if (m) out.push([Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16)]);
  }
  return out;
}

async function runJson(name: string) {
  const r = await cli(['run', name, '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

describe('hiblab run seed-002-*', () => {
  for (const name of ['seed-002-pagemap', 'seed-002-owner-mismatch', 'seed-002-owner-fixed']) {
    it(`${name}: boot console, story and verdict (golden)`, async () => {
      const r = await cli(['run', name]);
      expect(r.code).toBe(0);
      expectBaseline('run', `${name}.txt`, r.out);
    }, 60_000);
  }

  it('seed-002-pagemap: PFN 0 and the swap bit once the page is on the device', async () => {
    const j = await runJson('seed-002-pagemap');
    expect(j.verdict).toBe('completed');
    expect(j.resume).toBeNull();
    const pm = j.hmm.steps.filter((s: { action: string }) => s.action === 'pagemap');
    expect(pm).toHaveLength(2);
    const [before, after] = pm;
    // Before: an ordinary present page; the unprivileged reader still sees frame 0 (pm->show_pfn).
    expect(before.present).toBe(true);
    expect(before.swap).toBe(false);
    expect(before.frame).toBe('0x0');
    expect(BigInt(before.privileged.pfn)).toBeGreaterThan(0n);
    // After MIGRATE_TO_DEV: PM_SWAP (bit 62) set, PM_PRESENT (63) clear, frame 0 without CAP_SYS_ADMIN.
    expect(after.present).toBe(false);
    expect(after.swap).toBe(true);
    expect(after.entry).toBe(`0x${(1n << 62n).toString(16)}`);
    expect(after.frame).toBe('0x0');
    // As root: swp_type | offset << 5 with the SWP_DEVICE_WRITE type and the device pfn as offset.
    expect(after.privileged.swapType).toBe(swap.deviceWrite);
    expect(after.privileged.swapTypeName).toBe('SWP_DEVICE_WRITE');
    const pfn = Number(BigInt(after.privileged.pfn));
    const ranges = deviceRanges(j.suspend.console);
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.some(([s, e]) => pfn >= s && pfn < e)).toBe(true);
    expect(BigInt(after.privileged.entry)).toBe((1n << 62n) | (BigInt(pfn) << 5n) | BigInt(swap.deviceWrite));
  }, 60_000);

  it('seed-002-owner-mismatch: the livelock report with the seed dump_stack trace, quickly', async () => {
    const t0 = Date.now();
    const j = await runJson('seed-002-owner-mismatch');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(j.verdict).toBe('livelock');
    expect(j.expected.ok).toBe(true);
    // The seed's own stack (002_*.txt), innermost first, without the offsets and the asm entry.
    const seed = readdirSync(sharedPath('seeds')).find((f) => f.startsWith('002_'))!;
    const text = readFileSync(join(sharedPath('seeds'), seed), 'utf8');
    const block = text.slice(text.indexOf('dump_stack+0x7d/0x9c'), text.indexOf('? asm_exc_page_fault'));
    const frames = [...block.matchAll(/\]\s+([a-z_]+)\+0x/g)]
      .map((m) => m[1])
      .filter((f) => f !== 'dump_stack');
    expect(frames).toEqual([
      'dmirror_devmem_fault',
      'do_swap_page',
      '__handle_mm_fault',
      'handle_mm_fault',
      'do_user_addr_fault',
      'exc_page_fault',
    ]);
    expect(j.hmm.livelock.trace).toEqual(frames);
    expect(j.hmm.livelock.faults).toBeGreaterThan(1);
    expect(j.hmm.livelock.reason).toMatch(/pgmap->owner is hmm_dmirror0 .*&dmirror_device/);
    expect(j.hmm.livelock.address).toBe(j.hmm.processes[0].mappings[0].start);
    // The page never left the device: its PTE is still the device-private entry.
    const pm = j.hmm.steps.find((s: { action: string }) => s.action === 'pagemap');
    expect(pm.swap).toBe(true);
  }, 60_000);

  it('seed-002-owner-fixed: the CPU read migrates the page back and reads what was written', async () => {
    const j = await runJson('seed-002-owner-fixed');
    expect(j.verdict).toBe('completed');
    const read = j.hmm.steps.find((s: { action: string }) => s.action === 'read');
    expect(read.mismatchedBytes).toBe(0);
    expect(read.bytes).toBe(4096);
    const pms = j.hmm.steps.filter((s: { action: string }) => s.action === 'pagemap');
    expect(pms[0].swap).toBe(true);
    // Back in RAM: present, a pfn outside the device ranges.
    expect(pms[1].present).toBe(true);
    const pfn = Number(BigInt(pms[1].privileged.pfn));
    expect(deviceRanges(j.suspend.console).some(([s, e]) => pfn >= s && pfn < e)).toBe(false);
  }, 60_000);

  it('the same story gives the same bytes (deterministic)', async () => {
    const a = await cli(['run', 'seed-002-owner-fixed', '--json']);
    const b = await cli(['run', 'seed-002-owner-fixed', '--json']);
    expect(a.out).toBe(b.out);
  }, 60_000);

  it('the story runs on the engine machine: no hibernation, so no image and no resume boot', async () => {
    const r = await runBuiltin('seed-002-pagemap');
    expect(r.suspend.hibernate).toBeUndefined();
    expect(r.resume).toBeUndefined();
    expect(r.dev).toBeUndefined();
  }, 60_000);
});
