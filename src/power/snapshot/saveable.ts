/**
 * Which pages go into the image (kernel/power/snapshot.c):
 * mark_free_pages(), saveable_page(), count_data_pages() and
 * snapshot_additional_pages(). x86-64 has no highmem, so the *_highmem
 * variants are not modelled.
 */
import { pfnIsNosave } from '../../machine/symbols.js';
import type { Zone } from '../../mm/zones.js';
import { andRange, BM_BITS_PER_BLOCK, forEachClearInBoth } from './bitmap.js';
import type { SwsuspMem } from './swsusp-mem.js';

/** The populated zones (for_each_populated_zone). */
export function populatedZones(s: SwsuspMem): Zone[] {
  return s.machine.zones.zones.filter((z) => z.presentPages > 0);
}

/**
 * mark_free_pages(zone): clear the free bit of every valid pfn of the zone
 * that is not forbidden (6.x: only pfns whose page_zone is this zone), then
 * set it for every page on the zone's buddy free lists.
 */
export function markFreePages(s: SwsuspMem, zone: Zone): void {
  const free = s.free!;
  // free &= forbidden over the zone span (invalid pfns never have a free bit).
  andRange(free, s.forbidden!, zone.startPfn, zone.startPfn + zone.spannedPages);
  const buddy = s.machine.buddy;
  for (let order = 0; order <= buddy.maxOrder; order++) {
    const n = 2 ** order;
    buddy.forEachFreeHead(zone.index, order, (head) => {
      for (let i = 0; i < n; i++) free.setBitQuiet(head + i);
    });
  }
}

/** saveable_page(zone, pfn) per profile (3.10 / RHEL 7 / 6.x rules of kernel/power/snapshot.c). */
export function saveablePage(s: SwsuspMem, zone: Zone, pfn: number): boolean {
  const m = s.machine;
  const h = s.profile.hibernation;
  if (!m.sections.pfnValid(pfn)) return false;
  if (s.profile.mm.hasPfnToOnlinePage && !m.sections.pfnToOnlinePageOk(s.profile, pfn)) return false;
  if (m.zones.zoneIndexOf(pfn) !== zone.index) return false;
  if (s.forbidden!.testBitQuiet(pfn) || s.free!.testBitQuiet(pfn)) return false;
  // PageOffline: the model has no offlined (balloon / virtio-mem) pages.
  if (m.pages.isReserved(pfn)) {
    const present = h.kernelPagePresent === 'always' ? true : m.isDirectMapped(pfn);
    if (!present || pfnIsNosave(m, pfn)) return false;
  }
  // page_is_guard(): no DEBUG_PAGEALLOC guard pages in the model.
  return true;
}

/** count_data_pages(): mark_free_pages + saveable_page over every populated zone. */
export function countDataPages(s: SwsuspMem): number {
  let n = 0;
  for (const z of populatedZones(s)) {
    markFreePages(s, z);
    forEachSaveableCandidate(s, z, (pfn) => {
      if (saveablePage(s, z, pfn)) n++;
    });
  }
  return n;
}

/**
 * The pfns of a zone span that are neither forbidden nor free, i.e. the only
 * ones saveable_page() can accept (it tests those two bits first); the
 * remaining checks run per candidate.
 */
export function forEachSaveableCandidate(s: SwsuspMem, zone: Zone, fn: (pfn: number) => void): void {
  forEachClearInBoth(s.forbidden!, s.free!, zone.startPfn, zone.startPfn + zone.spannedPages, fn);
}

/** Iterate valid pfns of [start, end) a section at a time (skips absent sections). */
export function forEachValidPfn(s: SwsuspMem, start: number, end: number, fn: (pfn: number) => void): void {
  const secs = s.machine.sections;
  const per = secs.pfnsPerSection;
  for (let pfn = start; pfn < end; ) {
    const secEnd = Math.min(end, (Math.floor(pfn / per) + 1) * per);
    if (secs.pfnValid(pfn)) for (let p = pfn; p < secEnd; p++) fn(p);
    pfn = secEnd;
  }
}

/**
 * snapshot_additional_pages(zone): pages the two bitmaps of this zone need.
 * 3.10: r = ceil(spanned/32768); r += ceil(r*40/4088); 2r.
 * 6.x:  r = nodes = ceil(spanned/32768); r += ceil(r*24/4088); inner levels; 2r.
 */
export function snapshotAdditionalPages(s: SwsuspMem, zone: Zone): number {
  let r = Math.ceil(zone.spannedPages / BM_BITS_PER_BLOCK);
  if (s.profile.hibernation.bitmap === 'rtree') {
    let nodes = r;
    r += Math.ceil((r * 24) / 4088);
    while (nodes > 1) {
      nodes = Math.ceil(nodes / 512);
      r += nodes;
    }
  } else {
    r += Math.ceil((r * 40) / 4088);
  }
  return 2 * r;
}
