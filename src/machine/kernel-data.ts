/**
 * The booted kernel's own objects as bytes in physical memory: the frames
 * that hold the vmemmap (struct pages), NODE_DATA (pglist_data with its zones
 * and free_area heads), the mem_section root pages and the nosave_region
 * objects are produced on read from the model's typed state, in the profile's
 * struct layouts (src/profiles/structs/). No object per page and no cache:
 * every read serialises the current state, so a struct-page or buddy change
 * is visible on the next read, and snapshot save / the image writer save
 * these frames with their real bytes (a real kernel's image holds its memmap).
 *
 * struct page (per pfn, mm/page_alloc.c and include/linux/mm_types.h):
 *   flags     enum pageflags bits | zone << ZONES_PGOFF | node | last_cpupid
 *             (set_page_links, page_cpupid_reset_last); 0 when never initialised
 *   _mapcount -1, or the PageBuddy marker of a free block head
 *   _count / _refcount
 *   lru       for a free block head: the neighbouring heads' lru in its free
 *             list, or &zone->free_area[order].free_list[MIGRATE_MOVABLE] at the
 *             ends (list_add / list_add_tail in __free_one_page and expand);
 *             0 for other pages (the model does not keep stale list poison)
 *   private   the order of a free block head (set_page_order / set_buddy_order)
 *   mapping, index: 0 (page cache / anon mappings are not modelled)
 *
 * pglist_data (free_area_init_node / free_area_init_core, zone_init_free_lists):
 * every zone's pgdat pointer, span, present and managed pages, name, empty
 * list heads pointing at themselves, nr_free per order and NR_FREE_PAGES; the
 * node's span, present pages, nr_zones and its zonelists (build_zonelists:
 * populated zones from the highest down, NULL-terminated).
 *
 * The kernel's migratetypes are not modelled: all free blocks are on the
 * MIGRATE_MOVABLE list of their order (profile.mm.migrateMovable).
 */
import type { KaslrBases } from '../arch/x86/kaslr.js';
import type { Buddy } from '../mm/buddy.js';
import type { Memblock } from '../mm/memblock.js';
import { PAGE_SIZE, type PageContentProvider } from '../mm/phys-mem.js';
import type { Sections } from '../mm/sparse.js';
import { type PageColumns, PG_INIT, type StructPages } from '../mm/struct-page.js';
import type { Zones } from '../mm/zones.js';
import { off, sizeOf } from '../profiles/structs/define.js';
import type { KernelProfile } from '../profiles/types.js';
import { type ImagePlacement, maxNrZones, symbolVirt, zoneNames } from './symbols.js';

const PMD_PAGES = 512;

/** What the serialiser reads: the boot's typed state. */
export interface KernelDataState extends ImagePlacement {
  readonly profile: KernelProfile;
  readonly kaslr: KaslrBases;
  readonly sections: Sections;
  readonly zones: Zones;
  readonly pages: StructPages;
  readonly buddy: Buddy;
  readonly memblock: Memblock;
  readonly nosave: { readonly regions: readonly { startPfn: number; endPfn: number }[] };
  readonly maxPfn: number;
  readonly vmemmap: { readonly phys: number; readonly size: number };
}

/** A kernel object placed in RAM by memblock (not the vmemmap). */
interface Placed {
  readonly kind: 'pgdat' | 'root' | 'nosave';
  readonly phys: number;
  readonly size: number;
  /** Root number / nosave region index. */
  readonly index: number;
}

/** Writes little-endian values into one 4 KiB frame, clipped to it. */
class FrameWriter {
  base = 0;
  constructor(public dst: Uint8Array) {}
  u8(phys: number, v: number): void {
    const o = phys - this.base;
    if (o >= 0 && o < PAGE_SIZE) this.dst[o] = v & 0xff;
  }
  u32(phys: number, v: number): void {
    for (let i = 0; i < 4; i++) this.u8(phys + i, (v >>> (8 * i)) & 0xff);
  }
  u64(phys: number, v: bigint | number): void {
    const b = BigInt.asUintN(64, BigInt(v));
    this.u32(phys, Number(b & 0xffffffffn));
    this.u32(phys + 4, Number(b >> 32n));
  }
  /** Is any byte of [phys, phys+len) inside the frame? */
  touches(phys: number, len: number): boolean {
    return phys < this.base + PAGE_SIZE && phys + len > this.base;
  }
}

export class KernelData implements PageContentProvider {
  readonly structs;
  /** 2 MiB vmemmap block (phys >> 21) → section number whose memmap it holds. */
  private readonly vmemmapBlocks = new Map<number, number>();
  /** Frames holding other kernel objects. */
  private readonly placed = new Map<number, Placed[]>();
  /** Bounds of the two maps' keys: covers() answers most frames (workload pages) with compares. */
  private blkLo = Number.POSITIVE_INFINITY;
  private blkHi = -1;
  private placedLo = Number.POSITIVE_INFINITY;
  private placedHi = -1;
  readonly pgdatPhys: number;
  readonly usemap: { phys: number; bytesPerSection: number };
  /** Root number → physical address of its page of struct mem_section. */
  readonly roots = new Map<number, number>();
  readonly nosaveObjects: number[] = [];
  /** Present section number → its index among present sections (usemap slot). */
  private readonly presentIndex: Int32Array;
  private readonly L;
  private readonly zoneSize: number;
  private readonly freeAreaSize: number;
  private readonly zoneFreeArea: number;
  private readonly nrZones: number;
  /** One vmemmap frame's struct pages as fill() reads them (reused: no allocation per frame). */
  private readonly cols: PageColumns;

  constructor(readonly st: KernelDataState) {
    const p = st.profile;
    this.structs = p.structs;
    const t = p.structs;
    this.L = p.mm.structPage;
    this.zoneSize = sizeOf(t, 'zone');
    this.freeAreaSize = sizeOf(t, 'free_area');
    this.zoneFreeArea = off(t, 'zone', 'free_area');
    this.nrZones = maxNrZones(p);
    const perFrame = Math.ceil(PAGE_SIZE / this.L.size);
    this.cols = {
      f: new Uint32Array(perFrame),
      r: new Int32Array(perFrame),
      m: new Int32Array(perFrame),
      p: new Int32Array(perFrame),
      nd: new Int32Array(perFrame),
    };
    const secs = st.sections;
    this.presentIndex = new Int32Array(secs.count).fill(-1);
    const allocs = st.memblock.allocations;
    const blocks = allocs.basesOf('vmemmap block (struct pages)');
    const sectionBytes = secs.pfnsPerSection * this.L.size;
    let k = 0;
    for (let s = 0; s < secs.count; s++) {
      if (!secs.present[s]) continue;
      this.presentIndex[s] = k;
      // sparse_buffer_init(): one buffer, sections in order; else one block per section.
      const base = st.vmemmap.phys ? st.vmemmap.phys + k * sectionBytes : blocks[k];
      if (base !== undefined) {
        for (let b = 0; b < sectionBytes; b += PMD_PAGES * PAGE_SIZE) {
          const blk = Math.floor((base + b) / (PMD_PAGES * PAGE_SIZE));
          this.vmemmapBlocks.set(blk, s);
          this.blkLo = Math.min(this.blkLo, blk);
          this.blkHi = Math.max(this.blkHi, blk);
        }
      }
      k++;
    }
    const nd = allocs.find((a) => a.label === 'NODE_DATA(0) pglist_data');
    this.pgdatPhys = nd ? nd.base : 0;
    if (nd) this.place({ kind: 'pgdat', phys: nd.base, size: sizeOf(t, 'pglist_data'), index: 0 });
    allocs.forEach((label, base) => {
      const m = /^mem_section root (\d+)$/.exec(label);
      if (m) {
        this.roots.set(Number(m[1]), base);
        this.place({ kind: 'root', phys: base, size: PAGE_SIZE, index: Number(m[1]) });
      }
    });
    const um = allocs.find((a) => a.label === 'usemap (pageblock flags)');
    this.usemap = {
      phys: um?.base ?? 0,
      bytesPerSection: secs.presentCount ? (um?.size ?? 0) / secs.presentCount : 0,
    };
    let i = 0;
    for (const base of allocs.basesOf('nosave_region')) {
      this.nosaveObjects.push(base);
      this.place({ kind: 'nosave', phys: base, size: sizeOf(t, 'nosave_region'), index: i++ });
    }
  }

  private place(o: Placed): void {
    for (let pfn = Math.floor(o.phys / PAGE_SIZE); pfn * PAGE_SIZE < o.phys + o.size; pfn++) {
      const l = this.placed.get(pfn);
      if (l) l.push(o);
      else this.placed.set(pfn, [o]);
      this.placedLo = Math.min(this.placedLo, pfn);
      this.placedHi = Math.max(this.placedHi, pfn);
    }
  }

  /** __va(). */
  ptov(phys: number): bigint {
    return this.st.kaslr.pageOffsetBase + BigInt(phys);
  }

  get pgdatVirt(): bigint {
    return this.ptov(this.pgdatPhys);
  }

  /** Section whose memmap the vmemmap frame `pfn` holds, or -1. */
  vmemmapSectionOf(pfn: number): number {
    const blk = Math.floor(pfn / PMD_PAGES);
    if (blk < this.blkLo || blk > this.blkHi) return -1;
    // The memmap is walked frame by frame (a 12 TiB image holds 47M of its frames): one
    // lookup per 2 MiB block.
    if (blk !== this.lastBlk) {
      this.lastBlk = blk;
      this.lastBlkSec = this.vmemmapBlocks.get(blk) ?? -1;
    }
    return this.lastBlkSec;
  }
  private lastBlk = -1;
  private lastBlkSec = -1;

  /** Is a kernel object (pgdat, mem_section root, nosave_region) placed in frame `pfn`? */
  private hasPlaced(pfn: number): boolean {
    return pfn >= this.placedLo && pfn <= this.placedHi && this.placed.has(pfn);
  }

  covers(pfn: number): boolean {
    return this.vmemmapSectionOf(pfn) >= 0 || this.hasPlaced(pfn);
  }

  /**
   * PageContentProvider.sameCoverRun(): covers() for a run of frames a 2 MiB
   * block at a time — a vmemmap block is covered whole; a block no placed
   * object reaches is uncovered whole; else frame by frame. (A 12 TiB plan
   * asks it for tens of millions of memmap frames.)
   */
  sameCoverRun(pfn: number, n: number): number {
    if (n <= 0) return 0;
    const want = this.covers(pfn);
    for (let i = 0; i < n; ) {
      const p = pfn + i;
      const blkEnd = (Math.floor(p / PMD_PAGES) + 1) * PMD_PAGES;
      const span = Math.min(n - i, blkEnd - p);
      if (this.vmemmapSectionOf(p) >= 0) {
        if (!want) return i;
      } else if (p > this.placedHi || p + span - 1 < this.placedLo) {
        if (want) return i;
      } else {
        for (let k = 0; k < span; k++) if (this.hasPlaced(p + k) !== want) return i + k;
      }
      i += span;
    }
    return n;
  }

  /** Frames this provider produces, ascending (for dumps and tests). */
  coveredPfns(): number[] {
    const out = new Set<number>(this.placed.keys());
    for (const blk of this.vmemmapBlocks.keys())
      for (let i = 0; i < PMD_PAGES; i++) out.add(blk * PMD_PAGES + i);
    return [...out].sort((a, b) => a - b);
  }

  /**
   * A memmap frame's zero test without serialising its 64 struct pages
   * (snapshot save asks it for every memmap frame: 6.6+ zero pages); other
   * objects, and initialised pages whose fields all read zero, are left to
   * the bytes (undefined).
   */
  isZeroFrame(pfn: number): boolean | undefined {
    if (this.hasPlaced(pfn)) return undefined;
    const sec = this.vmemmapSectionOf(pfn);
    if (sec < 0) return undefined;
    const perFrame = PAGE_SIZE / this.L.size;
    const first = sec * this.st.sections.pfnsPerSection + (pfn % PMD_PAGES) * perFrame;
    const z = this.st.pages.memmapZeroness(first, perFrame);
    return z === 2 ? undefined : z === 0;
  }

  /**
   * PageContentProvider.nonZeroRun(): isZeroFrame() for a run of frames, a
   * vmemmap block (one section's memmap) at a time: where no other kernel
   * object is placed, from the struct pages' zeroness — once for the block when
   * the section is one record (the same answer for all its frames), else per
   * frame; frame by frame through isZeroFrame() otherwise.
   */
  nonZeroRun(pfn: number, n: number): number {
    const perFrame = PAGE_SIZE / this.L.size;
    const pages = this.st.pages;
    const per = this.st.sections.pfnsPerSection;
    for (let i = 0; i < n; ) {
      const p = pfn + i;
      const blkEnd = (Math.floor(p / PMD_PAGES) + 1) * PMD_PAGES;
      const span = Math.min(n - i, blkEnd - p);
      const sec = this.vmemmapSectionOf(p);
      if (sec < 0) return i;
      if (p <= this.placedHi && p + span - 1 >= this.placedLo) {
        for (let k = 0; k < span; k++) if (this.isZeroFrame(p + k) !== false) return i + k;
        i += span;
        continue;
      }
      // isZeroFrame() of these frames: their struct pages' zeroness, the section known.
      const first = sec * per + (p % PMD_PAGES) * perFrame;
      if (pages.isUniform(sec)) {
        if (pages.memmapZeroness(first, perFrame) !== 1) return i;
      } else {
        for (let k = 0; k < span; k++)
          if (pages.memmapZeroness(first + k * perFrame, perFrame) !== 1) return i + k;
      }
      i += span;
    }
    return n;
  }

  fill(pfn: number, dst: Uint8Array): void {
    const sec = this.vmemmapSectionOf(pfn);
    if (sec >= 0) {
      const perFrame = PAGE_SIZE / this.L.size;
      const first = sec * this.st.sections.pfnsPerSection + (pfn % PMD_PAGES) * perFrame;
      const dv = new DataView(dst.buffer, dst.byteOffset, PAGE_SIZE);
      // The frame's struct pages share one pfn_valid() answer (64 pfns inside one (sub)section)
      // and, unless a zone boundary falls inside them, one zone.
      if (this.st.sections.pfnValid(first)) {
        const pages = this.st.pages;
        const z0 = pages.zoneOf(first);
        const same = pages.zoneOf(first + perFrame - 1) === z0;
        const cols = this.cols;
        const size = this.L.size;
        if (pages.readPages(first, perFrame, cols) && same) {
          // One record, no free-list links, one zone: equal bytes, serialised once and copied.
          this.writeStructPage(cols, 0, dv, 0, z0);
          const bytes = perFrame * size;
          if (cols.f[0]! & PG_INIT)
            for (let len = size; len < bytes; len *= 2) dst.copyWithin(len, 0, Math.min(len, bytes - len));
        } else {
          for (let i = 0; i < perFrame; i++)
            this.writeStructPage(cols, i, dv, i * size, same ? z0 : pages.zoneOf(first + i));
        }
      }
    }
    const objs = this.placed.get(pfn);
    if (!objs) return;
    const w = new FrameWriter(dst);
    w.base = pfn * PAGE_SIZE;
    for (const o of objs) {
      if (o.kind === 'pgdat') this.writePgdat(w);
      else if (o.kind === 'root') this.writeRoot(w, o);
      else this.writeNosave(w, o);
    }
  }

  // ---- struct page ----

  /** Kernel virtual address of &zone->free_area[order].free_list[MIGRATE_MOVABLE]. */
  freeListHead(zone: number, order: number): bigint {
    return (
      this.pgdatVirt +
      BigInt(
        zone * this.zoneSize +
          this.zoneFreeArea +
          order * this.freeAreaSize +
          this.st.profile.mm.migrateMovable * 16,
      )
    );
  }

  /** &page->lru of the free block node `id`, or the list head at the ends. */
  private lruOf(id: number, zone: number, order: number): bigint {
    if (id < 0) return this.freeListHead(zone, order);
    return this.st.pages.pfnToPage(this.st.buddy.nodePfn(id)) + BigInt(this.L.lru);
  }

  /** vmemmap_base + lru offset as u32 halves [lo, hi] (struct-page lru links without a BigInt). */
  private lruBase: [number, number] | null = null;
  /** freeListHead(zone, order) as u32 halves, by zone * 64 + order, made on first use. */
  private readonly headLo: number[] = [];
  private readonly headHi: number[] = [];

  /**
   * lruOf() written as a little-endian u64 at dv[o] — the same value,
   * computed as two u32 halves: pfn_to_page(pfn) + offsetof(lru) is
   * vmemmap_base + pfn × sizeof(struct page) + offsetof(lru), and the part
   * added to the base stays far below 2^53.
   */
  private writeLru(dv: DataView, o: number, id: number, zone: number, order: number): void {
    if (id < 0) {
      const k = zone * 64 + order;
      if (this.headLo[k] === undefined) {
        const v = this.freeListHead(zone, order);
        this.headLo[k] = Number(v & 0xffffffffn);
        this.headHi[k] = Number((v >> 32n) & 0xffffffffn);
      }
      dv.setUint32(o, this.headLo[k]!, true);
      dv.setUint32(o + 4, this.headHi[k]!, true);
      return;
    }
    if (this.lruBase === null) {
      const b = this.st.pages.pfnToPage(0) + BigInt(this.L.lru);
      this.lruBase = [Number(b & 0xffffffffn), Number((b >> 32n) & 0xffffffffn)];
    }
    // An integer below 2^53: >>> 0 is its value mod 2^32, the division its carry into the high half.
    const sum = this.lruBase[0] + this.st.buddy.nodePfn(id) * this.L.size;
    dv.setUint32(o, sum >>> 0, true);
    dv.setUint32(o + 4, (this.lruBase[1] + Math.floor(sum / 4294967296)) >>> 0, true);
  }

  /** flagsExtra(zone) as u32 halves [lo, hi] per zone, made on first use. */
  private readonly extra: number[] = [];

  /**
   * The struct page read into cols[i] (StructPages.readPages()), of a page in
   * zone `zone`, at dv[o] (a zeroed frame): page->flags = pageflags | zone |
   * last_cpupid (StructPages.flagsWord()), the counts, private, and a free
   * block head's lru links. No object or BigInt per page.
   */
  private writeStructPage(cols: PageColumns, i: number, dv: DataView, o: number, zone: number): void {
    const flags = cols.f[i]!;
    if (!(flags & PG_INIT)) return;
    const L = this.L;
    if (this.extra[2 * zone] === undefined) {
      const x = this.st.pages.flagsExtra(zone);
      this.extra[2 * zone] = Number(x & 0xffffffffn);
      this.extra[2 * zone + 1] = Number(x >> 32n);
    }
    dv.setUint32(o + L.flags, ((flags & ~PG_INIT) | this.extra[2 * zone]!) >>> 0, true);
    dv.setUint32(o + L.flags + 4, this.extra[2 * zone + 1]!, true);
    dv.setInt32(o + L.mapcount, cols.m[i]!, true);
    dv.setInt32(o + L.refcount, cols.r[i]!, true);
    dv.setUint32(o + L.private, cols.p[i]! >>> 0, true);
    const node = cols.nd[i]!;
    if (node >= 0) {
      const buddy = this.st.buddy;
      const z = buddy.nodeZone(node);
      const order = buddy.nodeOrder(node);
      this.writeLru(dv, o + L.lru, buddy.nodeNext(node), z, order);
      this.writeLru(dv, o + L.lru + 8, buddy.nodePrev(node), z, order);
    }
  }

  // ---- pglist_data ----

  private writePgdat(w: FrameWriter): void {
    const t = this.structs;
    const { zones, buddy } = this.st;
    const base = this.pgdatPhys;
    const vbase = this.pgdatVirt;
    const Z = (f: string) => off(t, 'zone', f);
    const has = (s: string, f: string) => t.structs.get(s)?.fields.some((x) => x.name === f) ?? false;
    const names = zoneNames(this.st.profile);
    const nameVirt = symbolVirt(this.st, 'zone_name_strings');
    let nameOff = 0;
    const emptyList = (phys: number) => {
      const v = this.ptov(phys);
      w.u64(phys, v);
      w.u64(phys + 8, v);
    };
    for (let z = 0; z < this.nrZones; z++) {
      const zb = base + z * this.zoneSize;
      const nameAt = nameOff;
      nameOff += names[z]!.length + 1;
      if (!w.touches(zb, this.zoneSize)) continue;
      const mz = zones.zones[z];
      w.u32(zb + Z('node'), 0);
      w.u64(zb + Z('zone_pgdat'), vbase);
      w.u64(zb + Z('name'), nameVirt + BigInt(nameAt));
      if (mz) {
        w.u64(zb + Z('zone_start_pfn'), mz.startPfn);
        w.u64(zb + Z('spanned_pages'), mz.spannedPages);
        w.u64(zb + Z('present_pages'), mz.presentPages);
        w.u64(zb + Z('managed_pages'), mz.managedPages);
        if (has('zone', 'present_early_pages')) w.u64(zb + Z('present_early_pages'), mz.presentPages);
        if (has('zone', 'initialized')) w.u32(zb + Z('initialized'), mz.spannedPages ? 1 : 0);
        // vm_stat[NR_FREE_PAGES]
        w.u64(zb + Z('vm_stat'), buddy.nrFreePages[z] ?? 0);
      }
      const types = (t.structs.get('free_area')!.fields[0]!.count ?? 1) as number;
      for (let order = 0; order <= this.st.profile.mm.maxOrder; order++) {
        const fa = zb + this.zoneFreeArea + order * this.freeAreaSize;
        for (let mt = 0; mt < types; mt++) {
          const head = fa + mt * 16;
          if (mz && mt === this.st.profile.mm.migrateMovable && buddy.listFirst(z, order) >= 0) {
            w.u64(head, this.lruOf(buddy.listFirst(z, order), z, order));
            w.u64(head + 8, this.lruOf(buddy.listLast(z, order), z, order));
          } else emptyList(head);
        }
        w.u64(fa + off(t, 'free_area', 'nr_free'), mz ? buddy.freeBlocks(z, order) : 0);
      }
      if (has('zone', 'lruvec')) {
        const lv = zb + Z('lruvec');
        for (let i = 0; i < 5; i++) emptyList(lv + i * 16);
        w.u64(lv + off(t, 'lruvec', 'zone'), vbase + BigInt(z * this.zoneSize));
      }
      if (has('zone', 'unaccepted_pages')) emptyList(zb + Z('unaccepted_pages'));
    }
    const N = (f: string) => base + off(t, 'pglist_data', f);
    const spans = zones.zones.filter((z) => z.spannedPages);
    const start = spans.length ? spans[0]!.startPfn : 0;
    const end = spans.length ? spans[spans.length - 1]!.startPfn + spans[spans.length - 1]!.spannedPages : 0;
    w.u32(N('nr_zones'), spans.length ? zones.zones.indexOf(spans[spans.length - 1]!) + 1 : 0);
    w.u64(N('node_start_pfn'), start);
    w.u64(N('node_present_pages'), zones.totalPresent);
    w.u64(N('node_spanned_pages'), end - start);
    w.u32(N('node_id'), 0);
    // build_zonelists(): both zonelists of node 0 list its populated zones, highest first.
    const zlSize = sizeOf(t, 'zonelist');
    const refsOff = off(t, 'zonelist', '_zonerefs');
    const populated = zones.zones.filter((z) => z.presentPages > 0).reverse();
    for (let zl = 0; zl < 2; zl++) {
      const refs = N('node_zonelists') + zl * zlSize + refsOff;
      if (!w.touches(refs, (populated.length + 1) * 16)) continue;
      populated.forEach((z, i) => {
        w.u64(refs + i * 16, vbase + BigInt(z.index * this.zoneSize));
        w.u32(refs + i * 16 + 8, z.index);
      });
    }
  }

  // ---- mem_section roots ----

  private writeRoot(w: FrameWriter, o: Placed): void {
    const t = this.structs;
    const size = sizeOf(t, 'mem_section');
    const perRoot = PAGE_SIZE / size;
    const secs = this.st.sections;
    const usage = off(t, 'mem_section', t.structs.get('mem_section')!.fields[1]!.name);
    for (let i = 0; i < perRoot; i++) {
      const s = o.index * perRoot + i;
      if (s >= secs.count || !secs.present[s]) continue;
      const at = o.phys + i * size;
      // sparse_init_one_section(): sparse_encode_mem_map(mem_map, pnum) = mem_map - section_nr_to_pfn(pnum)
      // = vmemmap_base for SPARSEMEM_VMEMMAP, | the section flags.
      w.u64(at, this.st.kaslr.vmemmapBase | BigInt(this.st.profile.mm.sectionMapFlags));
      const idx = this.presentIndex[s]!;
      if (this.usemap.phys)
        w.u64(at + usage, this.ptov(this.usemap.phys + idx * this.usemap.bytesPerSection));
    }
  }

  // ---- nosave_regions list (kernel/power/snapshot.c register_nosave_region: list_add_tail) ----

  private writeNosave(w: FrameWriter, o: Placed): void {
    const t = this.structs;
    const regions = this.st.nosave.regions;
    const r = regions[o.index];
    if (!r) return;
    const head = symbolVirt(this.st, 'nosave_regions');
    const objs = this.nosaveObjects;
    const listOff = off(t, 'nosave_region', 'list');
    const next = o.index + 1 < objs.length ? this.ptov(objs[o.index + 1]!) + BigInt(listOff) : head;
    const prev = o.index > 0 ? this.ptov(objs[o.index - 1]!) + BigInt(listOff) : head;
    w.u64(o.phys + listOff, next);
    w.u64(o.phys + listOff + 8, prev);
    w.u64(o.phys + off(t, 'nosave_region', 'start_pfn'), r.startPfn);
    w.u64(o.phys + off(t, 'nosave_region', 'end_pfn'), r.endPfn);
  }
}
