/**
 * ZONE_DEVICE memory (mm/memremap.c, include/linux/memremap.h, mm/mm_init.c
 * memmap_init_zone_device): memremap_pages() hot-adds struct pages for a
 * device's physical range. MEMORY_DEVICE_PRIVATE gets struct pages only
 * (add_pages(): no direct map — the CPU cannot address it);
 * MEMORY_DEVICE_COHERENT is real memory and gets the direct map too
 * (arch_add_memory()). The sections grow after boot (sparse_add_section),
 * the pfns join ZONE_DEVICE (move_pfn_range_to_zone), every struct page is
 * PageReserved with refcount 0 ("free", owned by the driver's allocator) and
 * zone_device_data NULL (__init_zone_device_page).
 *
 * enum memory_type: MEMORY_DEVICE_PRIVATE = 1, MEMORY_DEVICE_COHERENT = 2.
 */
import type { MmContext } from './context.js';
import type { VmFault } from './fault.js';
import { PAGE_SIZE } from './phys-mem.js';
import { PG_INIT } from './struct-page.js';

export type MemoryType = 'private' | 'coherent';
export const MEMORY_DEVICE_PRIVATE = 1;
export const MEMORY_DEVICE_COHERENT = 2;

/** struct dev_pagemap_ops. */
export interface DevPagemapOps {
  /** page_free(): the page's refcount reached 0. */
  pageFree(pfn: number): void;
  /** migrate_to_ram(vmf): private memory only; returns a vm_fault_t. */
  migrateToRam?(vmf: VmFault): number;
  /** Function name for traces (e.g. dmirror_devmem_fault). */
  readonly migrateToRamName?: string;
}

/** struct dev_pagemap with one range (nr_range = 1). */
export class DevPagemap {
  /** Outstanding page references (pgmap->ref taken per allocated page). */
  refs = 0;
  constructor(
    readonly type: MemoryType,
    /** range.start >> PAGE_SHIFT. */
    readonly startPfn: number,
    /** (range.end + 1) >> PAGE_SHIFT. */
    readonly endPfn: number,
    /** pgmap->owner: the opaque token migrate_vma and hmm_range_fault compare against. */
    readonly owner: unknown,
    readonly ops: DevPagemapOps,
  ) {}

  pageFree(pfn: number): void {
    this.ops.pageFree(pfn);
  }
}

/** A printable name for an owner token. */
export function ownerName(owner: unknown): string {
  if (owner === null || owner === undefined) return 'NULL';
  if (typeof owner === 'object' && 'name' in owner) return String((owner as { name: unknown }).name);
  return String(owner);
}

/** GFR_DEFAULT_ALIGN: free regions are section aligned (1 << PA_SECTION_SHIFT). */
function sectionBytes(ctx: MmContext): number {
  return ctx.machine.sections.pfnsPerSection * PAGE_SIZE;
}

/**
 * request_free_mem_region(&iomem_resource, size, name) (kernel/resource.c
 * get_free_mem_region, GFR_DESCENDING): the highest section-aligned free
 * slice of physical address space below PHYSMEM_END (x86 with KASLR:
 * direct_map_physmem_end, the top of the randomised direct-map region) that
 * is neither RAM nor another pgmap. Returns the start address or -1.
 */
export function requestFreeMemRegion(ctx: MmContext, size: number): number {
  const align = sectionBytes(ctx);
  const physmemEnd = ctx.machine.kaslr.sizesTb[0] * 2 ** 40;
  let end = physmemEnd;
  for (;;) {
    const start = Math.floor((end - size) / align) * align;
    if (start <= ctx.machine.maxPfn * PAGE_SIZE) return -1;
    const clash = ctx.pgmaps.find(
      (p) => p.startPfn * PAGE_SIZE < start + size && start < p.endPfn * PAGE_SIZE,
    );
    if (!clash) return start;
    end = clash.startPfn * PAGE_SIZE;
  }
}

/** Does [spfn, epfn) intersect System RAM (region_intersects(IORESOURCE_SYSTEM_RAM))? */
function intersectsRam(ctx: MmContext, spfn: number, epfn: number): boolean {
  for (const r of ctx.machine.memblock.memory.regions) {
    const s = Math.floor(r.base / PAGE_SIZE);
    const e = Math.ceil((r.base + r.size) / PAGE_SIZE);
    if (s < epfn && spfn < e) return true;
  }
  return false;
}

/**
 * memremap_pages(pgmap, nid) + pagemap_range(): returns 0 or a negative errno
 * (the kernel returns ERR_PTR(-errno)).
 */
export function memremapPages(ctx: MmContext, pgmap: DevPagemap): number {
  // Validation: PRIVATE needs migrate_to_ram, page_free and an owner; COHERENT page_free and an owner.
  if (pgmap.type === 'private' && (!pgmap.ops.migrateToRam || pgmap.owner === null)) {
    ctx.pr('WARNING: memremap_pages: missing migrate_to_ram method or owner');
    return -22;
  }
  if (pgmap.type === 'coherent' && pgmap.owner === null) {
    ctx.pr('WARNING: memremap_pages: missing owner');
    return -22;
  }
  const { startPfn: s, endPfn: e } = pgmap;
  if (ctx.pgmaps.some((p) => p.startPfn < e && s < p.endPfn)) {
    ctx.pr(`WARNING: pagemap_range: Conflicting mapping in same section`);
    return -12;
  }
  if (intersectsRam(ctx, s, e)) return -6; // -ENXIO
  ctx.pgmaps.push(pgmap);
  const m = ctx.machine;
  // add_pages() / arch_add_memory(): sections and their memmap.
  m.sections.hotAdd(s, e, true);
  m.pages.growToSections();
  if (pgmap.type === 'coherent') ctx.arch.addMemory(ctx, s, e);
  // move_pfn_range_to_zone(ZONE_DEVICE).
  m.zones.addDeviceRange(s, e);
  // memmap_init_zone_device(): PageReserved, refcount 0, pgmap set, zone_device_data NULL.
  const reserved = 1 << ctx.profile.mm.pageFlags.bits.reserved;
  m.pages.updateRange(s, e, (st) => {
    st.flags = PG_INIT | reserved;
    st.refcount = 0;
    st.mapcount = -1;
    st.private = 0;
  });
  ctx.pr(`memmap_init_zone_device initialised ${e - s} pages in 0ms`);
  return 0;
}

/** memunmap_pages(): every page must have been freed (the kernel waits for pgmap->ref). */
export function memunmapPages(ctx: MmContext, pgmap: DevPagemap): void {
  if (pgmap.refs !== 0) {
    ctx.pr(`memunmap_pages: ${pgmap.refs} device pages still referenced (the kernel would wait forever)`);
  }
  const i = ctx.pgmaps.indexOf(pgmap);
  if (i >= 0) ctx.pgmaps.splice(i, 1);
  const m = ctx.machine;
  if (pgmap.type === 'coherent') ctx.arch.removeMemory(ctx, pgmap.startPfn, pgmap.endPfn);
  m.zones.removeDeviceRange(pgmap.startPfn);
  const per = m.sections.pfnsPerSection;
  for (let sec = Math.floor(pgmap.startPfn / per); sec < Math.ceil(pgmap.endPfn / per); sec++) {
    m.pages.dropSection(sec);
    ctx.fields.dropSection(sec);
  }
  m.sections.hotRemove(pgmap.startPfn, pgmap.endPfn);
  for (let p = pgmap.startPfn; p < pgmap.endPfn; p++) if (m.mem.isMaterialised(p)) m.mem.discard(p);
}

/**
 * zone_device_page_init(page) (6.12, one argument): take a pgmap reference,
 * refcount 0 → 1 and lock the page.
 */
export function zoneDevicePageInit(ctx: MmContext, pfn: number): void {
  const pgmap = ctx.pgmapOf(pfn)!;
  pgmap.refs++;
  ctx.pages.setRef(pfn, 1);
  ctx.lockPage(pfn);
}
