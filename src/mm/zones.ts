/**
 * x86-64 zones (arch/x86/mm/init.c zone_sizes_init(), mm/page_alloc.c
 * free_area_init_nodes() / 6.x mm/mm_init.c free_area_init()).
 *
 * ZONE_DMA    [first memblock pfn, MAX_DMA_PFN = 16 MiB)
 * ZONE_DMA32  [MAX_DMA_PFN, min(MAX_DMA32_PFN = 4 GiB, max_pfn))
 * ZONE_NORMAL [MAX_DMA32_PFN, max_pfn)
 * A zone's span includes holes; present_pages counts memblock.memory pfns in
 * the span (calculate_node_totalpages()); managed_pages is what the buddy
 * allocator received.
 */
import type { Memblock } from './memblock.js';

export const MAX_DMA_PFN = 0x1000;
export const MAX_DMA32_PFN = 0x100000;

export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal'] as const;
export type ZoneName = (typeof ZONE_NAMES)[number];

export interface Zone {
  readonly index: number;
  readonly name: ZoneName;
  /** zone_start_pfn. */
  readonly startPfn: number;
  /** spanned_pages (0 = empty zone). */
  readonly spannedPages: number;
  /** present_pages. */
  readonly presentPages: number;
  /** managed_pages: filled in when memblock hands free pages to the buddy allocator. */
  managedPages: number;
}

export function zoneEndPfn(z: Zone): number {
  return z.startPfn + z.spannedPages;
}

/** Pages of memblock.memory inside [spfn, epfn) (pfn-rounded as for_each_mem_pfn_range does). */
export function memoryPagesIn(memblock: Memblock, spfn: number, epfn: number): number {
  let n = 0;
  for (const r of memblock.memory.regions) {
    const s = Math.max(Math.ceil(r.base / 4096), spfn);
    const e = Math.min(Math.floor((r.base + r.size) / 4096), epfn);
    if (e > s) n += e - s;
  }
  return n;
}

/** ZONE_DEVICE's index in enum zone_type (DMA, DMA32, NORMAL, MOVABLE, DEVICE; MOVABLE is empty here). */
export const ZONE_DEVICE_IDX = 4;

export class Zones {
  readonly zones: readonly Zone[];
  /**
   * ZONE_DEVICE pfn ranges added after boot by memremap_pages() →
   * move_pfn_range_to_zone(). The zone spans them but has no present or
   * managed pages, so for_each_populated_zone() skips it. Kept apart from
   * `zones` (which the boot and hibernation code walk as the buddy zones).
   */
  readonly deviceRanges: Array<[number, number]> = [];

  constructor(memblock: Memblock, maxPfn: number) {
    const first = memblock.memory.regions[0];
    // find_min_pfn_with_active_regions(): the lowest memblock pfn.
    const minPfn = first ? Math.ceil(first.base / 4096) : 0;
    const limits = [MAX_DMA_PFN, Math.min(MAX_DMA32_PFN, maxPfn), maxPfn];
    const zones: Zone[] = [];
    let start = minPfn;
    for (let i = 0; i < 3; i++) {
      const end = Math.max(limits[i]!, start);
      const s = Math.min(start, end);
      const spanned = Math.max(0, Math.min(end, maxPfn) - s);
      zones.push({
        index: i,
        name: ZONE_NAMES[i]!,
        startPfn: spanned ? s : 0,
        spannedPages: spanned,
        presentPages: spanned ? memoryPagesIn(memblock, s, s + spanned) : 0,
        managedPages: 0,
      });
      start = end;
    }
    this.zones = zones;
  }

  /** page_zone(pfn_to_page(pfn)): the zone whose span holds the pfn, or undefined. */
  zoneOf(pfn: number): Zone | undefined {
    for (const z of this.zones) if (z.spannedPages && pfn >= z.startPfn && pfn < zoneEndPfn(z)) return z;
    return undefined;
  }

  /** Zone index of a pfn by the fixed boundaries (set_page_links() — every memmap pfn has one). */
  zoneIndexOf(pfn: number): number {
    const dr = this.deviceRanges;
    for (let k = 0; k < dr.length; k++) if (pfn >= dr[k]![0] && pfn < dr[k]![1]) return ZONE_DEVICE_IDX;
    if (pfn < MAX_DMA_PFN) return 0;
    if (pfn < MAX_DMA32_PFN) return 1;
    return 2;
  }

  /** move_pfn_range_to_zone(ZONE_DEVICE): the device zone's span grows. */
  addDeviceRange(spfn: number, epfn: number): void {
    this.deviceRanges.push([spfn, epfn]);
  }

  /** remove_pfn_range_from_zone() for a ZONE_DEVICE range. */
  removeDeviceRange(spfn: number): void {
    const i = this.deviceRanges.findIndex(([s]) => s === spfn);
    if (i >= 0) this.deviceRanges.splice(i, 1);
  }

  get totalPresent(): number {
    let n = 0;
    for (const z of this.zones) n += z.presentPages;
    return n;
  }

  get totalManaged(): number {
    let n = 0;
    for (const z of this.zones) n += z.managedPages;
    return n;
  }
}
