/**
 * 3.10 `struct memory_bitmap` as a list of `struct bm_block`
 * (kernel/power/snapshot.c in 3.10 … 3.16; RHEL 7.9 identical).
 *
 * In-memory layout (x86-64, little endian):
 *   struct memory_bitmap (40 bytes)
 *     +0  blocks.next   struct list_head
 *     +8  blocks.prev
 *     +16 p_list        struct linked_page * (chain allocator pages)
 *     +24 cur.block     struct bm_block *
 *     +32 cur.bit       int
 *   struct bm_block (40 bytes, from chain_alloc)
 *     +0  hook.next, +8 hook.prev, +16 start_pfn, +24 end_pfn (last+1), +32 data (one page of bits)
 *
 * Allocation order follows memory_bm_create(): per extent,
 * create_bm_block_list() chain_allocs the blocks and list_add()s each one after
 * the same element, so list order is ascending pfn while the objects sit in
 * memory in reverse — the seed's crash shows block 23 (start 0xb8001) at
 * offset 0x288 = 8 + 16*40 of the first linked page. Then each block's data
 * page comes from get_image_page() in list order.
 */
import { ModelError } from '../../errors.js';
import {
  type BitBlock,
  BM_BITS_PER_BLOCK,
  BM_END_OF_MAP,
  findNextBit,
  LEAF_ONES,
  type MemExtent,
  type MemoryBitmap,
  popcountWords,
} from './bitmap.js';
import { BitLeaves, LeafBlock } from './bm-leaves.js';
import {
  ChainAllocator,
  type KernelHeap,
  PAGE_SIZE,
  type PageAllocator,
  storeU32,
  storeU64,
} from './kernel-heap.js';

export const BM_BLOCK_SIZE = 40;
export const MEMORY_BITMAP_SIZE_310 = 40;

export class BmBlockListBitmap implements MemoryBitmap {
  readonly kind = 'bm-block-list' as const;
  readonly dataPfns: number[] = [];
  readonly metaPfns: number[];
  readonly extents: MemExtent[];
  /** Per block (list order): start pfn, end pfn, struct address, data page view. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly blockPhys: number[] = [];
  /** The blocks' bits (./bm-leaves.ts): leaf b = block b. */
  private readonly leaves: BitLeaves;
  /** cur.block as an index into the list; === nblocks means the list head. */
  private curBlock = 0;
  private curBit = 0;

  /**
   * memory_bm_create(bm, gfp_mask, safe_needed): `structPhys` is where the
   * caller put the struct memory_bitmap (a global or a kzalloc'd object);
   * `allocPage` is get_image_page(gfp_mask, safe_needed).
   */
  constructor(
    private readonly heap: KernelHeap,
    readonly structPhys: number,
    extents: readonly MemExtent[],
    allocPage: PageAllocator,
  ) {
    this.extents = extents.map((e) => ({ ...e }));
    this.leaves = new BitLeaves(heap.phys);
    const ca = new ChainAllocator(heap, allocPage);
    const headVirt = heap.ptov(structPhys);
    for (const ext of this.extents) {
      const nr = Math.ceil((ext.end - ext.start) / BM_BITS_PER_BLOCK);
      // create_bm_block_list(): each new block is list_add()ed right after the
      // old tail, so the newest ends up first among this extent's blocks.
      const fresh: number[] = [];
      for (let i = 0; i < nr; i++) fresh.unshift(ca.alloc(BM_BLOCK_SIZE));
      let pfn = ext.start;
      for (const phys of fresh) {
        const end = Math.min(pfn + BM_BITS_PER_BLOCK, ext.end);
        this.blockPhys.push(phys);
        this.starts.push(pfn);
        this.ends.push(end);
        pfn = end;
      }
    }
    // Data pages, in list order (list_for_each_entry_continue in memory_bm_create).
    for (let i = 0; i < this.blockPhys.length; i++) {
      const dpfn = allocPage();
      this.dataPfns.push(dpfn);
      // A zeroed page (get_image_page): its words materialise on the first write.
      this.leaves.add(dpfn, this.ends[i]! - this.starts[i]!);
    }
    this.metaPfns = ca.pages;
    // Link the list and fill each bm_block.
    const n = this.blockPhys.length;
    const blockVirt = this.blockPhys.map((p) => heap.ptov(p));
    for (let i = 0; i < n; i++) {
      const p = this.blockPhys[i]!;
      storeU64(heap, p, i + 1 < n ? blockVirt[i + 1]! : headVirt);
      storeU64(heap, p + 8, i > 0 ? blockVirt[i - 1]! : headVirt);
      storeU64(heap, p + 16, BigInt(this.starts[i]!));
      storeU64(heap, p + 24, BigInt(this.ends[i]!));
      storeU64(heap, p + 32, heap.ptov(this.dataPfns[i]! * PAGE_SIZE));
    }
    storeU64(heap, structPhys, n ? blockVirt[0]! : headVirt);
    storeU64(heap, structPhys + 8, n ? blockVirt[n - 1]! : headVirt);
    storeU64(heap, structPhys + 16, ca.headVirt());
    this.positionReset();
  }

  /** The block of the last lookup (consecutive lookups are mostly in one block). */
  private lastB = 0;
  /** Block index holding pfn, or -1 (binary search; the kernel walks the list from cur). */
  private blockOf(pfn: number): number {
    const c = this.lastB;
    if (c < this.starts.length && pfn >= this.starts[c]! && pfn < this.ends[c]!) return c;
    const b = this.searchBlock(pfn);
    if (b >= 0) this.lastB = b;
    return b;
  }

  private searchBlock(pfn: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (pfn < this.starts[mid]!) hi = mid - 1;
      else if (pfn >= this.ends[mid]!) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** memory_bm_find_bit(): on success cur.block = block, cur.bit = offset + 1. */
  private findBit(pfn: number): number {
    const b = this.blockOf(pfn);
    if (b < 0) return -1;
    this.curBlock = b;
    this.curBit = pfn - this.starts[b]! + 1;
    return b;
  }

  setBit(pfn: number): void {
    const b = this.findBit(pfn);
    if (b < 0) throw new ModelError('BM_BUG', `memory_bm_set_bit: pfn 0x${pfn.toString(16)} not in bitmap`);
    this.leaves.setBit(b, pfn - this.starts[b]!);
  }

  setBitCheck(pfn: number): boolean {
    const b = this.findBit(pfn);
    if (b < 0) return false;
    this.leaves.setBit(b, pfn - this.starts[b]!);
    return true;
  }

  clearBit(pfn: number): void {
    const b = this.findBit(pfn);
    if (b < 0) throw new ModelError('BM_BUG', `memory_bm_clear_bit: pfn 0x${pfn.toString(16)} not in bitmap`);
    this.leaves.clearBit(b, pfn - this.starts[b]!);
  }

  testBit(pfn: number): boolean {
    const b = this.findBit(pfn);
    if (b < 0) throw new ModelError('BM_BUG', `memory_bm_test_bit: pfn 0x${pfn.toString(16)} not in bitmap`);
    return this.leaves.testBit(b, pfn - this.starts[b]!);
  }

  pfnPresent(pfn: number): boolean {
    return this.findBit(pfn) >= 0;
  }

  nextPfn(): number {
    const n = this.starts.length;
    while (this.curBlock < n) {
      const b = this.curBlock;
      const bits = this.ends[b]! - this.starts[b]!;
      const bit = findNextBit(this.leaves.words[b] ?? null, bits, this.curBit);
      if (bit < bits) {
        this.curBit = bit + 1;
        return this.starts[b]! + bit;
      }
      this.curBlock = b + 1;
      this.curBit = 0;
    }
    // 3.10 resets the position when it runs off the end.
    this.positionReset();
    return BM_END_OF_MAP;
  }

  positionReset(): void {
    this.curBlock = 0;
    this.curBit = 0;
  }

  /** next_pfn() returned pfn: cur.block = its block, cur.bit = its offset + 1 (as find_bit leaves it). */
  positionAfter(pfn: number): void {
    if (this.findBit(pfn) < 0) throw new ModelError('BM_BUG', `pfn 0x${pfn.toString(16)} not in bitmap`);
  }

  flush(): void {
    const n = this.starts.length;
    const cur =
      this.curBlock < n ? this.heap.ptov(this.blockPhys[this.curBlock]!) : this.heap.ptov(this.structPhys);
    storeU64(this.heap, this.structPhys + 24, cur);
    storeU32(this.heap, this.structPhys + 32, this.curBit);
  }

  /** Position as the kernel holds it: cur.block address and cur.bit (for tests / inspector). */
  position(): { blockPhys: number; bit: number } {
    const n = this.starts.length;
    return {
      blockPhys: this.curBlock < n ? this.blockPhys[this.curBlock]! : this.structPhys,
      bit: this.curBit,
    };
  }

  /** bm_block objects (list order) for the inspector. */
  blocks(): { phys: number; start: number; end: number; dataPfn: number }[] {
    return this.starts.map((s, i) => ({
      phys: this.blockPhys[i]!,
      start: s,
      end: this.ends[i]!,
      dataPfn: this.dataPfns[i]!,
    }));
  }

  testBitQuiet(pfn: number): boolean {
    const b = this.blockOf(pfn);
    if (b < 0) return false;
    return this.leaves.testBit(b, pfn - this.starts[b]!);
  }

  setBitQuiet(pfn: number): void {
    const b = this.blockOf(pfn);
    if (b < 0) throw new ModelError('BM_BUG', `pfn 0x${pfn.toString(16)} not in bitmap`);
    this.leaves.setBit(b, pfn - this.starts[b]!);
  }

  clearBitQuiet(pfn: number): void {
    const b = this.blockOf(pfn);
    if (b < 0) return;
    this.leaves.clearBit(b, pfn - this.starts[b]!);
  }

  forEachSet(fn: (pfn: number) => void): void {
    for (let b = 0; b < this.starts.length; b++) {
      const bits = this.ends[b]! - this.starts[b]!;
      const w = this.leaves.words[b] ?? null;
      let bit = findNextBit(w, bits, 0);
      while (bit < bits) {
        fn(this.starts[b]! + bit);
        bit = findNextBit(w, bits, bit + 1);
      }
    }
  }

  count(): number {
    let n = 0;
    for (let b = 0; b < this.starts.length; b++) {
      const nbits = this.ends[b]! - this.starts[b]!;
      n += this.leaves.form[b] === LEAF_ONES ? nbits : popcountWords(this.leaves.words[b] ?? null, nbits);
    }
    return n;
  }

  clearAll(): void {
    for (let b = 0; b < this.leaves.length; b++) this.leaves.clearAll(b);
  }

  private blockList: BitBlock[] | null = null;
  blocks32(): BitBlock[] {
    if (this.blockList) return this.blockList;
    this.blockList = this.starts.map((start, b) => new LeafBlock(this.leaves, b, start, this.ends[b]!));
    return this.blockList;
  }
}
