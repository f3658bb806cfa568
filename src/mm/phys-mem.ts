/**
 * The model's physical memory: one address space, page granular and sparse.
 *
 * Backing per 4 KiB frame, in lookup order:
 *   1. materialised — a Uint8Array(4096) created on the first write to the frame
 *      (page-table pages, bitmaps, kernel objects the model writes);
 *   1b. synthesised — a kernel object the model keeps compactly (a PBE chain page,
 *      an all-ones bitmap leaf): a FrameSource produces its current bytes on read
 *      until the frame is written (frame() then materialises it from the source) or
 *      discarded. To every caller it is a materialised frame (isMaterialised(),
 *      materialisedPfns(), copies, dumps) without 4 KiB of host memory;
 *   2. generated — a PageContentProvider may produce a frame's bytes on read
 *      (workload pages made from a seed); such a frame becomes materialised when
 *      written;
 *   3. kernel data — the booted kernel's own objects that the model keeps as
 *      typed state (the vmemmap's struct pages, pglist_data, mem_section roots,
 *      nosave_region objects): serialised on read by the machine's kernel-data
 *      provider (src/machine/kernel-data.ts), so they read as real bytes and
 *      reflect the current state; the workload provider may override a frame
 *      (a restored page, an explicit zero page);
 *   4. zero — everything else.
 *
 * Multi-byte accessors are little endian (x86). Addresses are JS numbers: x86-64
 * physical addresses are < 2^52, exact in a double.
 */

import { PagedIndex } from '../util/paged-index.js';
import { type HostBudget, TYPED_ARRAY_HOST_BYTES } from './host-budget.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

/** Produces the contents of frames that are not materialised (see "Kernel objects live in model memory" in ARCHITECTURE.md). */
export interface PageContentProvider {
  /** True if this provider generates the frame's bytes (otherwise the frame reads as zero). */
  covers(pfn: number): boolean;
  /** Fill `dst` (4096 bytes, zeroed) with the frame's bytes. */
  fill(pfn: number, dst: Uint8Array): void;
  /**
   * Told the memory's kernel-data provider when installed over it, so the
   * workload provider answers for kernel frames too (ContentMap: KDATA).
   */
  attachKernel?(kernel: PageContentProvider | null): void;
  /**
   * Optional: if the frame's bytes are a pure function of a content
   * descriptor (workload/content.ts generatePage()), write (kind, seed, src)
   * at out[at..at+2] and return true; else false.
   */
  generatedDescriptor?(pfn: number, out: Uint32Array, at: number): boolean;
  /**
   * Optional: does frame `pfn` read as all zero bytes? true / false when the
   * provider knows without producing the bytes, undefined when it does not.
   */
  isZeroFrame?(pfn: number): boolean | undefined;
  /**
   * Optional: how many of frames pfn … pfn + n - 1, from the first, this
   * provider covers and isZeroFrame() answers false for (known not all zero) —
   * the same answers a frame at a time.
   */
  nonZeroRun?(pfn: number, n: number): number;
  /**
   * Optional: how many of frames pfn … pfn + n - 1, from the first, get the
   * same covers() answer as frame pfn (0 when n ≤ 0) — covers() frame by frame.
   */
  sameCoverRun?(pfn: number, n: number): number;
}

/**
 * The bytes of synthesised frames (PhysMem.synthesise()): a kernel object the
 * model keeps as typed state. fill() writes the frame's CURRENT bytes (the
 * object may have grown since the frame was attached) into a zeroed dst.
 */
export interface FrameSource {
  fill(pfn: number, dst: Uint8Array): void;
}

/** Frames per leaf of the frame table (16 MiB of physical address space). */
const LEAF_SHIFT = 12;
const LEAF = 1 << LEAF_SHIFT;
/** A sparse leaf holds at most this many frames; one more makes it dense. */
const SPARSE_MAX = 64;

/**
 * One 16 MiB leaf of the frame table, in one of two forms:
 *  - sparse: a presence bitmap (a miss is one bit test) and up to SPARSE_MAX
 *    (index, frame) pairs, indexes ascending (a hit is a binary search) —
 *    ~1 KiB. Materialised frames are mostly scattered (bitmap pages, PBE
 *    pages, copy frames): a 64 GiB run has a few per leaf in thousands of
 *    leaves, where a dense leaf costs 32 KiB each (~145 MiB for two machines);
 *  - dense: a 4096-slot array, once a leaf fills (a user region, its mirror).
 */
interface Leaf<T> {
  dense: (T | undefined)[] | null;
  /** Sparse form: bit i set when index i has a frame. */
  bits: Uint32Array | null;
  idx: Uint16Array | null;
  frames: T[];
  n: number;
}

function sparseSlot<T>(l: Leaf<T>, i: number): number {
  const idx = l.idx!;
  let lo = 0;
  let hi = l.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (idx[mid]! < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * pfn → materialised frame: 4096-pfn leaves (a PagedIndex) with a two-leaf cache.
 * A flat Map<pfn, frame> hashed every access; with a million frames (a 1 GiB
 * user region, its mirror and device rpages) its lookups dominated page copies.
 */
class FrameTable<T> {
  /** Leaf number → leaf (array lookups: scattered pfns miss the cache below), and the leaf numbers made, for keys(). */
  private readonly leaves = new PagedIndex<Leaf<T>>();
  private readonly leafKeys: number[] = [];
  /**
   * The last two leaves looked up, misses included (undefined: no such leaf):
   * page copies alternate between a source and a destination region, and
   * most lookups of a big model are misses (a frame that is not materialised).
   */
  private key0 = -1;
  private leaf0: Leaf<T> | undefined;
  private key1 = -1;
  private leaf1: Leaf<T> | undefined;
  size = 0;

  /** Called before the table takes a frame it did not hold (+1) and after it lets one go (-1). */
  constructor(private readonly onCount: ((d: 1 | -1) => void) | null = null) {}

  private leaf(pfn: number, create: boolean): Leaf<T> | undefined {
    const k = Math.floor(pfn / LEAF);
    if (k === this.key0 && (this.leaf0 !== undefined || !create)) return this.leaf0;
    if (k === this.key1 && (this.leaf1 !== undefined || !create)) {
      // Most recent first.
      const l = this.leaf1;
      this.key1 = this.key0;
      this.leaf1 = this.leaf0;
      this.key0 = k;
      this.leaf0 = l;
      return l;
    }
    let l = this.leaves.get(k);
    if (!l && create) {
      l = { dense: null, bits: new Uint32Array(LEAF / 32), idx: new Uint16Array(8), frames: [], n: 0 };
      this.leaves.set(k, l);
      this.leafKeys.push(k);
    }
    if (k === this.key1) {
      // A cached miss that is now a leaf: replace that entry.
      this.key1 = -1;
      this.leaf1 = undefined;
    }
    if (k !== this.key0) {
      this.key1 = this.key0;
      this.leaf1 = this.leaf0;
    }
    this.key0 = k;
    this.leaf0 = l;
    return l;
  }

  get(pfn: number): T | undefined {
    const l = this.leaf(pfn, false);
    if (l === undefined) return undefined;
    const i = pfn % LEAF;
    if (l.dense !== null) return l.dense[i];
    if ((l.bits![i >>> 5]! & (1 << (i & 31))) === 0) return undefined;
    return l.frames[sparseSlot(l, i)];
  }

  has(pfn: number): boolean {
    return this.get(pfn) !== undefined;
  }

  set(pfn: number, f: T): void {
    const l = this.leaf(pfn, true)!;
    const i = pfn % LEAF;
    if (l.dense !== null) {
      if (l.dense[i] === undefined) {
        this.onCount?.(1);
        this.size++;
      }
      l.dense[i] = f;
      return;
    }
    const at = sparseSlot(l, i);
    if ((l.bits![i >>> 5]! & (1 << (i & 31))) !== 0) {
      l.frames[at] = f;
      return;
    }
    this.onCount?.(1);
    this.size++;
    if (l.n === SPARSE_MAX) {
      // Full: the dense form from here on.
      const d = new Array<T | undefined>(LEAF).fill(undefined);
      for (let k = 0; k < l.n; k++) d[l.idx![k]!] = l.frames[k];
      d[i] = f;
      l.dense = d;
      l.bits = null;
      l.idx = null;
      l.frames = [];
      l.n = 0;
      return;
    }
    if (l.n === l.idx!.length) {
      const g = new Uint16Array(Math.min(SPARSE_MAX, l.n * 2));
      g.set(l.idx!);
      l.idx = g;
    }
    l.idx!.copyWithin(at + 1, at, l.n);
    l.idx![at] = i;
    l.frames.splice(at, 0, f);
    l.n++;
    l.bits![i >>> 5]! |= 1 << (i & 31);
  }

  delete(pfn: number): void {
    const l = this.leaf(pfn, false);
    if (l === undefined) return;
    const i = pfn % LEAF;
    if (l.dense !== null) {
      if (l.dense[i] === undefined) return;
      l.dense[i] = undefined;
      this.size--;
      this.onCount?.(-1);
      return;
    }
    if ((l.bits![i >>> 5]! & (1 << (i & 31))) === 0) return;
    const at = sparseSlot(l, i);
    l.idx!.copyWithin(at, at + 1, l.n);
    l.frames.splice(at, 1);
    l.n--;
    l.bits![i >>> 5]! &= ~(1 << (i & 31));
    this.size--;
    this.onCount?.(-1);
  }

  /**
   * The first pfn in [pfn, end) that holds a frame here, or `end`: empty
   * leaves are passed whole, a sparse leaf's bit words 32 pfns at a time.
   */
  nextIn(pfn: number, end: number): number {
    let p = pfn;
    while (p < end) {
      const base = p - (p % LEAF);
      const leafEnd = Math.min(end, base + LEAF);
      const l = this.leaf(p, false);
      if (l !== undefined) {
        if (l.dense !== null) {
          for (; p < leafEnd; p++) if (l.dense[p - base] !== undefined) return p;
        } else if (l.n > 0) {
          const bits = l.bits!;
          const e = leafEnd - base;
          let i = p - base;
          while (i < e) {
            const w = bits[i >>> 5]! >>> (i & 31);
            if (w === 0) {
              i = (i | 31) + 1;
              continue;
            }
            i += 31 - Math.clz32(w & -w);
            if (i < e) return base + i;
            break;
          }
        }
      }
      p = leafEnd;
    }
    return end;
  }

  /** Does the 4096-frame leaf holding pfn hold any frame? (bulk discards skip empty leaves) */
  leafHasFrames(pfn: number): boolean {
    const l = this.leaf(pfn, false);
    return l !== undefined && (l.dense !== null || l.n > 0);
  }

  /** Materialised pfns, ascending. */
  keys(): number[] {
    const out: number[] = [];
    for (const k of [...this.leafKeys].sort((a, b) => a - b)) {
      const l = this.leaves.get(k)!;
      if (l.dense !== null) {
        for (let i = 0; i < LEAF; i++) if (l.dense[i] !== undefined) out.push(k * LEAF + i);
      } else for (let j = 0; j < l.n; j++) out.push(k * LEAF + l.idx![j]!);
    }
    return out;
  }
}

/**
 * pfn → the one other frame that shares its buffer (PhysMem.copyFrame), held
 * as entry + 1 in 4096-entry Float64Array leaves (0 = not shared) with a
 * one-leaf cache: no object-keyed lookups on the per-page paths. A leaf,
 * once made, stays (8 bytes per frame of the 16 MiB it covers: 0.2%).
 */
class Partners {
  private readonly leaves = new PagedIndex<Float64Array>();
  constructor(private readonly budget: HostBudget | null) {}
  private lastKey = -1;
  private last: Float64Array | undefined;
  /** Pairs of frames currently sharing a buffer. */
  pairs = 0;

  private leaf(pfn: number, create: boolean): Float64Array | undefined {
    const k = Math.floor(pfn / LEAF);
    if (k === this.lastKey) return this.last;
    let l = this.leaves.get(k);
    if (!l) {
      if (!create) return undefined;
      this.budget?.charge('frames', LEAF * 8);
      l = new Float64Array(LEAF);
      this.leaves.set(k, l);
    }
    this.lastKey = k;
    this.last = l;
    return l;
  }

  /** The frame sharing pfn's buffer, or -1. */
  get(pfn: number): number {
    if (this.pairs === 0) return -1;
    const l = this.leaf(pfn, false);
    return l ? l[pfn & (LEAF - 1)]! - 1 : -1;
  }

  private put(pfn: number, v: number): void {
    this.leaf(pfn, true)![pfn & (LEAF - 1)] = v + 1;
  }

  link(a: number, b: number): void {
    this.put(a, b);
    this.put(b, a);
    this.pairs++;
  }

  /** pfn and its partner stop sharing (nothing when pfn shares with none). */
  unlink(pfn: number): void {
    const q = this.get(pfn);
    if (q < 0) return;
    this.put(pfn, -1);
    this.put(q, -1);
    this.pairs--;
  }
}

/** Recycled frame buffers kept at most (16 MiB). */
const MAX_SPARE = 4096;

/** Host bytes a materialised frame is charged: its own Uint8Array (host-budget.ts) and its table slot. */
const FRAME_COST = PAGE_SIZE + TYPED_ARRAY_HOST_BYTES + 16;

export class PhysMem {
  /**
   * @param budget charged for every materialised frame and partner leaf
   *   (host-budget.ts); null: unbounded
   */
  constructor(readonly budget: HostBudget | null = null) {
    this.pages = new FrameTable<Uint8Array>(
      budget === null
        ? null
        : (d) => (d === 1 ? budget.charge('frames', FRAME_COST) : budget.release('frames', FRAME_COST)),
    );
    this.partners = new Partners(budget);
  }

  private readonly pages: FrameTable<Uint8Array>;
  /** Synthesised frames: pfn → the source of its bytes (never also in `pages`). */
  private readonly synth = new FrameTable<FrameSource>();
  private provider: PageContentProvider | null = null;
  private kernel: PageContentProvider | null = null;
  /** Scratch for reads of generated frames. */
  private readonly scratch = new Uint8Array(PAGE_SIZE);
  /**
   * Buffers of recycled frames (recycle()), handed to the next frame that
   * materialises: a new ArrayBuffer per 4 KiB frame costs an allocation, its
   * first-touch page faults and external-memory GC pressure, which dominated
   * migrating a large user region (bench/hmm.ts).
   */
  private readonly spare: Uint8Array[] = [];

  setProvider(p: PageContentProvider | null): void {
    this.provider = p;
    p?.attachKernel?.(this.kernel);
  }

  /** The kernel-data provider consulted after the workload provider (set once at boot). */
  setKernelProvider(p: PageContentProvider | null): void {
    this.kernel = p;
    this.provider?.attachKernel?.(p);
  }

  /** Does a provider (workload or kernel data) produce this non-materialised frame? */
  isGenerated(pfn: number): boolean {
    return (
      !this.isMaterialised(pfn) && (this.provider?.covers(pfn) === true || this.kernel?.covers(pfn) === true)
    );
  }

  /**
   * Make `pfn` a synthesised frame: until it is written or discarded, its
   * bytes are whatever `src.fill()` produces at the time of each read. Any
   * materialised buffer it had is dropped.
   */
  synthesise(pfn: number, src: FrameSource): void {
    this.partners.unlink(pfn);
    this.pages.delete(pfn);
    this.synth.set(pfn, src);
  }

  /** The source of a synthesised frame, or undefined. */
  sourceOf(pfn: number): FrameSource | undefined {
    return this.synth.size === 0 ? undefined : this.synth.get(pfn);
  }

  /** Number of synthesised frames (their bytes cost no host page). */
  get synthesisedCount(): number {
    return this.synth.size;
  }

  private dropSynth(pfn: number): void {
    if (this.synth.size !== 0) this.synth.delete(pfn);
  }

  private fillFromProviders(pfn: number, dst: Uint8Array): boolean {
    if (this.provider?.covers(pfn)) {
      this.provider.fill(pfn, dst);
      return true;
    }
    if (this.kernel?.covers(pfn)) {
      this.kernel.fill(pfn, dst);
      return true;
    }
    return false;
  }

  /**
   * The generated-page descriptor of a non-materialised frame (see
   * PageContentProvider.generatedDescriptor()): true when out[at..at+2] now
   * say how to make its bytes, false when they must be read (readPageInto()).
   */
  generatedDescriptor(pfn: number, out: Uint32Array, at: number): boolean {
    if (this.isMaterialised(pfn)) return false;
    return this.provider?.generatedDescriptor?.(pfn, out, at) === true;
  }

  /** Does the frame hold bytes of its own (a buffer, or a synthesised frame's source)? */
  isMaterialised(pfn: number): boolean {
    return this.pages.has(pfn) || (this.synth.size !== 0 && this.synth.has(pfn));
  }

  /** Number of materialised frames, synthesised ones included. */
  get materialisedCount(): number {
    return this.pages.size + this.synth.size;
  }

  /** Frames with a host buffer (memory cost of the model). */
  get bufferCount(): number {
    return this.pages.size;
  }

  /** Materialised frame numbers (synthesised ones included), ascending. */
  materialisedPfns(): number[] {
    const a = this.pages.keys();
    if (this.synth.size === 0) return a;
    const b = this.synth.keys();
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
      else out.push(b[j++]!);
    }
    return out;
  }

  /** Read-only view of a frame's bytes (a shared scratch buffer for non-materialised frames). */
  private frameForRead(pfn: number): Uint8Array | null {
    const p = this.pages.get(pfn);
    if (p) return p;
    const src = this.sourceOf(pfn);
    if (src !== undefined) {
      this.scratch.fill(0);
      src.fill(pfn, this.scratch);
      return this.scratch;
    }
    if (this.provider?.covers(pfn) || this.kernel?.covers(pfn)) {
      this.scratch.fill(0);
      this.fillFromProviders(pfn, this.scratch);
      return this.scratch;
    }
    return null;
  }

  /**
   * The frame's buffer, to read or write, materialising it (with generated
   * content, if any) first. A buffer shared by copyFrame() is copied first:
   * the caller gets one only this frame holds.
   */
  frame(pfn: number): Uint8Array {
    let p = this.pages.get(pfn);
    if (!p) {
      p = this.newBuffer();
      const src = this.sourceOf(pfn);
      if (src !== undefined) {
        src.fill(pfn, p);
        this.synth.delete(pfn);
      } else this.fillFromProviders(pfn, p);
      this.pages.set(pfn, p);
    } else if (this.partners.pairs !== 0 && this.partners.get(pfn) >= 0) p = this.unshare(pfn, p);
    return p;
  }

  /** Zero a whole frame (clear_page); materialises it. */
  zeroPage(pfn: number): void {
    this.dropSynth(pfn);
    const p = this.pages.get(pfn);
    if (p && this.partners.get(pfn) < 0) p.fill(0);
    else {
      this.partners.unlink(pfn);
      this.pages.set(pfn, this.newBuffer());
    }
  }

  /** Drop a frame's backing so it reads as zero / generated again. */
  discard(pfn: number): void {
    this.partners.unlink(pfn);
    this.pages.delete(pfn);
    this.dropSynth(pfn);
  }

  /** discard() of frames pfn … pfn + n - 1; a leaf without materialised frames is skipped whole. */
  discardRange(pfn: number, n: number): void {
    // discard() of a frame with no buffer and no source changes nothing (a frame shares a
    // buffer only while it has one): only the frames the two tables hold are visited.
    const end = pfn + n;
    for (let p = this.pages.nextIn(pfn, end); p < end; p = this.pages.nextIn(p + 1, end)) this.discard(p);
    if (this.synth.size === 0) return;
    for (let p = this.synth.nextIn(pfn, end); p < end; p = this.synth.nextIn(p + 1, end)) this.discard(p);
  }

  /**
   * discard() of frames c, c + step, … (n of them, step ±1 or any): a run of
   * consecutive frames either way is discardRange() of its span (each frame's
   * discard is its own: the order does not change what is left).
   */
  discardStrided(c: number, step: number, n: number): void {
    if (n <= 0) return;
    if (step === 1 || step === -1) this.discardRange(step === 1 ? c : c - (n - 1), n);
    else for (let i = 0; i < n; i++) this.discard(c + i * step);
  }

  /**
   * How many of frames pfn … pfn + n - 1, from the first, are not
   * materialised (isMaterialised() false): a leaf with no buffer and no
   * synthesised frame is passed whole.
   */
  unmaterialisedRun(pfn: number, n: number): number {
    // The first frame either table holds (a sparse leaf is a bitmap scan, an empty one a skip).
    const end = pfn + n;
    const p = this.pages.nextIn(pfn, end);
    const q = this.synth.size === 0 ? end : this.synth.nextIn(pfn, p);
    return Math.min(p, q, end) - pfn;
  }

  /**
   * discard() of pfns[i..j) — ascending — a leaf at a time: the pfns of a
   * leaf without materialised or synthesised frames are skipped at once
   * (discard() would find nothing to drop), as in discardRange().
   */
  discardSorted(pfns: Float64Array, i: number, j: number): void {
    for (let k = i; k < j; ) {
      const leafEnd = (Math.floor(pfns[k]! / LEAF) + 1) * LEAF;
      let e = k + 1;
      while (e < j && pfns[e]! < leafEnd) e++;
      const p = pfns[k]!;
      if (this.pages.leafHasFrames(p) || (this.synth.size !== 0 && this.synth.leafHasFrames(p)))
        for (let x = k; x < e; x++) this.discard(pfns[x]!);
      k = e;
    }
  }

  /**
   * discard() for a frame whose buffer nobody holds a view of any more (a
   * freed user folio): the buffer is kept (up to MAX_SPARE) for the next
   * frame that materialises — unless another frame still shares it.
   */
  recycle(pfn: number): void {
    this.dropSynth(pfn);
    const p = this.pages.get(pfn);
    if (!p) return;
    this.pages.delete(pfn);
    if (this.partners.get(pfn) >= 0) this.partners.unlink(pfn);
    else if (this.spare.length < MAX_SPARE) this.spare.push(p);
  }

  /**
   * Copy a materialised frame `src` to `dst` (copy_highpage). A dst that is
   * not materialised (a freshly allocated page: nobody can hold a view of it)
   * shares src's buffer instead of copying 4 KiB, when src shares with no
   * other frame yet: the two read the same bytes until either is written
   * through frame(), which gives the writer its own copy, or freed. The copy
   * migrate_vma makes before freeing the source (every page of a device
   * migration) so costs no bytes. Holders of a view of src from before the
   * copy must not write through it afterwards: every caller unmaps or
   * write-protects src first, and the CPU model's views die with the TLB
   * generation that bumps.
   */
  copyFrame(dst: number, src: number): void {
    const from = this.pages.get(src);
    if (!from) {
      const s = this.sourceOf(src);
      if (s === undefined) throw new Error(`copyFrame: pfn 0x${src.toString(16)} is not materialised`);
      if (dst === src) return;
      // A synthesised source: dst gets the bytes it reads as now.
      this.discard(dst);
      const q = this.newBuffer();
      s.fill(src, q);
      this.pages.set(dst, q);
      return;
    }
    if (dst === src) return;
    this.dropSynth(dst);
    const to = this.pages.get(dst);
    if (to) {
      if (this.partners.get(dst) < 0) {
        to.set(from);
        return;
      }
      this.partners.unlink(dst);
    }
    if (this.partners.get(src) >= 0) {
      const q = this.spare.pop() ?? new Uint8Array(PAGE_SIZE);
      q.set(from);
      this.pages.set(dst, q);
      return;
    }
    this.pages.set(dst, from);
    this.partners.link(dst, src);
  }

  /** Frames that share their buffer with another frame (copyFrame), by pfn. */
  private readonly partners: Partners;

  /** Buffers currently held by two frames (copyFrame). */
  get sharedBuffers(): number {
    return this.partners.pairs;
  }

  /** Give `pfn` its own copy of the buffer `p` it shares. */
  private unshare(pfn: number, p: Uint8Array): Uint8Array {
    this.partners.unlink(pfn);
    const q = this.spare.pop() ?? new Uint8Array(PAGE_SIZE);
    q.set(p);
    this.pages.set(pfn, q);
    return q;
  }

  /** A zeroed 4 KiB buffer: a recycled one, else a new one. */
  private newBuffer(): Uint8Array {
    const p = this.spare.pop();
    if (!p) return new Uint8Array(PAGE_SIZE);
    p.fill(0);
    return p;
  }

  /**
   * Copy frame `pfn` into dst[at, at + 4096) without allocating (for a
   * materialised or zero frame): materialised, generated or zero.
   */
  readPageInto(pfn: number, dst: Uint8Array, at = 0): void {
    const p = this.pages.get(pfn);
    if (p) {
      dst.set(p, at);
      return;
    }
    dst.fill(0, at, at + PAGE_SIZE);
    const src = this.sourceOf(pfn);
    if (src !== undefined) src.fill(pfn, at ? dst.subarray(at, at + PAGE_SIZE) : dst);
    else if (this.provider?.covers(pfn) || this.kernel?.covers(pfn))
      this.fillFromProviders(pfn, at ? dst.subarray(at, at + PAGE_SIZE) : dst);
  }

  read(paddr: number | bigint, len: number): Uint8Array {
    let a = Number(paddr);
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const pfn = Math.floor(a / PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - off);
      const f = this.frameForRead(pfn);
      if (f) out.set(f.subarray(off, off + n), done);
      done += n;
      a += n;
    }
    return out;
  }

  write(paddr: number | bigint, bytes: Uint8Array): void {
    let a = Number(paddr);
    let done = 0;
    while (done < bytes.length) {
      const pfn = Math.floor(a / PAGE_SIZE);
      const off = a - pfn * PAGE_SIZE;
      const n = Math.min(bytes.length - done, PAGE_SIZE - off);
      this.frame(pfn).set(bytes.subarray(done, done + n), off);
      done += n;
      a += n;
    }
  }

  u8(paddr: number | bigint): number {
    const a = Number(paddr);
    const pfn = Math.floor(a / PAGE_SIZE);
    const f = this.frameForRead(pfn);
    return f ? f[a - pfn * PAGE_SIZE]! : 0;
  }

  setU8(paddr: number | bigint, v: number): void {
    const a = Number(paddr);
    const pfn = Math.floor(a / PAGE_SIZE);
    this.frame(pfn)[a - pfn * PAGE_SIZE] = v & 0xff;
  }

  /** u32 at a 4-byte aligned physical address, without allocating (page-walk fast path). */
  u32Aligned(paddr: number): number {
    const pfn = Math.floor(paddr / PAGE_SIZE);
    const o = paddr - pfn * PAGE_SIZE;
    const p = this.pages.get(pfn);
    if (p) return (p[o]! | (p[o + 1]! << 8) | (p[o + 2]! << 16) | (p[o + 3]! << 24)) >>> 0;
    const f = this.frameForRead(pfn);
    return f ? (f[o]! | (f[o + 1]! << 8) | (f[o + 2]! << 16) | (f[o + 3]! << 24)) >>> 0 : 0;
  }

  u32(paddr: number | bigint): number {
    const b = this.read(paddr, 4);
    return new DataView(b.buffer).getUint32(0, true);
  }

  setU32(paddr: number | bigint, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(paddr, b);
  }

  u64(paddr: number | bigint): bigint {
    const a = Number(paddr);
    const pfn = Math.floor(a / PAGE_SIZE);
    const off = a - pfn * PAGE_SIZE;
    if (off <= PAGE_SIZE - 8) {
      const f = this.frameForRead(pfn);
      if (!f) return 0n;
      return new DataView(f.buffer, f.byteOffset).getBigUint64(off, true);
    }
    return new DataView(this.read(a, 8).buffer).getBigUint64(0, true);
  }

  setU64(paddr: number | bigint, v: bigint): void {
    const a = Number(paddr);
    const pfn = Math.floor(a / PAGE_SIZE);
    const off = a - pfn * PAGE_SIZE;
    if (off <= PAGE_SIZE - 8) {
      // One frame: store in place (page-table writes are most of a big boot's stores).
      const f = this.frame(pfn);
      new DataView(f.buffer, f.byteOffset).setBigUint64(off, BigInt.asUintN(64, v), true);
      return;
    }
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(paddr, b);
  }
}
