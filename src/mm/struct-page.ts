/**
 * struct page state, per pfn, without 64 bytes per page.
 *
 * Every present section (sparse.ts) has a memmap of 32768 pages. A section is
 * stored in one of three forms, converted to the full form lazily on the first
 * change that breaks its uniformity:
 *   UNIFORM  — every page has the same (flags, _refcount, _mapcount, private),
 *              e.g. a section of reserved RAM, or of firmware hole;
 *   FREE_MAX — every page is free RAM in max-order buddy blocks: the block heads
 *              (pfn % 2^maxOrder == 0) are PageBuddy with private = maxOrder and
 *              free-list node nodeBase + k; the tails are plain free pages;
 *   ARRAYS   — typed arrays per page: flags (u32), refcount, mapcount, private,
 *              buddy free-list node (i32 each) = 20 bytes/page, 640 KiB/section.
 * A 12 TiB map is almost all FREE_MAX or UNIFORM sections after boot.
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
import type { Sections } from './sparse.js';

/** Model-internal: the struct page was initialised (not a kernel flag). */
export const PG_INIT = 0x80000000;

const KIND_ABSENT = 0;
const KIND_UNIFORM = 1;
const KIND_FREE_MAX = 2;
const KIND_ARRAYS = 3;

interface SectionArrays {
  flags: Uint32Array;
  ref: Int32Array;
  map: Int32Array;
  priv: Int32Array;
  node: Int32Array;
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
  private readonly arrays: (SectionArrays | undefined)[];
  /** Raw _mapcount / page_type value that means PageBuddy. */
  readonly buddyMapcount: number;
  readonly maxOrder: number;
  /** Zone index lookup for the flags word (set_page_links). */
  private readonly zoneOfPfn: (pfn: number) => number;
  private materialisedCount = 0;

  constructor(
    profile: KernelProfile,
    sections: Sections,
    vmemmapBase: bigint,
    zoneOfPfn: (pfn: number) => number,
  ) {
    this.profile = profile;
    this.sections = sections;
    this.vmemmapBase = vmemmapBase;
    this.zoneOfPfn = zoneOfPfn;
    const n = sections.count;
    this.kind = new Uint8Array(n);
    this.uFlags = new Uint32Array(n);
    this.uRef = new Int32Array(n);
    this.uMap = new Int32Array(n).fill(-1);
    this.uPriv = new Int32Array(n);
    this.nodeBase = new Int32Array(n).fill(-1);
    this.arrays = new Array(n);
    for (let s = 0; s < n; s++) if (sections.isPresent(s)) this.kind[s] = KIND_UNIFORM;
    this.buddyMapcount = profile.mm.buddyMapcount;
    this.maxOrder = profile.mm.maxOrder;
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
    this.arrays.length = n;
    for (let s = old; s < n; s++) if (this.sections.isPresent(s)) this.kind[s] = KIND_UNIFORM;
  }

  /** A section was hot-removed (memunmap_pages): drop its memmap. */
  dropSection(sec: number): void {
    if (sec >= this.kind.length) return;
    if (this.arrays[sec]) {
      this.arrays[sec] = undefined;
      this.materialisedCount--;
    }
    this.kind[sec] = KIND_ABSENT;
    this.forgetCached(sec);
  }

  // ---- fast per-page accessors (hot paths of the user-mm model: no object per call) ----

  /** The two most recently used sections (a migration alternates system and device pages). */
  private lastSec = -1;
  private lastArr: SectionArrays | undefined;
  private prevSec = -1;
  private prevArr: SectionArrays | undefined;

  private forgetCached(sec: number): void {
    if (this.lastSec === sec) this.lastSec = -1;
    if (this.prevSec === sec) this.prevSec = -1;
  }

  /** The section arrays holding `pfn` (materialised), offset in `this.off`. */
  private at(pfn: number): SectionArrays {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    this.off = pfn - sec * per;
    if (sec === this.lastSec) return this.lastArr!;
    if (sec === this.prevSec) {
      const a = this.prevArr!;
      this.prevSec = this.lastSec;
      this.prevArr = this.lastArr;
      this.lastSec = sec;
      this.lastArr = a;
      return a;
    }
    this.secOf(pfn);
    const a = this.materialise(sec);
    this.prevSec = this.lastSec;
    this.prevArr = this.lastArr;
    this.lastSec = sec;
    this.lastArr = a;
    return a;
  }
  private off = 0;

  /** page_ref_count(). */
  ref(pfn: number): number {
    const a = this.at(pfn);
    return a.ref[this.off]!;
  }

  /** page_ref_add() (negative d = page_ref_sub); returns the new count. */
  refAdd(pfn: number, d: number): number {
    const a = this.at(pfn);
    const v = a.ref[this.off]! + d;
    a.ref[this.off] = v;
    return v;
  }

  /** set_page_count(). */
  setRef(pfn: number, v: number): void {
    const a = this.at(pfn);
    a.ref[this.off] = v;
  }

  /** Raw _mapcount (-1 = not mapped). */
  mapRaw(pfn: number): number {
    const a = this.at(pfn);
    return a.map[this.off]!;
  }

  /** atomic_add on _mapcount; returns the new raw value. */
  mapAdd(pfn: number, d: number): number {
    const a = this.at(pfn);
    const v = a.map[this.off]! + d;
    a.map[this.off] = v;
    return v;
  }

  setMapRaw(pfn: number, v: number): void {
    const a = this.at(pfn);
    a.map[this.off] = v;
  }

  /** test_bit(bit, &page->flags). */
  bit(pfn: number, bit: number): boolean {
    const a = this.at(pfn);
    return ((a.flags[this.off]! >>> bit) & 1) === 1;
  }

  /** set_bit / clear_bit on page->flags. */
  setBit(pfn: number, bit: number, on: boolean): void {
    const a = this.at(pfn);
    const f = a.flags[this.off]!;
    a.flags[this.off] = (on ? f | (1 << bit) : f & ~(1 << bit)) >>> 0;
  }

  /** Sections currently held as full per-page arrays (memory cost). */
  get materialisedSections(): number {
    return this.materialisedCount;
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

  /** Convert a section to per-page arrays (callers of set/updateRange invalidate nothing: arrays are stable). */
  private materialise(sec: number): SectionArrays {
    const existing = this.arrays[sec];
    if (existing) return existing;
    const n = this.sections.pfnsPerSection;
    const a: SectionArrays = {
      flags: new Uint32Array(n),
      ref: new Int32Array(n),
      map: new Int32Array(n),
      priv: new Int32Array(n),
      node: new Int32Array(n).fill(-1),
    };
    if (this.kind[sec] === KIND_UNIFORM) {
      a.flags.fill(this.uFlags[sec]!);
      a.ref.fill(this.uRef[sec]!);
      a.map.fill(this.uMap[sec]!);
      a.priv.fill(this.uPriv[sec]!);
    } else if (this.kind[sec] === KIND_FREE_MAX) {
      a.flags.fill(PG_INIT);
      a.map.fill(-1);
      const block = 2 ** this.maxOrder;
      const base = this.nodeBase[sec]!;
      for (let off = 0, k = 0; off < n; off += block, k++) {
        a.map[off] = this.buddyMapcount;
        a.priv[off] = this.maxOrder;
        a.node[off] = base + k;
      }
    }
    this.arrays[sec] = a;
    this.kind[sec] = KIND_ARRAYS;
    this.materialisedCount++;
    return a;
  }

  // ---- whole-section operations used at boot (keep sections compact) ----

  /** Set every page of a present section to one state (__init_single_page for a uniform section). */
  setSectionUniform(sec: number, st: Omit<PageState, 'node'>): void {
    if (this.kind[sec] === KIND_ABSENT) return;
    this.forgetCached(sec);
    if (this.arrays[sec]) {
      this.arrays[sec] = undefined;
      this.materialisedCount--;
    }
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
    this.forgetCached(sec);
    if (this.arrays[sec]) {
      this.arrays[sec] = undefined;
      this.materialisedCount--;
    }
    this.kind[sec] = KIND_FREE_MAX;
    this.nodeBase[sec] = nodeBase;
  }

  /** Apply `fn` to every page in [spfn, epfn) (present sections only), keeping uniform sections uniform. */
  updateRange(spfn: number, epfn: number, fn: (st: PageState) => void): void {
    const per = this.sections.pfnsPerSection;
    let pfn = spfn;
    const st: PageState = { flags: 0, refcount: 0, mapcount: -1, private: 0, node: -1 };
    while (pfn < epfn) {
      const sec = Math.floor(pfn / per);
      const secEnd = Math.min((sec + 1) * per, epfn);
      if (sec >= this.kind.length) break;
      if (this.kind[sec] === KIND_ABSENT) {
        pfn = secEnd;
        continue;
      }
      if (this.kind[sec] === KIND_UNIFORM && pfn === sec * per && secEnd === (sec + 1) * per) {
        Object.assign(st, this.uniformState(sec), { node: -1 });
        fn(st);
        this.setSectionUniform(sec, st);
        pfn = secEnd;
        continue;
      }
      const a = this.materialise(sec);
      for (let i = pfn - sec * per, e = secEnd - sec * per; i < e; i++) {
        st.flags = a.flags[i]!;
        st.refcount = a.ref[i]!;
        st.mapcount = a.map[i]!;
        st.private = a.priv[i]!;
        st.node = a.node[i]!;
        fn(st);
        a.flags[i] = st.flags >>> 0;
        a.ref[i] = st.refcount;
        a.map[i] = st.mapcount;
        a.priv[i] = st.private;
        a.node[i] = st.node;
      }
      pfn = secEnd;
    }
  }

  /**
   * Runs of equal (flags, _refcount, _mapcount, private) over the valid pfns of
   * [spfn, epfn) in ascending order — `fn(flags, refcount, mapcount, private, n)`
   * for n consecutive valid pfns with that state (absent sections are skipped,
   * so a run may span them). The same sequence of states as get() pfn by pfn,
   * at the cost of the sections' forms: O(1) for a UNIFORM section, one call
   * per block head or tail run for FREE_MAX, per page only for ARRAYS.
   */
  forEachStateRun(
    spfn: number,
    epfn: number,
    fn: (flags: number, refcount: number, mapcount: number, priv: number, n: number) => void,
  ): void {
    const per = this.sections.pfnsPerSection;
    let cf = 0;
    let cr = 0;
    let cm = 0;
    let cp = 0;
    let cn = 0;
    const put = (f: number, r: number, m: number, p: number, n: number): void => {
      if (n <= 0) return;
      if (cn > 0 && f === cf && r === cr && m === cm && p === cp) {
        cn += n;
        return;
      }
      if (cn > 0) fn(cf, cr, cm, cp, cn);
      cf = f;
      cr = r;
      cm = m;
      cp = p;
      cn = n;
    };
    const block = 2 ** this.maxOrder;
    for (let pfn = spfn; pfn < epfn; ) {
      const sec = Math.floor(pfn / per);
      const secEnd = Math.min(epfn, (sec + 1) * per);
      const k = sec < this.kind.length ? this.kind[sec] : KIND_ABSENT;
      if (k === KIND_UNIFORM) {
        put(this.uFlags[sec]!, this.uRef[sec]!, this.uMap[sec]!, this.uPriv[sec]!, secEnd - pfn);
      } else if (k === KIND_FREE_MAX) {
        for (let p = pfn; p < secEnd; ) {
          if (p % block === 0) {
            put(PG_INIT, 0, this.buddyMapcount, this.maxOrder, 1);
            p++;
            continue;
          }
          const e = Math.min(secEnd, p - (p % block) + block);
          put(PG_INIT, 0, -1, 0, e - p);
          p = e;
        }
      } else if (k === KIND_ARRAYS) {
        const a = this.arrays[sec]!;
        for (let i = pfn - sec * per, e = secEnd - sec * per; i < e; i++)
          put(a.flags[i]!, a.ref[i]!, a.map[i]!, a.priv[i]!, 1);
      }
      pfn = secEnd;
    }
    if (cn > 0) fn(cf, cr, cm, cp, cn);
  }

  /**
   * How the struct pages of [pfn, pfn + n) — within one section — read as
   * bytes (kernel-data.ts writeStructPage()): 0 = none is initialised, so all
   * are zero; 1 = an initialised page has a nonzero field for certain (a flag
   * bit, _refcount, _mapcount, private or free-list links; or last_cpupid,
   * all ones when the profile has it); 2 = only the bytes can tell. Decided
   * from the section's form, per page only for ARRAYS sections.
   */
  memmapZeroness(pfn: number, n: number): 0 | 1 | 2 {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    const k = sec < this.kind.length ? this.kind[sec] : KIND_ABSENT;
    if (k === KIND_ABSENT) return 0;
    const cpupid = this.profile.mm.pageFlags.lastCpupidWidth > 0;
    const one = (f: number, r: number, m: number, p: number, node: number): 0 | 1 | 2 => {
      if (!(f & PG_INIT)) return 0;
      if (cpupid || (f & ~PG_INIT) !== 0 || r !== 0 || m !== 0 || p !== 0 || node >= 0) return 1;
      return 2;
    };
    if (k === KIND_UNIFORM)
      return one(this.uFlags[sec]!, this.uRef[sec]!, this.uMap[sec]!, this.uPriv[sec]!, -1);
    if (k === KIND_FREE_MAX) return 1; // initialised free pages: _mapcount -1 (tails) or the buddy marker
    const a = this.arrays[sec]!;
    let unsure = false;
    for (let i = pfn - sec * per, e = i + n; i < e; i++) {
      const z = one(a.flags[i]!, a.ref[i]!, a.map[i]!, a.priv[i]!, a.node[i]!);
      if (z === 1) return 1;
      if (z === 2) unsure = true;
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
    const off = pfn - sec * this.sections.pfnsPerSection;
    if (k === KIND_FREE_MAX) {
      const block = 2 ** this.maxOrder;
      const head = off % block === 0;
      st.flags = PG_INIT;
      st.refcount = 0;
      st.mapcount = head ? this.buddyMapcount : -1;
      st.private = head ? this.maxOrder : 0;
      st.node = head ? this.nodeBase[sec]! + off / block : -1;
      return st;
    }
    const a = this.arrays[sec]!;
    st.flags = a.flags[off]!;
    st.refcount = a.ref[off]!;
    st.mapcount = a.map[off]!;
    st.private = a.priv[off]!;
    st.node = a.node[off]!;
    return st;
  }

  /** The page's state (copy). */
  get(pfn: number): PageState {
    const sec = this.secOf(pfn);
    const k = this.kind[sec];
    if (k === KIND_UNIFORM) return { ...this.uniformState(sec), node: -1 };
    const off = pfn - sec * this.sections.pfnsPerSection;
    if (k === KIND_FREE_MAX) {
      const block = 2 ** this.maxOrder;
      if (off % block === 0) {
        return {
          flags: PG_INIT,
          refcount: 0,
          mapcount: this.buddyMapcount,
          private: this.maxOrder,
          node: this.nodeBase[sec]! + off / block,
        };
      }
      return { flags: PG_INIT, refcount: 0, mapcount: -1, private: 0, node: -1 };
    }
    const a = this.arrays[sec]!;
    return {
      flags: a.flags[off]!,
      refcount: a.ref[off]!,
      mapcount: a.map[off]!,
      private: a.priv[off]!,
      node: a.node[off]!,
    };
  }

  /**
   * The lowest order o at which pfn's aligned head is a free block of order
   * o (PageBuddy, private == o), or -1: the test take_page_off_buddy() makes
   * at each order, without an object per order. A head lies in pfn's own
   * section (a section spans at least one max-order block).
   */
  freeHeadOrder(pfn: number): number {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    if (sec < 0 || sec >= this.kind.length) return -1;
    const k = this.kind[sec];
    if (k === KIND_ABSENT) return -1;
    const buddy = this.buddyMapcount;
    const max = this.maxOrder;
    // Every page of a UNIFORM section has the same fields, so the head test holds at order
    // `private` or never; a FREE_MAX section's pfn lies in a max-order free block.
    if (k === KIND_UNIFORM) {
      const p = this.uPriv[sec]!;
      return this.uMap[sec] === buddy && p >= 0 && p <= max ? p : -1;
    }
    if (k === KIND_FREE_MAX) return max;
    const a = this.arrays[sec]!;
    const map = a.map;
    const priv = a.priv;
    const rel = pfn - sec * per; // < pfnsPerSection: a small integer
    for (let o = 0; o <= max; o++) {
      const off = rel & -(1 << o); // the order-o aligned head, relative to the section
      if (map[off] === buddy && priv[off] === o) return o;
    }
    return -1;
  }

  /**
   * PageBuddy(page) ? buddy_order(page) : -1 — read straight from the
   * section's arrays when it has them (the allocator's merge loop), without
   * filling peek()'s record. The pfn must have a memmap (pfn_valid).
   */
  buddyOrder(pfn: number): number {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    if (this.kind[sec] === KIND_ARRAYS) {
      const a = this.arrays[sec]!;
      const off = pfn - sec * per;
      return a.map[off] === this.buddyMapcount ? a.priv[off]! : -1;
    }
    const st = this.peek(pfn);
    return st.mapcount === this.buddyMapcount ? st.private : -1;
  }

  /** The free-list node a free block head carries (peek().node without the record). */
  buddyNode(pfn: number): number {
    const per = this.sections.pfnsPerSection;
    const sec = Math.floor(pfn / per);
    if (this.kind[sec] === KIND_ARRAYS) return this.arrays[sec]!.node[pfn - sec * per]!;
    return this.peek(pfn).node;
  }

  /** The buddy free-list node of a free block head (-1 when `pfn` is not one), without an object. */
  nodeOf(pfn: number): number {
    const sec = this.secOf(pfn);
    const k = this.kind[sec];
    if (k === KIND_UNIFORM) return -1;
    const off = pfn - sec * this.sections.pfnsPerSection;
    if (k === KIND_FREE_MAX) {
      const block = 2 ** this.maxOrder;
      return off % block === 0 ? this.nodeBase[sec]! + off / block : -1;
    }
    return this.arrays[sec]!.node[off]!;
  }

  /** page->flags |= flags; _mapcount = mapcount (a page handed to a user), without an object. */
  orFlagsSetMapcount(pfn: number, flags: number, mapcount: number): void {
    const a = this.at(pfn);
    a.flags[this.off] = (a.flags[this.off]! | flags) >>> 0;
    a.map[this.off] = mapcount;
  }

  /** A free block head's fields in one call: _mapcount, private, node and _refcount. */
  setFreeHead(pfn: number, mapcount: number, priv: number, node: number, refcount: number): void {
    const a = this.at(pfn);
    const o = this.off;
    a.map[o] = mapcount;
    a.priv[o] = priv;
    a.node[o] = node;
    a.ref[o] = refcount;
  }

  /** Set the buddy fields (_mapcount, private, the free-list node) without an object per call. */
  setBuddyFields(pfn: number, mapcount: number, priv: number, node: number): void {
    const sec = this.secOf(pfn);
    const a = this.materialise(sec);
    const off = pfn - sec * this.sections.pfnsPerSection;
    a.map[off] = mapcount;
    a.priv[off] = priv;
    a.node[off] = node;
  }

  /** set_page_count() without an object per call. */
  setRefcount(pfn: number, v: number): void {
    const sec = this.secOf(pfn);
    const a = this.materialise(sec);
    a.ref[pfn - sec * this.sections.pfnsPerSection] = v;
  }

  /** Overwrite a page's state. */
  set(pfn: number, st: PageState): void {
    const sec = this.secOf(pfn);
    const a = this.materialise(sec);
    const off = pfn - sec * this.sections.pfnsPerSection;
    a.flags[off] = st.flags >>> 0;
    a.ref[off] = st.refcount;
    a.map[off] = st.mapcount;
    a.priv[off] = st.private;
    a.node[off] = st.node;
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
}
