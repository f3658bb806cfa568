/**
 * Would a kernel booting with a given firmware e820 map accept this image?
 *
 * 6.x (arch/x86/power/hibernate.c, 5.13+): arch_hibernation_header_restore()
 *   rejects a record whose magic is not RESTORE_MAGIC ("Unrecognized hibernate
 *   image header format!"), then compares the stored e820_checksum with
 *   compute_e820_crc32(e820_table_firmware) → "Hibernate inconsistent memory
 *   map detected!" and "PM: hibernation: Image mismatch: architecture specific data".
 * 3.10 (arch/x86/power/hibernate_64.c; RHEL 7.9 backport magic): no e820 check;
 *   check_header() then compares num_physpages with the boot kernel's, which
 *   on x86-64 3.10 is max_pfn = e820_end_of_ram_pfn() ("Image mismatch: memory size").
 *   6.x check_header() goes on, once the CRC matches, to compare num_physpages
 *   with get_num_physpages() = the boot kernel's present pages, which memmap= /
 *   mem= on the resume command line change ("Image mismatch: memory size").
 * Separately: which image pfns are not inside a usable (RAM) entry of that
 * map — pages the restore would write over non-RAM (the seed bug, §8).
 */
import { E820_TYPE, type E820Entry, e820TypeName } from '../../firmware/e820-types.js';
import type { MetaList } from './meta.js';
import { RESTORE_MAGIC, type SwsuspInfo } from './swsusp-info.js';

export interface KernelVerdict {
  /** The kernel understands the image's arch header at all. */
  applicable: boolean;
  accepted: boolean;
  /** Kernel log lines the boot would print for the rejection (empty when accepted). */
  messages: string[];
}

export interface OutsideRange {
  start: number;
  end: number;
  pages: number;
  /** e820 type name of that map at these pfns, or 'hole' where no entry covers them. */
  type: string;
  zero: number;
}

export interface E820CheckResult {
  imageE820Checksum: number | null;
  mapE820Checksum: number;
  kernel6x: KernelVerdict & {
    checksumMatches: boolean | null;
    /** get_num_physpages() of the boot kernel (kernel table after the cmdline); null without one. */
    presentPages: number | null;
    memorySizeMatches: boolean | null;
  };
  kernel310: KernelVerdict & { numPhyspages: number; mapMaxPfn: number; memorySizeMatches: boolean };
  pfnsOutsideRam: OutsideRange[];
  pagesOutsideRam: number;
  acceptedByAll: boolean;
}

/** MAX_ARCH_PFN of x86-64 3.10 (MAXMEM = 2^46). */
const MAX_ARCH_PFN_310 = 2 ** (46 - 12);

/** e820_end_of_ram_pfn() (arch/x86/kernel/e820.c, 3.10): end pfn of the highest E820_RAM entry. */
export function e820EndOfRamPfn(entries: readonly E820Entry[]): number {
  let last = 0;
  for (const e of entries) {
    if (e.type !== E820_TYPE.RAM) continue;
    const start = Number(e.addr >> 12n);
    let end = Number((e.addr + e.size) >> 12n);
    if (start >= MAX_ARCH_PFN_310) continue;
    if (end > MAX_ARCH_PFN_310) end = MAX_ARCH_PFN_310;
    if (end > last) last = end;
  }
  return last;
}

/**
 * get_num_physpages() of a 6.x kernel with this (kernel-edited) e820 table:
 * e820__memblock_setup() adds the RAM entries, memblock trims them to whole
 * pages, and the zones' present pages count them below max_pfn.
 */
export function presentPagesOf(entries: readonly E820Entry[]): number {
  const maxPfn = e820EndOfRamPfn(entries);
  let n = 0;
  for (const e of entries) {
    if (e.type !== E820_TYPE.RAM) continue;
    const s = Number((e.addr + 4095n) >> 12n);
    const t = Math.min(Number((e.addr + e.size) >> 12n), maxPfn);
    if (t > s) n += t - s;
  }
  return n;
}

/** Type of the entry covering the whole page at pfn (RAM wins), else the first partial one, else 'hole'. */
function classify(sorted: readonly E820Entry[], pfn: number): { ram: boolean; type: string } {
  const a = BigInt(pfn) << 12n;
  const b = a + 4096n;
  let partial: string | null = null;
  for (const e of sorted) {
    if (e.addr >= b) break;
    const end = e.addr + e.size;
    if (end <= a) continue;
    if (e.addr <= a && end >= b && e.type === E820_TYPE.RAM) return { ram: true, type: 'usable' };
    if (partial === null || e.type !== E820_TYPE.RAM) partial = e820TypeName(e.type);
  }
  return { ram: false, type: partial ?? 'hole' };
}

/**
 * `entries` is the firmware table (its CRC is `mapChecksum`); `kernelEntries`,
 * when given, the boot kernel's table after its command line (memmap=, mem=):
 * then the present-page and max_pfn checks and the pfns-outside-RAM list use it.
 */
export function checkImageAgainstE820(
  info: SwsuspInfo,
  meta: MetaList,
  entries: readonly E820Entry[],
  mapChecksum: number,
  kernelEntries?: readonly E820Entry[],
): E820CheckResult {
  const arch = info.arch;
  // 6.x
  const v6: E820CheckResult['kernel6x'] = {
    applicable: true,
    accepted: true,
    messages: [],
    checksumMatches: null,
    presentPages: kernelEntries ? presentPagesOf(kernelEntries) : null,
    memorySizeMatches: null,
  };
  if (arch.magic !== RESTORE_MAGIC['5.13-crc32']) {
    v6.applicable = false;
    v6.accepted = false;
    v6.messages.push(
      'Unrecognized hibernate image header format!',
      'PM: hibernation: Image mismatch: architecture specific data',
    );
  } else {
    v6.checksumMatches = arch.e820Checksum === mapChecksum;
    if (!v6.checksumMatches) {
      v6.accepted = false;
      v6.messages.push(
        'Hibernate inconsistent memory map detected!',
        'PM: hibernation: Image mismatch: architecture specific data',
      );
    } else if (v6.presentPages !== null) {
      // check_header(): num_physpages != get_num_physpages().
      v6.memorySizeMatches = info.numPhyspages === v6.presentPages;
      if (!v6.memorySizeMatches) {
        v6.accepted = false;
        v6.messages.push('PM: hibernation: Image mismatch: memory size');
      }
    }
  }
  // 3.10 (upstream magic or the RHEL 7.9 backport's)
  const maxPfn = e820EndOfRamPfn(kernelEntries ?? entries);
  const v310: E820CheckResult['kernel310'] = {
    applicable: arch.magic === RESTORE_MAGIC['3.10'] || arch.magic === RESTORE_MAGIC['4.7-4.9'],
    accepted: true,
    messages: [],
    numPhyspages: info.numPhyspages,
    mapMaxPfn: maxPfn,
    memorySizeMatches: info.numPhyspages === maxPfn,
  };
  if (!v310.applicable) {
    v310.accepted = false;
    v310.messages.push('PM: Image mismatch: architecture specific data');
  } else if (!v310.memorySizeMatches) {
    v310.accepted = false;
    v310.messages.push('PM: Image mismatch: memory size');
  }
  // pfns outside the map's RAM, as ranges of the same type.
  const sorted = [...(kernelEntries ?? entries)].sort((x, y) =>
    x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0,
  );
  const ranges: OutsideRange[] = [];
  let outside = 0;
  for (let r = 0; r < meta.runs; r++) {
    const z = meta.runIsZero(r) ? 1 : 0;
    for (let pfn = meta.runStart(r), e = pfn + meta.runLength(r); pfn < e; pfn++) {
      const c = classify(sorted, pfn);
      if (c.ram) continue;
      outside++;
      const last = ranges[ranges.length - 1];
      if (last && last.end + 1 === pfn && last.type === c.type) {
        last.end = pfn;
        last.pages++;
        last.zero += z;
      } else ranges.push({ start: pfn, end: pfn, pages: 1, type: c.type, zero: z });
    }
  }
  const applicable = [v6, v310].filter((v) => v.applicable);
  return {
    imageE820Checksum: arch.e820Checksum,
    mapE820Checksum: mapChecksum,
    kernel6x: v6,
    kernel310: v310,
    pfnsOutsideRam: ranges,
    pagesOutsideRam: outside,
    acceptedByAll: applicable.length > 0 && applicable.every((v) => v.accepted),
  };
}
