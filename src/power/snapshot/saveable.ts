/**
 * Which pages go into the image (kernel/power/snapshot.c):
 * mark_free_pages(), saveable_page(), count_data_pages() and
 * snapshot_additional_pages(). x86-64 has no highmem, so the *_highmem
 * variants are not modelled.
 */
import { TranslateCache } from '../../arch/x86/walk.js';
import type { Machine } from '../../machine/boot.js';
import { symbolPhys } from '../../machine/symbols.js';
import type { Zone } from '../../mm/zones.js';
import { andRange, BitWriter, BM_BITS_PER_BLOCK, forEachClearInBoth, setRange } from './bitmap.js';
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
  // Each page of every free block gets its bit (the order the lists are walked in does not
  // matter: bits are only set): a block is a pfn range, set a word at a time.
  const w = new BitWriter(free);
  buddy.forEachFreeBlock(zone.index, (head, order) => {
    if (order === 0) w.set(head);
    else setRange(free, head, head + (1 << order));
  });
}

/**
 * mark_free_pages() for each populated zone, in one scan of the free blocks:
 * the zones' pfn spans are disjoint and each zone's pass only touches its own
 * span, so marking all zones before reading any gives every zone the bits its
 * own mark_free_pages() would (count_data_pages() and copy_data_pages() run
 * it for every zone before they look at that zone's bits).
 */
export function markFreePagesAllZones(s: SwsuspMem, zones: readonly Zone[]): void {
  const free = s.free!;
  let zoneMask = 0;
  for (const z of zones) {
    andRange(free, s.forbidden!, z.startPfn, z.startPfn + z.spannedPages);
    zoneMask |= 1 << z.index;
  }
  const w = new BitWriter(free);
  s.machine.buddy.forEachFreeBlockIn(zoneMask, (head, order) => {
    if (order === 0) w.set(head);
    else w.setRange(head, head + (1 << order));
  });
}

/** saveable_page(zone, pfn) per profile (3.10 / RHEL 7 / 6.x rules of kernel/power/snapshot.c). */
export function saveablePage(s: SwsuspMem, zone: Zone, pfn: number): boolean {
  if (!s.machine.sections.pfnValid(pfn)) return false;
  if (s.forbidden!.testBitQuiet(pfn) || s.free!.testBitQuiet(pfn)) return false;
  return saveableCandidate(s, zone, pfn, s.machine.isDirectMapped);
}

/**
 * machine.isDirectMapped() for one pass over the pfns (count_data_pages(),
 * copy_data_pages()): the same walk with a TranslateCache, so the pages of
 * one 2 MiB region cost one upper walk. The pass calls reset() after it
 * changes a mapping (safe_copy_page()'s hibernate_map_page()).
 */
export class DirectMapProbe {
  private readonly wc: TranslateCache;
  private readonly pageOffsetLow48: number;

  constructor(m: Machine) {
    this.wc = new TranslateCache(m.mem, m.kernelImage.pgdPhys);
    this.pageOffsetLow48 = Number(BigInt.asUintN(48, m.kaslr.pageOffsetBase));
  }

  mapped(pfn: number): boolean {
    return this.wc.translate((this.pageOffsetLow48 + pfn * 4096) % 2 ** 48) >= 0;
  }

  /** The page tables changed: walk again. */
  reset(): void {
    this.wc.forgetAll();
  }
}

function directMapProbe(m: Machine): (pfn: number) => boolean {
  const p = new DirectMapProbe(m);
  return (pfn) => p.mapped(pfn);
}

/** [__nosave_begin, __nosave_end) as pfns, per machine (pfn_is_nosave() asks it per reserved page). */
const nosaveSpans = new WeakMap<object, [number, number]>();

/**
 * saveable_page()'s tests other than the forbidden/free bits, for a pfn
 * whose bits are both clear (a forEachSaveableCandidate() pfn).
 */
function saveableCandidate(
  s: SwsuspMem,
  zone: Zone,
  pfn: number,
  directMapped: (pfn: number) => boolean,
): boolean {
  const m = s.machine;
  const h = s.profile.hibernation;
  if (!m.sections.pfnValid(pfn)) return false;
  if (s.profile.mm.hasPfnToOnlinePage && !m.sections.pfnToOnlinePageOk(s.profile, pfn)) return false;
  if (m.zones.zoneIndexOf(pfn) !== zone.index) return false;
  // PageOffline: the model has no offlined (balloon / virtio-mem) pages.
  if (m.pages.isReserved(pfn)) {
    if (h.kernelPagePresent !== 'always' && !directMapped(pfn)) return false;
    let span = nosaveSpans.get(m);
    if (!span) {
      span = [
        Math.floor(symbolPhys(m, '__nosave_begin') / 4096),
        Math.ceil(symbolPhys(m, '__nosave_end') / 4096),
      ];
      nosaveSpans.set(m, span);
    }
    if (pfn >= span[0] && pfn < span[1]) return false; // pfn_is_nosave()
  }
  // page_is_guard(): no DEBUG_PAGEALLOC guard pages in the model.
  return true;
}

/** count_data_pages(): mark_free_pages + saveable_page over every populated zone. */
export function countDataPages(s: SwsuspMem): number {
  let n = 0;
  const zones = populatedZones(s);
  markFreePagesAllZones(s, zones);
  const mapped = directMapProbe(s.machine);
  for (const z of zones) {
    forEachSaveableCandidate(s, z, (pfn) => {
      if (saveableCandidate(s, z, pfn, mapped)) n++;
    });
  }
  return n;
}

/**
 * The pfns of a zone span that are neither forbidden nor free and lie in a
 * present section, i.e. the only ones saveable_page() can accept (it tests
 * pfn_valid() and those two bits first; a section that is not present has no
 * valid pfn); saveableCandidate() makes saveable_page()'s remaining checks.
 */
export function forEachSaveableCandidate(s: SwsuspMem, zone: Zone, fn: (pfn: number) => void): void {
  const secs = s.machine.sections;
  const per = secs.pfnsPerSection;
  const end = zone.startPfn + zone.spannedPages;
  for (let pfn = zone.startPfn; pfn < end; ) {
    // A run of present sections at a time.
    let runEnd = Math.min(end, (Math.floor(pfn / per) + 1) * per);
    if (!secs.isPresent(secs.sectionOf(pfn))) {
      pfn = runEnd;
      continue;
    }
    while (runEnd < end && secs.isPresent(secs.sectionOf(runEnd))) runEnd = Math.min(end, runEnd + per);
    forEachClearInBoth(s.forbidden!, s.free!, pfn, runEnd, fn);
    pfn = runEnd;
  }
}

/** The candidates that pass saveable_page() (copy_data_pages()' orig_bm bits). */
export function forEachSaveablePage(s: SwsuspMem, zone: Zone, fn: (pfn: number) => void): void {
  // `fn` must change no mapping (it marks orig_bm).
  const mapped = directMapProbe(s.machine);
  forEachSaveableCandidate(s, zone, (pfn) => {
    if (saveableCandidate(s, zone, pfn, mapped)) fn(pfn);
  });
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
