/**
 * MmContext: the user-memory side of one booted model machine — the pieces
 * of mm/ that processes, faults, ZONE_DEVICE and HMM share: page allocation
 * and freeing through the machine's buddy allocator (alloc_pages /
 * folio_put → free_unref_page or free_zone_device_folio), the shared zero
 * page, page-table page views, the pgmap ranges (pgmap_array), the mapping
 * ids of anon_vmas and address_spaces, the printk log and the simulated clock.
 *
 * Page contents live in the machine's PhysMem. A freed frame's bytes are
 * dropped (the model behaves as with init_on_free=1), so memory stays bounded.
 */
import { ModelError, ScenarioError } from '../errors.js';
import type { HmmProfile } from '../profiles/hmm.js';
import type { KernelProfile } from '../profiles/types.js';
import { Prng } from '../util/prng.js';
import type { Buddy } from './buddy.js';
import type { Memblock } from './memblock.js';
import type { DevPagemap } from './memremap.js';
import { PageFields } from './page-fields.js';
import type { PhysMem } from './phys-mem.js';
import { PAGE_SIZE } from './phys-mem.js';
import type { Sections } from './sparse.js';
import type { StructPages } from './struct-page.js';
import type { AddressSpace, AnonVma } from './vma.js';
import type { Zones } from './zones.js';

export interface MmContextOptions {
  /** RAM of the model machine in MiB (default 1024). */
  ramMiB?: number;
  profile: KernelProfile;
  seed?: number | string;
}

/** What the user-memory model needs of a booted kernel (a Machine is one). */
export interface MmMachine {
  readonly profile: KernelProfile;
  readonly mem: PhysMem;
  readonly pages: StructPages;
  readonly buddy: Buddy;
  readonly sections: Sections;
  readonly zones: Zones;
  readonly memblock: Memblock;
  readonly maxPfn: number;
  readonly kaslr: { readonly pageOffsetBase: bigint; readonly sizesTb: readonly number[] };
  readonly kernelImage: { readonly endPhys: number; readonly pgdPhys: number };
}

/** Arch hooks of memory hotplug (arch_add_memory / arch_remove_memory), injected from src/arch. */
export interface MmArchOps {
  addMemory(ctx: MmContext, startPfn: number, endPfn: number): void;
  removeMemory(ctx: MmContext, startPfn: number, endPfn: number): void;
}

const NO_ARCH_OPS: MmArchOps = {
  addMemory: () => {
    throw new ScenarioError('HMM_NO_ARCH', 'this MmContext has no arch memory-hotplug hooks');
  },
  removeMemory: () => {
    throw new ScenarioError('HMM_NO_ARCH', 'this MmContext has no arch memory-hotplug hooks');
  },
};

/** A kernel call-stack frame the model reports (fault traces, livelock reports). */
export type Frame = string;

export class MmContext {
  readonly profile: KernelProfile;
  readonly hmm: HmmProfile;
  readonly fields: PageFields;
  /** Bumped on every change of a present user PTE (flush_tlb_range): cached CPU translations die. */
  tlbGen = 0;
  /** Bumped when page-table structure changes (a PMD entry set or cleared). */
  pgtGen = 0;
  private readonly tableViews = new Map<number, Uint32Array>();
  readonly mappings = new Map<number, AnonVma | AddressSpace>();
  private nextMappingId = 1;
  /** pgmap_array: the dev_pagemaps by pfn range. */
  readonly pgmaps: DevPagemap[] = [];
  /** folio->_entire_mapcount of PMD-mapped folios (THP, hugetlb), by head pfn. */
  readonly entireMapcount = new Map<number, number>();
  /** Hugetlb pool pages (head pfns) and their free list. */
  readonly hugetlbPages = new Set<number>();
  readonly hugetlbFree: number[] = [];
  /** The kernel log (pr_info / WARN lines). */
  readonly log: string[] = [];
  /** Simulated time in ns (advanced by sleeps and by the fault/migration costs the scenarios print). */
  now = 0;
  readonly rng: Prng;
  /** empty_zero_page's pfn (my_zero_pfn()). */
  readonly zeroPfn: number;
  private hugeZero = -1;
  /** PG_locked / PG_head / PG_swapbacked bit numbers. */
  readonly pgLocked: number;
  readonly pgSwapbacked: number;
  /** Faults re-entering migrate_to_ram without progress before the CPU reports a livelock. */
  livelockThreshold = 64;
  /** Set by do_swap_page when it called migrate_to_ram: the call chain and why nothing moved. */
  lastDeviceFault: { trace: string[]; reason: string } | null = null;
  /** Why migrate_vma_collect skipped the last device-private entry (owner / flag mismatch), for reports. */
  lastCollectSkip: string | null = null;
  /** The current kernel call chain (innermost last), for fault traces. */
  readonly stack: Frame[] = [];
  /**
   * Other user threads of the model (a test's pthread_create): each runs once
   * `after` more mmap_read_unlock() calls have happened — the points where the
   * running kernel path lets a writer of mmap_lock (munmap, mprotect) in.
   */
  private readonly sleepers: { after: number; run: () => void }[] = [];
  private lockDrops = 0;

  constructor(
    readonly machine: MmMachine,
    seed: number | string = 0,
    readonly arch: MmArchOps = NO_ARCH_OPS,
  ) {
    this.profile = machine.profile;
    if (!machine.profile.hmm) {
      throw new ScenarioError(
        'HMM_PROFILE',
        `profile ${machine.profile.id} has no HMM/ZONE_DEVICE support (DEVICE_PRIVATE is 4.14+)`,
      );
    }
    this.hmm = machine.profile.hmm;
    this.fields = new PageFields(machine.sections.pfnsPerSection);
    this.rng = new Prng(seed);
    this.pgLocked = machine.profile.mm.pageFlags.bits.locked;
    this.pgSwapbacked = machine.profile.mm.pageFlags.bits.swapbacked;
    // empty_zero_page lives in the kernel image's .bss (page aligned): a reserved frame.
    this.zeroPfn = Math.ceil(machine.kernelImage.endPhys / PAGE_SIZE) - 1;
  }

  get mem() {
    return this.machine.mem;
  }
  get pages() {
    return this.machine.pages;
  }
  get buddy() {
    return this.machine.buddy;
  }

  newMappingId(): number {
    return this.nextMappingId++;
  }

  // ---- page-table pages ----

  /** A zeroed page-table page (pte_alloc_one / pmd_alloc_one). */
  allocTable(): number {
    const pfn = this.machine.buddy.alloc(0);
    if (pfn < 0) throw new ModelError('HMM_OOM', 'out of memory allocating a page table');
    this.mem.zeroPage(pfn);
    this.pgtGen++;
    return pfn;
  }

  freeTable(pfn: number): void {
    this.tableViews.delete(pfn);
    this.mem.discard(pfn);
    this.machine.buddy.free(pfn, 0);
    this.pgtGen++;
  }

  /** The u32 view of a page-table page. */
  table(pfn: number): Uint32Array {
    let t = this.tableViews.get(pfn);
    if (!t) {
      const f = this.mem.frame(pfn);
      t = new Uint32Array(f.buffer, f.byteOffset, 1024);
      this.tableViews.set(pfn, t);
    }
    return t;
  }

  // ---- pages ----

  /**
   * alloc_pages(GFP_HIGHUSER_MOVABLE, order) (+ __GFP_ZERO when `zero`): a
   * refcount-1 folio, or -1 when the buddy allocator is empty.
   */
  allocPages(order: number, zero = true): number {
    const pfn = this.machine.buddy.alloc(order);
    if (pfn < 0) return -1;
    this.fields.reset(pfn);
    if (order > 0) this.fields.setCompound(pfn, order);
    const pages = this.pages;
    for (let i = 0; i < 2 ** order; i++) {
      if (i) pages.setRef(pfn + i, 0);
      pages.setMapRaw(pfn + i, -1);
      if (zero) this.mem.discard(pfn + i);
    }
    return pfn;
  }

  /** get_page() / folio_get(). */
  getPage(pfn: number): void {
    this.pages.refAdd(this.fields.headOf(pfn), 1);
  }

  /** put_page() / folio_put(): the last reference frees the folio. */
  putPage(pfn: number): void {
    const head = this.fields.headOf(pfn);
    const r = this.pages.refAdd(head, -1);
    if (r === 0) this.freeFolio(head);
    else if (r < 0) throw new ModelError('HMM_REFCOUNT', `page 0x${head.toString(16)} refcount underflow`);
  }

  /** __folio_put(): ZONE_DEVICE → free_zone_device_folio(); hugetlb → pool; else the buddy allocator. */
  private freeFolio(head: number): void {
    const pgmap = this.pgmapOf(head);
    if (pgmap) {
      // mm/memremap.c free_zone_device_folio(): mapping = NULL, then ops->page_free, drop the pgmap ref.
      this.fields.setMapping(head, 0);
      this.fields.setIndex(head, 0);
      this.pages.setMapRaw(head, -1);
      this.pages.setBit(head, this.pgSwapbacked, false);
      pgmap.pageFree(head);
      pgmap.refs--;
      return;
    }
    if (this.hugetlbPages.size && this.hugetlbPages.has(head)) {
      // free_huge_folio(): back to the pool's free list.
      this.fields.setMapping(head, 0);
      this.entireMapcount.delete(head);
      this.hugetlbFree.push(head);
      return;
    }
    const order = this.fields.order(head);
    if (order) this.fields.clearCompound(head, order);
    if (this.entireMapcount.size) this.entireMapcount.delete(head);
    for (let i = 0; i < 2 ** order; i++) {
      this.fields.reset(head + i);
      this.pages.setMapRaw(head + i, -1);
      this.pages.setBit(head + i, this.pgLocked, false);
      this.pages.setBit(head + i, this.pgSwapbacked, false);
      // A freed folio is unmapped (its PTEs cleared, the TLB generation bumped): no view of it lives on.
      this.mem.recycle(head + i);
    }
    this.machine.buddy.free(head, order);
  }

  /** copy_highpage(). */
  copyPage(dst: number, src: number): void {
    if (this.mem.isMaterialised(src)) this.mem.copyFrame(dst, src);
    else this.mem.discard(dst);
  }

  /** clear_highpage(). */
  clearPage(pfn: number): void {
    this.mem.discard(pfn);
  }

  lockPage(pfn: number): void {
    this.pages.setBit(pfn, this.pgLocked, true);
  }
  /** trylock_page(). */
  trylockPage(pfn: number): boolean {
    if (this.pages.bit(pfn, this.pgLocked)) return false;
    this.pages.setBit(pfn, this.pgLocked, true);
    return true;
  }
  unlockPage(pfn: number): void {
    this.pages.setBit(pfn, this.pgLocked, false);
  }

  /** The huge zero folio (mm_get_huge_zero_folio), allocated on first use. */
  get hugeZeroPfn(): number {
    if (this.hugeZero < 0) {
      const pfn = this.allocPages(9, true);
      if (pfn < 0) return -1;
      this.hugeZero = pfn;
    }
    return this.hugeZero;
  }

  /** is_zero_pfn() / is_huge_zero_pfn range. */
  isZeroPfn(pfn: number): boolean {
    return pfn === this.zeroPfn || (this.hugeZero >= 0 && pfn >= this.hugeZero && pfn < this.hugeZero + 512);
  }

  // ---- ZONE_DEVICE ----

  /** page_pgmap(): the dev_pagemap whose range holds pfn (get_dev_pagemap over pgmap_array). */
  pgmapOf(pfn: number): DevPagemap | undefined {
    for (const p of this.pgmaps) if (pfn >= p.startPfn && pfn < p.endPfn) return p;
    return undefined;
  }

  isDevicePrivate(pfn: number): boolean {
    return this.pgmapOf(pfn)?.type === 'private';
  }

  isDeviceCoherent(pfn: number): boolean {
    return this.pgmapOf(pfn)?.type === 'coherent';
  }

  /** Queue a thread body to run after `drops` more mmap_read_unlock() points. */
  queueThread(drops: number, run: () => void): { done: boolean; join(): void } {
    const h = {
      done: false,
      join: () => {
        // pthread_join(): a thread still sleeping runs to completion now.
        const i = this.sleepers.indexOf(e);
        if (i >= 0) {
          this.sleepers.splice(i, 1);
          e.run();
        }
      },
    };
    const e = {
      after: this.lockDrops + drops,
      run: () => {
        h.done = true;
        run();
      },
    };
    this.sleepers.push(e);
    return h;
  }

  /** The process whose threads these were exited: they never run. */
  cancelThreads(): void {
    this.sleepers.length = 0;
  }

  /** mmap_read_unlock(): a point where a sleeping thread that is due gets to run. */
  mmapReadUnlock(): void {
    this.lockDrops++;
    for (const e of [...this.sleepers]) {
      if (e.after > this.lockDrops) continue;
      this.sleepers.splice(this.sleepers.indexOf(e), 1);
      e.run();
    }
  }

  /** Run `fn` with `frame` on the reported call stack. */
  frame<T>(name: Frame, fn: () => T): T {
    this.stack.push(name);
    try {
      return fn();
    } finally {
      this.stack.pop();
    }
  }

  pr(line: string): void {
    const t = this.now / 1e9;
    this.log.push(`[${t.toFixed(6).padStart(12)}] ${line}`);
  }
}
