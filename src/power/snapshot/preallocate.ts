/**
 * hibernate_preallocate_memory() (kernel/power/snapshot.c, same algorithm in
 * 3.10 and 6.x): create orig_bm / copy_bm (/ zero_bm), count saveable pages,
 * and allocate page frames for the image copy up front, shrinking reclaimable
 * memory when the image would be larger than image_size allows.
 */
import { ScenarioError } from '../../errors.js';
import { symbolPhys } from '../../machine/symbols.js';
import { printk } from '../../util/printk.js';
import { clearRange, forEachSetRun, type MemoryBitmap, PfnBitSetter } from './bitmap.js';
import { countDataPages, populatedZones, snapshotAdditionalPages } from './saveable.js';
import type { SwsuspMem } from './swsusp-mem.js';

/** PAGES_FOR_IO, SPARE_PAGES (kernel/power/power.h). */
export const PAGES_FOR_IO = 1024;
export const SPARE_PAGES = 256;

export interface ImageBitmaps {
  orig: MemoryBitmap;
  copy: MemoryBitmap;
  zero: MemoryBitmap | null;
}

export interface PreallocResult extends ImageBitmaps {
  /** alloc_normal: preallocated copy pages. */
  allocNormal: number;
  saveable: number;
  /** Pages reclaimed by shrink_all_memory(). */
  shrunk: number;
}

export interface PreallocOptions {
  /** /sys/power/image_size in bytes (default 2/5 of totalram). */
  imageSize?: number;
  /** /sys/power/reserved_size in bytes (default SPARE_PAGES pages). */
  reservedSize?: number;
  /**
   * shrink_all_memory(nr): reclaim up to nr pages of reclaimable memory and
   * return how many were freed (supplied by the workload: page cache first).
   */
  shrink?: (nr: number) => number;
  /** minimum_image_size(): saveable minus reclaimable (supplied by the workload). */
  reclaimable?: () => number;
}

/** Create orig_bm / copy_bm (/ zero_bm 6.6+) as the kernel globals, pages from get_image_page(GFP_IMAGE, PG_ANY). */
export function createImageBitmaps(s: SwsuspMem): ImageBitmaps {
  const m = s.machine;
  const alloc = s.anyPageSource();
  const orig = s.createBitmap(symbolPhys(m, 'orig_bm'), alloc);
  const copy = s.createBitmap(symbolPhys(m, 'copy_bm'), alloc);
  const zero = s.profile.hibernation.zeroPages ? s.createBitmap(symbolPhys(m, 'zero_bm'), alloc) : null;
  return { orig, copy, zero };
}

/**
 * free_unnecessary_pages() (kernel/power/snapshot.c, 3.10 and 6.x alike):
 * to_free_normal = alloc_normal - count_data_pages() (x86-64: no highmem),
 * then from a reset copy_bm position, memory_bm_next_pfn() after
 * memory_bm_next_pfn(): clear the copy_bm bit, unset forbidden and free, and
 * __free_page() — the lowest copy frames go first. Here a run of copy frames
 * at a time (Buddy.freeBulk(): the same frees in the same order); the three
 * maps' positions end where the last page's calls left them. Returns the
 * number freed.
 */
export function freeUnnecessaryPages(s: SwsuspMem, copy: MemoryBitmap, allocNormal: number): number {
  const save = countDataPages(s);
  const toFree = allocNormal > save ? allocNormal - save : 0;
  copy.positionReset();
  if (toFree === 0) return 0;
  const buddy = s.machine.buddy;
  let left = toFree;
  let last = -1;
  forEachSetRun(copy, 0, (start, n) => {
    const len = Math.min(n, left);
    clearRange(copy, start, start + len);
    clearRange(s.forbidden!, start, start + len);
    clearRange(s.free!, start, start + len);
    buddy.freeBulk(start, len);
    s.allocations -= len;
    left -= len;
    last = start + len - 1;
    return left > 0;
  });
  if (last >= 0) {
    // next_pfn() returned `last`, then memory_bm_clear_bit() on each map found it.
    copy.positionAfter(last);
    s.unsetForbidden(last);
    s.unsetFree(last);
  }
  return toFree - left;
}

export function hibernatePreallocateMemory(
  s: SwsuspMem,
  opts: PreallocOptions,
  log: (l: string) => void,
): PreallocResult {
  const m = s.machine;
  const msg = s.profile.hibernation.messages;
  if (msg.preallocStart) log(msg.preallocStart);
  const bms = createImageBitmaps(s);
  let allocNormal = 0;

  const saveable = countDataPages(s);
  // count = saveable + free pages of the populated zones - totalreserve_pages
  let count = saveable;
  let size = 0;
  for (const z of populatedZones(s)) {
    size += snapshotAdditionalPages(s, z);
    count += m.buddy.nrFreePages[z.index]!;
  }
  let availNormal = count;
  // totalreserve_pages: the model keeps no watermark reserves (0).
  const reservedSize = opts.reservedSize ?? SPARE_PAGES * 4096;
  const maxSize = Math.floor((count - (size + PAGES_FOR_IO)) / 2) - 2 * Math.ceil(reservedSize / 4096);
  const totalram = m.zones.totalManaged;
  const imageSize = opts.imageSize ?? Math.floor((totalram * 2) / 5) * 4096;
  let target = Math.ceil(imageSize / 4096);
  if (target > maxSize) target = maxSize;

  // preallocate_image_pages(): alloc_image_page + memory_bm_set_bit(copy_bm) per page, as runs
  // (alloc_normal counts them all: x86-64 has no highmem).
  const preallocatePages = (nr: number): number => {
    if (nr <= 0) return 0;
    const cw = new PfnBitSetter(bms.copy);
    // The bits only: the frames in pfn order (allocImagePagesSorted), not allocation order.
    const got = s.allocImagePagesSorted(nr, (starts, from, to, size) => cw.setSorted(starts, from, to, size));
    // memory_bm_set_bit() moves copy_bm's position: where the last page's left it.
    const last = s.machine.buddy.lastAllocated;
    if (got > 0 && last >= 0) bms.copy.setBit(last);
    allocNormal += got;
    return got;
  };
  // preallocate_image_memory(nr, avail_normal)
  const preallocateMemory = (nr: number, avail: number): number => {
    let alloc = avail - allocNormal;
    if (nr < alloc) alloc = nr;
    return alloc > 0 ? preallocatePages(alloc) : 0;
  };

  let pages: number;
  let shrunk = 0;
  if (target >= saveable) {
    pages = preallocateMemory(saveable, availNormal);
  } else {
    // minimum_image_size(): saveable minus what reclaim could free.
    const minimum = Math.max(0, saveable - (opts.reclaimable?.() ?? 0));
    if (availNormal > minimum) availNormal -= minimum;
    else availNormal = 0;
    if (target < minimum) target = Math.min(minimum, maxSize);
    shrunk = opts.shrink?.(saveable - target) ?? 0;
    const alloc = count - maxSize;
    pages = preallocateMemory(alloc, availNormal);
    if (pages < alloc) {
      throw new ScenarioError(
        'HIBERNATE_ENOMEM',
        `${msg.hibernatePrefix}Image allocation is ${alloc - pages} pages short`,
      );
    }
    // Try to leave `target` saveable pages: allocate (count - pages) - target more.
    const more = count - pages - target;
    pages += preallocateMemory(more, availNormal);
    // free_unnecessary_pages(): keep only as many copy frames as saveable pages remain.
    const freed = freeUnnecessaryPages(s, bms.copy, allocNormal);
    pages -= freed;
    allocNormal -= freed;
  }
  log(printk(msg.preallocDone, pages));
  return { ...bms, allocNormal, saveable, shrunk };
}
