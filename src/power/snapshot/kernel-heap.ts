/**
 * How hibernation code in the model gets memory and addresses: frames come
 * from the model's own allocators (get_image_page, get_safe_page, kmalloc),
 * objects are written into those frames at the byte offsets of the kernel's
 * structs, and pointers are kernel virtual addresses in the direct map
 * (page_offset_base + phys), exactly as a crash dump shows them.
 */
import type { PhysMem } from '../../mm/phys-mem.js';

export const PAGE_SIZE = 4096;

export interface KernelHeap {
  readonly phys: PhysMem;
  /** __va(): direct-map virtual address of a physical address. */
  ptov(paddr: number): bigint;
  /** __pa() of a direct-map address. */
  vtoDirectPhys(vaddr: bigint): number;
}

/**
 * A page allocator as hibernation code calls it; returns the pfn of a zeroed
 * frame. `bulk(n, out)`, when present, is n calls at once: the frames they
 * would return, in order, into out[0..); returns how many it got (fewer: the
 * next call fails as the one after them would).
 */
export type PageAllocator = (() => number) & { bulk?: (n: number, out: Float64Array) => number };

/** Write a u64 without allocating a DataView per call (hot in struct setup). */
export function putU64(frame: Uint8Array, off: number, v: bigint): void {
  const lo = Number(v & 0xffffffffn);
  const hi = Number((v >> 32n) & 0xffffffffn);
  frame[off] = lo & 0xff;
  frame[off + 1] = (lo >>> 8) & 0xff;
  frame[off + 2] = (lo >>> 16) & 0xff;
  frame[off + 3] = (lo >>> 24) & 0xff;
  frame[off + 4] = hi & 0xff;
  frame[off + 5] = (hi >>> 8) & 0xff;
  frame[off + 6] = (hi >>> 16) & 0xff;
  frame[off + 7] = (hi >>> 24) & 0xff;
}

export function putU32(frame: Uint8Array, off: number, v: number): void {
  frame[off] = v & 0xff;
  frame[off + 1] = (v >>> 8) & 0xff;
  frame[off + 2] = (v >>> 16) & 0xff;
  frame[off + 3] = (v >>> 24) & 0xff;
}

/** Store a u64 at a physical address (may straddle nothing: callers keep structs 8-aligned). */
export function storeU64(heap: KernelHeap, paddr: number, v: bigint): void {
  const pfn = Math.floor(paddr / PAGE_SIZE);
  putU64(heap.phys.frame(pfn), paddr - pfn * PAGE_SIZE, v);
}

export function storeU32(heap: KernelHeap, paddr: number, v: number): void {
  const pfn = Math.floor(paddr / PAGE_SIZE);
  putU32(heap.phys.frame(pfn), paddr - pfn * PAGE_SIZE, v);
}

/**
 * Stores of direct-map pointers and u64 numbers without a BigInt per store
 * (struct setup writes one per rtree node): __va(phys) = page_offset_base +
 * phys (the direct map is linear), added as two u32 halves.
 */
export class DirectMapWriter {
  private readonly lo: number;
  private readonly hi: number;

  constructor(private readonly heap: KernelHeap) {
    const base = heap.ptov(0);
    this.lo = Number(base & 0xffffffffn);
    this.hi = Number((base >> 32n) & 0xffffffffn);
  }

  /** *(u64 *)__va(paddr) = __va(phys) — storeU64(heap, paddr, heap.ptov(phys)). */
  va(paddr: number, phys: number): void {
    const pfn = Math.floor(paddr / PAGE_SIZE);
    const f = this.heap.phys.frame(pfn);
    const o = paddr - pfn * PAGE_SIZE;
    // (`x >>> 0` is x mod 2^32 for integers below 2^53.)
    const lo = this.lo + (phys >>> 0);
    putU32(f, o, lo >>> 0);
    putU32(f, o + 4, (this.hi + Math.floor(phys / 0x100000000) + (lo >= 0x100000000 ? 1 : 0)) >>> 0);
  }

  /**
   * A list_head at paddr: next = __va(next), prev = __va(prev) — va(paddr, next) then
   * va(paddr + 8, prev), with one frame lookup when both words are in one frame.
   */
  listHead(paddr: number, next: number, prev: number): void {
    const pfn = Math.floor(paddr / PAGE_SIZE);
    const o = paddr - pfn * PAGE_SIZE;
    if (o + 16 > PAGE_SIZE) {
      this.va(paddr, next);
      this.va(paddr + 8, prev);
      return;
    }
    const f = this.heap.phys.frame(pfn);
    this.put(f, o, next);
    this.put(f, o + 8, prev);
  }

  /** The u64 __va(phys) into f[o..o+8). */
  private put(f: Uint8Array, o: number, phys: number): void {
    // (`x >>> 0` is x mod 2^32 for integers below 2^53.)
    const lo = this.lo + (phys >>> 0);
    putU32(f, o, lo >>> 0);
    putU32(f, o + 4, (this.hi + Math.floor(phys / 0x100000000) + (lo >= 0x100000000 ? 1 : 0)) >>> 0);
  }

  /** *(u64 *)__va(paddr) = v for an integer 0 ≤ v < 2^53 — storeU64(heap, paddr, BigInt(v)). */
  num(paddr: number, v: number): void {
    const pfn = Math.floor(paddr / PAGE_SIZE);
    const f = this.heap.phys.frame(pfn);
    const o = paddr - pfn * PAGE_SIZE;
    putU32(f, o, v >>> 0);
    putU32(f, o + 4, Math.floor(v / 0x100000000) >>> 0);
  }
}

/**
 * struct linked_page { struct linked_page *next; char data[LINKED_PAGE_DATA_SIZE]; }
 * and struct chain_allocator (kernel/power/snapshot.c): objects are bump-
 * allocated from a chain of pages; the newest page is the chain head.
 */
export const LINKED_PAGE_DATA_SIZE = PAGE_SIZE - 8;

export class ChainAllocator {
  /** Physical address of the current (newest) linked page, or -1. */
  private chainPhys = -1;
  private usedSpace = LINKED_PAGE_DATA_SIZE;
  /** Every page taken, oldest first (the kernel frees them through the chain). */
  readonly pages: number[] = [];

  constructor(
    private readonly heap: KernelHeap,
    private readonly allocPage: PageAllocator,
  ) {}

  /** chain_alloc(): physical address of `size` fresh bytes. */
  alloc(size: number): number {
    if (LINKED_PAGE_DATA_SIZE - this.usedSpace < size) {
      const pfn = this.allocPage();
      const paddr = pfn * PAGE_SIZE;
      // lp->next = ca->chain
      storeU64(this.heap, paddr, this.chainPhys < 0 ? 0n : this.heap.ptov(this.chainPhys));
      this.chainPhys = paddr;
      this.usedSpace = 0;
      this.pages.push(pfn);
    }
    const at = this.chainPhys + 8 + this.usedSpace;
    this.usedSpace += size;
    return at;
  }

  /** Kernel virtual address of the chain head (memory_bitmap.p_list), 0 if empty. */
  headVirt(): bigint {
    return this.chainPhys < 0 ? 0n : this.heap.ptov(this.chainPhys);
  }
}
