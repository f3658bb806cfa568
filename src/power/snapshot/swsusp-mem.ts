/**
 * The hibernation core's page bookkeeping (kernel/power/snapshot.c):
 * forbidden_pages_map / free_pages_map and the allocation helpers that keep
 * them — get_image_page(), alloc_image_page(), free_image_page(),
 * get_safe_page(), swsusp_free(), create_basic_memory_bitmaps(),
 * mark_nosave_pages(). An allocated image page is "forbidden AND free".
 *
 * Frames come from the machine's buddy allocator; `struct memory_bitmap`
 * objects from a small kmalloc arena (kzalloc in the kernel).
 */
import { ModelError } from '../../errors.js';
import type { Machine } from '../../machine/boot.js';
import { symbolPhys } from '../../machine/symbols.js';
import type { KernelProfile } from '../../profiles/types.js';
import { hex } from '../../util/hex.js';
import { PfnStack } from '../../util/pfn-stack.js';
import type { ContentMap } from '../../workload/content-map.js';
import {
  createMemExtents,
  type MemExtent,
  type MemoryBitmap,
  PfnBitSetter,
  setEachBit,
  setRange,
  takeSetRunsInBoth,
} from './bitmap.js';
import { BmBlockListBitmap } from './bm-block-list.js';
import { RtreeBitmap } from './bm-rtree.js';
import { type KernelHeap, PAGE_SIZE, type PageAllocator, storeU64 } from './kernel-heap.js';

/** PG_ANY / PG_SAFE (get_image_page's safe_needed). */
export const PG_ANY = false;
export const PG_SAFE = true;
/** free_image_page(): PG_UNSAFE_CLEAR clears the free bit too, PG_UNSAFE_KEEP leaves it. */
export const PG_UNSAFE_CLEAR = true;
export const PG_UNSAFE_KEEP = false;

export class SwsuspMem {
  readonly profile: KernelProfile;
  readonly heap: KernelHeap;
  forbidden: MemoryBitmap | null = null;
  free: MemoryBitmap | null = null;
  /** allocated_unsafe_pages. */
  allocatedUnsafePages = 0;
  /** safe_pages_list (LIFO), pfns; the kernel links them through their first word. */
  readonly safePages: PfnStack;
  /** kmalloc arena: current page and offset. */
  private kmPage = -1;
  private kmOff = PAGE_SIZE;
  /** Frames handed out by this module and still held (for accounting/tests). */
  allocations = 0;

  constructor(
    readonly machine: Machine,
    readonly content: ContentMap,
  ) {
    this.profile = machine.profile;
    this.safePages = new PfnStack(machine.maxPfn);
    this.heap = {
      phys: machine.mem,
      ptov: (p) => machine.ptov(p),
      vtoDirectPhys: (v) => Number(v - machine.kaslr.pageOffsetBase),
    };
  }

  /** Extents of the populated zones (create_mem_extents). */
  extents(): MemExtent[] {
    return createMemExtents(
      this.machine.zones.zones
        .filter((z) => z.presentPages > 0)
        .map((z) => ({ start: z.startPfn, end: z.startPfn + z.spannedPages })),
    );
  }

  // ---- page allocator primitives (mm/page_alloc.c as hibernation calls it) ----

  /** alloc_page(GFP_KERNEL): an order-0 frame via the zonelist, or -1. Contents untouched. */
  allocPage(): number {
    const pfn = this.machine.buddy.alloc(0);
    if (pfn >= 0) this.allocations++;
    return pfn;
  }

  /** get_zeroed_page(): frame cleared (its generated contents dropped). */
  getZeroedPage(): number {
    const pfn = this.allocPage();
    if (pfn < 0) return -1;
    // A frame with no backing reads as zero: clearing is dropping what it held.
    this.content.clear(pfn);
    this.machine.mem.discard(pfn);
    return pfn;
  }

  /** __free_page(). */
  freePage(pfn: number): void {
    this.machine.buddy.free(pfn, 0);
    this.allocations--;
  }

  /** kzalloc(size): an object in a kmalloc arena page (slab-like), physical address. */
  kzalloc(size: number): number {
    const sz = (size + 7) & ~7;
    if (this.kmOff + sz > PAGE_SIZE) {
      const pfn = this.getZeroedPage();
      if (pfn < 0) throw new ModelError('ENOMEM', 'kzalloc: out of memory');
      const slabBit = this.profile.mm.pageFlags.bits.slab;
      this.machine.pages.setFlag(pfn, slabBit, true);
      this.kmPage = pfn;
      this.kmOff = 0;
    }
    const at = this.kmPage * PAGE_SIZE + this.kmOff;
    this.kmOff += sz;
    return at;
  }

  // ---- swsusp_{set,unset,}_page_{forbidden,free}: no-ops while the maps do not exist ----

  setForbidden(pfn: number): void {
    this.forbidden?.setBit(pfn);
  }
  unsetForbidden(pfn: number): void {
    this.forbidden?.clearBit(pfn);
  }
  isForbidden(pfn: number): boolean {
    return this.forbidden ? this.forbidden.testBit(pfn) : false;
  }
  setFree(pfn: number): void {
    this.free?.setBit(pfn);
  }
  unsetFree(pfn: number): void {
    this.free?.clearBit(pfn);
  }
  isFree(pfn: number): boolean {
    return this.free ? this.free.testBit(pfn) : false;
  }

  /**
   * get_image_page(gfp, safe_needed): a zeroed frame marked forbidden+free.
   * With PG_SAFE, frames whose free bit is set (image pfns = "unsafe" during
   * resume) are marked forbidden, counted in allocated_unsafe_pages and kept.
   */
  getImagePage(safeNeeded: boolean): number {
    let pfn = this.getZeroedPage();
    if (safeNeeded) {
      while (pfn >= 0 && this.isFree(pfn)) {
        this.setForbidden(pfn);
        this.allocatedUnsafePages++;
        pfn = this.getZeroedPage();
      }
    }
    if (pfn >= 0) {
      this.setForbidden(pfn);
      this.setFree(pfn);
    }
    return pfn;
  }

  /**
   * get_image_page(gfp, PG_ANY) n times at once (the bitmaps' page source's
   * bulk form, PageAllocator.bulk): allocImagePages()' frames (the same frames,
   * lists, forbidden and free bits and positions as n alloc_page() calls), each
   * zeroed as getZeroedPage() does; their pfns in allocation order into out.
   */
  getImagePages(n: number, out: Float64Array): number {
    let k = 0;
    return this.allocImagePages(n, (pfn, len) => {
      this.content.clearRange(pfn, len);
      this.machine.mem.discardRange(pfn, len);
      for (let i = 0; i < len; i++) out[k++] = pfn + i;
    });
  }

  /**
   * get_image_page(gfp, PG_SAFE) n times at once: the frames the calls' get_zeroed_page()s
   * take (Buddy.allocBulk(): the same frames and lists, in order, a round for
   * the frames still wanted), each zeroed, then in allocation order the
   * calls' tests — a frame whose free bit is set is marked forbidden and
   * counted unsafe, the others marked forbidden+free into out — so the bits,
   * positions and counts end as the calls leave them.
   */
  getSafeImagePages(n: number, out: Float64Array): number {
    const buddy = this.machine.buddy;
    const top = this.machine.zones.zones.length - 1;
    let k = 0;
    while (k < n) {
      const need = n - k;
      const got0 = new Float64Array(need);
      let t = 0;
      const got = buddy.allocBulk(need, top, (pfn, len) => {
        this.content.clearRange(pfn, len);
        this.machine.mem.discardRange(pfn, len);
        for (let i = 0; i < len; i++) got0[t++] = pfn + i;
      });
      this.allocations += got;
      // A stretch of consecutive pfns inside both maps (but the round's last frame) as bits
      // (setEachBit(): the tests and sets of its pages); short stretches, the last frame and a
      // stretch outside a map page by page, so the maps' positions end where the calls leave them.
      const f = this.forbidden;
      const fr = this.free;
      const clearOut = (q: number): void => {
        out[k++] = q;
      };
      for (let i = 0; i < got; ) {
        const p = got0[i]!;
        let j = i + 1;
        while (j < got && got0[j] === p + (j - i)) j++;
        const e = j === got ? j - 1 : j;
        if (f !== null && fr !== null && e - i >= BULK_STRETCH && inBothMaps(f, fr, p, p + (e - i))) {
          setEachBit(f, p, p + (e - i));
          this.allocatedUnsafePages += e - i - setEachBit(fr, p, p + (e - i), clearOut);
          i = e;
        }
        for (; i < j; i++) {
          const pfn = got0[i]!;
          if (this.isFree(pfn)) {
            this.setForbidden(pfn);
            this.allocatedUnsafePages++;
            continue;
          }
          this.setForbidden(pfn);
          this.setFree(pfn);
          out[k++] = pfn;
        }
      }
      if (got < need) break;
    }
    return k;
  }

  /** get_image_page(gfp, safe) as a bitmap's page source, with its bulk form. */
  pageSource(safe: boolean): PageAllocator {
    const a: PageAllocator = () => this.getImagePage(safe);
    a.bulk = safe ? (n, out) => this.getSafeImagePages(n, out) : (n, out) => this.getImagePages(n, out);
    return a;
  }

  /** pageSource(PG_ANY). */
  anyPageSource(): PageAllocator {
    return this.pageSource(PG_ANY);
  }

  /** alloc_image_page(gfp): a frame (not zeroed) marked forbidden+free. */
  allocImagePage(): number {
    const pfn = this.allocPage();
    if (pfn >= 0) {
      this.setForbidden(pfn);
      this.setFree(pfn);
    }
    return pfn;
  }

  /**
   * alloc_image_page(gfp) n times (preallocate_image_pages(), swsusp_alloc()),
   * stopping at the first failure; returns how many frames it got. The frames
   * come from Buddy.allocBulk() (the same frames and free lists as n
   * alloc_page() calls) and go to `sink` as runs of consecutive pfns in
   * allocation order. Their forbidden and free bits are set a word at a time;
   * each map's position ends where the last frame's set_bit left it.
   */
  allocImagePages(n: number, sink: (pfn: number, len: number) => void): number {
    const fb = this.forbidden ? new PfnBitSetter(this.forbidden) : null;
    const fr = this.free ? new PfnBitSetter(this.free) : null;
    let last = -1;
    const got = this.machine.buddy.allocBulk(n, this.machine.zones.zones.length - 1, (pfn, len) => {
      fb?.setRange(pfn, pfn + len);
      fr?.setRange(pfn, pfn + len);
      last = pfn + len - 1;
      sink(pfn, len);
    });
    this.allocations += got;
    if (last >= 0) {
      this.setForbidden(last);
      this.setFree(last);
    }
    return got;
  }

  /**
   * allocImagePages() for a caller that only marks the frames: the same
   * frames, lists and bits, from Buddy.allocBulkSorted() — `batch` gets
   * blocks of `size` pages at ascending starts, not runs in allocation order
   * — and each map's position where the last frame (allocation order) left it.
   */
  allocImagePagesSorted(
    n: number,
    batch: (starts: Float64Array, from: number, to: number, size: number) => void,
  ): number {
    const fb = this.forbidden ? new PfnBitSetter(this.forbidden) : null;
    const fr = this.free ? new PfnBitSetter(this.free) : null;
    const buddy = this.machine.buddy;
    const got = buddy.allocBulkSorted(n, this.machine.zones.zones.length - 1, (starts, from, to, size) => {
      fb?.setSorted(starts, from, to, size);
      fr?.setSorted(starts, from, to, size);
      batch(starts, from, to, size);
    });
    this.allocations += got;
    const last = buddy.lastAllocated;
    if (last >= 0) {
      this.setForbidden(last);
      this.setFree(last);
    }
    return got;
  }

  /** free_image_page(addr, clear_nosave_free). */
  freeImagePage(pfn: number, clearFree: boolean): void {
    this.unsetForbidden(pfn);
    if (clearFree) this.unsetFree(pfn);
    this.freePage(pfn);
  }

  /**
   * get_safe_page(): 3.10 = get_image_page(GFP_ATOMIC, PG_SAFE); 4.8+ takes
   * safe_pages_list first (__get_safe_page, memset to 0).
   */
  getSafePage(): number {
    if (this.profile.hibernation.safePageRecycling && this.safePages.length) {
      const pfn = this.safePages.pop()!;
      this.machine.mem.discard(pfn);
      this.content.clear(pfn);
      return pfn;
    }
    return this.getImagePage(PG_SAFE);
  }

  /**
   * Push a frame on safe_pages_list. The kernel links the list through each
   * page's first word; the model keeps the list in `safePages` and does not
   * materialise a frame just for the link (each safe page is overwritten by
   * an image page or a PBE chain page moments later), which keeps a
   * 1M-page restore from allocating 4 GiB of host memory.
   */
  pushSafePage(pfn: number): void {
    this.safePages.push(pfn);
  }

  /** memory_bm_create() with the profile's implementation. */
  createBitmap(structPhys: number, allocPage: PageAllocator): MemoryBitmap {
    const ext = this.extents();
    const alloc: PageAllocator = () => {
      const p = allocPage();
      if (p < 0) throw new ModelError('ENOMEM', 'memory_bm_create: out of memory');
      return p;
    };
    // Frames the bulk form did not get: the next call fails (and throws) as it would have.
    if (allocPage.bulk) alloc.bulk = allocPage.bulk;
    return this.profile.hibernation.bitmap === 'rtree'
      ? new RtreeBitmap(this.heap, structPhys, ext, alloc)
      : new BmBlockListBitmap(this.heap, structPhys, ext, alloc);
  }

  /** sizeof(struct memory_bitmap) for the profile. */
  bitmapStructSize(): number {
    return this.profile.hibernation.bitmap === 'rtree' ? 64 : 40;
  }

  /**
   * create_basic_memory_bitmaps(): two kzalloc'd maps whose pages come from
   * get_image_page(GFP_KERNEL, PG_ANY) — while the maps do not exist yet, so
   * their own pages are NOT marked forbidden/free — then mark_nosave_pages().
   */
  createBasicMemoryBitmaps(log: (l: string) => void): void {
    if (this.forbidden) return; // 6.x returns early when they exist
    const s1 = this.kzalloc(this.bitmapStructSize());
    const bm1 = this.createBitmap(s1, this.anyPageSource());
    const s2 = this.kzalloc(this.bitmapStructSize());
    const bm2 = this.createBitmap(s2, this.anyPageSource());
    this.forbidden = bm1;
    this.free = bm2;
    // forbidden_pages_map = bm1; free_pages_map = bm2 (the kzalloc'd structs).
    storeU64(this.heap, symbolPhys(this.machine, 'forbidden_pages_map'), this.heap.ptov(s1));
    storeU64(this.heap, symbolPhys(this.machine, 'free_pages_map'), this.heap.ptov(s2));
    this.markNosavePages(log);
    log(`${this.profile.hibernation.messages.hibernatePrefix}Basic memory bitmaps created`);
  }

  /**
   * mark_nosave_pages(): every pfn_valid pfn of every registered nosave region
   * goes through mem_bm_set_bit_check() (pfns outside the bitmap are skipped).
   * Done per section so huge holes cost nothing; the last pfn set leaves the
   * bitmap position where the kernel's last set_bit_check would.
   */
  markNosavePages(log: (l: string) => void): void {
    const bm = this.forbidden!;
    const secs = this.machine.sections;
    const per = secs.pfnsPerSection;
    const pfx = this.profile.hibernation.messages.hibernatePrefix;
    let last = -1;
    for (const r of this.machine.nosave.regions) {
      log(
        `${pfx}Marking nosave pages: [mem ${hex(r.startPfn * PAGE_SIZE, 8)}-${hex(r.endPfn * PAGE_SIZE - 1, 8)}]`,
      );
      let pfn = r.startPfn;
      while (pfn < r.endPfn) {
        const secEnd = Math.min(r.endPfn, (Math.floor(pfn / per) + 1) * per);
        if (secs.pfnValid(pfn)) {
          // mem_bm_set_bit_check() on each pfn: the bits inside the bitmap's extents get set.
          for (const e of bm.extents) {
            const lo = Math.max(pfn, e.start);
            const hi = Math.min(secEnd, e.end);
            if (lo >= hi) continue;
            setRange(bm, lo, hi);
            last = hi - 1;
          }
        }
        pfn = secEnd;
      }
    }
    if (last >= 0) bm.setBitCheck(last);
  }

  /** free_basic_memory_bitmaps(). */
  freeBasicMemoryBitmaps(log: (l: string) => void): void {
    for (const bm of [this.forbidden, this.free]) {
      if (!bm) continue;
      for (const p of [...bm.dataPfns, ...bm.metaPfns]) this.freePage(p);
    }
    this.forbidden = null;
    this.free = null;
    storeU64(this.heap, symbolPhys(this.machine, 'forbidden_pages_map'), 0n);
    storeU64(this.heap, symbolPhys(this.machine, 'free_pages_map'), 0n);
    // kfree() of the two struct memory_bitmap objects: the arena page goes back.
    if (this.kmPage >= 0) {
      this.machine.pages.setFlag(this.kmPage, this.profile.mm.pageFlags.bits.slab, false);
      this.freePage(this.kmPage);
      this.kmPage = -1;
      this.kmOff = PAGE_SIZE;
    }
    log(`${this.profile.hibernation.messages.hibernatePrefix}Basic memory bitmaps freed`);
  }

  /**
   * swsusp_free(): free every frame that is forbidden AND free, clearing both
   * bits (3.10 scans the zones; 6.x intersects the bitmaps — same result).
   */
  swsuspFree(): number {
    const f = this.forbidden;
    const fr = this.free;
    if (!f || !fr) return 0;
    // __free_page() of each, ascending: Buddy.freeSortedRuns() (the same frees in the same order).
    let n = 0;
    this.machine.buddy.freeSortedRuns((emit) => {
      n = takeSetRunsInBoth(f, fr, emit);
    });
    this.allocations -= n;
    return n;
  }
}

/** Shorter stretches of get_image_page(PG_SAFE) frames go page by page (a bit lookup each beats a block search). */
const BULK_STRETCH = 32;

/** Is [from, to) inside one extent of each map (set_bit() of each of its pfns cannot BUG)? */
function inBothMaps(a: MemoryBitmap, b: MemoryBitmap, from: number, to: number): boolean {
  return inOneExtent(a, from, to) && inOneExtent(b, from, to);
}

function inOneExtent(bm: MemoryBitmap, from: number, to: number): boolean {
  for (const e of bm.extents) if (from >= e.start && to <= e.end) return true;
  return false;
}
