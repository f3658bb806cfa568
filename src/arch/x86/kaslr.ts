/**
 * Memory-region KASLR: mirrors kernel_randomize_memory() in
 * arch/x86/mm/kaslr.c (4.8+, RHEL 7 backport).
 *
 * Regions in order: page_offset_base (direct map), vmalloc_base, vmemmap_base.
 * Sizes in TB: direct = min(2^(MAX_PHYSMEM_BITS-40), ceil(max_pfn bytes / 1 TB)
 * + padding); vmalloc = VMALLOC_SIZE_TB; vmemmap = ceil(direct TB × 2^28 pages
 * × sizeof(struct page) / 1 TB). The entropy left over in [vaddr_start,
 * vaddr_end) is shared out: region i draws rand % (remain / regions_left + 1),
 * masked to 1 GiB (PUD_MASK), is placed, then vaddr advances past it and
 * rounds up to the next GiB.
 *
 * The kernel seeds a prandom state from kaslr_get_random_long("Memory"); the
 * model draws from src/util/prng.ts seeded by the scenario seed instead.
 */
import type { KernelProfile } from '../../profiles/types.js';
import { Prng } from '../../util/prng.js';

export const TB_SHIFT = 40n;
export const PUD_SIZE_B = 1n << 30n;
const PUD_MASK = ~(PUD_SIZE_B - 1n);
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export interface KaslrBases {
  pageOffsetBase: bigint;
  vmallocBase: bigint;
  vmemmapBase: bigint;
  /** How the bases were chosen. */
  source: 'random' | 'explicit' | 'fixed';
  /** Region sizes in TB (direct, vmalloc, vmemmap). */
  sizesTb: [number, number, number];
  seed?: string;
}

export interface KaslrOptions {
  /** Scenario seed: bases drawn like kernel_randomize_memory(). */
  seed?: number | bigint | string;
  /** Explicit bases (e.g. read from a crash dump); override the draw. */
  pageOffsetBase?: bigint;
  vmallocBase?: bigint;
  vmemmapBase?: bigint;
  /** nokaslr: the profile's fixed __PAGE_OFFSET / VMALLOC_START / VMEMMAP_START. */
  nokaslr?: boolean;
}

/** Region sizes in TB for a given max_pfn. */
export function kaslrRegionSizesTb(profile: KernelProfile, maxPfn: number): [number, number, number] {
  const p = profile.paging;
  const tb = 1n << TB_SHIFT;
  let direct = 1n << BigInt(p.maxPhysmemBits - 40);
  const memoryTb = (BigInt(maxPfn) * 4096n + tb - 1n) / tb + BigInt(p.physicalPaddingTb);
  if (memoryTb < direct) direct = memoryTb;
  const vmemmapBytes = (direct << (TB_SHIFT - 12n)) * BigInt(profile.mm.structPage.size);
  const vmemmap = (vmemmapBytes + tb - 1n) / tb;
  return [Number(direct), p.vmallocSizeTb, Number(vmemmap)];
}

/** Choose the three bases per the options (explicit > nokaslr > seed > profile default). */
export function kernelRandomizeMemory(
  profile: KernelProfile,
  maxPfn: number,
  opts: KaslrOptions = {},
): KaslrBases {
  const p = profile.paging;
  const sizesTb = kaslrRegionSizesTb(profile, maxPfn);
  const fixed = {
    pageOffsetBase: p.fixedPageOffset,
    vmallocBase: p.fixedVmallocBase,
    vmemmapBase: p.fixedVmemmapBase,
  };
  let bases = fixed;
  let source: KaslrBases['source'] = 'fixed';
  const randomize = !opts.nokaslr && (opts.seed !== undefined || p.kaslrMemoryDefault);
  if (randomize) {
    const prng = new Prng(opts.seed ?? 0);
    const sizes = sizesTb.map((t) => BigInt(t) << TB_SHIFT);
    let vaddr = p.kaslrVaddrStart;
    let remain = p.kaslrVaddrEnd - p.kaslrVaddrStart;
    for (const s of sizes) remain -= s;
    const out: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      let entropy = remain / BigInt(3 - i);
      const rand = prng.nextU64();
      entropy = (rand % (entropy + 1n)) & PUD_MASK;
      vaddr = U64(vaddr + entropy);
      out.push(vaddr);
      vaddr = U64(vaddr + sizes[i]!);
      // round_up(vaddr + 1, PUD_SIZE)
      vaddr = U64(((vaddr + 1n + PUD_SIZE_B - 1n) / PUD_SIZE_B) * PUD_SIZE_B);
      remain -= entropy;
    }
    bases = { pageOffsetBase: out[0]!, vmallocBase: out[1]!, vmemmapBase: out[2]! };
    source = 'random';
  }
  const explicit =
    opts.pageOffsetBase !== undefined || opts.vmallocBase !== undefined || opts.vmemmapBase !== undefined;
  if (explicit) {
    bases = {
      pageOffsetBase: opts.pageOffsetBase ?? bases.pageOffsetBase,
      vmallocBase: opts.vmallocBase ?? bases.vmallocBase,
      vmemmapBase: opts.vmemmapBase ?? bases.vmemmapBase,
    };
    source = 'explicit';
  }
  const r: KaslrBases = { ...bases, source, sizesTb };
  if (opts.seed !== undefined && source === 'random') r.seed = String(opts.seed);
  return r;
}
