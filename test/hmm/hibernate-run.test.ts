/**
 * Device memory across hibernation (hmm-facts §4.6): hmm-hibernate-evict and
 * hmm-hibernate-lost through the real engine — snapshot, image on the swap
 * device, resume boot, load, restore — and what the process sees afterwards.
 */
import { describe, expect, it } from 'vitest';
import { pageDigest } from '../../src/workload/content.js';
import { runBuiltin } from '../engine/helpers.js';
import { expectBaseline } from '../helpers/baseline.js';
import { cli } from '../helpers/cli.js';

type Step = { action: string; when: string; [k: string]: unknown };

/** The bytes `pattern: index` writes into page `page`: word i of the mapping holds i. */
function patternPage(page: number): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  for (let i = 0; i < 1024; i++) v.setUint32(i * 4, page * 1024 + i, true);
  return b;
}

describe('hiblab run hmm-hibernate-*', () => {
  for (const name of ['hmm-hibernate-evict', 'hmm-hibernate-lost']) {
    it(`${name}: consoles, story and verdict (golden)`, async () => {
      const r = await cli(['run', name]);
      expect(r.code).toBe(0);
      expectBaseline('run', `${name}.txt`, r.out);
    }, 120_000);
  }

  it('lost: the image resumes intact, but the device data was not in it — the CPU reads zeros, no SIGBUS', async () => {
    const r = await runBuiltin('hmm-hibernate-lost');
    expect(r.verdict).toBe('data-lost');
    expect(r.expectation?.ok).toBe(true);
    // The engine's own verdict: every saved page came back.
    expect(r.resume!.result.outcome).toBe('resumed');
    expect(r.resume!.result.verify!.bad).toBe(0);
    const h = r.hmm!;
    expect(h.signal).toBeNull();
    expect(h.freeze).toBeNull();
    expect(h.deviceMemoryLost).toEqual({ pages: 64 });
    const steps = h.steps as unknown as (Step & { detail: Record<string, unknown> })[];
    const pm = steps.filter((s) => s.action === 'pagemap');
    // Before and after resume: the device-private swap entry (restored with the page table), frame 0.
    for (const s of pm.slice(0, 2)) {
      expect(s.detail.swap).toBe(true);
      expect(s.detail.present).toBe(false);
      expect(s.detail.frame).toBe('0x0');
    }
    expect(pm[1]!.when).toBe('after-resume');
    expect(pm[1]!.detail.privileged).toEqual(pm[0]!.detail.privileged);
    // No device pfn is in the image: ZONE_DEVICE is never saveable.
    const devPfn = Number(BigInt((pm[0]!.detail.privileged as { pfn: string }).pfn));
    const man = r.suspend.hibernate!.manifest;
    const saved = new Set(Array.from(man.pfns));
    expect(saved.has(devPfn)).toBe(false);
    // The read after resume: migrate_to_ram ran and copied the powered-off device memory.
    const read = steps.find((s) => s.action === 'read')!;
    expect(read.when).toBe('after-resume');
    // Word 0 of the pattern is 0, so exactly the bytes that were not zero differ.
    let nonzero = 0;
    for (let p = 0; p < 64; p++) for (const b of patternPage(p)) if (b) nonzero++;
    expect(read.detail.mismatchedBytes).toBe(nonzero);
    expect(pm[2]!.detail.present).toBe(true);
  }, 120_000);

  it('evict: the freeze callback moves the pages to RAM, the image carries them, the read after resume matches', async () => {
    const r = await runBuiltin('hmm-hibernate-evict');
    expect(r.verdict).toBe('resumed');
    const h = r.hmm!;
    expect(h.freeze).toEqual({ evictedPages: 64 });
    expect(h.deviceMemoryLost).toEqual({ pages: 0 });
    const steps = h.steps as unknown as (Step & { detail: Record<string, unknown> })[];
    const pm = steps.filter((s) => s.action === 'pagemap');
    expect(pm[0]!.detail.swap).toBe(true);
    expect(pm[1]!.when).toBe('after-resume');
    expect(pm[1]!.detail.present).toBe(true);
    const read = steps.find((s) => s.action === 'read')!;
    expect(read.detail.mismatchedBytes).toBe(0);
    // The page came through the image: its pfn is an image pfn, saved with the pattern's bytes.
    const pfn = Number(BigInt((pm[1]!.detail.privileged as { pfn: string }).pfn));
    const man = r.suspend.hibernate!.manifest;
    const i = Array.from(man.pfns).indexOf(pfn);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(man.digest![i]).toBe(pageDigest(patternPage(0)));
  }, 120_000);

  it('upstream test_hmm (device memory in system rpages): the data survives without eviction', async () => {
    const r = await runBuiltin('hmm-hibernate-lost', (sc) => {
      sc.hmm!.driver.deviceMemory = 'rpage';
      return sc;
    });
    expect(r.verdict).toBe('resumed');
    expect(r.hmm!.deviceMemoryLost).toEqual({ pages: 0 });
    const read = (r.hmm!.steps as unknown as (Step & { detail: Record<string, unknown> })[]).find(
      (s) => s.action === 'read',
    )!;
    expect(read.detail.mismatchedBytes).toBe(0);
  }, 120_000);
});
