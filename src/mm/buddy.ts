/**
 * The buddy allocator (mm/page_alloc.c): per zone, per order free lists of
 * 2^order-page blocks; freeing merges a block with its buddy (pfn ^ 2^order)
 * while the buddy is free with the same order (__free_one_page); allocation
 * takes the first block of the smallest non-empty order and splits it, the
 * upper halves going back to the lists (__rmqueue_smallest + expand).
 *
 * Migratetypes and per-cpu lists are not modelled (one list per zone/order).
 *
 * Free lists are doubly linked lists of block nodes in typed arrays (node id →
 * pfn, order, zone, prev, next); a free block head's struct page carries
 * PageBuddy, private = order and its node id (struct-page.ts), so finding and
 * unlinking a buddy is O(1). list_add puts a node at the head, list_add_tail
 * at the tail, like the kernel.
 */
import { ModelError } from '../errors.js';
import type { KernelProfile } from '../profiles/types.js';
import { type HostBudget, TYPED_ARRAY_HOST_BYTES } from './host-budget.js';
import { PG_INIT, type StructPages } from './struct-page.js';
import type { Zones } from './zones.js';

const NIL = -1;
/** freeRegion()'s mark of a head not looked at yet (no order or buddyOrder() answer is this). */
const UNREAD = -0x80000000;

export class Buddy {
  readonly maxOrder: number;
  private next: Int32Array;
  private prev: Int32Array;
  /** Block head pfn per node: 4 bytes while every pfn of the zones fits (below 16 TiB), else 8. */
  private pfnOf: Uint32Array | Float64Array;
  private orderOf: Int8Array;
  private zoneOfNode: Int8Array;
  private used = 0;
  /**
   * Unlinked node ids to reuse, LIFO, chained through `next` (a node off the
   * lists never reads its links): no side array that grows with the millions
   * of order-0 holes a scattered workload leaves.
   */
  private recycledHead = NIL;
  /** Node ids on the recycled chain (newNode() takes them before growing the arrays). */
  private recycledCount = 0;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  /** Blocks per zone/order (free_area[order].nr_free). */
  private readonly nrFreeBlocks: Float64Array;
  /** Free pages per zone (NR_FREE_PAGES). */
  readonly nrFreePages: Float64Array;
  private readonly reservedBit: number;
  /**
   * Bumped by every change to the blocks the node arrays describe (a node
   * made, linked, unlinked or taken): equal values mean forEachFreeBlockIn()
   * would call back with the same blocks in the same order (the free-page
   * marking reuses its last result then: markFreePagesAllZones()).
   */
  listVersion = 0;

  constructor(
    readonly profile: KernelProfile,
    readonly pages: StructPages,
    readonly zones: Zones,
  ) {
    this.maxOrder = profile.mm.maxOrder;
    const lists = zones.zones.length * (this.maxOrder + 1);
    this.heads = new Int32Array(lists).fill(NIL);
    this.tails = new Int32Array(lists).fill(NIL);
    this.nrFreeBlocks = new Float64Array(lists);
    this.nrFreePages = new Float64Array(zones.zones.length);
    const cap = 1024;
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    let endPfn = 0;
    for (const z of zones.zones) endPfn = Math.max(endPfn, z.startPfn + z.spannedPages);
    this.pfnOf = endPfn <= 2 ** 32 ? new Uint32Array(cap) : new Float64Array(cap);
    this.orderOf = new Int8Array(cap);
    this.zoneOfNode = new Int8Array(cap);
    this.reservedBit = profile.mm.pageFlags.bits.reserved;
  }

  private grow(min: number): void {
    let cap = this.next.length;
    while (cap < min) cap *= 2;
    if (cap === this.next.length) return;
    // The run's host budget (host-budget.ts) pays for the node arrays before they grow.
    this.pages.budget?.charge('free lists', (cap - this.next.length) * (10 + this.pfnOf.BYTES_PER_ELEMENT));
    const g = <T extends Int32Array | Uint32Array | Float64Array | Int8Array>(
      a: T,
      C: new (n: number) => T,
    ): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.next = g(this.next, Int32Array);
    this.prev = g(this.prev, Int32Array);
    this.pfnOf = this.pfnOf instanceof Uint32Array ? g(this.pfnOf, Uint32Array) : g(this.pfnOf, Float64Array);
    this.orderOf = g(this.orderOf, Int8Array);
    this.zoneOfNode = g(this.zoneOfNode, Int8Array);
  }

  private newNode(pfn: number, order: number, zone: number): number {
    this.listVersion++;
    let id = this.recycledHead;
    if (id !== NIL) {
      this.recycledHead = this.next[id]!;
      this.recycledCount--;
    } else {
      id = this.used++;
      this.grow(this.used);
    }
    this.pfnOf[id] = pfn;
    this.orderOf[id] = order;
    this.zoneOfNode[id] = zone;
    return id;
  }

  private listIndex(zone: number, order: number): number {
    return zone * (this.maxOrder + 1) + order;
  }

  /** list_add / list_add_tail. */
  private link(id: number, tail: boolean): void {
    this.listVersion++;
    const li = this.listIndex(this.zoneOfNode[id]!, this.orderOf[id]!);
    if (tail) {
      const t = this.tails[li]!;
      this.prev[id] = t;
      this.next[id] = NIL;
      if (t === NIL) this.heads[li] = id;
      else this.next[t] = id;
      this.tails[li] = id;
    } else {
      const h = this.heads[li]!;
      this.next[id] = h;
      this.prev[id] = NIL;
      if (h === NIL) this.tails[li] = id;
      else this.prev[h] = id;
      this.heads[li] = id;
    }
    this.nrFreeBlocks[li]!++;
    this.nrFreePages[this.zoneOfNode[id]!]! += 1 << this.orderOf[id]!;
  }

  /**
   * link() of nodes base .. base + n - 1 in that order, all of one zone/order
   * list: the list_add / list_add_tail of a section's max-order blocks at
   * boot, with the links written in one pass.
   */
  private linkRun(base: number, n: number, tail: boolean): void {
    if (n <= 0) return;
    this.listVersion++;
    const zone = this.zoneOfNode[base]!;
    const li = this.listIndex(zone, this.orderOf[base]!);
    const last = base + n - 1;
    const next = this.next;
    const prev = this.prev;
    if (tail) {
      const t = this.tails[li]!;
      for (let id = base; id <= last; id++) {
        prev[id] = id - 1;
        next[id] = id + 1;
      }
      prev[base] = t;
      next[last] = NIL;
      if (t === NIL) this.heads[li] = base;
      else next[t] = base;
      this.tails[li] = last;
    } else {
      // Each list_add() goes before the previous one: the list reads last .. base, old head.
      const h = this.heads[li]!;
      for (let id = base; id <= last; id++) {
        next[id] = id - 1;
        prev[id] = id + 1;
      }
      next[base] = h;
      prev[last] = NIL;
      if (h === NIL) this.tails[li] = base;
      else prev[h] = base;
      this.heads[li] = last;
    }
    this.nrFreeBlocks[li]! += n;
    this.nrFreePages[zone]! += n * POW2[this.orderOf[base]!]!;
  }

  /** list_del + recycle the node. */
  private unlink(id: number): void {
    this.unlinkKeep(id, this.zoneOfNode[id]!, this.orderOf[id]!);
    this.next[id] = this.recycledHead;
    this.recycledHead = id;
    this.recycledCount++;
  }

  /**
   * unlink() of a node whose zone and order the caller read from the block's
   * struct page (no loads from the node's own columns: a cache miss each at a
   * random node), without recycling it: the caller hands it to recycleSorted().
   */
  private unlinkKeep(id: number, zone: number, order: number): void {
    this.listVersion++;
    const li = this.listIndex(zone, order);
    const p = this.prev[id]!;
    const n = this.next[id]!;
    if (p === NIL) this.heads[li] = n;
    else this.next[p] = n;
    if (n === NIL) this.tails[li] = p;
    else this.prev[n] = p;
    this.nrFreeBlocks[li]!--;
    this.nrFreePages[zone]! -= POW2[order]!;
    this.orderOf[id] = -1; // not on a list (forEachFreeBlock skips it)
  }

  /**
   * unlinkKeep(node[b], zone[b], order[b]) for b < n, the loop written out:
   * each list_del() is a few random accesses into the node columns, and a
   * small loop body lets the next ones start before the last completes.
   */
  private unlinkBlocks(node: Int32Array, zone: Int8Array, order: Int8Array, n: number): void {
    const next = this.next;
    const prev = this.prev;
    const orderOf = this.orderOf;
    const heads = this.heads;
    const tails = this.tails;
    const nrBlocks = this.nrFreeBlocks;
    const nrPages = this.nrFreePages;
    const per = this.maxOrder + 1;
    for (let b = 0; b < n; b++) {
      const id = node[b]!;
      const z = zone[b]!;
      const o = order[b]!;
      const li = z * per + o;
      const p = prev[id]!;
      const nx = next[id]!;
      if (p === NIL) heads[li] = nx;
      else next[p] = nx;
      if (nx === NIL) tails[li] = p;
      else prev[nx] = p;
      nrBlocks[li]!--;
      nrPages[z]! -= POW2[o]!;
      orderOf[id] = -1; // not on a list (forEachFreeBlock skips it)
    }
    this.listVersion += n;
  }

  /**
   * Put the k unlinked node ids ids[0..k) on the recycled chain so that they
   * come off it in ascending order: the newNode()s of a bulk step then write
   * the node arrays in sequence, not at random ids, and pop the chain without
   * a cache miss per link (node ids are the model's own: nothing but the
   * lists reads them). ids is sorted in place.
   */
  private recycleSorted(ids: Int32Array | Float64Array, k: number): void {
    if (k === 0) return;
    let lo = ids[0]!;
    let hi = lo;
    for (let x = 1; x < k; x++) {
      const v = ids[x]!;
      if (v < lo) lo = v;
      else if (v > hi) hi = v;
    }
    const span = hi - lo + 1;
    const next = this.next;
    let head = this.recycledHead;
    if (k < 256 || span > 64 * k) {
      const s = ids.subarray(0, k).sort();
      for (let x = k - 1; x >= 0; x--) {
        const id = s[x]!;
        next[id] = head;
        head = id;
      }
    } else {
      // A dense set: through a bitmap of its span (at most 64 bits an id), walked downwards.
      const words = (span + 31) >>> 5;
      const bits = this.scratchInt(4, words);
      bits.fill(0);
      for (let x = 0; x < k; x++) {
        const r = ids[x]! - lo;
        bits[r >>> 5]! |= 1 << (r & 31);
      }
      for (let w = words - 1; w >= 0; w--) {
        let v = bits[w]!;
        while (v !== 0) {
          const b = 31 - Math.clz32(v);
          const id = lo + w * 32 + b;
          next[id] = head;
          head = id;
          v ^= 1 << b;
        }
      }
    }
    this.recycledHead = head;
    this.recycledCount += k;
  }

  /** set_page_order + __SetPageBuddy on the head. */
  private markHead(pfn: number, order: number, node: number): void {
    this.pages.setFreeHead(pfn, this.pages.buddyMapcount, order, node, 0);
  }

  /** rmv_page_order: clear PageBuddy and private. */
  private clearHead(pfn: number): void {
    this.pages.setBuddyFields(pfn, -1, 0, NIL);
  }

  /** page_is_buddy(page, buddy, order): valid, same zone, PageBuddy, same order. */
  private isFreeBuddy(buddyPfn: number, order: number, zone: number): boolean {
    if (!this.pages.sections.pfnValid(buddyPfn)) return false;
    if (this.pages.buddyOrder(buddyPfn) !== order) return false;
    return this.zones.zoneIndexOf(buddyPfn) === zone;
  }

  /**
   * __free_one_page(): merge upwards while the buddy is free, then add the
   * block at the head of its list, or at the tail when the next-order buddy
   * of the merged block is free (a merge is likely soon) — 3.10 for order <
   * MAX_ORDER-2, 6.x buddy_merge_likely() for order < MAX_PAGE_ORDER-1: the
   * same bound. `toTail` forces the tail (6.x FPI_TO_TAIL).
   */
  private freeOne(pfn: number, order: number, toTail: boolean): void {
    const zone = this.zones.zoneIndexOf(pfn);
    while (order < this.maxOrder) {
      const buddy = buddyOf(pfn, order);
      if (!this.isFreeBuddy(buddy, order, zone)) break;
      // page_is_buddy() found it at this order in this zone: the node's own columns say the same.
      const id = this.pages.buddyNode(buddy);
      this.unlinkKeep(id, zone, order);
      this.next[id] = this.recycledHead;
      this.recycledHead = id;
      this.recycledCount++;
      this.clearHead(buddy);
      pfn = Math.min(pfn, buddy);
      order++;
    }
    let tail = toTail;
    if (!tail && order < this.maxOrder - 1) {
      const higher = pfn - (pfn % POW2[order + 1]!);
      const higherBuddy = buddyOf(higher, order + 1);
      if (this.isFreeBuddy(higherBuddy, order + 1, zone)) tail = true;
    }
    const id = this.newNode(pfn, order, zone);
    this.markHead(pfn, order, id);
    this.link(id, tail);
  }

  /**
   * __free_pages_memory(start, end) at boot (free_all_bootmem /
   * memblock_free_all): largest naturally aligned chunks, ascending; each chunk's
   * pages lose PageReserved and get refcount 0 (__free_pages_boot_core /
   * __free_pages_core), then go through __free_one_page. Whole sections of
   * max-order chunks take a fast path that keeps the section compact (same
   * result: max-order blocks never merge).
   */
  freeBootRange(spfn: number, epfn: number): number {
    const per = this.pages.sections.pfnsPerSection;
    const block = 2 ** this.maxOrder;
    const toTail = this.profile.mm.bootFreeToTail;
    let freed = 0;
    let start = spfn;
    // One growth of the node arrays for the whole range (at most one node per max-order
    // block, plus the unaligned edges' smaller blocks), not a doubling per few sections.
    if (epfn > spfn) this.grow(this.used + Math.ceil((epfn - spfn) / block) + 2 * (this.maxOrder + 1));
    while (start < epfn) {
      const sec = Math.floor(start / per);
      if (
        start % per === 0 &&
        start + per <= epfn &&
        this.pages.isUniform(sec) &&
        (this.pages.uniformState(sec).flags & PG_INIT) !== 0
      ) {
        const zone = this.zones.zoneIndexOf(start);
        const n = per / block;
        const base = this.used;
        this.used += n;
        this.grow(this.used);
        for (let k = 0; k < n; k++) {
          const id = base + k;
          this.pfnOf[id] = start + k * block;
          this.orderOf[id] = this.maxOrder;
          this.zoneOfNode[id] = zone;
        }
        this.linkRun(base, n, toTail);
        this.pages.setSectionFreeMax(sec, base);
        this.zones.zones[zone]!.managedPages += per;
        freed += per;
        start += per;
        continue;
      }
      let order = start === 0 ? this.maxOrder : Math.min(this.maxOrder, ctz(start));
      while (start + 2 ** order > epfn) order--;
      const rb = this.reservedBit;
      this.pages.updateRange(start, start + 2 ** order, (st) => {
        st.flags &= ~(1 << rb);
        st.refcount = 0;
      });
      this.freeOne(start, order, toTail);
      this.zones.zones[this.zones.zoneIndexOf(start)]!.managedPages += 2 ** order;
      freed += 2 ** order;
      start += 2 ** order;
    }
    return freed;
  }

  /**
   * __rmqueue_smallest() + expand() in one zone: returns the pfn of a 2^order
   * block, or -1. The block's head gets refcount 1 (set_page_refcounted).
   */
  allocInZone(order: number, zone: number): number {
    for (let cur = order; cur <= this.maxOrder; cur++) {
      const li = this.listIndex(zone, cur);
      const id = this.heads[li]!;
      if (id === NIL) continue;
      const pfn = this.pfnOf[id]!;
      this.unlink(id);
      // expand(): hand back the upper halves, largest first, at the list head.
      let high = cur;
      while (high > order) {
        high--;
        const half = pfn + POW2[high]!;
        const nid = this.newNode(half, high, zone);
        this.markHead(half, high, nid);
        this.link(nid, false);
      }
      // rmv_page_order() on the head and set_page_refcounted(), in one store.
      this.pages.setFreeHead(pfn, -1, 0, NIL, 1);
      return pfn;
    }
    return -1;
  }

  /** Allocate walking the zonelist from `highestZone` down (Normal → DMA32 → DMA). */
  alloc(order: number, highestZone = this.zones.zones.length - 1): number {
    for (let z = highestZone; z >= 0; z--) {
      const pfn = this.allocInZone(order, z);
      if (pfn >= 0) return pfn;
    }
    return -1;
  }

  /**
   * take_page_off_buddy() (mm/page_alloc.c): take one specific free page out
   * of the free block that holds it; break_down_buddy_pages() returns the
   * other halves of the block to the free lists (at the head, like expand()).
   * Returns false when the page is not free. The model uses it to place a
   * long-running workload at scattered frames deterministically.
   */
  takePage(pfn: number): boolean {
    const pages = this.pages;
    if (!pages.sections.pfnValid(pfn)) return false;
    const o = pages.freeHeadOrder(pfn);
    if (o < 0) return false;
    const head = Math.floor(pfn / POW2[o]!) * POW2[o]!; // exact: a power-of-two divisor
    const node = pages.nodeOf(head);
    const zone = this.zoneOfNode[node]!;
    this.unlink(node);
    // break_down_buddy_pages(): keep halving towards the target page. The head's own fields
    // are rewritten below (it heads the lower half at some level, or it is the target).
    const mark = pages.buddyMapcount;
    let lo = head;
    for (let high = o - 1; high >= 0; high--) {
      const size = POW2[high]!;
      let other = lo;
      if (pfn < lo + size) other = lo + size;
      else lo += size;
      const nid = this.newNode(other, high, zone);
      pages.setFreeHead(other, mark, high, nid, 0);
      this.link(nid, false);
    }
    // rmv_page_order() on the old head when it is the target, and set_page_refcounted().
    if (pfn === head) pages.setFreeHead(pfn, -1, 0, NIL, 1);
    else pages.setRef(pfn, 1);
    return true;
  }

  /**
   * take_page_off_buddy() of n free, distinct pages, given in ascending pfn
   * order with `when[i]` = the position of pfns[i] in the sequence the calls
   * are made in (0 .. n-1, each once): the same struct pages and free lists as
   * n takePage() calls in that sequence (free-list node ids aside, which
   * nothing reads), done block by block in pfn order instead of at random
   * frames.
   *
   * Why it is the same: break_down_buddy_pages() never merges, so a free block
   * ends as the maximal aligned sub-blocks holding no taken page; each of those
   * was list_add()ed to its order's head when its parent was split, i.e. at
   * the parent's first take. One take adds at most one block per order, so a
   * list's new blocks come from distinct takes: the list ends as its
   * survivors, latest take first, then the untouched blocks in their old
   * order. A survivor head carries PageBuddy/order/node, a taken page is
   * cleared with _refcount 1, and every other page of the block is the clean
   * tail it was.
   *
   * Cost: per chunk, one lookup of its takes' blocks (freeBlocksSorted()),
   * one loop of their list_del()s and one struct-page call for its takes (a
   * wholly taken max-order block stays a compact chunk); the survivors are
   * put in take order by a counting sort of their take numbers (sequential
   * passes, not a chase through per-take chains), linked in that order, and
   * their heads written in pfn order in one call; the working arrays are
   * kept between calls.
   *
   * `claimFlags` / `claimMapcount` (when given): each taken page is then
   * claimed, page->flags |= claimFlags and _mapcount = claimMapcount (the
   * placer's orFlagsSetMapcount()), in the same store as its take — a claim
   * touches only the taken page's own struct page, which nothing in the
   * takes reads after it is taken.
   */
  takePagesSorted(
    pfns: Float64Array,
    when: Float64Array,
    n: number,
    claimFlags = 0,
    claimMapcount = -1,
  ): void {
    const pages = this.pages;
    const mark = pages.buddyMapcount;
    const sv = this.survivors(n);
    // The blocks' nodes, recycled at once in id order (recycleSorted) for the survivors' links:
    // kept in the survivors' node column, which is written only after (at most a block a take).
    let ngone = 0;
    // A chunk (one max-order block) at a time: its takes' blocks found in one call, then each
    // block split, then the chunk's list_del()s and struct-page stores. The three touch disjoint
    // state (free-list nodes, the survivor columns, the taken pages' struct pages), and a block's
    // lookup reads only its own pages, so the order among them is free.
    const cp = pages.chunkPages;
    const { bOrder, bNode, bFirst, bZone } = this.blockScratch(cp);
    for (let i = 0; i < n; ) {
      const cs = pfns[i]! - (pfns[i]! % cp);
      let jc = i + 1;
      while (jc < n && pfns[jc]! < cs + cp) jc++;
      const nb = pages.freeBlocksSorted(pfns, i, jc, bOrder, bNode, bFirst);
      let bad = -1;
      for (let b = 0; b < nb; b++) {
        const k0 = bFirst[b]!;
        const o = bOrder[b]!;
        if (o < 0) {
          bad = b;
          break;
        }
        const k1 = b + 1 < nb ? bFirst[b + 1]! : jc;
        const size = POW2[o]!;
        const head = Math.floor(pfns[k0]! / size) * size;
        // The block's zone (its node's): page_zone() of its head.
        const zone = this.zones.zoneIndexOf(head);
        bZone[b] = zone;
        sv.node[ngone++] = bNode[b]!;
        // At most one survivor per order per take.
        sv.reserve(sv.n + (k1 - k0) * o);
        const s0 = sv.n;
        splitOut(sv, pfns, when, head, o, k0, k1);
        const sz = sv.zone;
        for (let k = s0, e = sv.n; k < e; k++) sz[k] = zone;
      }
      // list_del() of the chunk's blocks in a loop of their own: the random node reads of one
      // do not wait on the previous one's.
      const done = bad < 0 ? nb : bad;
      this.unlinkBlocks(bNode, bZone, bOrder, done);
      // rmv_page_order() (a taken block head) and set_page_refcounted(), the takes at once
      // (with the caller's claim of each taken page: its own struct page only). A chunk of
      // several blocks all taken gets them block by block, as their separate takes leave it.
      const end = bad < 0 ? jc : bFirst[bad]!;
      if (end - i === cp && done > 1)
        for (let b = 0; b < done; b++)
          pages.setTakenSorted(
            pfns,
            bFirst[b]!,
            b + 1 < done ? bFirst[b + 1]! : end,
            claimFlags,
            claimMapcount,
          );
      else if (end > i) pages.setTakenSorted(pfns, i, end, claimFlags, claimMapcount);
      if (bad >= 0) {
        const p = pfns[bFirst[bad]!]!;
        throw new ModelError('BUDDY_NOT_FREE', `take of pfn 0x${p.toString(16)}: the page is not free`);
      }
      i = jc;
    }
    this.recycleSorted(sv.node, ngone);
    // list_add() of the survivors in take order (those of one take go to different lists, so
    // their order among themselves does not matter).
    const ns = sv.n;
    const sn = sv.node;
    const packed = this.byTime(sv, ns, n);
    const perm = this.sortedIdx;
    // Room for the nodes the recycled chain cannot supply (not ns more: the arrays would double
    // past what the lists ever hold).
    this.grow(this.used + Math.max(0, ns - this.recycledCount));
    // newNode() + link(id, false) of each, written out over the columns (grown above): the
    // recycled chain first, then fresh ids, each node at its list's head.
    const next = this.next;
    const prev = this.prev;
    const pfnOf = this.pfnOf;
    const orderOf = this.orderOf;
    const zoneOfNode = this.zoneOfNode;
    const heads = this.heads;
    const tails = this.tails;
    const nrBlocks = this.nrFreeBlocks;
    const nrPages = this.nrFreePages;
    const per = this.maxOrder + 1;
    let chain = this.recycledHead;
    let fromChain = 0;
    let used = this.used;
    for (let x = 0; x < ns; x++) {
      // Each survivor's pfn, zone and order packed in one double (pfn · 2^12 + zone · 2^6 +
      // order: exact for pfns below 2^41, beyond x86-64's 52-bit physical addresses).
      const v = packed[x]!;
      const pfn = Math.floor(v / 4096);
      const zo = v - pfn * 4096;
      const o = zo & 63;
      const z = zo >> 6;
      let id = chain;
      if (id !== NIL) {
        chain = next[id]!;
        fromChain++;
      } else id = used++;
      pfnOf[id] = pfn;
      orderOf[id] = o;
      zoneOfNode[id] = z;
      sn[perm[x]!] = id;
      const li = z * per + o;
      const h = heads[li]!;
      next[id] = h;
      prev[id] = NIL;
      if (h === NIL) tails[li] = id;
      else prev[h] = id;
      heads[li] = id;
      nrBlocks[li]!++;
      nrPages[z]! += POW2[o]!;
    }
    this.recycledHead = chain;
    this.recycledCount -= fromChain;
    this.used = used;
    this.listVersion += 2 * ns; // a newNode() and a link() each
    // The survivors' heads (PageBuddy, order, node), in pfn order.
    pages.setFreeHeads(sv.pfn, sv.order, sn, 0, ns, mark);
    this.releaseScratch();
  }

  /**
   * The survivors ordered by take number (sv.time, integers below `bound`),
   * stable: a counting sort (one counting pass, one placing pass, both
   * reading the survivors in sequence, a run of equal take numbers at once). Returns their packed (pfn, zone,
   * order) in that order; the survivor indices are left in `sortedIdx`.
   */
  private byTime(sv: Survivors, ns: number, bound: number): Float64Array {
    const count = this.scratchInt(2, bound + 1);
    count.fill(0);
    const idx = this.scratchInt(0, ns);
    const out = this.scratchF64(0, ns);
    const time = sv.time;
    const sp = sv.pfn;
    const sz = sv.zone;
    const so = sv.order;
    // Both passes go by runs of one take number (a take's survivors split off one sub-block are
    // consecutive): one count update per run instead of a random access per survivor.
    for (let k = 0; k < ns; ) {
      const t = time[k]!;
      let e = k + 1;
      while (e < ns && time[e] === t) e++;
      count[t + 1]! += e - k;
      k = e;
    }
    for (let t = 1; t <= bound; t++) count[t]! += count[t - 1]!;
    for (let k = 0; k < ns; ) {
      const t = time[k]!;
      let at = count[t]!;
      let e = k;
      do {
        idx[at] = e;
        out[at++] = sp[e]! * 4096 + sz[e]! * 64 + so[e]!;
        e++;
      } while (e < ns && time[e] === t);
      count[t] = at;
      k = e;
    }
    this.sortedIdx = idx;
    return out;
  }
  private sortedIdx: Int32Array = new Int32Array(0);

  /**
   * takePagesSorted()'s working arrays, kept between calls up to SCRATCH_KEEP
   * entries (a placement that falls back to alloc() flushes small batches
   * often); a bigger call gets fresh ones, dropped after it.
   */
  private sv: Survivors | undefined;
  /** takePagesSorted()'s blocks of one chunk (at most a block a page), kept: 10 bytes a page of a chunk. */
  private blocks: { bOrder: Int8Array; bNode: Int32Array; bFirst: Int32Array; bZone: Int8Array } | undefined;
  private blockScratch(cp: number) {
    if (!this.blocks) {
      // The run's host budget (host-budget.ts) pays for them before they are made.
      this.pages.budget?.charge('working arrays', cp * 10 + 4 * TYPED_ARRAY_HOST_BYTES);
      this.blocks = {
        bOrder: new Int8Array(cp),
        bNode: new Int32Array(cp),
        bFirst: new Int32Array(cp),
        bZone: new Int8Array(cp),
      };
    }
    return this.blocks;
  }
  private scratch: (Int32Array | undefined)[] = [];
  private survivors(n: number): Survivors {
    // About one survivor per take on a scattered placement: one growth at most.
    const cap = Math.max(16, n);
    if (!this.sv || this.sv.pfn.length < cap) {
      const budget = this.pages.budget;
      // The run's host budget (host-budget.ts) pays for working arrays too: before they are made.
      budget?.charge('working arrays', cap * SURVIVOR_BYTES);
      if (this.sv) budget?.release('working arrays', this.sv.pfn.length * SURVIVOR_BYTES);
      this.sv = new Survivors(cap, budget);
    }
    this.sv.n = 0;
    return this.sv;
  }
  private scratchInt(slot: number, len: number): Int32Array {
    const have = this.scratch[slot];
    if (have && have.length >= len) return have.subarray(0, len);
    const cap = Math.max(len, 64);
    this.pages.budget?.charge('working arrays', 4 * cap);
    if (have) this.pages.budget?.release('working arrays', have.byteLength);
    const a = new Int32Array(cap);
    this.scratch[slot] = a;
    return a.subarray(0, len);
  }
  private scratchD: (Float64Array | undefined)[] = [];
  private scratchF64(slot: number, len: number): Float64Array {
    const have = this.scratchD[slot];
    if (have && have.length >= len) return have.subarray(0, len);
    const cap = Math.max(len, 64);
    this.pages.budget?.charge('working arrays', 8 * cap);
    if (have) this.pages.budget?.release('working arrays', have.byteLength);
    const a = new Float64Array(cap);
    this.scratchD[slot] = a;
    return a.subarray(0, len);
  }
  private releaseScratch(): void {
    const budget = this.pages.budget;
    if (this.sv && this.sv.pfn.length > SCRATCH_KEEP) {
      budget?.release('working arrays', this.sv.pfn.length * SURVIVOR_BYTES);
      this.sv = undefined;
    }
    for (const list of [this.scratch, this.scratchD] as (Int32Array | Float64Array | undefined)[][])
      for (let k = 0; k < list.length; k++) {
        const a = list[k];
        if (a && a.length > SCRATCH_KEEP) {
          budget?.release('working arrays', a.byteLength);
          list[k] = undefined;
        }
      }
    this.sortedIdx = new Int32Array(0);
  }

  /** __free_pages(page, order): drop the reference and return the block. */
  free(pfn: number, order: number): void {
    if (pfn % 2 ** order !== 0) {
      throw new ModelError(
        'BUDDY_MISALIGNED',
        `free of order-${order} block at unaligned pfn 0x${pfn.toString(16)}`,
      );
    }
    if (this.pages.mapRaw(pfn) === this.pages.buddyMapcount) {
      throw new ModelError('BUDDY_DOUBLE_FREE', `pfn 0x${pfn.toString(16)} is already free`);
    }
    this.pages.setRefcount(pfn, 0);
    this.freeOne(pfn, order, false);
  }

  /** free_area[order].nr_free of a zone. */
  freeBlocks(zone: number, order: number): number {
    return this.nrFreeBlocks[this.listIndex(zone, order)]!;
  }

  /** Total free pages (nr_free_pages()). */
  get totalFreePages(): number {
    let n = 0;
    for (const v of this.nrFreePages) n += v;
    return n;
  }

  // ---- free-list links as the kernel's list_heads hold them (struct page lru, free_area heads) ----

  /** First / last block node of a zone's order list (NIL = -1 when empty). */
  listFirst(zone: number, order: number): number {
    return this.heads[this.listIndex(zone, order)]!;
  }
  listLast(zone: number, order: number): number {
    return this.tails[this.listIndex(zone, order)]!;
  }
  /** Neighbours of a free block node in its list (-1 at the ends: the list head). */
  nodeNext(id: number): number {
    return this.next[id]!;
  }
  nodePrev(id: number): number {
    return this.prev[id]!;
  }
  nodePfn(id: number): number {
    return this.pfnOf[id]!;
  }
  nodeZone(id: number): number {
    return this.zoneOfNode[id]!;
  }
  nodeOrder(id: number): number {
    return this.orderOf[id]!;
  }

  /** Iterate a free list from head to tail: [pfn, ...]. */
  /** The heads of one free list, in list order, without a generator (hot: mark_free_pages). */
  forEachFreeHead(zone: number, order: number, fn: (pfn: number) => void): void {
    for (let id = this.heads[this.listIndex(zone, order)]!; id !== NIL; id = this.next[id]!)
      fn(this.pfnOf[id]!);
  }

  /**
   * Every free block of a zone as (head pfn, order), in node order rather than
   * list order: a linear scan of the node arrays instead of chasing list links,
   * for callers that only mark pages (mark_free_pages()).
   */
  forEachFreeBlock(zone: number, fn: (pfn: number, order: number) => void): void {
    const order = this.orderOf;
    const zn = this.zoneOfNode;
    const pfns = this.pfnOf;
    for (let id = 0, n = this.used; id < n; id++) {
      const o = order[id]!;
      if (o >= 0 && zn[id] === zone) fn(pfns[id]!, o);
    }
  }

  /** forEachFreeBlock() for the zones whose bit is set in `zoneMask`, in one scan. */
  forEachFreeBlockIn(zoneMask: number, fn: (pfn: number, order: number) => void): void {
    const order = this.orderOf;
    const zn = this.zoneOfNode;
    const pfns = this.pfnOf;
    for (let id = 0, n = this.used; id < n; id++) {
      const o = order[id]!;
      if (o >= 0 && (zoneMask >> zn[id]!) & 1) fn(pfns[id]!, o);
    }
  }

  *listPfns(zone: number, order: number): Generator<number> {
    for (let id = this.heads[this.listIndex(zone, order)]!; id !== NIL; id = this.next[id]!)
      yield this.pfnOf[id]!;
  }

  // ---- bulk order-0 allocation and freeing (the hibernation core's page loops) ----

  /**
   * n calls of alloc(0, highestZone), stopping at the first failure; the pfns
   * go to `sink` in allocation order as runs of consecutive pfns. Returns how
   * many were allocated.
   *
   * Each alloc(0) is __rmqueue_smallest() at order 0 in the highest zone with
   * a free block (allocation never adds pages, so that zone changes only when
   * it runs dry). Two bulk forms give the same pfns, struct pages and lists:
   *  - a non-empty order-0 list: each alloc(0) takes its head (list_del, no
   *    expand()), so k allocations take its first k blocks in list order;
   *  - order-0 list empty, smallest non-empty order k: alloc(0) takes that
   *    list's first block and expand() puts its upper halves on the order
   *    k-1 … 0 heads, each then the only block of its (smallest non-empty)
   *    order; the next alloc(0) takes the order-0 half, the next splits the
   *    order-1 half, and so on — the block's 2^k pages come out ascending and
   *    the lower lists are empty again after the last one. So m · 2^k
   *    allocations take the list's first m blocks whole, in list order.
   * Every page handed out ends with _refcount 1, no PageBuddy, private 0
   * (set_page_refcounted / rmv_page_order). The last block, when fewer than
   * its 2^k pages are wanted, goes page by page (allocInZone()).
   */
  allocBulk(n: number, highestZone: number, sink: (pfn: number, len: number) => void): number {
    return this.allocBulkCore(n, highestZone, sink, null);
  }

  /**
   * allocBulk() for callers that only mark the frames (memory_bm_set_bit per
   * page: the order does not matter to them): the same allocations, struct
   * pages and free lists, the frames handed to `batch` as blocks of `size`
   * pages [starts[i], starts[i] + size) for i in [from, to), starts ascending
   * within a call — a list's first blocks at once, not a run per list entry
   * (a scattered order-0 list gives runs of one page). `lastAllocated` is
   * then the last page allocation order gives (-1: none). Returns the count.
   */
  allocBulkSorted(
    n: number,
    highestZone: number,
    batch: (starts: Float64Array, from: number, to: number, size: number) => void,
  ): number {
    return this.allocBulkCore(n, highestZone, null, batch);
  }

  /** The last page allocBulkSorted() handed out, in allocation order (-1: none). */
  lastAllocated = -1;

  private allocBulkCore(
    n: number,
    highestZone: number,
    sink: ((pfn: number, len: number) => void) | null,
    batch: ((starts: Float64Array, from: number, to: number, size: number) => void) | null,
  ): number {
    const per = this.maxOrder + 1;
    const pages = this.pages;
    let got = 0;
    let runStart = -1;
    let runLen = 0;
    let zone = -1;
    let last = -1;
    // Runs in allocation order for `sink` (consecutive pfns merged).
    const emit = (pfn: number, len: number): void => {
      if (runLen > 0 && pfn === runStart + runLen) runLen += len;
      else {
        if (runLen > 0) sink!(runStart, runLen);
        runStart = pfn;
        runLen = len;
      }
    };
    while (got < n) {
      if (zone < 0 || this.nrFreePages[zone] === 0) {
        zone = -1;
        for (let z = highestZone; z >= 0 && zone < 0; z--) {
          if (this.nrFreePages[z]! > 0) zone = z;
        }
        if (zone < 0) break;
      }
      const base = zone * per;
      let order = 0;
      while (order <= this.maxOrder && this.heads[base + order] === NIL) order++;
      if (order > this.maxOrder) break; // cannot happen: the zone has a free block
      const li = base + order;
      const size = POW2[order]!;
      const want = Math.min(Math.floor((n - got) / size), this.nrFreeBlocks[li]!);
      if (want === 0) {
        // Fewer than the block's pages wanted: the block goes page by page.
        const pfn = this.allocInZone(0, zone);
        if (pfn < 0) break; // cannot happen: the zone has a free block
        if (sink) emit(pfn, 1);
        else {
          const one = this.scratchF64(2, 1);
          one[0] = pfn;
          batch!(one, 0, 1, 1);
        }
        last = pfn;
        got++;
        continue;
      }
      // The list's first `want` blocks, in list order: list_del of each from the head.
      const next = this.next;
      const pfnOf = this.pfnOf;
      const orderOf = this.orderOf;
      const taken = this.scratchF64(1, want);
      // The taken nodes' ids go through `sorted` (filled with the pfns below) to recycleSorted().
      const sorted = this.scratchF64(2, want);
      const ids = sorted;
      let id = this.heads[li]!;
      let k = 0;
      this.listVersion++;
      while (id !== NIL && k < want) {
        ids[k] = id;
        taken[k++] = pfnOf[id]!;
        orderOf[id] = -1; // not on a list (forEachFreeBlock skips it)
        id = next[id]!;
      }
      this.recycleSorted(ids, k);
      this.heads[li] = id;
      if (id === NIL) this.tails[li] = NIL;
      else this.prev[id] = NIL;
      this.nrFreeBlocks[li]! -= k;
      this.nrFreePages[zone]! -= k * size;
      got += k * size;
      last = taken[k - 1]! + size - 1;
      // rmv_page_order() on each head and set_page_refcounted() on every page, in pfn order (a
      // chunk's pages at once rather than a jump per list entry; the blocks are disjoint).
      // The sink sees each run after its pages' stores, as with a store per take.
      this.sortDistinct(taken, k, sorted);
      if (order === 0) pages.setTakenSorted(sorted, 0, k);
      else if (size <= 64) {
        // Small blocks (a scattered order-1 list): their pages as ascending lists of up to
        // 2^16 pfns, a chunk lookup per chunk rather than per block.
        const per = Math.floor(65536 / size);
        const each = this.scratchF64(3, Math.min(k, per) * size);
        for (let x0 = 0; x0 < k; x0 += per) {
          const x1 = Math.min(k, x0 + per);
          let q = 0;
          for (let x = x0; x < x1; x++) for (let p = sorted[x]!, e = p + size; p < e; p++) each[q++] = p;
          pages.setTakenSorted(each, 0, q);
        }
      } else for (let x = 0; x < k; x++) pages.setTakenRange(sorted[x]!, sorted[x]! + size);
      if (sink) for (let x = 0; x < k; x++) emit(taken[x]!, size);
      else batch!(sorted, 0, k, size);
    }
    if (runLen > 0) sink!(runStart, runLen);
    this.lastAllocated = last;
    this.releaseScratch();
    return got;
  }

  /**
   * dst[0..k) = src[0..k) ascending (distinct integers, dst another array). A
   * dense set — a scattered list's first blocks lie within one zone — goes
   * through a bitmap of its span (two linear passes); a sparse or small one
   * through the typed array's sort.
   */
  private sortDistinct(src: Float64Array, k: number, dst: Float64Array): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      const v = src[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi - lo + 1;
    if (k < 256 || span > 64 * k || span > 2 ** 31) {
      dst.set(src.subarray(0, k));
      dst.sort();
      return;
    }
    // At most 64 bits per entry: the bitmap is at most the size of the doubles sorted.
    const words = Math.ceil(span / 32);
    const bits = this.scratchInt(1, words);
    bits.fill(0);
    for (let i = 0; i < k; i++) {
      const r = src[i]! - lo;
      bits[r >>> 5]! |= 1 << (r & 31);
    }
    let x = 0;
    for (let w = 0; w < words; w++) {
      let v = bits[w]!;
      while (v !== 0) {
        const t = v & -v;
        dst[x++] = lo + w * 32 + (31 - Math.clz32(t));
        v ^= t;
      }
    }
  }

  /**
   * free(p, 0) for p = pfn … pfn + len - 1, ascending. The range is cut into
   * the largest naturally aligned blocks it holds (like __free_pages_memory());
   * a block of 2^k pages whose pages are all allocated (_refcount > 0,
   * _mapcount -1, private 0) and of one zone is freed at once as
   * __free_one_page(head, k) — the same result as its pages one by one:
   * page q's buddy at every order below k lies inside the block, and is free
   * only when it is the already freed lower half, so the merges stay inside
   * the block until its last page completes it; every block linked on the way
   * is unlinked again (list_add + list_del leave the other entries' order as
   * it was), and from the last page on the merge continues outside the block
   * exactly as from the block's head at order k (the tail/head choice is
   * made on the final block). Each page ends with _refcount 0 and the
   * allocated page's plain fields; the merged head gets PageBuddy. Other
   * blocks go page by page (free(), which also reports a double free).
   */
  freeBulk(pfn: number, len: number): void {
    const end = pfn + len;
    const max = this.maxOrder;
    const pages = this.pages;
    let p = pfn;
    while (p < end) {
      let order = p === 0 ? max : Math.min(max, ctz(p));
      while (p + POW2[order]! > end) order--;
      if (order > 0 && this.freeBlockBulk(p, order)) {
        p += POW2[order]!;
        continue;
      }
      // free(p, 0), with its checks (p is aligned at order 0).
      if (pages.mapRaw(p) === pages.buddyMapcount) {
        throw new ModelError('BUDDY_DOUBLE_FREE', `pfn 0x${p.toString(16)} is already free`);
      }
      pages.setRefcount(p, 0);
      this.freeOne(p, 0, false);
      p++;
    }
  }

  /**
   * free(p, 0) for every page of the runs `produce` hands to `emit` — (pfn,
   * len), ascending and disjoint —, in that order: swsusp_free()'s
   * __free_page() loop over the image pages. The same struct pages, free
   * lists (in list order) and counts as the per-page frees (free-list node
   * ids aside, which nothing reads).
   *
   * Why it can go a max-order block at a time: a merge of __free_one_page()
   * never leaves the 2^maxOrder-aligned block it starts in, nor does the
   * buddy_merge_likely() test (order < maxOrder - 1), so the frees in one
   * such block read and write only that block's pages and free-list entries.
   * The blocks come in ascending order, so all of a block's list_add()s come
   * after the previous block's; list_del()s leave the other entries' order as
   * it was. Within a block (freeRegion) the frees are replayed on a small
   * local map of free-block heads — only the blocks still free at the end are
   * given a node, linked in free order and written to their struct pages; a
   * block a later free merges is never linked (its link and unlink would
   * cancel). A whole block of frees is freeBulk()'s (one __free_one_page).
   */
  freeSortedRuns(produce: (emit: (pfn: number, len: number) => void) => void): void {
    const size = POW2[this.maxOrder]!;
    const offs = this.regionOffs(size);
    let base = -1;
    let cnt = 0;
    const flush = (): void => {
      if (cnt > 0) this.freeRegion(base, offs, cnt);
      cnt = 0;
    };
    produce((pfn, len) => {
      for (let p = pfn, end = pfn + len; p < end; ) {
        const b = Math.floor(p / size) * size;
        if (b !== base) {
          flush();
          base = b;
        }
        const e = Math.min(end, b + size);
        for (let o = p - b, oe = e - b; o < oe; o++) offs[cnt++] = o;
        p = e;
      }
    });
    flush();
  }

  /** freeSortedRuns()'s buffers, one max-order block each (kept: 36 bytes a page of one block). */
  private rOffs: Int32Array | undefined;
  private rLoc = new Int32Array(0);
  private rEvAt = new Int32Array(0);
  private rEvOff = new Int32Array(0);
  private rEvOrd = new Int8Array(0);
  private rEvTail = new Uint8Array(0);
  private rEvLive = new Uint8Array(0);
  private rHeadPfn = new Float64Array(0);
  private rHeadOrd = new Int8Array(0);
  private rHeadNode = new Int32Array(0);
  private regionOffs(size: number): Int32Array {
    if (!this.rOffs) {
      // The run's host budget (host-budget.ts) pays for them before they are made.
      this.pages.budget?.charge('working arrays', size * 36 + 11 * TYPED_ARRAY_HOST_BYTES);
      this.rOffs = new Int32Array(size);
      this.rCl = new Int32Array(size);
      this.rLoc = new Int32Array(size);
      this.rEvAt = new Int32Array(size);
      this.rEvOff = new Int32Array(size);
      this.rEvOrd = new Int8Array(size);
      this.rEvTail = new Uint8Array(size);
      this.rEvLive = new Uint8Array(size);
      this.rHeadPfn = new Float64Array(size);
      this.rHeadOrd = new Int8Array(size);
      this.rHeadNode = new Int32Array(size);
    }
    return this.rOffs;
  }

  /**
   * free(base + offs[i], 0) for i in [0, cnt), offsets ascending and distinct,
   * all inside the max-order block at `base` (see freeSortedRuns). Replayed
   * on a local map of the block's free heads (`loc`: the order of the free
   * block headed at an offset, -1 none, UNREAD not looked at yet — read from
   * the struct page when first needed, as __free_one_page()'s page_is_buddy()
   * reads it). Each free is one __free_one_page(): merges with every buddy
   * whose head is free at the same order (a block freed earlier here is then
   * dropped, a block free before the call is list_del()ed now), then the
   * to-tail choice on the merged block, then its list_add as an event. At the
   * end the live events are linked in free order (ascending pfn: a later
   * merged block that lies below an earlier one contains it) and the struct
   * pages written: each freed page _refcount 0, each list_del()ed old head
   * rmv_page_order()ed, each live head PageBuddy with its order and node.
   * A block the local replay cannot stand for goes page by page: one outside
   * the memmap or whose zone changes inside it, or with a page that is not
   * plainly allocated (_mapcount -1, private 0: a mapped page keeps its
   * _mapcount page by page, a double free must throw at its page).
   */
  private freeRegion(base: number, offs: Int32Array, cnt: number): void {
    const pages = this.pages;
    const max = this.maxOrder;
    const size = POW2[max]!;
    if (cnt === size) {
      // The whole block: one __free_one_page() at maxOrder when its pages allow (freeBulk).
      this.freeBulk(base, size);
      return;
    }
    if (
      !pages.sections.pfnValid(base) ||
      this.zones.deviceRanges.length > 0 ||
      this.zones.zoneIndexOf(base) !== this.zones.zoneIndexOf(base + size - 1) ||
      !pages.plainIn(base, offs, cnt)
    ) {
      for (let i = 0; i < cnt; i++) this.freeBulk(base + offs[i]!, 1);
      return;
    }
    const zone = this.zones.zoneIndexOf(base);
    const loc = this.rLoc.fill(UNREAD);
    const evAt = this.rEvAt.fill(-1);
    const evOff = this.rEvOff;
    const evOrd = this.rEvOrd;
    const evTail = this.rEvTail;
    const evLive = this.rEvLive;
    let nev = 0;
    for (let i = 0; i < cnt; i++) {
      let cur = offs[i]!;
      let k = 0;
      // __free_one_page(): merge while the buddy heads a free block of the same order.
      while (k < max) {
        const b = cur ^ (1 << k);
        let ob = loc[b]!;
        if (ob === UNREAD) ob = loc[b] = pages.buddyOrder(base + b);
        if (ob !== k) break;
        const e = evAt[b]!;
        if (e >= 0) {
          // Linked by an earlier free of this block: that link is undone.
          evLive[e] = 0;
          evAt[b] = -1;
        } else {
          // Free before the call: list_del() now; its head is cleared below (rmv_page_order).
          const id = pages.buddyNode(base + b);
          this.unlinkKeep(id, zone, k);
          this.next[id] = this.recycledHead;
          this.recycledHead = id;
          this.recycledCount++;
          this.rCleared(b);
        }
        loc[b] = -1;
        if (b < cur) cur = b;
        k++;
      }
      // The to-tail choice (buddy_merge_likely / 3.10's higher-buddy test), as freeOne() makes it.
      let tail = 0;
      if (k < max - 1) {
        const hb = (cur & -(2 << k)) ^ (2 << k);
        let oh = loc[hb]!;
        if (oh === UNREAD) oh = loc[hb] = pages.buddyOrder(base + hb);
        if (oh === k + 1) tail = 1;
      }
      loc[cur] = k;
      evAt[cur] = nev;
      evOff[nev] = cur;
      evOrd[nev] = k;
      evTail[nev] = tail;
      evLive[nev++] = 1;
    }
    // The struct pages: the freed pages' _refcount, the old heads merged away, then the live heads.
    pages.setRefcountZeroIn(base, offs, cnt);
    const cl = this.rCl;
    for (let i = 0; i < this.rNcl; i++) pages.setBuddyFields(base + cl[i]!, -1, 0, NIL);
    this.rNcl = 0;
    const hp = this.rHeadPfn;
    const ho = this.rHeadOrd;
    const hn = this.rHeadNode;
    let nh = 0;
    for (let e = 0; e < nev; e++) {
      if (evLive[e] === 0) continue;
      const pfn = base + evOff[e]!;
      const order = evOrd[e]!;
      const id = this.newNode(pfn, order, zone);
      this.link(id, evTail[e] === 1);
      hp[nh] = pfn;
      ho[nh] = order;
      hn[nh++] = id;
    }
    pages.setFreeHeads(hp, ho, hn, 0, nh, pages.buddyMapcount);
  }
  /** freeRegion()'s old heads merged away (offsets: each at most once), cleared after the replay. */
  private rCl = new Int32Array(0);
  private rNcl = 0;
  private rCleared(off: number): void {
    this.rCl[this.rNcl++] = off;
  }

  /**
   * freeBulk()'s block form: the 2^order pages at `head` freed at once when
   * they are all allocated and in one zone (see freeBulk); false, with
   * nothing changed, otherwise.
   */
  private freeBlockBulk(head: number, order: number): boolean {
    const pages = this.pages;
    if (!pages.sections.pfnValid(head)) return false;
    const size = POW2[order]!;
    const zone = this.zones.zoneIndexOf(head);
    if (this.zones.deviceRanges.length > 0) {
      for (let q = head + 1; q < head + size; q++) if (this.zones.zoneIndexOf(q) !== zone) return false;
    }
    if (order === this.maxOrder) {
      // A whole chunk: its form answers at once.
      if (!pages.blockAllocated(head) || !this.plainAllocated(head, size)) return false;
      pages.setBlockFields(head, 0);
    } else {
      if (!this.plainAllocated(head, size)) return false;
      for (let q = head, e = head + size; q < e; q++) pages.setRefcount(q, 0);
    }
    this.freeOne(head, order, false);
    return true;
  }

  /** Does every page of [head, head + n) hold a reference, _mapcount -1 and private 0? */
  private plainAllocated(head: number, n: number): boolean {
    const pages = this.pages;
    if (n <= 64) {
      // A few pages: read each (no closure per block).
      for (let q = head, e = head + n; q < e; q++) {
        const st = pages.peek(q);
        if (st.refcount === 0 || st.mapcount !== -1 || st.private !== 0) return false;
      }
      return true;
    }
    let ok = true;
    pages.forEachStateRun(head, head + n, (_f, r, m, p) => {
      if (r === 0 || m !== -1 || p !== 0) ok = false;
    });
    return ok;
  }

  /** Is `pfn` inside some free block? (mark_free_pages-style lookup, walks down the orders). */
  isFree(pfn: number): boolean {
    for (let o = 0; o <= this.maxOrder; o++) {
      const head = pfn - (pfn % 2 ** o);
      if (!this.pages.sections.pfnValid(head)) return false;
      const st = this.pages.peek(head);
      if (st.mapcount === this.pages.buddyMapcount && st.private >= o) return true;
    }
    return false;
  }
}

/** takePagesSorted()'s surviving free blocks: pfn, order, node, take number (growable columns). */
class Survivors {
  n = 0;
  pfn: Float64Array;
  order: Int8Array;
  /** The free-list node (set by takePagesSorted()). */
  node: Int32Array;
  /** The take that split its parent (the first take in the parent block). */
  time: Uint32Array;
  /** The zone of the block it was split from (set by takePagesSorted()). */
  zone: Int8Array;

  constructor(
    cap: number,
    private readonly budget: HostBudget | null,
  ) {
    this.pfn = new Float64Array(cap);
    this.order = new Int8Array(cap);
    this.node = new Int32Array(cap);
    this.time = new Uint32Array(cap);
    this.zone = new Int8Array(cap);
  }

  /** Room for `want` entries (the columns keep what they hold). */
  reserve(want: number): void {
    if (want <= this.pfn.length) return;
    let cap = this.pfn.length * 2;
    while (cap < want) cap *= 2;
    this.budget?.charge('working arrays', (cap - this.pfn.length) * SURVIVOR_BYTES);
    const f = new Float64Array(cap);
    f.set(this.pfn);
    this.pfn = f;
    const o = new Int8Array(cap);
    o.set(this.order);
    this.order = o;
    const nd = new Int32Array(cap);
    nd.set(this.node);
    this.node = nd;
    const t = new Uint32Array(cap);
    t.set(this.time);
    this.time = t;
    const z = new Int8Array(cap);
    z.set(this.zone);
    this.zone = z;
  }
}

/**
 * break_down_buddy_pages() of the free block [lo, lo + 2^order) for all the
 * takes pfns[i..j) in it at once: each half without a take survives, added
 * when the block was split (its first take, the least `when` of the block);
 * a half with takes splits again. Survivors are added in pfn order (a slot
 * is taken before the other half is visited, its time filled after);
 * returns the least `when` of pfns[i..j). Room for the survivors must be
 * reserved.
 */
function splitOut(
  sv: Survivors,
  pfns: Float64Array,
  when: Float64Array,
  lo: number,
  order: number,
  i: number,
  j: number,
): number {
  if (order === 0) return when[i]!; // the taken page itself
  if (j - i === 1) {
    // One take: the sibling of its block at every order survives (offsets below 2^maxOrder).
    const t = when[i]!;
    const off = pfns[i]! - lo;
    let k = sv.n;
    for (let q = order - 1; q >= 0; q--) {
      if ((off >> q) & 1) {
        sv.pfn[k] = lo + ((off >> (q + 1)) << (q + 1));
        sv.order[k] = q;
        sv.time[k++] = t;
      }
    }
    for (let q = 0; q < order; q++) {
      if (((off >> q) & 1) === 0) {
        sv.pfn[k] = lo + ((off >> q) << q) + (1 << q);
        sv.order[k] = q;
        sv.time[k++] = t;
      }
    }
    sv.n = k;
    return t;
  }
  const half = POW2[order - 1]!;
  const mid = lo + half;
  // The first take in the upper half (binary search: the takes are ascending).
  let a = i;
  let b = j;
  while (a < b) {
    const c = (a + b) >>> 1;
    if (pfns[c]! < mid) a = c + 1;
    else b = c;
  }
  const m = a;
  if (m === i) {
    // Lower half free: it survives, split off at the upper half's first take.
    const k = sv.n++;
    sv.pfn[k] = lo;
    sv.order[k] = order - 1;
    const t = splitOut(sv, pfns, when, mid, order - 1, i, j);
    sv.time[k] = t;
    return t;
  }
  if (m === j) {
    const t = splitOut(sv, pfns, when, lo, order - 1, i, j);
    const k = sv.n++;
    sv.pfn[k] = mid;
    sv.order[k] = order - 1;
    sv.time[k] = t;
    return t;
  }
  const t1 = splitOut(sv, pfns, when, lo, order - 1, i, m);
  const t2 = splitOut(sv, pfns, when, mid, order - 1, m, j);
  return Math.min(t1, t2);
}

/** Entries of takePagesSorted()'s working arrays kept for the next call. */
const SCRATCH_KEEP = 1 << 17;
/** Host bytes of one Survivors entry: pfn f64, order i8, node i32, time u32, zone i8. */
const SURVIVOR_BYTES = 18;

/** 2^order, looked up (per merge step: no Math.pow). */
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);

/** __find_buddy_pfn(): pfn ^ (1 << order), in double arithmetic (pfns can exceed 2^31). */
export function buddyOf(pfn: number, order: number): number {
  const size = POW2[order]!;
  return (Math.floor(pfn / size) & 1) === 0 ? pfn + size : pfn - size;
}

/** __ffs(): index of the lowest set bit (x > 0, up to 2^52). */
export function ctz(x: number): number {
  let n = 0;
  while (x % 2 === 0 && n < 64) {
    x /= 2;
    n++;
  }
  return n;
}
