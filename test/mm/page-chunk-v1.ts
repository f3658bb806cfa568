/**
 * TEST ORACLE: PageChunk as it was before free-list nodes got holes and bulk
 * writes (src/mm/page-chunk.ts at c7d6b8b, renamed PageChunkV1): every
 * setNode() an insert or removal in the sorted list. The property test holds
 * the current form's bulk node writes to this one's setNode() calls —
 * same reads and the same bytes charged (its charges follow the current
 * policy: typed arrays with their host overhead, host-budget.ts).
 *
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
 *   nOff  Uint16Array(ncap)  pages that have a free-list node, ascending
 *   nVal  Int32Array(ncap)   their nodes (every other page reads -1)
 * ~1 KiB + the records for a chunk without free heads, + 6 bytes per free
 * head (~3.3 KiB for the ~386 heads per chunk of a 16 GiB scattered fill),
 * against 20 KiB for five 32-bit columns. Every allocation is charged to the
 * run's HostBudget (host-budget.ts) before it is made.
 */
import { type HostBudget, OBJECT_HOST_BYTES, TYPED_ARRAY_HOST_BYTES } from '../../src/mm/host-budget.js';

/** Records a new chunk starts with room for. */
const INITIAL_RECORDS = 8;
/** Bytes a chunk costs beyond its typed arrays (object headers, array buffers' bookkeeping). */
const OVERHEAD = 2 * OBJECT_HOST_BYTES + 3 * TYPED_ARRAY_HOST_BYTES;
const EMPTY_OFF = new Uint16Array(0);
const EMPTY_VAL = new Int32Array(0);

export class PageChunkV1 {
  idx: Uint8Array | Uint16Array;
  rec: Int32Array;
  dead: Uint8Array;
  /** Pages with a free-list node (ascending) and their nodes; nN entries in use. */
  nOff: Uint16Array = EMPTY_OFF;
  nVal: Int32Array = EMPTY_VAL;
  nN = 0;
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
      if (v !== -1) {
        this.nVal[k] = v;
        return;
      }
      this.nOff.copyWithin(k, k + 1, n);
      this.nVal.copyWithin(k, k + 1, n);
      this.nN = n - 1;
      return;
    }
    if (v === -1) return;
    if (n === this.nOff.length) {
      const cap = Math.max(16, n * 2);
      this.grow(6 * (cap - n) + (n === 0 ? 2 * TYPED_ARRAY_HOST_BYTES : 0));
      const o = new Uint16Array(cap);
      o.set(this.nOff);
      this.nOff = o;
      const w = new Int32Array(cap);
      w.set(this.nVal);
      this.nVal = w;
    }
    this.nOff.copyWithin(k + 1, k, n);
    this.nVal.copyWithin(k + 1, k, n);
    this.nOff[k] = i;
    this.nVal[k] = v;
    this.nN = n + 1;
  }

  /** Every page loses its free-list node. */
  clearNodes(): void {
    this.nN = 0;
  }

  /** Page i gets record (f, r, m, p). */
  put(i: number, f: number, r: number, m: number, p: number): void {
    f |= 0;
    const rec = this.rec;
    let o = this.idx[i]! << 2;
    if (rec[o] === f && rec[o + 1] === r && rec[o + 2] === m && rec[o + 3] === p) return;
    o = this.hint << 2;
    if (
      rec[o] === f &&
      rec[o + 1] === r &&
      rec[o + 2] === m &&
      rec[o + 3] === p &&
      this.dead[this.hint] === 0
    ) {
      this.idx[i] = this.hint;
      return;
    }
    const e = this.entry(f, r, m, p);
    this.hint = e;
    this.idx[i] = e;
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
    const used = new Uint8Array(cap);
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
