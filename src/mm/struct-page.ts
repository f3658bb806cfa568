/**
 * struct page state, per pfn, without 64 bytes per page.
 *
 * Every present section (sparse.ts) has a memmap of 32768 pages. A section is
 * held in one of three forms:
 *   UNIFORM  — every page has the same (flags, _refcount, _mapcount, private),
 *              e.g. a section of reserved RAM, or of firmware hole;
 *   FREE_MAX — every page is free RAM in max-order buddy blocks: the block heads
 *              (pfn % 2^maxOrder == 0) are PageBuddy with private = maxOrder and
 *              free-list node nodeBase + k; the tails are plain free pages;
 *   CHUNKED  — a chunk table: the section cut into chunks of 2^maxOrder pages
 *              (one max-order buddy block, 1024 pages, 4 MiB), each chunk in
 *              one of three forms of its own:
 *                UNIFORM  — the chunk's pages share one state;
 *                FREE_MAX — the chunk is one free max-order block (head +
 *                           tails) whose free-list node is the chunk's node;
 *                ARRAYS   — page by page (PageChunk, page-chunk.ts): a
 *                           palette of (flags, refcount, mapcount, private)
 *                           records with a byte per page, and the free
 *                           block heads' buddy free-list nodes as a sorted
 *                           list (~1–5 KiB a chunk, not 20 KiB of columns).
 * A section goes UNIFORM/FREE_MAX → CHUNKED on the first change that breaks
 * its form, and a chunk goes UNIFORM/FREE_MAX → ARRAYS on the first change
 * that breaks its own, so a memmap edited in one place costs one chunk, not a
 * section: a hostile e820 table whose thousands of entries each cut a
 * different section costs ~21 KiB per cut instead of 640 KiB. Two changes
 * keep a chunk compact that would otherwise break it, because boot and the
 * allocator make them for every max-order block: a UNIFORM chunk of free
 * tail pages whose head becomes a max-order free block (__free_one_page at
 * MAX_ORDER-1 / MAX_PAGE_ORDER) turns FREE_MAX, and a FREE_MAX chunk whose
 * head leaves the free list (rmv_page_order / del_page_from_free_list) turns
 * UNIFORM. A chunk never crosses a section, and every buddy block lies inside
 * one chunk, so a block head's fields are read in its own chunk.
 *
 * A 12 TiB map is almost all FREE_MAX or UNIFORM sections after boot.
 *
 * Chunk table layout (one Int32Array, CHUNK_FIELDS words per chunk):
 *   [kind, flags, _refcount, _mapcount, private, node]
 * where flags/_refcount/_mapcount/private are the UNIFORM chunk's state and
 * node the FREE_MAX chunk's free-list node; ARRAYS chunks keep their pages in
 * `arrs[chunk]`.
 *
 * `flags` holds the enum pageflags bits (profile.mm.pageFlags.bits) plus the
 * model's INIT bit (31): set once the kernel initialised the struct page
 * (__init_single_page: set_page_links, init_page_count, reset mapcount,
 * page_cpupid_reset_last). The zone/node/last_cpupid fields of page->flags are
 * derived from the zone and the profile when the full word is read.
 *
 * Layout of the synthesised 64-byte struct page: profile.mm.structPage offsets
 * (3.10: flags@0 mapping@8 index@16 _mapcount@24 _count@28 lru@32 private@48;
 * 6.12: flags@0 lru@8 mapping@24 index@32 private@40 _mapcount@48 _refcount@52),
 * little endian.
 */
import { ModelError } from '../errors.js';
import type { KernelProfile } from '../profiles/types.js';
import type { HostBudget } from './host-budget.js';
import { PageChunk } from './page-chunk.js';
import type { Sections } from './sparse.js';

/** Model-internal: the struct page was initialised (not a kernel flag). */
export const PG_INIT = 0x80000000;

// section forms
const KIND_ABSENT = 0;
const KIND_UNIFORM = 1;
const KIND_FREE_MAX = 2;
const KIND_CHUNKED = 3;

// chunk forms
const CK_UNIFORM = 1;
const CK_FREE_MAX = 2;
const CK_ARRAYS = 3;

/** Words per chunk in ChunkTable.st: kind, flags, refcount, mapcount, private, node. */
const CHUNK_FIELDS = 6;

/** An ARRAYS chunk's pages: a palette of records and a byte per page (page-chunk.ts). */
type PageArrays = PageChunk;

interface ChunkTable {
  /** CHUNK_FIELDS words per chunk (layout at the top of the file). */
  st: Int32Array;
  /** The ARRAYS chunks' pages. */
  arrs: (PageArrays | undefined)[];
}

/** One page's state as plain numbers (for reads and the synthesiser). */
export interface PageState {
  flags: number;
  refcount: number;
  mapcount: number;
  private: number;
  /** Buddy free-list node id, -1 when not a free block head. */
  node: number;
}

/**
 * One struct page's zeroness as bytes (StructPages.memmapZeroness): 0 = not
 * initialised (all zero), 1 = a field is nonzero for certain, 2 = only the
 * bytes can tell. A module function, not a closure: the 6.6+ zero test asks it
 * for every memmap frame of an image (47M on the 12 TiB table).
 */
function pageZeroness(cpupid: boolean, f: number, r: number, m: number, p: number, node: number): 0 | 1 | 2 {
  if (!(f & PG_INIT)) return 0;
  if (cpupid || (f & ~PG_INIT) !== 0 || r !== 0 || m !== 0 || p !== 0 || node >= 0) return 1;
  return 2;
}

export class StructPages {
  readonly profile: KernelProfile;
  readonly sections: Sections;
  readonly vmemmapBase: bigint;
  private kind: Uint8Array;
  private uFlags: Uint32Array;
  private uRef: Int32Array;
  private uMap: Int32Array;
  private uPriv: Int32Array;
  private nodeBase: Int32Array;
  private readonly tables: (ChunkTable | undefined)[];
  /** Raw _mapcount / page_type value that means PageBuddy. */
  readonly buddyMapcount: number;
  readonly maxOrder: number;
  /** Pages per chunk: one max-order buddy block. */
  readonly chunkPages: number;
  private readonly chunksPerSection: number;
  /** Zone index lookup for the flags word (set_page_links). */
  private readonly zoneOfPfn: (pfn: number) => number;
  private arraysCount = 0;

  constructor(
    profile: KernelProfile,
    sections: Sections,
    vmemmapBase: bigint,
    zoneOfPfn: (pfn: number) => number,
    /** Charged for every chunk's per-page storage (host-budget.ts); null: unbounded. */
    readonly budget: HostBudget | null = null,
  ) {
    this.profile = profile;
    this.sections = sections;
    this.vmemmapBase = vmemmapBase;
    this.zoneOfPfn = zoneOfPfn;
    this.buddyMapcount = profile.mm.buddyMapcount;
    this.maxOrder = profile.mm.maxOrder;
    this.chunkPages = 2 ** this.maxOrder;
    // A max-order block never crosses a section (MAX_ORDER <= SECTION_SIZE_BITS - PAGE_SHIFT,
    // the kernel's own build check in include/linux/mmzone.h).
    if (sections.pfnsPerSection % this.chunkPages !== 0) {
      throw new ModelError(
        'PAGE_SECTION_ORDER',
        `a section of ${sections.pfnsPerSection} pages does not hold whole max-order blocks of ${this.chunkPages}`,
      );
    }
    this.chunksPerSection = sections.pfnsPerSection / this.chunkPages;
    const n = sections.count;
    this.kind = new Uint8Array(n);
    this.uFlags = new Uint32Array(n);
    this.uRef = new Int32Array(n);
    this.uMap = new Int32Array(n).fill(-1);
    this.uPriv = new Int32Array(n);
    this.nodeBase = new Int32Array(n).fill(-1);
    this.tables = new Array(n);
    for (let s = 0; s < n; s++) if (sections.isPresent(s)) this.kind[s] = KIND_UNIFORM;
  }

  /**
   * Grow the per-section tables after sections were hot-added (sparse_add_section()
   * from memremap_pages()); new sections start UNIFORM with uninitialised pages.
   */
  growToSections(): void {
    const n = this.sections.count;
    if (n <= this.kind.length) {
      for (let s = 0; s < n; s++)
        if (this.sections.isPresent(s) && this.kind[s] === KIND_ABSENT) this.kind[s] = KIND_UNIFORM;
      return;
    }
    const old = this.kind.length;
    const g = <T extends Uint8Array | Uint32Array | Int32Array>(
      a: T,
      C: new (n: number) => T,
      fill: number,
    ): T => {
      const b = new C(n);
      if (fill) b.fill(fill);
      b.set(a);
      return b;
    };
    this.kind = g(this.kind, Uint8Array, 0);
    this.uFlags = g(this.uFlags, Uint32Array, 0);
    this.uRef = g(this.uRef, Int32Array, 0);
    this.uMap = g(this.uMap, Int32Array, -1);
    this.uPriv = g(this.uPriv, Int32Array, 0);
    this.nodeBase = g(this.nodeBase, Int32Array, -1);
    this.tables.length = n;
    for (let s = old; s < n; s++) if (this.sections.isPresent(s)) this.kind[s] = KIND_UNIFORM;
  }

  /** A section was hot-removed (memunmap_pages): drop its memmap. */
  dropSection(sec: number): void {
    if (sec >= this.kind.length) return;
    this.dropTable(sec);
    this.kind[sec] = KIND_ABSENT;
  }

  /** Forget a section's chunk table (its pages take a section form next). */
  private dropTable(sec: number): void {
    const t = this.tables[sec];
    if (!t) return;
    for (const a of t.arrs) {
      if (!a) continue;
      a.release();
      this.arraysCount--;
    }
    this.tables[sec] = undefined;
    this.forgetCached(sec);
  }

  // ---- chunk tables ----

  /** The section's chunk table, converting a UNIFORM / FREE_MAX section to CHUNKED. */
  private chunked(sec: number): ChunkTable {
    const have = this.tables[sec];
    if (have) return have;
    const C = this.chunksPerSection;
    const st = new Int32Array(C * CHUNK_FIELDS);
    const k = this.kind[sec];
    for (let c = 0, o = 0; c < C; c++, o += CHUNK_FIELDS) {
      if (k === KIND_FREE_MAX) {
        st[o] = CK_FREE_MAX;
        st[o + 1] = PG_INIT | 0;
        st[o + 3] = -1;
        st[o + 5] = this.nodeBase[sec]! + c;
      } else {
        st[o] = CK_UNIFORM;
        st[o + 1] = this.uFlags[sec]! | 0;
        st[o + 2] = this.uRef[sec]!;
        st[o + 3] = this.uMap[sec]!;
        st[o + 4] = this.uPriv[sec]!;
        st[o + 5] = -1;
      }
    }
    const t: ChunkTable = { st, arrs: new Array(C) };
    this.tables[sec] = t;
    this.kind[sec] = KIND_CHUNKED;
    return t;
  }

  /** Convert chunk `c` of a table to per-page arrays (stable until the section's form is reset). */
  private chunkArrays(t: ChunkTable, c: number): PageArrays {
    const existing = t.arrs[c];
    if (existing) return existing;
    const n = this.chunkPages;
    const st = t.st;
    const o = c * CHUNK_FIELDS;
    let a: PageArrays;
    if (st[o] === CK_UNIFORM) {
      a = new PageChunk(n, st[o + 1]!, st[o + 2]!, st[o + 3]!, st[o + 4]!, this.budget);
    } else {
      // CK_FREE_MAX: one max-order block; the tails are plain free pages.
      a = new PageChunk(n, PG_INIT, 0, -1, 0, this.budget);
      a.put(0, PG_INIT, 0, this.buddyMapcount, this.maxOrder);
      a.setNode(0, st[o + 5]!);
    }
    st[o] = CK_ARRAYS;
    t.arrs[c] = a;
    this.arraysCount++;
    return a;
  }

  // ---- fast per-page accessors (hot paths of the user-mm model: no object per call) ----

  /** The two most recently used materialised chunks (a migration alternates system and device pages). */
  private lastChunk = -1;
  private lastArr: PageArrays | undefined;
  private prevChunk = -1;
  private prevArr: PageArrays | undefined;

  private forgetCached(sec: number): void {
    const C = this.chunksPerSection;
    if (this.lastChunk >= 0 && Math.floor(this.lastChunk / C) === sec) this.lastChunk = -1;
    if (this.prevChunk >= 0 && Math.floor(this.prevChunk / C) === sec) this.prevChunk = -1;
  }

  /** Remember chunk `id`'s arrays as the most recent. */
  private cache(id: number, a: PageArrays): void {
    this.prevChunk = this.lastChunk;
    this.prevArr = this.lastArr;
    this.lastChunk = id;
    this.lastArr = a;
  }

  /**
   * The arrays of pfn's chunk if it has them (offset in `this.off`), without
   * materialising anything; undefined for a page in a compact form.
   */
  private arraysOf(pfn: number): PageArrays | undefined {
    const cp = this.chunkPages;
    const id = Math.floor(pfn / cp);
    this.off = pfn - id * cp;
    if (id === this.lastChunk) return this.lastArr!;
    if (id === this.prevChunk) {
      const a = this.prevArr!;
      this.cache(id, a);
      return a;
    }
    const sec = Math.floor(id / this.chunksPerSection);
    if (sec < 0 || sec >= this.kind.length || this.kind[sec] !== KIND_CHUNKED) return undefined;
    const a = this.tables[sec]!.arrs[id - sec * this.chunksPerSection];
    if (a) this.cache(id, a);
    return a;
  }

  /** The arrays holding `pfn`, materialised; offset in `this.off`. */
  private at(pfn: number): PageArrays {
    const have = this.arraysOf(pfn);
    if (have) return have;
    const sec = this.secOf(pfn);
    const id = Math.floor(pfn / this.chunkPages);
    const a = this.chunkArrays(this.chunked(sec), id - sec * this.chunksPerSection);
    this.cache(id, a);
    return a;
  }
  private off = 0;

  /** page_ref_count(). */
  ref(pfn: number): number {
    const a = this.arraysOf(pfn);
    return a ? a.r(this.off) : this.peek(pfn).refcount;
  }

  /** page_ref_add() (negative d = page_ref_sub); returns the new count. */
  refAdd(pfn: number, d: number): number {
    const a = this.at(pfn);
    const v = a.r(this.off) + d;
    a.setR(this.off, v);
    return v;
  }

  /** set_page_count(). */
  setRef(pfn: number, v: number): void {
    this.at(pfn).setR(this.off, v);
  }

  /** Raw _mapcount (-1 = not mapped). */
  mapRaw(pfn: number): number {
    const a = this.arraysOf(pfn);
    return a ? a.m(this.off) : this.peek(pfn).mapcount;
  }

  /** atomic_add on _mapcount; returns the new raw value. */
  mapAdd(pfn: number, d: number): number {
    const a = this.at(pfn);
    const v = a.m(this.off) + d;
    a.setM(this.off, v);
    return v;
  }

  setMapRaw(pfn: number, v: number): void {
    this.at(pfn).setM(this.off, v);
  }

  /** test_bit(bit, &page->flags). */
  bit(pfn: number, bit: number): boolean {
    const a = this.arraysOf(pfn);
    const f = a ? a.f(this.off) : this.peek(pfn).flags;
    return ((f >>> bit) & 1) === 1;
  }

  /** set_bit / clear_bit on page->flags. */
  setBit(pfn: number, bit: number, on: boolean): void {
    const a = this.at(pfn);
    const f = a.f(this.off);
    a.setF(this.off, on ? f | (1 << bit) : f & ~(1 << bit));
  }

  /**
   * How far from `pfn` no page has flag `bit` set, as the forms tell without
   * reading pages: the end of pfn's section (UNIFORM, FREE_MAX) or chunk
   * (a UNIFORM or FREE_MAX chunk; an ARRAYS chunk whose palette has no record
   * with the bit) when the bit is clear there; `pfn` itself when a page
   * there may have it or pfn has no memmap (ask page by page).
   */
  flagClearEnd(pfn: number, bit: number): number {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    if (sec < 0 || sec >= this.kind.length) return pfn;
    const k = this.kind[sec];
    const mask = 1 << bit;
    const secEnd = (sec + 1) * per;
    if (k === KIND_UNIFORM) return (this.uFlags[sec]! & mask) === 0 ? secEnd : pfn;
    if (k === KIND_FREE_MAX) return (PG_INIT & mask) === 0 ? secEnd : pfn;
    if (k !== KIND_CHUNKED) return pfn;
    const cp = this.chunkPages;
    const c = Math.floor((pfn - sec * per) / cp);
    const chunkEnd = sec * per + (c + 1) * cp;
    const t = this.tables[sec]!;
    const o = c * CHUNK_FIELDS;
    const ck = t.st[o];
    if (ck === CK_UNIFORM) return (t.st[o + 1]! & mask) === 0 ? chunkEnd : pfn;
    if (ck === CK_FREE_MAX) return (PG_INIT & mask) === 0 ? chunkEnd : pfn;
    return t.arrs[c]!.mayHaveFlag(mask) ? pfn : chunkEnd;
  }

  /** Chunks currently held page by page (PageChunk: ~1–5 KiB each). */
  get materialisedChunks(): number {
    return this.arraysCount;
  }

  hasMemmap(pfn: number): boolean {
    return this.sections.pfnValid(pfn);
  }

  private secOf(pfn: number): number {
    const s = Math.floor(pfn / this.sections.pfnsPerSection);
    if (s < 0 || s >= this.kind.length || this.kind[s] === KIND_ABSENT) {
      throw new ModelError(
        'PAGE_NO_MEMMAP',
        `pfn 0x${pfn.toString(16)} has no struct page (section not present)`,
      );
    }
    return s;
  }

  // ---- whole-section operations used at boot (keep sections compact) ----

  /** Set every page of a present section to one state (__init_single_page for a uniform section). */
  setSectionUniform(sec: number, st: Omit<PageState, 'node'>): void {
    if (this.kind[sec] === KIND_ABSENT) return;
    this.dropTable(sec);
    this.kind[sec] = KIND_UNIFORM;
    this.uFlags[sec] = st.flags >>> 0;
    this.uRef[sec] = st.refcount;
    this.uMap[sec] = st.mapcount;
    this.uPriv[sec] = st.private;
  }

  /** Is the section UNIFORM (then its state is `uniformState`)? */
  isUniform(sec: number): boolean {
    return this.kind[sec] === KIND_UNIFORM;
  }

  uniformState(sec: number): Omit<PageState, 'node'> {
    return {
      flags: this.uFlags[sec]!,
      refcount: this.uRef[sec]!,
      mapcount: this.uMap[sec]!,
      private: this.uPriv[sec]!,
    };
  }

  /** Mark a whole section as free max-order buddy blocks whose list nodes are nodeBase.. (buddy.ts). */
  setSectionFreeMax(sec: number, nodeBase: number): void {
    this.dropTable(sec);
    this.kind[sec] = KIND_FREE_MAX;
    this.nodeBase[sec] = nodeBase;
  }

  /** Apply `fn` to every page in [spfn, epfn) (present sections only), keeping uniform sections and chunks uniform. */
  updateRange(spfn: number, epfn: number, fn: (st: PageState) => void): void {
    const per = this.sections.pfnsPerSection;
    const cp = this.chunkPages;
    let pfn = spfn;
    const st: PageState = { flags: 0, refcount: 0, mapcount: -1, private: 0, node: -1 };
    while (pfn < epfn) {
      const sec = Math.floor(pfn / per);
      const base = sec * per;
      const secEnd = Math.min(base + per, epfn);
      if (sec >= this.kind.length) break;
      if (this.kind[sec] === KIND_ABSENT) {
        pfn = secEnd;
        continue;
      }
      if (this.kind[sec] === KIND_UNIFORM && pfn === base && secEnd === base + per) {
        st.flags = this.uFlags[sec]!;
        st.refcount = this.uRef[sec]!;
        st.mapcount = this.uMap[sec]!;
        st.private = this.uPriv[sec]!;
        st.node = -1;
        fn(st);
        this.setSectionUniform(sec, st);
        pfn = secEnd;
        continue;
      }
      const t = this.chunked(sec);
      const s = t.st;
      while (pfn < secEnd) {
        const c = Math.floor((pfn - base) / cp);
        const cs = base + c * cp;
        const ce = Math.min(cs + cp, secEnd);
        const o = c * CHUNK_FIELDS;
        if (s[o] === CK_UNIFORM && pfn === cs && ce === cs + cp) {
          st.flags = s[o + 1]! >>> 0;
          st.refcount = s[o + 2]!;
          st.mapcount = s[o + 3]!;
          st.private = s[o + 4]!;
          st.node = -1;
          fn(st);
          s[o + 1] = st.flags | 0;
          s[o + 2] = st.refcount;
          s[o + 3] = st.mapcount;
          s[o + 4] = st.private;
          pfn = ce;
          continue;
        }
        const a = this.chunkArrays(t, c);
        for (let i = pfn - cs, e = ce - cs; i < e; i++) {
          st.flags = a.f(i);
          st.refcount = a.r(i);
          st.mapcount = a.m(i);
          st.private = a.p(i);
          st.node = a.nd(i);
          fn(st);
          a.put(i, st.flags, st.refcount, st.mapcount, st.private);
          a.setNode(i, st.node);
        }
        pfn = ce;
      }
    }
  }

  /**
   * Runs of equal (flags, _refcount, _mapcount, private) over the valid pfns of
   * [spfn, epfn) in ascending order — `fn(flags, refcount, mapcount, private, n)`
   * for n consecutive valid pfns with that state (absent sections are skipped,
   * so a run may span them). The same sequence of states as get() pfn by pfn,
   * at the cost of the forms: O(1) for a UNIFORM section or chunk, one call
   * per block head or tail run for FREE_MAX, per run of one palette index for
   * ARRAYS chunks.
   */
  forEachStateRun(
    spfn: number,
    epfn: number,
    fn: (flags: number, refcount: number, mapcount: number, priv: number, n: number) => void,
  ): void {
    const per = this.sections.pfnsPerSection;
    const cp = this.chunkPages;
    const buddy = this.buddyMapcount;
    const max = this.maxOrder;
    let cf = 0;
    let cr = 0;
    let cm = 0;
    let cpv = 0;
    let cn = 0;
    const put = (f: number, r: number, m: number, p: number, n: number): void => {
      if (n <= 0) return;
      if (cn > 0 && f === cf && r === cr && m === cm && p === cpv) {
        cn += n;
        return;
      }
      if (cn > 0) fn(cf, cr, cm, cpv, cn);
      cf = f;
      cr = r;
      cm = m;
      cpv = p;
      cn = n;
    };
    // [p, e) of one max-order free block (a head at p when p is aligned).
    const freeMax = (p: number, e: number): void => {
      if (p % cp === 0) {
        put(PG_INIT, 0, buddy, max, 1);
        p++;
      }
      put(PG_INIT, 0, -1, 0, e - p);
    };
    for (let pfn = spfn; pfn < epfn; ) {
      const sec = Math.floor(pfn / per);
      const base = sec * per;
      const secEnd = Math.min(epfn, base + per);
      const k = sec < this.kind.length ? this.kind[sec] : KIND_ABSENT;
      if (k === KIND_UNIFORM) {
        put(this.uFlags[sec]!, this.uRef[sec]!, this.uMap[sec]!, this.uPriv[sec]!, secEnd - pfn);
      } else if (k === KIND_FREE_MAX) {
        for (let p = pfn; p < secEnd; ) {
          const e = Math.min(secEnd, p - (p % cp) + cp);
          freeMax(p, e);
          p = e;
        }
      } else if (k === KIND_CHUNKED) {
        const t = this.tables[sec]!;
        const s = t.st;
        for (let p = pfn; p < secEnd; ) {
          const c = Math.floor((p - base) / cp);
          const cs = base + c * cp;
          const e = Math.min(secEnd, cs + cp);
          const o = c * CHUNK_FIELDS;
          const ck = s[o];
          if (ck === CK_UNIFORM) put(s[o + 1]! >>> 0, s[o + 2]!, s[o + 3]!, s[o + 4]!, e - p);
          else if (ck === CK_FREE_MAX) freeMax(p, e);
          else {
            // A page-by-page chunk by runs of one palette index (the record read once per run).
            const a = t.arrs[c]!;
            const idx = a.idx;
            const rec = a.rec;
            for (let i = p - cs, ie = e - cs; i < ie; ) {
              const x = idx[i]!;
              let j = i + 1;
              while (j < ie && idx[j] === x) j++;
              const b = x << 2;
              put(rec[b]! >>> 0, rec[b + 1]!, rec[b + 2]!, rec[b + 3]!, j - i);
              i = j;
            }
          }
          p = e;
        }
      }
      pfn = secEnd;
    }
    if (cn > 0) fn(cf, cr, cm, cpv, cn);
  }

  /**
   * How the struct pages of [pfn, pfn + n) — within one section — read as
   * bytes (kernel-data.ts writeStructPage()): 0 = none is initialised, so all
   * are zero; 1 = an initialised page has a nonzero field for certain (a flag
   * bit, _refcount, _mapcount, private or free-list links; or last_cpupid,
   * all ones when the profile has it); 2 = only the bytes can tell. Decided
   * from the forms, per page only for ARRAYS chunks.
   */
  memmapZeroness(pfn: number, n: number): 0 | 1 | 2 {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    const k = sec < this.kind.length ? this.kind[sec] : KIND_ABSENT;
    if (k === KIND_ABSENT) return 0;
    const cpupid = this.profile.mm.pageFlags.lastCpupidWidth > 0;
    const one = pageZeroness;
    if (k === KIND_UNIFORM)
      return one(cpupid, this.uFlags[sec]!, this.uRef[sec]!, this.uMap[sec]!, this.uPriv[sec]!, -1);
    if (k === KIND_FREE_MAX) return 1; // initialised free pages: _mapcount -1 (tails) or the buddy marker
    const t = this.tables[sec]!;
    const s = t.st;
    const cp = this.chunkPages;
    const base = sec * per;
    let unsure = false;
    for (let p = pfn, end = pfn + n; p < end; ) {
      const c = Math.floor((p - base) / cp);
      const cs = base + c * cp;
      const e = Math.min(end, cs + cp);
      const o = c * CHUNK_FIELDS;
      const ck = s[o];
      if (ck === CK_FREE_MAX) return 1;
      if (ck === CK_UNIFORM) {
        const z = one(cpupid, s[o + 1]! >>> 0, s[o + 2]!, s[o + 3]!, s[o + 4]!, -1);
        if (z === 1) return 1;
        if (z === 2) unsure = true;
      } else {
        const a = t.arrs[c]!;
        for (let i = p - cs, ie = e - cs; i < ie; i++) {
          const z = one(cpupid, a.f(i), a.r(i), a.m(i), a.p(i), a.nd(i));
          if (z === 1) return 1;
          if (z === 2) unsure = true;
        }
      }
      p = e;
    }
    return unsure ? 2 : 0;
  }

  // ---- per-page access ----

  private readonly scratch: PageState = { flags: 0, refcount: 0, mapcount: -1, private: 0, node: -1 };

  /**
   * A page's state without an object per call: one shared record, valid until
   * the next peek() (read-only hot paths: the allocator's buddy checks, the
   * snapshot's saveable test). get() returns a copy the caller may keep.
   */
  peek(pfn: number): Readonly<PageState> {
    const st = this.scratch;
    const sec = this.secOf(pfn);
    const k = this.kind[sec];
    if (k === KIND_UNIFORM) {
      st.flags = this.uFlags[sec]!;
      st.refcount = this.uRef[sec]!;
      st.mapcount = this.uMap[sec]!;
      st.private = this.uPriv[sec]!;
      st.node = -1;
      return st;
    }
    const cp = this.chunkPages;
    const rel = pfn - sec * this.sections.pfnsPerSection;
    const c = Math.floor(rel / cp);
    const inChunk = rel - c * cp;
    let ck = CK_FREE_MAX;
    let node = this.nodeBase[sec]! + c;
    if (k === KIND_CHUNKED) {
      const t = this.tables[sec]!;
      const o = c * CHUNK_FIELDS;
      ck = t.st[o]!;
      if (ck === CK_UNIFORM) {
        st.flags = t.st[o + 1]! >>> 0;
        st.refcount = t.st[o + 2]!;
        st.mapcount = t.st[o + 3]!;
        st.private = t.st[o + 4]!;
        st.node = -1;
        return st;
      }
      if (ck === CK_ARRAYS) {
        const a = t.arrs[c]!;
        st.flags = a.f(inChunk);
        st.refcount = a.r(inChunk);
        st.mapcount = a.m(inChunk);
        st.private = a.p(inChunk);
        st.node = a.nd(inChunk);
        return st;
      }
      node = t.st[o + 5]!;
    }
    // FREE_MAX section or chunk: one max-order free block per chunk.
    const head = inChunk === 0;
    st.flags = PG_INIT;
    st.refcount = 0;
    st.mapcount = head ? this.buddyMapcount : -1;
    st.private = head ? this.maxOrder : 0;
    st.node = head ? node : -1;
    return st;
  }

  /** The page's state (copy). */
  get(pfn: number): PageState {
    const s = this.peek(pfn);
    return { flags: s.flags, refcount: s.refcount, mapcount: s.mapcount, private: s.private, node: s.node };
  }

  /**
   * The lowest order o at which pfn's aligned head is a free block of order
   * o (PageBuddy, private == o), or -1: the test take_page_off_buddy() makes
   * at each order, without an object per order. A head lies in pfn's own
   * chunk (a chunk is one max-order block).
   */
  freeHeadOrder(pfn: number): number {
    return this.freeBlockAt(pfn);
  }

  /** The free-list node of the block freeBlockAt() found (-1 when it found none). */
  foundNode = -1;

  /**
   * freeHeadOrder(pfn) and, in `foundNode`, the free-list node of that
   * block's head (nodeOf(head)) — the one lookup take_page_off_buddy() of a
   * run of takes makes per block.
   */
  freeBlockAt(pfn: number): number {
    this.foundNode = -1;
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    if (sec < 0 || sec >= this.kind.length) return -1;
    const k = this.kind[sec];
    if (k === KIND_ABSENT) return -1;
    const buddy = this.buddyMapcount;
    const max = this.maxOrder;
    // Every page of a UNIFORM section or chunk has the same fields, so the head test holds at
    // order `private` or never; a FREE_MAX section's or chunk's pfn lies in a max-order free block.
    if (k === KIND_UNIFORM) {
      const p = this.uPriv[sec]!;
      return this.uMap[sec] === buddy && p >= 0 && p <= max ? p : -1;
    }
    const cp = this.chunkPages;
    const rel = pfn - sec * per;
    const c = Math.floor(rel / cp);
    if (k === KIND_FREE_MAX) {
      this.foundNode = this.nodeBase[sec]! + c;
      return max;
    }
    const t = this.tables[sec]!;
    const o = c * CHUNK_FIELDS;
    const ck = t.st[o];
    if (ck === CK_FREE_MAX) {
      this.foundNode = t.st[o + 5]!;
      return max;
    }
    if (ck === CK_UNIFORM) {
      const p = t.st[o + 4]!;
      return t.st[o + 3] === buddy && p >= 0 && p <= max ? p : -1;
    }
    const a = t.arrs[c]!;
    const inChunk = rel - c * cp;
    for (let o2 = 0; o2 <= max; o2++) {
      const off = inChunk & -(1 << o2);
      if (a.m(off) === buddy && a.p(off) === o2) {
        this.foundNode = a.nd(off);
        return o2;
      }
    }
    return -1;
  }

  /**
   * freeBlockAt() for the takes pfns[i..j) — ascending, distinct, all in one
   * chunk — grouped by the free block each falls in, as take_page_off_buddy()
   * of a run of takes looks them up: block b holds the takes from first[b]
   * (the takes up to the next block's first), its order is order[b] (-1: the
   * page pfns[first[b]] is not free, and the scan stops there) and its head's
   * free-list node node[b]. Returns the number of blocks. Only reads: the
   * answers freeBlockAt() of each block's first take gives now. In a
   * page-by-page chunk the blocks come in pfn order, so the chunk is looked
   * up once and its node list read with one forward cursor, not a search
   * per block; the per-order head test is freeBlockAt()'s.
   */
  freeBlocksSorted(
    pfns: Float64Array,
    i: number,
    j: number,
    order: Int8Array,
    node: Int32Array,
    first: Int32Array,
  ): number {
    let nb = 0;
    const a = this.arraysOf(pfns[i]!);
    if (a === undefined) {
      // A compact form (or no memmap): freeBlockAt() per block.
      for (let k = i; k < j; ) {
        const p = pfns[k]!;
        const o = this.sections.pfnValid(p) ? this.freeBlockAt(p) : -1;
        first[nb] = k;
        order[nb] = o;
        node[nb++] = o < 0 ? -1 : this.foundNode;
        if (o < 0) return nb;
        const size = 2 ** o;
        const end = Math.floor(p / size) * size + size;
        k++;
        while (k < j && pfns[k]! < end) k++;
      }
      return nb;
    }
    const cs = pfns[i]! - this.off;
    const idx = a.idx;
    const rec = a.rec;
    const nOff = a.nOff;
    const nVal = a.nVal;
    const nN = a.nN;
    const buddy = this.buddyMapcount;
    const max = this.maxOrder;
    let cur = 0;
    for (let k = i; k < j; ) {
      const off = pfns[k]! - cs;
      // The lowest order whose aligned head is PageBuddy with private == that order.
      let o = -1;
      for (let o2 = 0; o2 <= max; o2++) {
        const r = idx[off & -(1 << o2)]! << 2;
        if (rec[r + 2] === buddy && rec[r + 3] === o2) {
          o = o2;
          break;
        }
      }
      first[nb] = k;
      order[nb] = o;
      if (o < 0) {
        node[nb++] = -1;
        return nb;
      }
      const head = off & -(1 << o);
      // Heads ascend in a buddy state (free blocks are disjoint); the cursor restarts where a
      // state with nested PageBuddy heads gives a lower one.
      if (cur > 0 && nOff[cur - 1]! >= head) cur = 0;
      while (cur < nN && nOff[cur]! < head) cur++;
      node[nb++] = cur < nN && nOff[cur] === head ? nVal[cur]! : -1;
      const end = cs + head + (1 << o);
      k++;
      while (k < j && pfns[k]! < end) k++;
    }
    return nb;
  }

  /**
   * PageBuddy(page) ? buddy_order(page) : -1 — read straight from the
   * chunk's arrays when it has them (the allocator's merge loop), without
   * filling peek()'s record. The pfn must have a memmap (pfn_valid).
   */
  buddyOrder(pfn: number): number {
    const a = this.arraysOf(pfn);
    if (a) return a.m(this.off) === this.buddyMapcount ? a.p(this.off) : -1;
    const st = this.peek(pfn);
    return st.mapcount === this.buddyMapcount ? st.private : -1;
  }

  /** The free-list node a free block head carries (peek().node without the record). */
  buddyNode(pfn: number): number {
    const a = this.arraysOf(pfn);
    if (a) return a.nd(this.off);
    return this.peek(pfn).node;
  }

  /** The buddy free-list node of a free block head (-1 when `pfn` is not one), without an object. */
  nodeOf(pfn: number): number {
    this.secOf(pfn);
    return this.buddyNode(pfn);
  }

  /** page->flags |= flags; _mapcount = mapcount (a page handed to a user), without an object. */
  orFlagsSetMapcount(pfn: number, flags: number, mapcount: number): void {
    const a = this.at(pfn);
    const o = this.off;
    a.put(o, a.f(o) | flags, a.r(o), mapcount, a.p(o));
  }

  /**
   * Where pfn's chunk is in a compact form: its table and word offset, with
   * a UNIFORM / FREE_MAX section converted to CHUNKED (cheap: no page
   * arrays). undefined when the chunk already has arrays.
   */
  private compactChunk(pfn: number): { t: ChunkTable; o: number } | undefined {
    const sec = this.secOf(pfn);
    const t = this.chunked(sec);
    const c = Math.floor((pfn - sec * this.sections.pfnsPerSection) / this.chunkPages);
    const o = c * CHUNK_FIELDS;
    return t.st[o] === CK_ARRAYS ? undefined : { t, o };
  }

  /** Is the chunk at word `o` a UNIFORM chunk of plain free pages (the tails of a free block)? */
  private static isFreeTails(s: Int32Array, o: number): boolean {
    return (
      s[o] === CK_UNIFORM &&
      s[o + 1]! >>> 0 === PG_INIT &&
      s[o + 2] === 0 &&
      s[o + 3] === -1 &&
      s[o + 4] === 0
    );
  }

  /** A free block head's fields in one call: _mapcount, private, node and _refcount. */
  setFreeHead(pfn: number, mapcount: number, priv: number, node: number, refcount: number): void {
    // set_page_order + __SetPageBuddy of a max-order block over plain free pages: the
    // chunk becomes (or stays) FREE_MAX — __free_pages_core at boot does this per block.
    if (
      pfn % this.chunkPages === 0 &&
      mapcount === this.buddyMapcount &&
      priv === this.maxOrder &&
      refcount === 0 &&
      node >= 0 &&
      this.arraysOf(pfn) === undefined
    ) {
      const cc = this.compactChunk(pfn);
      if (cc) {
        const s = cc.t.st;
        if (s[cc.o] === CK_FREE_MAX || StructPages.isFreeTails(s, cc.o)) {
          s[cc.o] = CK_FREE_MAX;
          s[cc.o + 1] = PG_INIT | 0;
          s[cc.o + 2] = 0;
          s[cc.o + 3] = -1;
          s[cc.o + 4] = 0;
          s[cc.o + 5] = node;
          return;
        }
      }
    }
    this.writeBuddy(pfn, mapcount, priv, node, refcount);
  }

  /** Set the buddy fields (_mapcount, private, the free-list node) without an object per call. */
  setBuddyFields(pfn: number, mapcount: number, priv: number, node: number): void {
    // rmv_page_order / del_page_from_free_list of a FREE_MAX chunk's block: its head
    // becomes a plain free page like its tails, so the chunk is UNIFORM.
    if (
      pfn % this.chunkPages === 0 &&
      mapcount === -1 &&
      priv === 0 &&
      node === -1 &&
      this.arraysOf(pfn) === undefined
    ) {
      const cc = this.compactChunk(pfn);
      if (cc && cc.t.st[cc.o] === CK_FREE_MAX) {
        const s = cc.t.st;
        s[cc.o] = CK_UNIFORM;
        s[cc.o + 5] = -1;
        return;
      }
    }
    this.writeBuddy(pfn, mapcount, priv, node);
  }

  /** The buddy fields into pfn's page arrays (materialised); returns them, offset in `this.off`. */
  private writeBuddy(
    pfn: number,
    mapcount: number,
    priv: number,
    node: number,
    refcount?: number,
  ): PageArrays {
    const a = this.at(pfn);
    const o = this.off;
    a.put(o, a.f(o), refcount ?? a.r(o), mapcount, priv);
    a.setNode(o, node);
    return a;
  }

  /** set_page_count() without an object per call. */
  setRefcount(pfn: number, v: number): void {
    this.at(pfn).setR(this.off, v);
  }

  // ---- placement in bulk (take_page_off_buddy of many pages, the placer's claims) ----

  /**
   * The "taken" state — PageBuddy cleared, private 0, no free-list node,
   * _refcount 1 (rmv_page_order + set_page_refcounted), flags kept — over
   * [a, b): setFreeHead(p, -1, 0, -1, 1) for every p, a chunk at a time. A
   * chunk the range covers whole ends UNIFORM when its flags allow
   * (setBlockFields), so a fully taken chunk costs no page arrays. Every pfn
   * must have a memmap.
   */
  setTakenRange(a: number, b: number): void {
    const cp = this.chunkPages;
    for (let p = a; p < b; ) {
      const cs = p - (p % cp);
      const e = Math.min(b, cs + cp);
      if (p === cs && e === cs + cp) this.setBlockFields(cs, 1);
      else {
        const arr = this.at(p);
        const lo = this.off;
        for (let x = lo, xe = lo + (e - p); x < xe; x++) arr.put(x, arr.f(x), 1, -1, 0);
        arr.clearNodesIn(lo, lo + (e - p));
      }
      p = e;
    }
  }

  /**
   * setTakenRange() of each pfn of pfns[i..j) — ascending, distinct — in one
   * call, each page then claimed as orFlagsSetMapcount(p, flags, mapcount)
   * does (flags 0 and mapcount -1: not claimed, the taken state as it is):
   * one chunk lookup per chunk the pfns touch, one record write per page; a
   * whole chunk through setBlockFields() (UNIFORM when its flags allow), then
   * its claims through orFlagsSetMapcountSorted().
   */
  setTakenSorted(pfns: Float64Array, i: number, j: number, flags = 0, mapcount = -1): void {
    const cp = this.chunkPages;
    for (let k = i; k < j; ) {
      const p = pfns[k]!;
      const cs = p - (p % cp);
      const ce = cs + cp;
      let e = k + 1;
      while (e < j && pfns[e]! < ce) e++;
      if (e - k === cp) {
        this.setBlockFields(cs, 1);
        if (flags !== 0 || mapcount !== -1) this.orFlagsSetMapcountSorted(pfns, k, e, flags, mapcount);
      } else {
        const arr = this.at(p);
        for (let x = k; x < e; x++) {
          const off = pfns[x]! - cs;
          arr.put(off, arr.f(off) | flags, 1, mapcount, 0);
        }
        arr.clearNodesSorted(pfns, k, e, cs);
      }
      k = e;
    }
  }

  /**
   * Has every page base + offs[i] (i < n; all in the chunk at `base`)
   * _mapcount -1 and private 0 — allocated and not a free block head, the
   * fields a free page by page leaves on a page it never makes a head?
   */
  plainIn(base: number, offs: Int32Array, n: number): boolean {
    const a = this.arraysOf(base);
    if (a) {
      for (let i = 0; i < n; i++) {
        const o = offs[i]!;
        if (a.m(o) !== -1 || a.p(o) !== 0) return false;
      }
      return true;
    }
    for (let i = 0; i < n; i++) {
      const st = this.peek(base + offs[i]!);
      if (st.mapcount !== -1 || st.private !== 0) return false;
    }
    return true;
  }

  /**
   * setRefcount(base + offs[i], 0) for i < n (all in the chunk at `base`): one
   * chunk lookup (the chunk gets page arrays, as the first setRefcount() gives it).
   */
  setRefcountZeroIn(base: number, offs: Int32Array, n: number): void {
    const a = this.at(base);
    for (let i = 0; i < n; i++) {
      const o = offs[i]!;
      a.put(o, a.f(o), 0, a.m(o), a.p(o));
    }
  }

  /** setFreeHeads()'s palette hint per order (PageChunk.putHinted). */
  private readonly orderHints = new Int32Array(64);

  /**
   * setFreeHead(pfn[k], mapcount, order[k], node[k], 0) for k in [from, to),
   * pfns ascending and distinct: free block heads written straight into their
   * chunk's arrays when it has them (the survivors of a split block, whose
   * chunk the takes broke) — the fields page by page, the free-list nodes
   * merged into the chunk's node list at once (PageChunk.setNodesSorted) —
   * else through setFreeHead() (which keeps a max-order head compact).
   */
  setFreeHeads(
    pfn: Float64Array,
    order: Int8Array,
    node: Int32Array,
    from: number,
    to: number,
    mapcount: number,
  ): void {
    const cp = this.chunkPages;
    for (let k = from; k < to; ) {
      const p = pfn[k]!;
      const cs = p - (p % cp);
      const arr = this.arraysOf(p);
      if (arr === undefined) {
        // The call may materialise the chunk: the next head looks it up again.
        this.setFreeHead(p, mapcount, order[k]!, node[k]!, 0);
        k++;
        continue;
      }
      const ce = cs + cp;
      let e = k + 1;
      while (e < to && pfn[e]! < ce) e++;
      // The heads' records: one per (flags, order); a hint per order saves the palette search.
      const hint = this.orderHints.fill(0);
      for (let x = k; x < e; x++) {
        const off = pfn[x]! - cs;
        const o = order[x]!;
        hint[o] = arr.putHinted(off, arr.f(off), 0, mapcount, o, hint[o]!);
      }
      arr.setNodesSorted(pfn, node, k, e, cs);
      k = e;
    }
  }

  /**
   * orFlagsSetMapcount() over the whole chunk at `cs` when it is UNIFORM (it
   * stays so); false, with nothing written, when the chunk has another form.
   */
  private orUniformChunk(cs: number, flags: number, mapcount: number): boolean {
    if (this.arraysOf(cs) !== undefined) return false;
    const sec = this.secOf(cs);
    const t = this.chunked(sec);
    const o = Math.floor((cs - sec * this.sections.pfnsPerSection) / this.chunkPages) * CHUNK_FIELDS;
    if (t.st[o] !== CK_UNIFORM) return false;
    t.st[o + 1] = t.st[o + 1]! | flags;
    t.st[o + 3] = mapcount;
    return true;
  }

  /**
   * orFlagsSetMapcount(p, flags, mapcount) for p in [a, b): a chunk the
   * range covers whole and that is UNIFORM (a max-order block allocated
   * whole) stays UNIFORM; other chunks get their arrays written.
   */
  orFlagsSetMapcountRange(a: number, b: number, flags: number, mapcount: number): void {
    const cp = this.chunkPages;
    for (let p = a; p < b; ) {
      const cs = p - (p % cp);
      const e = Math.min(b, cs + cp);
      if (p === cs && e === cs + cp && this.orUniformChunk(cs, flags, mapcount)) {
        p = e;
        continue;
      }
      const arr = this.at(p);
      const off = this.off;
      const n = e - p;
      for (let x = off; x < off + n; x++) arr.put(x, arr.f(x) | flags, arr.r(x), mapcount, arr.p(x));
      p = e;
    }
  }

  /**
   * orFlagsSetMapcount(p, flags, mapcount) for each pfn of pfns[i..j) —
   * ascending, distinct —: one chunk lookup per chunk; a whole UNIFORM chunk
   * (pages the placer took as a block) stays UNIFORM.
   */
  orFlagsSetMapcountSorted(pfns: Float64Array, i: number, j: number, flags: number, mapcount: number): void {
    const cp = this.chunkPages;
    for (let k = i; k < j; ) {
      const p = pfns[k]!;
      const cs = p - (p % cp);
      const ce = cs + cp;
      let e = k + 1;
      while (e < j && pfns[e]! < ce) e++;
      if (e - k === cp && this.orUniformChunk(cs, flags, mapcount)) {
        k = e;
        continue;
      }
      const arr = this.at(p);
      for (let x = k; x < e; x++) {
        const off = pfns[x]! - cs;
        arr.put(off, arr.f(off) | flags, arr.r(off), mapcount, arr.p(off));
      }
      k = e;
    }
  }

  /** Overwrite a page's state. */
  set(pfn: number, st: PageState): void {
    const a = this.at(pfn);
    const off = this.off;
    a.put(off, st.flags, st.refcount, st.mapcount, st.private);
    a.setNode(off, st.node);
  }

  flagBits(pfn: number): number {
    return this.peek(pfn).flags;
  }

  testFlag(pfn: number, bit: number): boolean {
    return ((this.peek(pfn).flags >>> bit) & 1) === 1;
  }

  setFlag(pfn: number, bit: number, on: boolean): void {
    const st = this.get(pfn);
    st.flags = on ? st.flags | (1 << bit) : st.flags & ~(1 << bit);
    this.set(pfn, st);
  }

  isReserved(pfn: number): boolean {
    return this.testFlag(pfn, this.profile.mm.pageFlags.bits.reserved);
  }

  refcount(pfn: number): number {
    return this.peek(pfn).refcount;
  }

  /** PageBuddy(): the _mapcount/page_type field holds the buddy marker. */
  isBuddy(pfn: number): boolean {
    return this.sections.pfnValid(pfn) && this.peek(pfn).mapcount === this.buddyMapcount;
  }

  /**
   * The full 64-bit page->flags word: flag bits, zone and node ids
   * (set_page_links) and, where the profile has it, last_cpupid all ones
   * (page_cpupid_reset_last). Zero for a struct page the kernel never initialised.
   */
  /** The zone index of pfn (what page->flags' zone field holds). */
  zoneOf(pfn: number): number {
    return this.zoneOfPfn(pfn);
  }

  /**
   * The bits flagsWord() ORs into an initialised page's flags for a page of
   * zone `zone` (zone field, last_cpupid all ones), as a u64.
   */
  flagsExtra(zone: number): bigint {
    const pf = this.profile.mm.pageFlags;
    let w = BigInt(zone) << BigInt(pf.zonesPgoff);
    if (pf.lastCpupidWidth) w |= ((1n << BigInt(pf.lastCpupidWidth)) - 1n) << BigInt(pf.lastCpupidPgoff);
    return w;
  }

  flagsWord(pfn: number): bigint {
    const st = this.get(pfn);
    if (!(st.flags & PG_INIT)) return 0n;
    const pf = this.profile.mm.pageFlags;
    let w = BigInt(st.flags & ~PG_INIT);
    w |= BigInt(this.zoneOfPfn(pfn)) << BigInt(pf.zonesPgoff);
    // node 0: nothing to OR in for the node field (single node model).
    if (pf.lastCpupidWidth) w |= ((1n << BigInt(pf.lastCpupidWidth)) - 1n) << BigInt(pf.lastCpupidPgoff);
    return w;
  }

  /** pfn_to_page(): vmemmap_base + pfn * sizeof(struct page). */
  pfnToPage(pfn: number): bigint {
    return this.vmemmapBase + BigInt(pfn) * BigInt(this.profile.mm.structPage.size);
  }

  /** page_to_pfn(): inverse of pfnToPage; undefined if not a struct page address. */
  pageToPfn(page: bigint): number | undefined {
    const d = page - this.vmemmapBase;
    const size = BigInt(this.profile.mm.structPage.size);
    if (d < 0n || d % size !== 0n) return undefined;
    return Number(d / size);
  }

  /**
   * The 64 bytes of `struct page` for `pfn` as a crash dump would show them,
   * synthesised from the state (profile.mm.structPage layout). list pointers
   * and mapping are not modelled and read 0, except lru of a page that is not
   * on a list, which the kernel leaves as whatever: 0 here.
   */
  structPageBytes(pfn: number): Uint8Array {
    const L = this.profile.mm.structPage;
    const out = new Uint8Array(L.size);
    if (!this.sections.pfnValid(pfn)) return out;
    const st = this.get(pfn);
    if (!(st.flags & PG_INIT)) return out;
    const dv = new DataView(out.buffer);
    dv.setBigUint64(L.flags, this.flagsWord(pfn), true);
    dv.setInt32(L.mapcount, st.mapcount, true);
    dv.setInt32(L.refcount, st.refcount, true);
    dv.setBigUint64(L.private, BigInt(st.private >>> 0), true);
    return out;
  }

  /** Read `len` bytes of the vmemmap at virtual address `vaddr` (for the inspector). */
  readVmemmap(vaddr: bigint, len: number): Uint8Array {
    const size = this.profile.mm.structPage.size;
    const out = new Uint8Array(len);
    let d = Number(vaddr - this.vmemmapBase);
    let done = 0;
    while (done < len) {
      const pfn = Math.floor(d / size);
      const off = d - pfn * size;
      const n = Math.min(len - done, size - off);
      const bytes = this.structPageBytes(pfn);
      out.set(bytes.subarray(off, off + n), done);
      done += n;
      d += n;
    }
    return out;
  }

  // ---- whole max-order blocks (Buddy.allocBulk / freeBulk) ----

  /**
   * Does every page of the chunk at `head` (one max-order block) hold a
   * reference and no free-block head mark — i.e. is the whole block allocated,
   * so freeing its pages one by one can only merge inside it?
   */
  blockAllocated(head: number): boolean {
    const sec = this.secOf(head);
    const k = this.kind[sec];
    if (k === KIND_UNIFORM) return this.uRef[sec] !== 0 && this.uMap[sec] !== this.buddyMapcount;
    if (k !== KIND_CHUNKED) return false;
    const c = Math.floor((head - sec * this.sections.pfnsPerSection) / this.chunkPages);
    const t = this.tables[sec]!;
    const o = c * CHUNK_FIELDS;
    const ck = t.st[o];
    if (ck === CK_UNIFORM) return t.st[o + 2] !== 0 && t.st[o + 3] !== this.buddyMapcount;
    if (ck !== CK_ARRAYS) return false;
    const a = t.arrs[c]!;
    const buddy = this.buddyMapcount;
    for (let i = 0, n = this.chunkPages; i < n; i++) {
      if (a.r(i) === 0 || a.m(i) === buddy) return false;
    }
    return true;
  }

  /**
   * Every page of the chunk at `head` gets _refcount `ref`, _mapcount -1,
   * private 0 and no free-list node, its flags kept: what 2^maxOrder order-0
   * allocations leave in a max-order block (ref 1), or 2^maxOrder frees before
   * the merged head is marked (ref 0). A chunk whose flags are all equal ends
   * UNIFORM (its page arrays are dropped); otherwise the arrays are filled.
   */
  setBlockFields(head: number, ref: number): void {
    const sec = this.secOf(head);
    const t = this.chunked(sec);
    const c = Math.floor((head - sec * this.sections.pfnsPerSection) / this.chunkPages);
    const o = c * CHUNK_FIELDS;
    const s = t.st;
    let flags = s[o + 1]! | 0;
    if (s[o] === CK_ARRAYS) {
      const a = t.arrs[c]!;
      const n = this.chunkPages;
      flags = a.f(0) | 0;
      let same = true;
      for (let i = 1; i < n; i++) {
        if ((a.f(i) | 0) !== flags) {
          same = false;
          break;
        }
      }
      if (!same) {
        for (let i = 0; i < n; i++) a.put(i, a.f(i), ref, -1, 0);
        a.clearNodes();
        return;
      }
      a.release();
      t.arrs[c] = undefined;
      this.arraysCount--;
      const id = Math.floor(head / this.chunkPages);
      if (this.lastChunk === id) this.lastChunk = -1;
      if (this.prevChunk === id) this.prevChunk = -1;
    } else if (s[o] === CK_FREE_MAX) flags = PG_INIT | 0;
    s[o] = CK_UNIFORM;
    s[o + 1] = flags;
    s[o + 2] = ref;
    s[o + 3] = -1;
    s[o + 4] = 0;
    s[o + 5] = -1;
  }

  // ---- bulk reads (kernel-data.ts serialises a vmemmap frame; machine/state.ts digests) ----

  /**
   * peek() of the n struct pages [pfn, pfn + n) — inside one present section —
   * into `out`'s columns (index 0 is pfn), filled run by run over the
   * section's and chunks' forms: a uniform run with one fill per column, an
   * ARRAYS chunk from its palette bytes and its sorted node list, instead of
   * one peek() per page. Returns true when all n pages read one record and
   * none has a free-list node (their struct pages serialise to equal bytes
   * within one zone).
   */
  readPages(pfn: number, n: number, out: PageColumns): boolean {
    const { f, r, m, p, nd } = out;
    const sec = this.secOf(pfn);
    const k = this.kind[sec];
    if (k === KIND_UNIFORM) {
      f.fill(this.uFlags[sec]!, 0, n);
      r.fill(this.uRef[sec]!, 0, n);
      m.fill(this.uMap[sec]!, 0, n);
      p.fill(this.uPriv[sec]!, 0, n);
      nd.fill(-1, 0, n);
      return true;
    }
    const cp = this.chunkPages;
    const base = sec * this.sections.pfnsPerSection;
    for (let q = pfn, end = pfn + n; q < end; ) {
      const c = Math.floor((q - base) / cp);
      const cs = base + c * cp;
      const e = Math.min(end, cs + cp);
      const i0 = q - pfn;
      const i1 = e - pfn;
      let node = this.nodeBase[sec]! + c;
      let ck = CK_FREE_MAX;
      if (k === KIND_CHUNKED) {
        const t = this.tables[sec]!;
        const o = c * CHUNK_FIELDS;
        ck = t.st[o]!;
        if (ck === CK_UNIFORM) {
          f.fill(t.st[o + 1]! >>> 0, i0, i1);
          r.fill(t.st[o + 2]!, i0, i1);
          m.fill(t.st[o + 3]!, i0, i1);
          p.fill(t.st[o + 4]!, i0, i1);
          nd.fill(-1, i0, i1);
        } else if (ck === CK_ARRAYS) {
          readChunkPages(t.arrs[c]!, q - cs, i0, i1, out);
        } else node = t.st[o + 5]!;
      }
      if (ck === CK_FREE_MAX) {
        // One max-order free block: the tails, and its head where the range holds it.
        f.fill(PG_INIT, i0, i1);
        r.fill(0, i0, i1);
        m.fill(-1, i0, i1);
        p.fill(0, i0, i1);
        nd.fill(-1, i0, i1);
        if (q === cs) {
          m[i0] = this.buddyMapcount;
          p[i0] = this.maxOrder;
          nd[i0] = node;
        }
      }
      q = e;
    }
    const f0 = f[0]!;
    const r0 = r[0]!;
    const m0 = m[0]!;
    const p0 = p[0]!;
    for (let i = 0; i < n; i++) {
      if (f[i] !== f0 || r[i] !== r0 || m[i] !== m0 || p[i] !== p0 || nd[i] !== -1) return false;
    }
    return true;
  }
}

/** Per-page columns StructPages.readPages() fills (one entry per struct page read). */
export interface PageColumns {
  f: Uint32Array;
  r: Int32Array;
  m: Int32Array;
  p: Int32Array;
  /** Buddy free-list node, -1 where none. */
  nd: Int32Array;
}

/**
 * Pages [from, from + (i1 - i0)) of an ARRAYS chunk into out[i0, i1): each
 * page's record through its palette byte, the nodes from the sorted list
 * (what PageChunk.nd() answers per page: the first entry at the page).
 */
function readChunkPages(a: PageChunk, from: number, i0: number, i1: number, out: PageColumns): void {
  const { f, r, m, p, nd } = out;
  const idx = a.idx;
  const rec = a.rec;
  for (let i = i0, j = from; i < i1; i++, j++) {
    const b = idx[j]! << 2;
    f[i] = rec[b]!;
    r[i] = rec[b + 1]!;
    m[i] = rec[b + 2]!;
    p[i] = rec[b + 3]!;
  }
  nd.fill(-1, i0, i1);
  const nN = a.nN;
  if (nN === 0) return;
  const off = a.nOff;
  const to = from + (i1 - i0);
  let lo = 0;
  let hi = nN;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (off[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < nN && off[k]! < to; k++) {
    if (k > lo && off[k - 1] === off[k]) continue;
    nd[i0 + off[k]! - from] = a.nVal[k]!;
  }
}
