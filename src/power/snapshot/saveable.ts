/**
 * Which pages go into the image (kernel/power/snapshot.c):
 * mark_free_pages(), saveable_page(), count_data_pages() and
 * snapshot_additional_pages(). x86-64 has no highmem, so the *_highmem
 * variants are not modelled.
 */
import { TranslateCache } from '../../arch/x86/walk.js';
import type { Machine } from '../../machine/boot.js';
import { symbolPhys } from '../../machine/symbols.js';
import type { PhysMem } from '../../mm/phys-mem.js';
import { MAX_DMA_PFN, MAX_DMA32_PFN, type Zone } from '../../mm/zones.js';
import {
  andRange,
  BitWriter,
  BM_BITS_PER_BLOCK,
  forEachClearInBoth,
  forEachClearRunInBoth,
  type MemoryBitmap,
  PfnBitSetter,
  realPagesMixed,
  setRange,
} from './bitmap.js';
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
 *
 * A call that finds nothing changed since the last one on the same map
 * (swsusp_save()'s count_data_pages() and copy_data_pages()' marking see the
 * same free lists) returns at once when the scan would leave every bit and
 * page form as they are (markedStateHolds()).
 */
export function markFreePagesAllZones(s: SwsuspMem, zones: readonly Zone[]): void {
  const free = s.free!;
  const forbidden = s.forbidden!;
  const buddy = s.machine.buddy;
  const key = zoneSpansKey(zones);
  const last = lastMarks.get(free);
  if (
    last !== undefined &&
    last.forbidden === forbidden &&
    last.zones === key &&
    last.lists === buddy.listVersion &&
    last.freeWrites === writesOf(free) &&
    last.forbiddenWrites === writesOf(forbidden) &&
    markedStateHolds(free, zones)
  ) {
    return;
  }
  markFreePagesWalk(s, zones);
  lastMarks.set(free, {
    forbidden,
    zones: key,
    lists: buddy.listVersion,
    freeWrites: writesOf(free),
    forbiddenWrites: writesOf(forbidden),
  });
}

/**
 * markFreePagesAllZones() by the walk itself: free &= forbidden over each
 * zone span, then every free block's bits in node order.
 */
export function markFreePagesWalk(s: SwsuspMem, zones: readonly Zone[]): void {
  const free = s.free!;
  let zoneMask = 0;
  for (const z of zones) {
    andRange(free, s.forbidden!, z.startPfn, z.startPfn + z.spannedPages);
    zoneMask |= 1 << z.index;
  }
  // Free blocks come in node order (scattered pfns): the bit page by arithmetic.
  const w = new PfnBitSetter(free);
  s.machine.buddy.forEachFreeBlockIn(zoneMask, (head, order) => {
    if (order === 0) w.set(head);
    else w.setRange(head, head + (1 << order));
  });
}

/** What the last marking of a free map saw and left (keyed by the map). */
interface FreeMark {
  forbidden: MemoryBitmap;
  zones: string;
  lists: number;
  freeWrites: number;
  forbiddenWrites: number;
}
const lastMarks = new WeakMap<MemoryBitmap, FreeMark>();

function zoneSpansKey(zones: readonly Zone[]): string {
  let k = '';
  for (const z of zones) k += `${z.index}:${z.startPfn}+${z.spannedPages};`;
  return k;
}

function writesOf(bm: MemoryBitmap): number {
  const B = bm.blocks32();
  return B.length > 0 ? B[0]!.counter.writes : 0;
}

/**
 * With the free lists and both maps unchanged since the last marking, another
 * would set the same blocks in the same order after free &= forbidden, so
 * every bit page of the spans ends with the bits it has (F1 = (F0 &
 * forbidden) | blocks). Its form too, when no written page reads uniform: a
 * page of F1 that is all zero no block touches; a mixed one ends written; an
 * all-ones page (ONES) is one the last marking settled at a set at its first
 * or last bit once complete, and another starts from at least the bits that
 * one did (F1 & forbidden ⊇ F0 & forbidden): complete no later, it settles
 * at the same set. Only a written page left all ones (or zero) by single-bit
 * stores could settle now where it did not then.
 */
function markedStateHolds(free: MemoryBitmap, zones: readonly Zone[]): boolean {
  for (const z of zones) if (!realPagesMixed(free, z.startPfn, z.startPfn + z.spannedPages)) return false;
  return true;
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
  private readonly mem: PhysMem;
  private readonly pgdPhys: number;

  constructor(m: Machine) {
    this.wc = new TranslateCache(m.mem, m.kernelImage.pgdPhys);
    this.mem = m.mem;
    this.pgdPhys = m.kernelImage.pgdPhys;
    this.pageOffsetLow48 = Number(BigInt.asUintN(48, m.kaslr.pageOffsetBase));
  }

  mapped(pfn: number): boolean {
    return this.wc.translate((this.pageOffsetLow48 + pfn * 4096) % 2 ** 48) >= 0;
  }

  /** The page tables changed: walk again. */
  reset(): void {
    this.wc.forgetAll();
  }

  /** The first pfn after `pfn`'s 2 MiB direct-map region (set by region()). */
  regionEnd = 0;
  /** The PTE table of the region when region() returned 2. */
  private pteTable = 0;
  private regionLow48 = 0;

  /**
   * kernel_page_present() for a whole 2 MiB region of the direct map, from
   * the same PGD → PUD → PMD walk as translate(): 0 = no pfn of it is mapped
   * (an entry above the PTEs is not present), 1 = every pfn is (a 1 GiB or
   * 2 MiB leaf), 2 = page by page (ptePresent()). Sets `regionEnd`.
   */
  region(pfn: number): 0 | 1 | 2 {
    const low48 = (this.pageOffsetLow48 + pfn * 4096) % 2 ** 48;
    const base = Math.floor(low48 / 2 ** 21) * 2 ** 21;
    this.regionLow48 = base;
    this.regionEnd = pfn + (base + 2 ** 21 - low48) / 4096;
    const mem = this.mem;
    let table = this.pgdPhys;
    for (let level = 0; level < 3; level++) {
      const size = level === 0 ? 2 ** 39 : level === 1 ? 2 ** 30 : 2 ** 21;
      const ea = table + (Math.floor(base / size) & 511) * 8;
      const lo = mem.u32Aligned(ea);
      if ((lo & 1) === 0) return 0;
      const hi = mem.u32Aligned(ea + 4);
      if (level > 0 && (lo & 0x80) !== 0) return 1;
      table = (hi & 0xfffff) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
    }
    this.pteTable = table;
    return 2;
  }

  /** In the region of the last region() that returned 2: is `pfn`'s PTE present? */
  ptePresent(pfn: number): boolean {
    const low48 = (this.pageOffsetLow48 + pfn * 4096) % 2 ** 48;
    return (this.mem.u32Aligned(this.pteTable + ((low48 - this.regionLow48) / 4096) * 8) & 1) !== 0;
  }
}

/** [__nosave_begin, __nosave_end) as pfns, per machine (pfn_is_nosave() asks it per reserved page). */
const nosaveSpans = new WeakMap<object, [number, number]>();

function nosaveSpan(m: Machine): [number, number] {
  let span = nosaveSpans.get(m);
  if (!span) {
    span = [
      Math.floor(symbolPhys(m, '__nosave_begin') / 4096),
      Math.ceil(symbolPhys(m, '__nosave_end') / 4096),
    ];
    nosaveSpans.set(m, span);
  }
  return span;
}

/**
 * saveable_page()'s tests other than the forbidden/free bits, for a pfn
 * whose bits are both clear (a forEachSaveableCandidate() pfn). The per-page
 * reference of forEachSaveableRun() (and what the property tests hold it to).
 */
export function saveableCandidate(
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
    const span = nosaveSpan(m);
    if (pfn >= span[0] && pfn < span[1]) return false; // pfn_is_nosave()
  }
  // page_is_guard(): no DEBUG_PAGEALLOC guard pages in the model.
  return true;
}

/**
 * saveable_page() over a zone as runs: `fn(start, n)` for ascending,
 * disjoint runs of pfns it accepts — exactly the pfns for which
 * forEachSaveableCandidate() + saveableCandidate() say yes. Each of the
 * kernel's tests is applied to the range it is constant on:
 *  - pfn_valid(): present sections (mm/sparse.c);
 *  - 6.x pfn_to_online_page() (mm/memory_hotplug.c): not a ZONE_DEVICE
 *    section, and the 2 MiB subsection bit (pfn_section_valid());
 *  - page_zone(page) != zone: constant between the zone boundaries and the
 *    ZONE_DEVICE ranges (Zones.zoneIndexOf());
 *  - PageReserved: runs of struct-page state (StructPages.forEachStateRun(),
 *    O(1) for a uniform section or chunk); a reserved page must be
 *    kernel_page_present() (6.x: a direct-map walk, answered per 2 MiB region
 *    unless the region is mapped by PTEs) and not pfn_is_nosave()
 *    ([__nosave_begin, __nosave_end));
 *  - swsusp_page_is_forbidden() / swsusp_page_is_free(): the bitmaps a word
 *    at a time (forEachClearRunInBoth()).
 * The struct-page runs are asked per section, so a section without a memmap
 * takes the per-page path (which fails there as it always did).
 */
export function forEachSaveableRun(
  s: SwsuspMem,
  zone: Zone,
  fn: (start: number, n: number) => void,
  probe: DirectMapProbe = new DirectMapProbe(s.machine),
): void {
  const m = s.machine;
  const secs = m.sections;
  const per = secs.pfnsPerSection;
  const end = zone.startPfn + zone.spannedPages;
  const online = s.profile.mm.hasPfnToOnlinePage;
  const subShift = secs.subShift;
  const always = s.profile.hibernation.kernelPagePresent === 'always';
  const reservedBit = s.profile.mm.pageFlags.bits.reserved;
  const reservedMask = 1 << reservedBit;
  const [nb, ne] = nosaveSpan(m);
  const forbidden = s.forbidden!;
  const free = s.free!;
  const cuts = zoneCuts(m);

  // Merge adjacent runs into one call.
  let ps = -1;
  let pn = 0;
  const out = (start: number, n: number): void => {
    if (ps >= 0 && ps + pn === start) {
      pn += n;
      return;
    }
    if (ps >= 0) fn(ps, pn);
    ps = start;
    pn = n;
  };
  const bits = (lo: number, hi: number): void => {
    if (lo < hi) forEachClearRunInBoth(forbidden, free, lo, hi, out);
  };
  // Candidates [lo, hi) as they are (already neither forbidden nor free).
  const direct = (lo: number, hi: number): void => {
    if (lo < hi) out(lo, hi - lo);
  };
  // A run of reserved pages: pfn_is_nosave() and kernel_page_present(); what passes goes to `emit`.
  const reserved = (lo: number, hi: number, emit: (lo: number, hi: number) => void): void => {
    if (lo < nb && hi > nb) {
      reserved(lo, nb, emit);
      reserved(ne, hi, emit);
      return;
    }
    if (lo >= nb && hi <= ne) return;
    if (lo < ne && hi > ne) lo = ne;
    if (lo >= hi) return;
    if (always) {
      emit(lo, hi);
      return;
    }
    for (let p = lo; p < hi; ) {
      const kind = probe.region(p);
      const e = Math.min(hi, probe.regionEnd);
      if (kind === 1) emit(p, e);
      else if (kind === 2) {
        for (let q = p; q < e; ) {
          if (!probe.ptePresent(q)) {
            q++;
            continue;
          }
          let r = q + 1;
          while (r < e && probe.ptePresent(r)) r++;
          emit(q, r);
          q = r;
        }
      }
      p = e;
    }
  };
  // Runs of struct-page state over [lo, hi), coalesced on PageReserved (the only field asked):
  // each segment to `plain` or through reserved().
  const byReserved = (lo: number, hi: number, plain: (lo: number, hi: number) => void): void => {
    let pos = lo;
    let segStart = lo;
    let segReserved = false;
    m.pages.forEachStateRun(lo, hi, (flags, _r, _m, _p, n) => {
      const r = (flags & reservedMask) !== 0;
      if (r !== segReserved && pos > segStart) {
        if (segReserved) reserved(segStart, pos, plain);
        else plain(segStart, pos);
        segStart = pos;
      }
      segReserved = r;
      pos += n;
    });
    if (pos > segStart) {
      if (segReserved) reserved(segStart, pos, plain);
      else plain(segStart, pos);
    }
  };
  // [lo, hi) within one section: online, in the zone. A UNIFORM memmap answers PageReserved
  // for the whole range; otherwise the candidates come first (the bitmap words) and only
  // their struct pages are asked: a short run page by page, a longer one by state runs.
  const inSection = (lo: number, hi: number): void => {
    const sec = Math.floor(lo / per);
    if (m.pages.isUniform(sec)) {
      if (m.pages.uniformState(sec).flags & reservedMask) reserved(lo, hi, bits);
      else bits(lo, hi);
      return;
    }
    // A present section whose memmap is gone (hot-removed) yields no state runs.
    let hasMemmap = false;
    m.pages.forEachStateRun(lo, lo + 1, () => {
      hasMemmap = true;
    });
    if (!hasMemmap) {
      // saveable_page() page by page (it fails there as it always did).
      const mapped = (pfn: number) => probe.mapped(pfn);
      forEachClearInBoth(forbidden, free, lo, hi, (pfn) => {
        if (saveableCandidate(s, zone, pfn, mapped)) out(pfn, 1);
      });
      return;
    }
    // [pfn, clearEnd): no page has PageReserved, as the struct-page forms tell (a chunk whose
    // records lack the flag); such a run is a candidate run as it is.
    // [clearEnd, askedEnd): the forms could not tell (a page may be reserved): ask per page.
    let clearEnd = lo;
    let askedEnd = lo;
    const cp = m.pages.chunkPages;
    const ask = (p: number): void => {
      clearEnd = m.pages.flagClearEnd(p, reservedBit);
      askedEnd = clearEnd > p ? clearEnd : p - (p % cp) + cp;
    };
    forEachClearRunInBoth(forbidden, free, lo, hi, (a, n) => {
      if (a >= askedEnd) ask(a);
      let p = a;
      const e = a + n;
      while (p < clearEnd && p < e) {
        const q = Math.min(e, clearEnd);
        direct(p, q);
        p = q;
        if (p < e) ask(p);
      }
      if (p >= e) return;
      if (e - p >= 16) {
        byReserved(p, e, direct);
        return;
      }
      // PageReserved per page through the struct-page accessor that keeps the last chunks' arrays
      // at hand (a run of a scattered workload's memory lies in one or two chunks).
      while (p < e) {
        const r = m.pages.bit(p, reservedBit);
        let q = p + 1;
        while (q < e && m.pages.bit(q, reservedBit) === r) q++;
        if (r) reserved(p, q, direct);
        else direct(p, q);
        p = q;
      }
    });
  };
  // [lo, hi) within one section and online: cut where page_zone() changes.
  const zoned = (lo: number, hi: number): void => {
    for (let p = lo; p < hi; ) {
      let e = hi;
      for (const c of cuts) if (c > p && c < e) e = c;
      if (m.zones.zoneIndexOf(p) === zone.index) inSection(p, e);
      p = e;
    }
  };
  for (let pfn = zone.startPfn; pfn < end; ) {
    const sec = Math.floor(pfn / per);
    const secEnd = Math.min(end, (sec + 1) * per);
    if (!secs.isPresent(sec) || (online && secs.zoneDevice[sec] === 1)) {
      pfn = secEnd;
      continue;
    }
    if (!online || !subShift) {
      zoned(pfn, secEnd);
      pfn = secEnd;
      continue;
    }
    // pfn_section_valid(): runs of set subsection bits.
    const subPages = 2 ** subShift;
    const base = sec * per;
    for (let p = pfn; p < secEnd; ) {
      const bit = Math.floor((p - base) / subPages);
      const valid = ((secs.subsectionMap[sec * 2 + (bit >> 5)]! >>> (bit & 31)) & 1) === 1;
      let e = p;
      do {
        e = Math.min(secEnd, base + (Math.floor((e - base) / subPages) + 1) * subPages);
        if (e >= secEnd) break;
        const b2 = Math.floor((e - base) / subPages);
        if ((((secs.subsectionMap[sec * 2 + (b2 >> 5)]! >>> (b2 & 31)) & 1) === 1) !== valid) break;
      } while (e < secEnd);
      if (valid) zoned(p, e);
      p = e;
    }
    pfn = secEnd;
  }
  if (ps >= 0) fn(ps, pn);
}

/** The pfns where Zones.zoneIndexOf() may change: the zone boundaries and the ZONE_DEVICE ranges. */
function zoneCuts(m: Machine): number[] {
  const cuts = [MAX_DMA_PFN, MAX_DMA32_PFN];
  for (const [a, b] of m.zones.deviceRanges) cuts.push(a, b);
  return cuts;
}

/** count_data_pages(): mark_free_pages + saveable_page over every populated zone (by runs). */
export function countDataPages(s: SwsuspMem): number {
  let n = 0;
  const zones = populatedZones(s);
  markFreePagesAllZones(s, zones);
  const probe = new DirectMapProbe(s.machine);
  for (const z of zones) {
    forEachSaveableRun(
      s,
      z,
      (_start, len) => {
        n += len;
      },
      probe,
    );
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

/** The candidates that pass saveable_page() (copy_data_pages()' orig_bm bits), page by page. */
export function forEachSaveablePage(s: SwsuspMem, zone: Zone, fn: (pfn: number) => void): void {
  // `fn` must change no mapping (it marks orig_bm).
  forEachSaveableRun(s, zone, (start, n) => {
    for (let p = start, e = start + n; p < e; p++) fn(p);
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
