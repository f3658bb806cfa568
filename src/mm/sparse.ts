/**
 * SPARSEMEM sections (mm/sparse.c, include/linux/mmzone.h).
 *
 * Physical memory is cut into sections of 2^(SECTION_SIZE_BITS - PAGE_SHIFT)
 * pfns (32768 = 128 MiB on x86-64). A section is present when any
 * memblock.memory range touches it (memory_present() /
 * sparse_memory_present_with_active_regions()); its memmap then covers the
 * WHOLE section, holes included, which is why pfn_valid() is true for a
 * firmware hole sharing a section with RAM.
 *
 * 6.x additionally keeps a per-section subsection_map of 2 MiB subsections:
 * for early (boot) sections subsection_map_init() sets only the subsections
 * that overlap memblock RAM; pfn_to_online_page() tests it, pfn_valid() does
 * not (early sections are valid whole).
 *
 * Per-section state is in typed arrays: a 12 TiB map (≈98 000 sections) costs
 * well under a megabyte.
 */
import type { KernelProfile } from '../profiles/types.js';
import type { Memblock } from './memblock.js';
import { PAGE_SHIFT } from './phys-mem.js';

export class Sections {
  /** log2(pfns per section). */
  readonly pfnShift: number;
  readonly pfnsPerSection: number;
  /** Number of section slots (grows when memory is hot-added after boot, e.g. ZONE_DEVICE). */
  count: number;
  /** 1 = present (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP | SECTION_IS_EARLY). */
  present: Uint8Array;
  /** 1 = hot-added ZONE_DEVICE section: has a memmap but is never onlined (pfn_to_online_page() is NULL). */
  zoneDevice: Uint8Array;
  /** log2(pfns per subsection), or 0 when the kernel has no subsections. */
  readonly subShift: number;
  /** 2^subShift (a per-page test must not compute a power). */
  private readonly pfnsPerSub: number;
  /** Subsection bitmap, 64 bits per section as two u32 words (6.x only). */
  subsectionMap: Uint32Array;
  /** Present boot (early) sections. */
  readonly presentCount: number;

  /**
   * Build from memblock.memory, up to `maxPfn` (sections beyond are never
   * present). Mirrors memblocks_present()/memory_present() and, in 6.x,
   * subsection_map_init() in mm/sparse.c.
   */
  constructor(profile: KernelProfile, memblock: Memblock, maxPfn: number) {
    this.pfnShift = profile.mm.sectionSizeBits - PAGE_SHIFT;
    this.pfnsPerSection = 2 ** this.pfnShift;
    this.count = Math.max(1, Math.ceil(maxPfn / this.pfnsPerSection));
    this.present = new Uint8Array(this.count);
    this.zoneDevice = new Uint8Array(this.count);
    this.subShift = profile.mm.subsectionShift === null ? 0 : profile.mm.subsectionShift - PAGE_SHIFT;
    this.pfnsPerSub = 2 ** this.subShift;
    this.subsectionMap = new Uint32Array(this.subShift ? this.count * 2 : 0);
    let presentCount = 0;
    for (const r of memblock.memory.regions) {
      const spfn = Math.ceil(r.base / 4096);
      const epfn = Math.min(Math.floor((r.base + r.size) / 4096), maxPfn);
      if (spfn >= epfn) continue;
      for (
        let s = Math.floor(spfn / this.pfnsPerSection);
        s <= Math.floor((epfn - 1) / this.pfnsPerSection);
        s++
      ) {
        if (!this.present[s]) {
          this.present[s] = 1;
          presentCount++;
        }
      }
      if (this.subShift) {
        const subPerSection = this.pfnsPerSection >> this.subShift;
        const first = Math.floor(spfn / 2 ** this.subShift);
        const last = Math.floor((epfn - 1) / 2 ** this.subShift);
        for (let sub = first; sub <= last; sub++) {
          const sec = Math.floor(sub / subPerSection);
          const bit = sub % subPerSection;
          this.subsectionMap[sec * 2 + (bit >> 5)]! |= 1 << (bit & 31);
        }
      }
    }
    this.presentCount = presentCount;
  }

  /**
   * sparse_add_section() for memory hot-added after boot (add_pages() /
   * arch_add_memory() from memremap_pages(), mm/memory_hotplug.c): the
   * section table grows to cover [spfn, epfn), the sections get a memmap and
   * their subsection bits. ZONE_DEVICE sections stay offline: they are never
   * onlined, so pfn_to_online_page() returns NULL for them.
   */
  hotAdd(spfn: number, epfn: number, zoneDevice: boolean): void {
    const last = Math.floor((epfn - 1) / this.pfnsPerSection);
    if (last >= this.count) {
      const n = last + 1;
      const grow = (a: Uint8Array): Uint8Array => {
        const b = new Uint8Array(n);
        b.set(a);
        return b;
      };
      this.present = grow(this.present);
      this.zoneDevice = grow(this.zoneDevice);
      if (this.subShift) {
        const m = new Uint32Array(n * 2);
        m.set(this.subsectionMap);
        this.subsectionMap = m;
      }
      this.count = n;
    }
    for (let s = Math.floor(spfn / this.pfnsPerSection); s <= last; s++) {
      this.present[s] = 1;
      if (zoneDevice) this.zoneDevice[s] = 1;
    }
    if (this.subShift) {
      const subPerSection = this.pfnsPerSection >> this.subShift;
      for (
        let sub = Math.floor(spfn / 2 ** this.subShift);
        sub <= Math.floor((epfn - 1) / 2 ** this.subShift);
        sub++
      ) {
        const sec = Math.floor(sub / subPerSection);
        const bit = sub % subPerSection;
        this.subsectionMap[sec * 2 + (bit >> 5)]! |= 1 << (bit & 31);
      }
    }
  }

  /** sparse_remove_section() for a hot-removed range (memunmap_pages → __remove_pages / arch_remove_memory). */
  hotRemove(spfn: number, epfn: number): void {
    for (
      let s = Math.floor(spfn / this.pfnsPerSection);
      s <= Math.floor((epfn - 1) / this.pfnsPerSection);
      s++
    ) {
      if (s >= this.count) break;
      this.present[s] = 0;
      this.zoneDevice[s] = 0;
      if (this.subShift) {
        this.subsectionMap[s * 2] = 0;
        this.subsectionMap[s * 2 + 1] = 0;
      }
    }
  }

  sectionOf(pfn: number): number {
    return Math.floor(pfn / this.pfnsPerSection);
  }

  sectionStart(sec: number): number {
    return sec * this.pfnsPerSection;
  }

  isPresent(sec: number): boolean {
    return sec >= 0 && sec < this.count && this.present[sec] === 1;
  }

  /**
   * pfn_valid(): the pfn's section is present. For early sections 6.x
   * pfn_valid() is true for the whole section too (early_section()).
   */
  pfnValid(pfn: number): boolean {
    if (pfn < 0 || !Number.isInteger(pfn)) return false;
    return this.isPresent(this.sectionOf(pfn));
  }

  /** pfn_section_valid(): the 2 MiB subsection bit (6.x). True where the kernel has none. */
  subsectionValid(pfn: number): boolean {
    if (!this.subShift) return this.pfnValid(pfn);
    if (!this.pfnValid(pfn)) return false;
    const sec = Math.floor(pfn / this.pfnsPerSection);
    const bit = Math.floor((pfn - sec * this.pfnsPerSection) / this.pfnsPerSub);
    return ((this.subsectionMap[sec * 2 + (bit >> 5)]! >>> (bit & 31)) & 1) === 1;
  }

  /**
   * pfn_to_online_page() (mm/memory_hotplug.c, 6.x): section online AND the
   * subsection is valid. With no subsections (3.10 has no such function) this
   * is pfn_valid().
   */
  pfnToOnlinePageOk(profile: KernelProfile, pfn: number): boolean {
    if (!profile.mm.hasPfnToOnlinePage) return this.pfnValid(pfn);
    if (this.zoneDevice[this.sectionOf(pfn)] === 1) return false;
    return this.subsectionValid(pfn);
  }

  /**
   * The end of the run of pfns [pfn, q) with one pfnToOnlinePageOk() answer,
   * q <= end: the answer is the same for a whole subsection (6.x) or section
   * (3.10, pfn_valid()), so a walk over many pfns tests one per run. pfn is
   * a non-negative integer below end.
   */
  onlinePageRunEnd(profile: KernelProfile, pfn: number, end: number): number {
    const step = profile.mm.hasPfnToOnlinePage && this.subShift ? this.pfnsPerSub : this.pfnsPerSection;
    const want = this.pfnToOnlinePageOk(profile, pfn);
    let q = pfn - (pfn % step) + step;
    while (q < end && this.pfnToOnlinePageOk(profile, q) === want) q += step;
    return Math.min(q, end);
  }

  /** The end of the run of pfns [pfn, q) with one pfnValid() answer (a section at a time), q <= end. */
  pfnValidRunEnd(pfn: number, end: number): number {
    const per = this.pfnsPerSection;
    const want = this.pfnValid(pfn);
    let q = pfn - (pfn % per) + per;
    while (q < end && this.pfnValid(q) === want) q += per;
    return Math.min(q, end);
  }

  /** Present sections as [firstSection, lastSection] runs (for the summary). */
  presentRuns(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let s = -1;
    for (let i = 0; i <= this.count; i++) {
      const p = i < this.count && this.present[i] === 1;
      if (p && s < 0) s = i;
      if (!p && s >= 0) {
        out.push([s, i - 1]);
        s = -1;
      }
    }
    return out;
  }
}
