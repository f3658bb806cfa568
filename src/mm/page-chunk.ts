/**
 * One chunk of struct pages (a max-order block, 1024 pages) page by page, as a
 * palette: the pages of a chunk hold few distinct (flags, _refcount,
 * _mapcount, private) records — a scattered workload leaves free pages, free
 * block heads of a few orders and its own pages of a few kinds, ≤ 9 per chunk
 * measured on a 16 GiB scattered fill — so each page keeps a one-byte index
 * into the chunk's records instead of 16 bytes of fields. The buddy free-list
 * node is the one field that differs per free block head; only free block
 * heads have one (at most every other page: two free buddies merge), so the
 * nodes are a list sorted by page.
 *
 * Layout:
 *   idx   Uint8Array(n)  the page's record; Uint16Array(n) once more than 256
 *                        records are in use (a hostile chunk: at most n)
 *   rec   Int32Array(4 × cap)  records: flags (u32 bits as i32), _refcount,
 *                        _mapcount, private
 *   dead  Uint8Array(cap)  1 = no page uses the record (found by a recount when
 *                        the records run out; reused before the table grows)
 *   nOff  Uint16Array(ncap)  pages that have (or had) a free-list node, ascending
 *   nVal  Int32Array(ncap)   their nodes (every other page reads -1); a page
 *                        that lost its node keeps its entry with -1 (a hole,
 *                        no shifting: rmv_page_order of a head costs a
 *                        search), refilled if the page becomes a head again
 *                        and squeezed out before the list would grow
 * ~1 KiB + the records for a chunk without free heads, + 6 bytes per free
 * head (~3.3 KiB for the ~386 heads per chunk of a 16 GiB scattered fill),
 * against 20 KiB for five 32-bit columns. Every allocation is charged to the
 * run's HostBudget (host-budget.ts) before it is made, with what its objects
 * and typed arrays cost the host beyond their elements (~1.3 KiB a chunk).
 * The list grows by the same rule with or without holes (only when every
 * entry holds a node), so the bytes charged depend only on the sequence of
 * node writes.
 */
import { type HostBudget, OBJECT_HOST_BYTES, TYPED_ARRAY_HOST_BYTES } from './host-budget.js';

/** Records a new chunk starts with room for. */
const INITIAL_RECORDS = 8;
/**
 * Bytes a chunk costs beyond its elements: the chunk object, its record free
 * list and three typed arrays (idx, rec, dead), each with its ArrayBuffer and
 * backing store (host-budget.ts measures them). The node list's two arrays are
 * charged when they are first made.
 */
const OVERHEAD = 2 * OBJECT_HOST_BYTES + 3 * TYPED_ARRAY_HOST_BYTES;
const EMPTY_OFF = new Uint16Array(0);
const EMPTY_VAL = new Int32Array(0);
/** makeRoom()'s record marks (a chunk's table at most: one per page). */
let recountScratch = new Uint8Array(1024);
/** Merge scratch of setNodesSorted (one chunk's list at most: 1024 entries of 16-bit offsets). */
let mergeOff = new Uint16Array(1024);
let mergeVal = new Int32Array(1024);

export class PageChunk {
  idx: Uint8Array | Uint16Array;
  rec: Int32Array;
  dead: Uint8Array;
  /** Pages with a free-list node (ascending) and their nodes; nN entries in use, nHoles of them -1. */
  nOff: Uint16Array = EMPTY_OFF;
  nVal: Int32Array = EMPTY_VAL;
  nN = 0;
  nHoles = 0;
  /** Records in use or dead (the table's high-water mark). */
  nrec = 1;
  /** Dead records to reuse (after a recount). */
  private free: number[] = [];
  /** The record found last (a run of writes mostly writes one record). */
  private hint = 0;
  /** Host bytes this chunk holds (charged to `budget`). */
  bytes: number;

  /** n pages, all with record (f, r, m, p) and no free-list node. */
  constructor(
    readonly n: number,
    f: number,
    r: number,
    m: number,
    p: number,
    private readonly budget: HostBudget | null,
  ) {
    this.bytes = OVERHEAD + n + INITIAL_RECORDS * 17;
    budget?.charge('struct pages', this.bytes);
    this.idx = new Uint8Array(n);
    this.rec = new Int32Array(4 * INITIAL_RECORDS);
    this.dead = new Uint8Array(INITIAL_RECORDS);
    this.rec[0] = f | 0;
    this.rec[1] = r;
    this.rec[2] = m;
    this.rec[3] = p;
  }

  /** Give back every byte the chunk charged (it is being dropped). */
  release(): void {
    this.budget?.release('struct pages', this.bytes);
    this.bytes = 0;
  }

  private grow(bytes: number): void {
    this.budget?.charge('struct pages', bytes);
    this.bytes += bytes;
  }

  f(i: number): number {
    return this.rec[this.idx[i]! << 2]! >>> 0;
  }
  r(i: number): number {
    return this.rec[(this.idx[i]! << 2) + 1]!;
  }
  m(i: number): number {
    return this.rec[(this.idx[i]! << 2) + 2]!;
  }
  p(i: number): number {
    return this.rec[(this.idx[i]! << 2) + 3]!;
  }
  nd(i: number): number {
    if (this.nN === 0) return -1;
    const k = this.nodeAt(i);
    return k < this.nN && this.nOff[k] === i ? this.nVal[k]! : -1;
  }

  /** The first entry of the node list at or after page i. */
  private nodeAt(i: number): number {
    const off = this.nOff;
    let lo = 0;
    let hi = this.nN;
    // Heads are mostly written in ascending order: check the end first.
    if (hi > 0 && off[hi - 1]! < i) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (off[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Page i's free-list node (-1: none). */
  setNode(i: number, v: number): void {
    if (this.nN === 0 && v === -1) return;
    const k = this.nodeAt(i);
    const n = this.nN;
    if (k < n && this.nOff[k] === i) {
      const was = this.nVal[k]!;
      this.nVal[k] = v;
      if (was === -1 && v !== -1) this.nHoles--;
      else if (was !== -1 && v === -1) this.nHoles++;
      return;
    }
    if (v === -1) return;
    if (n === this.nOff.length) {
      if (this.nHoles > 0) {
        this.squeeze();
        this.setNode(i, v);
        return;
      }
      this.reserveNodes(n + 1);
    }
    this.nOff.copyWithin(k + 1, k, n);
    this.nVal.copyWithin(k + 1, k, n);
    this.nOff[k] = i;
    this.nVal[k] = v;
    this.nN = n + 1;
  }

  /** Drop the holes from the node list (order kept). */
  private squeeze(): void {
    const off = this.nOff;
    const val = this.nVal;
    let w = 0;
    for (let k = 0, n = this.nN; k < n; k++) {
      const v = val[k]!;
      if (v === -1) continue;
      off[w] = off[k]!;
      val[w++] = v;
    }
    this.nN = w;
    this.nHoles = 0;
  }

  /**
   * Room for `live` nodes: the list doubles (16 at first) until they fit —
   * the growth one setNode() at a time makes when the live count reaches
   * the capacity, charged before it is made.
   */
  private reserveNodes(live: number): void {
    const have = this.nOff.length;
    if (live <= have) return;
    let cap = have;
    while (cap < live) {
      // One charge per doubling, as the one-at-a-time growth makes them; the first list also
      // pays for its two views and their buffer (host-budget.ts).
      const next = Math.max(16, cap * 2);
      this.grow(6 * (next - cap) + (cap === 0 ? 2 * TYPED_ARRAY_HOST_BYTES : 0));
      cap = next;
    }
    // One buffer for both columns (cap is a power of two >= 16: the nodes start 4-aligned).
    const buf = new ArrayBuffer(6 * cap);
    const o = new Uint16Array(buf, 0, cap);
    o.set(this.nOff.subarray(0, this.nN));
    this.nOff = o;
    const w = new Int32Array(buf, 2 * cap, cap);
    w.set(this.nVal.subarray(0, this.nN));
    this.nVal = w;
  }

  /**
   * setNode(pfn[k] - base, node[k]) for k in [from, to), the pages ascending
   * and distinct (free block heads being linked; a -1 removes): one merge
   * of the sorted list with the new entries instead of an insert each; the
   * same nodes and the same growth (and charges: the list grows to the
   * peak live count the calls pass through) as the setNode() calls.
   */
  setNodesSorted(pfn: Float64Array, node: Int32Array, from: number, to: number, base: number): void {
    const m = to - from;
    if (m <= 0) return;
    const n = this.nN;
    if (n === 0 || this.nOff[n - 1]! < pfn[from]! - base) {
      // All after the list's last entry (a chunk's heads written in pfn order): append.
      let add = 0;
      for (let k = from; k < to; k++) if (node[k] !== -1) add++;
      this.reserveNodes(n - this.nHoles + add);
      if (this.nN + add > this.nOff.length) this.squeeze();
      const off = this.nOff;
      const val = this.nVal;
      let w = this.nN;
      for (let k = from; k < to; k++) {
        const v = node[k]!;
        if (v === -1) continue;
        off[w] = pfn[k]! - base;
        val[w++] = v;
      }
      this.nN = w;
      return;
    }
    // The live count as the setNode() calls would move it, and its peak (what the list grows to).
    let live = n - this.nHoles;
    let peak = live;
    const srcOff = this.nOff;
    const srcVal = this.nVal;
    if (mergeOff.length < n + m) {
      mergeOff = new Uint16Array(n + m);
      mergeVal = new Int32Array(n + m);
    }
    const mo = mergeOff;
    const mv = mergeVal;
    let a = 0;
    let k = from;
    let w = 0;
    while (a < n || k < to) {
      const x = a < n ? srcOff[a]! : 0x10000;
      const y = k < to ? pfn[k]! - base : 0x10000;
      if (x < y) {
        const v = srcVal[a++]!;
        if (v === -1) continue; // a hole: squeezed out on the way (the list is rewritten)
        mo[w] = x;
        mv[w++] = v;
      } else {
        let was = -1;
        if (x === y) was = srcVal[a++]!;
        const v = node[k++]!;
        if (v !== -1 && was === -1 && ++live > peak) peak = live;
        else if (v === -1 && was !== -1) live--;
        if (v === -1) continue;
        mo[w] = y;
        mv[w++] = v;
      }
    }
    this.reserveNodes(peak);
    this.nOff.set(mo.subarray(0, w));
    this.nVal.set(mv.subarray(0, w));
    this.nN = w;
    this.nHoles = 0;
  }

  /** setNode(i, -1) for every page i in [lo, hi): the entries there become holes. */
  clearNodesIn(lo: number, hi: number): void {
    const n = this.nN;
    if (n === this.nHoles) return;
    const off = this.nOff;
    const val = this.nVal;
    let holes = 0;
    for (let k = this.nodeAt(lo); k < n && off[k]! < hi; k++) {
      if (val[k] !== -1) {
        val[k] = -1;
        holes++;
      }
    }
    this.nHoles += holes;
  }

  /**
   * setNode(pfn[k] - base, -1) for k in [from, to), the pages ascending and
   * distinct: one walk of the node list from the first page's entry.
   */
  clearNodesSorted(pfn: Float64Array, from: number, to: number, base: number): void {
    const n = this.nN;
    if (n === this.nHoles || from >= to) return;
    const off = this.nOff;
    const val = this.nVal;
    let holes = 0;
    let a = this.nodeAt(pfn[from]! - base);
    for (let k = from; k < to && a < n; k++) {
      const y = pfn[k]! - base;
      while (a < n && off[a]! < y) a++;
      if (a < n && off[a] === y && val[a] !== -1) {
        val[a] = -1;
        holes++;
      }
    }
    this.nHoles += holes;
  }

  /** Every page loses its free-list node. */
  clearNodes(): void {
    this.nN = 0;
    this.nHoles = 0;
  }

  /** Might a page of the chunk have a flag of `mask`? (false: no record, live or dead, has one). */
  mayHaveFlag(mask: number): boolean {
    const rec = this.rec;
    for (let e = 0, o = 0, n = this.nrec; e < n; e++, o += 4) if ((rec[o]! & mask) !== 0) return true;
    return false;
  }

  /** Page i gets record (f, r, m, p). */
  put(i: number, f: number, r: number, m: number, p: number): void {
    this.hint = this.putHinted(i, f, r, m, p, this.hint);
  }

  /**
   * put() trying record `hint` before a search (a caller writing a few
   * records by turns keeps one hint for each); returns page i's record, the
   * hint for the next write of (f, r, m, p).
   */
  putHinted(i: number, f: number, r: number, m: number, p: number, hint: number): number {
    f |= 0;
    const rec = this.rec;
    const cur = this.idx[i]!;
    let o = cur << 2;
    if (rec[o] === f && rec[o + 1] === r && rec[o + 2] === m && rec[o + 3] === p) return cur;
    o = hint << 2;
    if (
      hint < this.nrec &&
      rec[o] === f &&
      rec[o + 1] === r &&
      rec[o + 2] === m &&
      rec[o + 3] === p &&
      this.dead[hint] === 0
    ) {
      this.idx[i] = hint;
      return hint;
    }
    const e = this.entry(f, r, m, p);
    this.idx[i] = e;
    return e;
  }

  setF(i: number, v: number): void {
    this.put(i, v, this.r(i), this.m(i), this.p(i));
  }
  setR(i: number, v: number): void {
    this.put(i, this.f(i), v, this.m(i), this.p(i));
  }
  setM(i: number, v: number): void {
    this.put(i, this.f(i), this.r(i), v, this.p(i));
  }

  /** The live record (f, r, m, p) (f already i32), made when there is none. */
  private entry(f: number, r: number, m: number, p: number): number {
    const rec = this.rec;
    const dead = this.dead;
    for (let e = 0, o = 0; e < this.nrec; e++, o += 4) {
      if (rec[o] === f && rec[o + 1] === r && rec[o + 2] === m && rec[o + 3] === p && dead[e] === 0) return e;
    }
    let e = this.free.pop();
    if (e === undefined) {
      if (this.nrec === this.dead.length) this.makeRoom();
      e = this.free.pop() ?? this.nrec++;
    }
    dead[e] = 0;
    const o = e << 2;
    this.rec[o] = f;
    this.rec[o + 1] = r;
    this.rec[o + 2] = m;
    this.rec[o + 3] = p;
    return e;
  }

  /**
   * The record table is full: find the records no page uses (they become
   * reusable) and, unless that freed a quarter of it, double the table —
   * widening the index to 16 bits past 256 records.
   */
  private makeRoom(): void {
    const cap = this.dead.length;
    if (recountScratch.length < cap) recountScratch = new Uint8Array(cap);
    const used = recountScratch.fill(0, 0, cap);
    const idx = this.idx;
    for (let i = 0; i < this.n; i++) used[idx[i]!] = 1;
    this.free = [];
    for (let e = cap - 1; e >= 0; e--) {
      if (used[e] === 0) {
        this.dead[e] = 1;
        this.free.push(e);
      }
    }
    if (this.free.length * 4 >= cap) return;
    const ncap = cap * 2;
    const wide = ncap > 256 && this.idx instanceof Uint8Array;
    this.grow(ncap * 17 - cap * 17 + (wide ? this.n : 0));
    const rec = new Int32Array(4 * ncap);
    rec.set(this.rec);
    this.rec = rec;
    const dead = new Uint8Array(ncap);
    dead.set(this.dead);
    this.dead = dead;
    if (wide) this.idx = Uint16Array.from(this.idx);
  }
}
