/**
 * 3.17+ `struct memory_bitmap` as one radix tree per memory extent
 * (kernel/power/snapshot.c, 6.x).
 *
 * In-memory layout (x86-64, little endian):
 *   struct memory_bitmap (64 bytes)
 *     +0 zones (list_head)  +16 p_list
 *     +24 cur.zone  +32 cur.node  +40 cur.node_pfn  +48 cur.cur_pfn  +56 cur.node_bit (int)
 *   struct mem_zone_bm_rtree (80 bytes, chain_alloc)
 *     +0 list  +16 nodes (inner nodes)  +32 leaves  +48 start_pfn  +56 end_pfn
 *     +64 rtree (root node)  +72 levels (int)  +76 blocks (unsigned int)
 *   struct rtree_node (24 bytes, chain_alloc)
 *     +0 list  +16 data (one page: 512 child pointers, or 32768 bits for a leaf)
 *
 * Growth follows add_rtree_block(): block b needs as many levels as b has
 * 9-bit digits; a new root is pushed with data[0] = old root; with a single
 * block the root is the leaf (levels 0).
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
  DirectMapWriter,
  type KernelHeap,
  LINKED_PAGE_DATA_SIZE,
  PAGE_SIZE,
  type PageAllocator,
  storeU32,
  storeU64,
} from './kernel-heap.js';

export const RTREE_NODE_SIZE = 24;
export const MEM_ZONE_BM_RTREE_SIZE = 80;
export const MEMORY_BITMAP_SIZE_6X = 64;
const BM_RTREE_LEVEL_SHIFT = 9;
const BM_RTREE_LEVEL_MASK = 511;

/** A zone's nodes as parallel columns (no object per node: a 12 TiB map has ~100k leaves per bitmap). */
interface Zone {
  phys: number;
  start: number;
  end: number;
  levels: number;
  /** The root's struct rtree_node (physical address), −1 before the first block. */
  rootPhys: number;
  /**
   * Inner nodes in creation order: the struct's physical address and the data page's frame
   * (sized up front: innerNodes(blocks) of them; a 12 TiB map pushed ~100k values per column).
   */
  innerPhys: number[];
  innerData: number[];
  /** Leaves, block by block: the same two columns. */
  leafPhys: number[];
  leafData: number[];
  /** Index of its first leaf in the bitmap's BitLeaves (leaf b is first + b). */
  first: number;
}

/** Inner nodes of a zone of `blocks` leaves: ceil(blocks / 512^j) at each level j of the tree. */
function innerNodes(blocks: number): number {
  let levels = 0;
  for (let b = blocks - 1; b > 0; b = Math.floor(b / 512)) levels++;
  let n = 0;
  for (let j = 1, d = 512; j <= levels; j++, d *= 512) n += Math.ceil(blocks / d);
  return n;
}

/**
 * Frames the constructor takes for these extents: a data page per node, and
 * the chain pages chain_alloc() takes for the zone structs and nodes (a zone's
 * struct, then its nodes, zone after zone).
 */
function pagesNeeded(extents: readonly MemExtent[]): number {
  let pages = 0;
  let used = LINKED_PAGE_DATA_SIZE;
  const take = (size: number, count: number): void => {
    // chain_alloc(size) count times: a new page whenever the current one lacks room.
    while (count > 0) {
      if (LINKED_PAGE_DATA_SIZE - used < size) {
        pages++;
        used = 0;
      }
      const fit = Math.min(count, Math.floor((LINKED_PAGE_DATA_SIZE - used) / size));
      used += fit * size;
      count -= fit;
    }
  };
  for (const e of extents) {
    const blocks = Math.ceil((e.end - e.start) / BM_BITS_PER_BLOCK);
    const nodes = blocks + innerNodes(blocks);
    take(MEM_ZONE_BM_RTREE_SIZE, 1);
    take(RTREE_NODE_SIZE, nodes);
    pages += nodes;
  }
  return pages;
}

/**
 * `alloc` for `total` calls, the frames taken in one bulk() call up front
 * (the same frames in the same order); a call past what bulk() got goes to
 * `alloc` (and fails as it would have).
 */
function prefetched(alloc: () => number, bulk: (n: number, out: Float64Array) => number, total: number) {
  const out = new Float64Array(total);
  const got = bulk(total, out);
  let i = 0;
  return (): number => (i < got ? out[i++]! : alloc());
}

export class RtreeBitmap implements MemoryBitmap {
  readonly kind = 'rtree' as const;
  readonly dataPfns: number[] = [];
  readonly metaPfns: number[] = [];
  readonly extents: MemExtent[];
  private readonly zones: Zone[] = [];
  /** Every leaf's bits (./bm-leaves.ts), zone by zone. */
  private readonly L: BitLeaves;
  private readonly va: DirectMapWriter;
  // bm_position
  private curZone = 0;
  private curNode = 0;
  private nodePfn = 0;
  private curPfn = BM_END_OF_MAP;
  private nodeBit = 0;

  constructor(
    private readonly heap: KernelHeap,
    readonly structPhys: number,
    extents: readonly MemExtent[],
    private allocPage: PageAllocator,
  ) {
    this.extents = extents.map((e) => ({ ...e }));
    this.L = new BitLeaves(heap.phys);
    this.va = new DirectMapWriter(heap);
    if (allocPage.bulk) this.allocPage = prefetched(allocPage, allocPage.bulk, pagesNeeded(this.extents));
    const ca = new ChainAllocator(heap, this.allocPage);
    for (const ext of this.extents) this.zones.push(this.createZone(ca, ext));
    for (const p of ca.pages) this.metaPfns.push(p);
    for (const z of this.zones) for (const d of z.innerData) this.metaPfns.push(d);
    for (const z of this.zones) for (const d of z.leafData) this.dataPfns.push(d);
    this.writeStructs(ca);
    this.positionReset();
  }

  /** alloc_rtree_node()'s struct from the chain, left in nodePhys; its data page from get_image_page(), returned. */
  private nodePhys = 0;
  private allocNode(ca: ChainAllocator): number {
    this.nodePhys = ca.alloc(RTREE_NODE_SIZE);
    return this.allocPage();
  }

  /**
   * create_zone_bm_rtree() + add_rtree_block() for each block. add_rtree_block()
   * reads each slot on the way down and creates the child a NULL slot lacks;
   * blocks come in ascending order, so the child a slot at level j names
   * exists exactly when the newest node of that level (pathPrefix) covers the
   * block's prefix — the walk keeps that path instead of reading the slots
   * back (same nodes, same allocations, same stores).
   */
  private createZone(ca: ChainAllocator, ext: MemExtent): Zone {
    const nrBlocks = Math.ceil((ext.end - ext.start) / BM_BITS_PER_BLOCK);
    const nrInner = innerNodes(nrBlocks);
    const z: Zone = {
      phys: ca.alloc(MEM_ZONE_BM_RTREE_SIZE),
      start: ext.start,
      end: ext.end,
      levels: 0,
      rootPhys: -1,
      innerPhys: new Array<number>(nrInner).fill(0),
      innerData: new Array<number>(nrInner).fill(0),
      leafPhys: new Array<number>(nrBlocks).fill(0),
      leafData: new Array<number>(nrBlocks).fill(0),
      first: this.L.length,
    };
    const w = this.va;
    // Inner nodes made so far (the columns' fill).
    let ni = 0;
    // Per level j ≥ 1: the data frame of the newest inner node and the block prefix it covers
    // (blockNr >>> 9j); the root, pushed at level `levels`, covers prefix 0.
    const pathData: number[] = [0];
    const pathPrefix: number[] = [-1];
    for (let blockNr = 0; blockNr < nrBlocks; blockNr++) {
      let levelsNeeded = 0;
      for (let b = blockNr; b; b >>>= BM_RTREE_LEVEL_SHIFT) levelsNeeded++;
      for (let i = z.levels; i < levelsNeeded; i++) {
        const data = this.allocNode(ca);
        const phys = this.nodePhys;
        z.innerPhys[ni] = phys;
        z.innerData[ni++] = data;
        // The new root's slot 0 names the old root.
        if (z.rootPhys >= 0) w.va(data * PAGE_SIZE, z.rootPhys);
        z.rootPhys = phys;
        z.levels++;
        pathData[z.levels] = data;
        pathPrefix[z.levels] = 0;
      }
      const leafData = this.allocNode(ca);
      const leafPhys = this.nodePhys;
      z.leafPhys[blockNr] = leafPhys;
      z.leafData[blockNr] = leafData;
      // The leaf's page is zeroed (get_image_page): its words materialise on the first write.
      this.L.add(leafData, Math.min(BM_BITS_PER_BLOCK, ext.end - ext.start - blockNr * BM_BITS_PER_BLOCK));
      if (z.levels === 0) {
        z.rootPhys = leafPhys;
        continue;
      }
      // Walk down from the root, creating missing inner nodes, and hang the leaf.
      for (let i = z.levels; i > 0; i--) {
        const index = (blockNr >>> ((i - 1) * BM_RTREE_LEVEL_SHIFT)) & BM_RTREE_LEVEL_MASK;
        const slot = pathData[i]! * PAGE_SIZE + index * 8;
        if (i === 1) {
          w.va(slot, leafPhys);
          break;
        }
        // blockNr < 2^31 (a block is 2^15 pfns) and the shift < 32: a shift, not a power per step.
        const prefix = blockNr >>> ((i - 1) * BM_RTREE_LEVEL_SHIFT);
        if (pathPrefix[i - 1] !== prefix) {
          // A NULL slot: a new inner node.
          const data = this.allocNode(ca);
          const phys = this.nodePhys;
          z.innerPhys[ni] = phys;
          z.innerData[ni++] = data;
          w.va(slot, phys);
          pathData[i - 1] = data;
          pathPrefix[i - 1] = prefix;
        }
      }
    }
    if (ni !== nrInner) throw new ModelError('BM_BUG', `rtree: ${ni} inner nodes made, ${nrInner} sized`);
    return z;
  }

  /** Write list heads and struct fields so the inspector reads real structures. */
  private writeStructs(ca: ChainAllocator): void {
    const h = this.heap;
    const w = this.va;
    const linkList = (headPhys: number, items: ArrayLike<number>) => {
      const n = items.length;
      w.va(headPhys, n ? items[0]! : headPhys);
      w.va(headPhys + 8, n ? items[n - 1]! : headPhys);
      for (let i = 0; i < n; i++)
        w.listHead(items[i]!, i + 1 < n ? items[i + 1]! : headPhys, i > 0 ? items[i - 1]! : headPhys);
    };
    linkList(
      this.structPhys,
      this.zones.map((z) => z.phys),
    );
    storeU64(h, this.structPhys + 16, ca.headVirt());
    for (const z of this.zones) {
      linkList(z.phys + 16, z.innerPhys);
      linkList(z.phys + 32, z.leafPhys);
      w.num(z.phys + 48, z.start);
      w.num(z.phys + 56, z.end);
      if (z.rootPhys >= 0) w.va(z.phys + 64, z.rootPhys);
      else storeU64(h, z.phys + 64, 0n);
      storeU32(h, z.phys + 72, z.levels);
      storeU32(h, z.phys + 76, z.leafPhys.length);
      for (let i = 0; i < z.innerPhys.length; i++) w.va(z.innerPhys[i]! + 16, z.innerData[i]! * PAGE_SIZE);
      for (let i = 0; i < z.leafPhys.length; i++) w.va(z.leafPhys[i]! + 16, z.leafData[i]! * PAGE_SIZE);
    }
  }

  /** Zone (extent) index holding pfn, or -1; the last hit is tried first. */
  private lastZone = 0;
  private zoneOf(pfn: number): number {
    const zs = this.zones;
    const lz = zs[this.lastZone];
    if (lz !== undefined && pfn >= lz.start && pfn < lz.end) return this.lastZone;
    for (let i = 0; i < zs.length; i++) {
      const z = zs[i]!;
      if (pfn >= z.start && pfn < z.end) {
        this.lastZone = i;
        return i;
      }
    }
    return -1;
  }

  /**
   * The leaf (index in L) and bit of `pfn` (in `hitLeaf` / `hitBit`), false
   * when the pfn is outside the bitmap. No object per lookup: these run per page.
   */
  private hitLeaf = 0;
  private hitBit = 0;
  private locate(pfn: number): boolean {
    const zi = this.zoneOf(pfn);
    if (zi < 0) return false;
    const z = this.zones[zi]!;
    const rel = pfn - z.start;
    this.hitLeaf = z.first + Math.floor(rel / BM_BITS_PER_BLOCK);
    this.hitBit = rel % BM_BITS_PER_BLOCK;
    return true;
  }

  /** memory_bm_find_bit(): updates zone, node, node_pfn and cur_pfn — but not node_bit. */
  private findBit(pfn: number): boolean {
    const zi = this.zoneOf(pfn);
    if (zi < 0) return false;
    const z = this.zones[zi]!;
    const block = Math.floor((pfn - z.start) / BM_BITS_PER_BLOCK);
    this.curZone = zi;
    this.curNode = block;
    this.nodePfn = block * BM_BITS_PER_BLOCK;
    this.curPfn = pfn;
    this.hitLeaf = z.first + block;
    this.hitBit = (pfn - z.start) % BM_BITS_PER_BLOCK;
    return true;
  }

  setBit(pfn: number): void {
    if (!this.findBit(pfn))
      throw new ModelError('BM_BUG', `memory_bm_set_bit: pfn 0x${pfn.toString(16)} not in bitmap`);
    this.L.setBit(this.hitLeaf, this.hitBit);
  }

  setBitCheck(pfn: number): boolean {
    if (!this.findBit(pfn)) return false;
    this.L.setBit(this.hitLeaf, this.hitBit);
    return true;
  }

  clearBit(pfn: number): void {
    if (!this.findBit(pfn))
      throw new ModelError('BM_BUG', `memory_bm_clear_bit: pfn 0x${pfn.toString(16)} not in bitmap`);
    this.L.clearBit(this.hitLeaf, this.hitBit);
  }

  testBit(pfn: number): boolean {
    if (!this.findBit(pfn))
      throw new ModelError('BM_BUG', `memory_bm_test_bit: pfn 0x${pfn.toString(16)} not in bitmap`);
    return this.L.testBit(this.hitLeaf, this.hitBit);
  }

  pfnPresent(pfn: number): boolean {
    return this.findBit(pfn);
  }

  /** memory_bm_clear_current(): clear bit node_bit - 1 of the current leaf. */
  clearCurrent(): void {
    const bit = this.nodeBit - 1;
    if (bit < 0) return;
    this.L.clearBit(this.zones[this.curZone]!.first + this.curNode, bit);
  }

  nextPfn(): number {
    for (;;) {
      const z = this.zones[this.curZone];
      if (!z) break;
      const pages = z.end - z.start;
      const bits = Math.min(pages - this.nodePfn, BM_BITS_PER_BLOCK);
      const bit = findNextBit(this.L.words[z.first + this.curNode] ?? null, bits, this.nodeBit);
      if (bit < bits) {
        const pfn = z.start + this.nodePfn + bit;
        this.nodeBit = bit + 1;
        this.curPfn = pfn;
        return pfn;
      }
      // rtree_next_node()
      if (this.curNode + 1 < z.leafPhys.length) {
        this.curNode++;
        this.nodePfn += BM_BITS_PER_BLOCK;
        this.nodeBit = 0;
        continue;
      }
      if (this.curZone + 1 < this.zones.length) {
        this.curZone++;
        this.curNode = 0;
        this.nodePfn = 0;
        this.nodeBit = 0;
        continue;
      }
      break;
    }
    // 6.x does not reset: cur_pfn = BM_END_OF_MAP and the position stays at the end.
    this.curPfn = BM_END_OF_MAP;
    return BM_END_OF_MAP;
  }

  /** memory_bm_get_current(). */
  current(): number {
    return this.curPfn;
  }

  /** next_pfn() returned pfn: zone, node and node_pfn of its leaf, node_bit = its bit + 1, cur_pfn = pfn. */
  positionAfter(pfn: number): void {
    if (!this.findBit(pfn)) throw new ModelError('BM_BUG', `pfn 0x${pfn.toString(16)} not in bitmap`);
    this.nodeBit = this.hitBit + 1;
  }

  positionReset(): void {
    this.curZone = 0;
    this.curNode = 0;
    this.nodePfn = 0;
    this.curPfn = BM_END_OF_MAP;
    this.nodeBit = 0;
  }

  flush(): void {
    const h = this.heap;
    const z = this.zones[this.curZone];
    const leaf = z?.leafPhys[this.curNode];
    storeU64(h, this.structPhys + 24, z ? h.ptov(z.phys) : 0n);
    storeU64(h, this.structPhys + 32, leaf !== undefined ? h.ptov(leaf) : 0n);
    storeU64(h, this.structPhys + 40, BigInt(this.nodePfn));
    storeU64(h, this.structPhys + 48, this.curPfn < 0 ? 0xffffffffffffffffn : BigInt(this.curPfn));
    storeU32(h, this.structPhys + 56, this.nodeBit);
  }

  testBitQuiet(pfn: number): boolean {
    if (!this.locate(pfn)) return false;
    return this.L.testBit(this.hitLeaf, this.hitBit);
  }

  setBitQuiet(pfn: number): void {
    if (!this.locate(pfn)) throw new ModelError('BM_BUG', `pfn 0x${pfn.toString(16)} not in bitmap`);
    this.L.setBit(this.hitLeaf, this.hitBit);
  }

  clearBitQuiet(pfn: number): void {
    if (this.locate(pfn)) this.L.clearBit(this.hitLeaf, this.hitBit);
  }

  forEachSet(fn: (pfn: number) => void): void {
    for (const z of this.zones) {
      for (let b = 0; b < z.leafPhys.length; b++) {
        const base = z.start + b * BM_BITS_PER_BLOCK;
        const bits = Math.min(z.end - base, BM_BITS_PER_BLOCK);
        const w = this.L.words[z.first + b] ?? null;
        let bit = findNextBit(w, bits, 0);
        while (bit < bits) {
          fn(base + bit);
          bit = findNextBit(w, bits, bit + 1);
        }
      }
    }
  }

  count(): number {
    let n = 0;
    const L = this.L;
    for (let k = 0; k < L.length; k++)
      n += L.form[k] === LEAF_ONES ? L.nbits[k]! : popcountWords(L.words[k] ?? null, L.nbits[k]!);
    return n;
  }

  clearAll(): void {
    for (let k = 0; k < this.L.length; k++) this.L.clearAll(k);
  }

  /** The leaves as bit blocks (stable: the words are views of the leaves' data pages). */
  private blockList: BitBlock[] | null = null;
  blocks32(): BitBlock[] {
    if (this.blockList) return this.blockList;
    const out: BitBlock[] = [];
    for (const z of this.zones) {
      for (let b = 0; b < z.leafPhys.length; b++) {
        const start = z.start + b * BM_BITS_PER_BLOCK;
        out.push(new LeafBlock(this.L, z.first + b, start, Math.min(z.end, start + BM_BITS_PER_BLOCK)));
      }
    }
    this.blockList = out;
    return out;
  }

  /** Tree shape for tests/inspector. */
  shape(): { start: number; end: number; levels: number; leaves: number; inner: number; rootPhys: number }[] {
    return this.zones.map((z) => ({
      start: z.start,
      end: z.end,
      levels: z.levels,
      leaves: z.leafPhys.length,
      inner: z.innerPhys.length,
      rootPhys: Math.max(z.rootPhys, 0),
    }));
  }
}
