/**
 * Nosave regions: the pfn ranges hibernation must neither save nor restore
 * (kernel/power/snapshot.c register_nosave_region()), as produced by the x86
 * e820 code at boot. Two producers, chosen by profile.e820.nosave:
 *
 *  - 'e820_mark_nosave_regions' (3.10 arch/x86/kernel/e820.c): walks the sorted
 *    kernel e820 table (RESERVED_KERN included). pfn starts at PFN_DOWN(end of
 *    entry 0); for each later entry: a gap registers [pfn, PFN_UP(addr))
 *    (rounded out — fires even for touching sub-page entries), then
 *    pfn = PFN_DOWN(end), then non-RAM/non-RESERVED_KERN types register
 *    [PFN_UP(addr), pfn) (rounded in); stop once pfn >= limit_pfn.
 *  - 'e820__register_nosave_regions' (6.x after the April 2025 fix): only RAM
 *    entries matter; every hole between them is registered rounded out,
 *    [PFN_DOWN(last_end), PFN_UP(addr)), and finally [PFN_DOWN(last_end), limit_pfn).
 */
import { E820_TYPE, type E820Entry } from '../../firmware/e820-types.js';
import type { KernelProfile } from '../../profiles/types.js';
import { flat } from '../../util/flat.js';

export interface NosaveRegion {
  startPfn: number;
  /** Exclusive. */
  endPfn: number;
}

const PAGE = 4096n;
const pfnDown = (a: bigint): number => Number(a / PAGE);
const pfnUp = (a: bigint): number => Number((a + PAGE - 1n) / PAGE);

/**
 * The nosave_regions list: register_nosave_region() ignores empty ranges and
 * extends the last region when it ends exactly where the new one starts.
 * `onAdd` is told about each newly allocated list entry (the kernel allocates
 * a struct nosave_region per entry) and each registration's log line.
 */
export class NosaveList {
  readonly regions: NosaveRegion[] = [];
  readonly log: string[] = [];
  constructor(
    private readonly profile: KernelProfile,
    private readonly onNewEntry?: () => void,
  ) {}

  register(startPfn: number, endPfn: number): void {
    if (startPfn >= endPfn) return;
    const last = this.regions[this.regions.length - 1];
    if (last && last.endPfn === startPfn) last.endPfn = endPfn;
    else {
      this.regions.push({ startPfn, endPfn });
      this.onNewEntry?.();
    }
    this.log.push(nosaveLogLine(this.profile, startPfn, endPfn));
  }

  /** pfn_is_nosave()-style membership over the registered regions. */
  contains(pfn: number): boolean {
    for (const r of this.regions) if (pfn >= r.startPfn && pfn < r.endPfn) return true;
    return false;
  }
}

/** The kernel's log line for one registration (profile.e820.nosaveLog). */
export function nosaveLogLine(profile: KernelProfile, startPfn: number, endPfn: number): string {
  const s = BigInt(startPfn) * PAGE;
  const e = BigInt(endPfn) * PAGE;
  switch (profile.e820.nosaveLog) {
    case 'exclusive-016lx':
      return flat(
        `PM: Registered nosave memory: ${s.toString(16).padStart(16, '0')} - ${e.toString(16).padStart(16, '0')}`,
      );
    case 'mem-inclusive':
      return flat(`PM: Registered nosave memory: [mem ${fmt010(s)}-${fmt010(e - 1n)}]`);
    case 'mem-inclusive-hibernation-prefix':
      return flat(`PM: hibernation: Registered nosave memory: [mem ${fmt010(s)}-${fmt010(e - 1n)}]`);
  }
}

/** printk %#010llx. */
function fmt010(v: bigint): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/**
 * Register the nosave regions of a kernel e820 table (sorted by address) up to
 * limit_pfn (max_low_pfn = max_pfn on x86-64), by the profile's algorithm.
 */
export function registerE820Nosave(
  profile: KernelProfile,
  table: readonly E820Entry[],
  limitPfn: number,
  list: NosaveList,
): void {
  if (profile.e820.nosave === 'e820_mark_nosave_regions') markNosave310(table, limitPfn, list);
  else registerNosave612(table, limitPfn, list);
}

/** mirrors e820_mark_nosave_regions() in arch/x86/kernel/e820.c (3.10). */
function markNosave310(table: readonly E820Entry[], limitPfn: number, list: NosaveList): void {
  if (table.length === 0) return;
  const e0 = table[0]!;
  let pfn = pfnDown(e0.addr + e0.size);
  for (let i = 1; i < table.length; i++) {
    const ei = table[i]!;
    if (pfn < pfnUp(ei.addr)) list.register(pfn, pfnUp(ei.addr));
    pfn = pfnDown(ei.addr + ei.size);
    if (ei.type !== E820_TYPE.RAM && ei.type !== E820_TYPE.RESERVED_KERN) list.register(pfnUp(ei.addr), pfn);
    if (pfn >= limitPfn) break;
  }
}

/** mirrors e820__register_nosave_regions() in arch/x86/kernel/e820.c (6.15+/6.12.y stable fix). */
function registerNosave612(table: readonly E820Entry[], limitPfn: number, list: NosaveList): void {
  let lastAddr = 0n;
  for (const e of table) {
    if (e.type !== E820_TYPE.RAM) continue;
    if (lastAddr < e.addr) list.register(pfnDown(lastAddr), pfnUp(e.addr));
    lastAddr = e.addr + e.size;
  }
  list.register(pfnDown(lastAddr), limitPfn);
}
