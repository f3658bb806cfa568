/**
 * Per-frame content descriptors: which generated page a frame holds.
 *
 * Layout per present 128 MiB section (32768 frames), allocated on first use:
 *   kind  Uint8Array   ContentKind (0 = none: the frame reads as zero or as
 *                      whatever was materialised in PhysMem)
 *   seed  Uint8Array   index into `seeds` (the scenario seed of the boot that
 *                      produced the contents); null while every index is 0
 *                      (one seed, one kernel-data source: the usual case)
 *   src   Uint32Array  pfn the contents were generated for (the frame's own
 *                      pfn, or the original pfn when the frame holds a copy:
 *                      a snapshot copy page, a PBE safe page, a restored page);
 *                      null while src = srcBase + index for every described
 *                      frame (a workload's own pages, or one run of copies:
 *                      a section of snapshot copy frames of the memmap)
 *   n                  frames with a descriptor (a section without any may
 *                      rebase srcBase)
 * 1 byte per frame in the usual case, 5–6 when copies are scattered: a 64 GiB
 * model's workload costs ~17 MiB of descriptors, no page bytes. Every column
 * is charged to the run's HostBudget (host-budget.ts) before it is made.
 *
 * Kernel-data frames (ContentKind.KDATA): the machine's own kernel objects
 * (struct pages, pglist_data, …) are produced by its kernel-data provider; a
 * frame without a descriptor that the kernel source covers reads as that
 * (`setKernelSource`). A copy of such a frame (a snapshot copy page, a
 * restored image page, possibly in another machine's memory) is a KDATA
 * descriptor naming the provider (kept in a small table, like the seeds) and
 * the source frame: it reads as the source frame's current bytes. The engine
 * keeps that exact by not changing a kernel's page-allocator state while copies
 * of its memmap are in use (runScenario defers swsusp_free() to the restored
 * kernel); a copy held in a page that is freed is stale data, as in a real kernel.
 * Clearing a kernel-data frame makes it an explicit ZERO frame.
 */
import type { HostBudget } from '../mm/host-budget.js';
import type { PageContentProvider } from '../mm/phys-mem.js';
import { PagedIndex } from '../util/paged-index.js';
import { ContentKind, generatePage, isGeneratedKind, PAGE_SIZE } from './content.js';

const SECTION_SHIFT = 15;
const PER_SECTION = 1 << SECTION_SHIFT;
/** Host bytes of a section's descriptor record beyond its columns. */
const SECTION_OVERHEAD = 256;

interface SectionDesc {
  kind: Uint8Array;
  seed: Uint8Array | null;
  src: Uint32Array | null;
  srcBase: number;
  n: number;
  /** `kind` as u32 words (countNone()), made on first use. */
  kind32?: Uint32Array;
}

/** Entries of d in [lo, hi) without a descriptor (NONE is 0): four at a time over long ranges. */
function countNone(d: SectionDesc, lo: number, hi: number): number {
  const kinds = d.kind;
  let n = 0;
  let x = lo;
  if (hi - lo >= 64) {
    for (; (x & 3) !== 0; x++) if (kinds[x] === ContentKind.NONE) n++;
    d.kind32 ??= new Uint32Array(kinds.buffer, kinds.byteOffset, PER_SECTION / 4);
    const w = d.kind32;
    const we = hi >>> 2;
    for (let i = x >>> 2; i < we; i++) {
      const v = w[i]!;
      if (v === 0) n += 4;
      else
        n +=
          ((v & 0xff) === 0 ? 1 : 0) +
          ((v & 0xff00) === 0 ? 1 : 0) +
          ((v & 0xff0000) === 0 ? 1 : 0) +
          ((v & 0xff000000) === 0 ? 1 : 0);
    }
    x = we << 2;
  }
  for (; x < hi; x++) if (kinds[x] === ContentKind.NONE) n++;
  return n;
}

/** Source pfn of entry i. */
function srcAt(d: SectionDesc, i: number): number {
  return d.src === null ? d.srcBase + i : d.src[i]!;
}

/**
 * Store source pfn `v` at entry i (before its kind is set): kept implicit while
 * it continues the section's run; a section without descriptors starts a new
 * run at v; anything else gets the src column.
 */
function putSrc(d: SectionDesc, i: number, v: number, budget: HostBudget | null): void {
  if (d.src === null) {
    if (v === d.srcBase + i) return;
    if (d.n === 0 || (d.n === 1 && d.kind[i] !== ContentKind.NONE)) {
      d.srcBase = v - i;
      return;
    }
    budget?.charge('content map', 4 * PER_SECTION);
    const a = new Uint32Array(PER_SECTION);
    // The base in a local: the loop then has no property load per entry.
    const base = d.srcBase;
    for (let k = 0; k < PER_SECTION; k++) a[k] = base + k;
    d.src = a;
  }
  d.src[i] = v;
}

/** Seed (or source) index of entry i. */
function seedAt(d: SectionDesc, i: number): number {
  return d.seed === null ? 0 : d.seed[i]!;
}

/** Store seed index `v` at entry i, allocating the section's seed bytes for the first non-zero one. */
function putSeed(d: SectionDesc, i: number, v: number, budget: HostBudget | null): void {
  if (d.seed === null) {
    if (v === 0) return;
    budget?.charge('content map', PER_SECTION);
    d.seed = new Uint8Array(PER_SECTION);
  }
  d.seed[i] = v;
}

/**
 * How many of frames pfn … pfn + n - 1, from the first, get the same
 * ks.covers() answer as frame pfn — the provider's sameCoverRun() when it has one.
 */
function sameCover(ks: PageContentProvider, pfn: number, n: number): number {
  if (n <= 0) return 0;
  if (ks.sameCoverRun) return ks.sameCoverRun(pfn, n);
  const want = ks.covers(pfn);
  let r = 1;
  while (r < n && ks.covers(pfn + r) === want) r++;
  return r;
}

/** How many of frames p, p + step, … (n of them), from the first, ks covers. */
function coveredRun(ks: PageContentProvider, p: number, step: number, n: number): number {
  if (n <= 0) return 0;
  if (step === 1 && ks.sameCoverRun) return ks.covers(p) ? ks.sameCoverRun(p, n) : 0;
  let r = 0;
  while (r < n && ks.covers(p + r * step)) r++;
  return r;
}

/** How many of entries i, i + step, … (n of them) of d, from the first, hold no descriptor. */
function noneRun(d: SectionDesc | undefined, i: number, step: number, n: number): number {
  if (d === undefined || d.n === 0) return n;
  const kinds = d.kind;
  let r = 0;
  while (r < n && kinds[i + r * step] === ContentKind.NONE) r++;
  return r;
}

export interface ContentDescriptor {
  kind: number;
  seed: number;
  src: number;
  /** KDATA: the kernel-data provider whose frame `src` this is. */
  source?: PageContentProvider;
}

export class ContentMap implements PageContentProvider {
  /** @param budget charged for every descriptor column (host-budget.ts); null: unbounded */
  constructor(readonly budget: HostBudget | null = null) {}

  /** Section number → descriptors (array lookups: scattered pfns miss the cache below), and the numbers made. */
  private readonly sections = new PagedIndex<SectionDesc>();
  private readonly sectionNumbers: number[] = [];
  /** The last section looked up (descriptor runs are per-page hot paths). */
  private lastSec = -1;
  private lastDesc: SectionDesc | undefined;
  /** The one before (copies alternate between a source and a destination section); misses are cached too. */
  private prevSec = -1;
  private prevDesc: SectionDesc | undefined;
  private readonly seeds: number[] = [];
  /** Kernel-data providers KDATA descriptors refer to (index in the seed byte). */
  private readonly sources: PageContentProvider[] = [];
  private kernelSource: PageContentProvider | null = null;
  private count = 0;

  /** Frames without a descriptor that `src` covers read as its kernel data (the machine's own objects). */
  setKernelSource(src: PageContentProvider | null): void {
    this.kernelSource = src;
  }

  /** PhysMem.setProvider() hands over the machine's kernel-data provider. */
  attachKernel(kernel: PageContentProvider | null): void {
    this.setKernelSource(kernel);
  }

  private sourceIndex(src: PageContentProvider): number {
    const i = this.sources.indexOf(src);
    if (i >= 0) return i;
    if (this.sources.length >= 255) throw new RangeError('too many kernel-data sources');
    this.sources.push(src);
    return this.sources.length - 1;
  }

  /** Register a seed; returns its index (reuses an existing one). */
  seedIndex(seed: number): number {
    const i = this.seeds.indexOf(seed >>> 0);
    if (i >= 0) return i;
    if (this.seeds.length >= 255) throw new RangeError('too many content seeds');
    this.seeds.push(seed >>> 0);
    return this.seeds.length - 1;
  }

  private section(pfn: number, create: true): SectionDesc;
  private section(pfn: number, create: false): SectionDesc | undefined;
  private section(pfn: number, create: boolean): SectionDesc | undefined {
    const s = Math.floor(pfn / PER_SECTION);
    if (s === this.lastSec && (this.lastDesc !== undefined || !create)) return this.lastDesc;
    if (s === this.prevSec && (this.prevDesc !== undefined || !create)) {
      // Most recent first.
      const d = this.prevDesc;
      this.prevSec = this.lastSec;
      this.prevDesc = this.lastDesc;
      this.lastSec = s;
      this.lastDesc = d;
      return d;
    }
    let d = this.sections.get(s);
    if (!d && create) {
      this.budget?.charge('content map', PER_SECTION + SECTION_OVERHEAD);
      d = {
        kind: new Uint8Array(PER_SECTION),
        seed: null,
        src: null,
        srcBase: s * PER_SECTION,
        n: 0,
        kind32: undefined,
      };
      this.sections.set(s, d);
      this.sectionNumbers.push(s);
    }
    if (s === this.prevSec) {
      // A cached miss that now has a section.
      this.prevSec = -1;
      this.prevDesc = undefined;
    }
    if (s !== this.lastSec) {
      this.prevSec = this.lastSec;
      this.prevDesc = this.lastDesc;
    }
    this.lastSec = s;
    this.lastDesc = d;
    return d;
  }

  /** Entry i of d gets (kind ≠ NONE, seed/source index, src): the counts, then the columns. */
  private store(d: SectionDesc, i: number, kind: number, seedIdx: number, src: number): void {
    putSrc(d, i, src, this.budget);
    if (d.kind[i] === ContentKind.NONE) {
      this.count++;
      d.n++;
    }
    d.kind[i] = kind;
    putSeed(d, i, seedIdx, this.budget);
  }

  /**
   * store(d, i0 + j × step, kind, seedIdx, src0 + j × srcStep) for j = 0 …
   * len - 1 in that order (all within d). With step ±1: the first entry (and
   * the second, when the srcs do not follow the entries and no src column
   * exists yet) as store() does it — which may rebase srcBase, or make the
   * src or seed column, charging the budget in that order; after them no
   * store can rebase or make a column, so the rest are column fills.
   */
  private storeRun(
    d: SectionDesc,
    i0: number,
    len: number,
    step: number,
    kind: number,
    seedIdx: number,
    src0: number,
    srcStep: number,
  ): void {
    if (step !== 1 && step !== -1) {
      for (let j = 0; j < len; j++) this.store(d, i0 + j * step, kind, seedIdx, src0 + j * srcStep);
      return;
    }
    // A section without descriptors before the run: every entry the fills below cover is NONE.
    const wasEmpty = d.n === 0;
    this.store(d, i0, kind, seedIdx, src0);
    let j0 = 1;
    if (len > 1 && d.src === null && srcStep !== step) {
      // Does not continue srcBase: this store makes the src column (d.n ≥ 1 now, no rebase).
      this.store(d, i0 + step, kind, seedIdx, src0 + srcStep);
      j0 = 2;
    }
    if (len <= j0) return;
    const lo = step > 0 ? i0 + j0 : i0 - (len - 1);
    const hi = step > 0 ? i0 + len : i0 - j0 + 1;
    const src = d.src;
    // Entry x is j = (x - i0) × step of the run.
    if (src !== null) for (let x = lo; x < hi; x++) src[x] = src0 + (x - i0) * step * srcStep;
    const kinds = d.kind;
    let added = 0;
    if (wasEmpty) added = hi - lo;
    else added = countNone(d, lo, hi);
    kinds.fill(kind, lo, hi);
    this.count += added;
    d.n += added;
    if (d.seed !== null) d.seed.fill(seedIdx, lo, hi);
  }

  /** Entry i of d loses its descriptor. */
  private drop(d: SectionDesc, i: number): void {
    if (d.kind[i] === ContentKind.NONE) return;
    this.count--;
    d.n--;
    d.kind[i] = ContentKind.NONE;
  }

  /** Give frame `pfn` generated contents (kind, seed, src), or a KDATA reference to `source`'s frame src. */
  set(pfn: number, kind: number, seed: number, src = pfn, source?: PageContentProvider): void {
    const d = this.section(pfn, true);
    const i = pfn % PER_SECTION;
    if (kind === ContentKind.NONE) {
      this.drop(d, i);
      return;
    }
    let idx: number;
    if (kind === ContentKind.KDATA) {
      if (!source) throw new RangeError('a kernel-data descriptor needs its source');
      idx = this.sourceIndex(source);
    } else idx = this.seedIndex(seed);
    this.store(d, i, kind, idx, src);
  }

  /** Set a descriptor as get() returned it (possibly from another map). */
  setDescriptor(pfn: number, desc: ContentDescriptor): void {
    this.set(pfn, desc.kind, desc.seed, desc.src, desc.source);
  }

  /**
   * Frame `to` of this map takes what frame `from` of map `other` holds —
   * `setDescriptor(to, other.get(from))` — without a descriptor object (a
   * restore of millions of pages made one each). Returns false, changing
   * nothing, when `from` holds no descriptor or a ZERO one (the caller decides
   * what that means for `to`).
   */
  copyFromMap(other: ContentMap, from: number, to: number): boolean {
    const s = other.section(from, false);
    const i = from % PER_SECTION;
    const kind = s ? s.kind[i]! : ContentKind.NONE;
    if (kind === ContentKind.NONE) {
      const ks = other.kernelSource;
      if (!ks?.covers(from)) return false;
      this.set(to, ContentKind.KDATA, 0, from, ks);
      return true;
    }
    if (kind === ContentKind.ZERO) return false;
    if (kind === ContentKind.KDATA) this.set(to, kind, 0, srcAt(s!, i), other.sources[seedAt(s!, i)]!);
    else this.set(to, kind, other.seeds[seedAt(s!, i)]!, srcAt(s!, i));
    return true;
  }

  /**
   * For i = 0 … n - 1: `copyFromMap(other, from + i, to + i × step)`, and
   * `clear()` of that frame where it returns false — plan mode's store of a
   * run of loaded pages (./power/plan/store.ts). The same stores in the same
   * order, with the source section and the kernel source's index looked up
   * once per section, not per frame. `other` is another map.
   */
  copyRunFromMap(other: ContentMap, from: number, to: number, step: number, n: number): void {
    if (other === this) throw new RangeError('copyRunFromMap: the source map is this map');
    const ks = other.kernelSource;
    let ksIdx = -1;
    for (let i = 0; i < n; ) {
      const f0 = from + i;
      const fi0 = f0 % PER_SECTION;
      const t0 = to + i * step;
      const ti0 = t0 % PER_SECTION;
      // The span where neither side leaves its section.
      const tSpan =
        step > 0
          ? Math.floor((PER_SECTION - 1 - ti0) / step) + 1
          : step < 0
            ? Math.floor(ti0 / -step) + 1
            : n;
      const span = Math.min(n - i, PER_SECTION - fi0, tSpan);
      const s = other.section(f0, false);
      // The targets' section, taken at the first store (sections are never dropped).
      let d: SectionDesc | undefined;
      for (let k = 0; k < span; ) {
        const fi = fi0 + k;
        const kind = s ? s.kind[fi]! : ContentKind.NONE;
        let e = k + 1;
        let idx: number;
        let src: number;
        if (kind === ContentKind.NONE) {
          // The hibernated kernel's own object: a KDATA reference to it (as copyFromMap()).
          if (!ks?.covers(f0 + k)) {
            this.clear(t0 + k * step);
            k = e;
            continue;
          }
          if (ksIdx < 0) ksIdx = this.sourceIndex(ks);
          idx = ksIdx;
          src = f0 + k;
          // The frames after it without a descriptor that the kernel source covers.
          const none = noneRun(s, fi0 + e, 1, span - e);
          e += coveredRun(ks, f0 + e, 1, none);
        } else if (kind === ContentKind.ZERO) {
          this.clear(t0 + k * step);
          k = e;
          continue;
        } else {
          const si = seedAt(s!, fi);
          idx =
            kind === ContentKind.KDATA
              ? this.sourceIndex(other.sources[si]!)
              : this.seedIndex(other.seeds[si]!);
          src = srcAt(s!, fi);
          const kinds = s!.kind;
          for (; e < span; e++) {
            const x = fi0 + e;
            if (kinds[x] !== kind || seedAt(s!, x) !== si || srcAt(s!, x) !== src + (e - k)) break;
          }
        }
        d ??= this.section(t0, true);
        this.storeRun(
          d,
          ti0 + k * step,
          e - k,
          step,
          kind === ContentKind.NONE ? ContentKind.KDATA : kind,
          idx,
          src,
          1,
        );
        k = e;
      }
      i += span;
    }
  }

  /** Copy frame `from`'s descriptor to frame `to` (a page copy in the model). */
  copy(from: number, to: number): void {
    // Fast path, no descriptor object: a workload descriptor of this map moves as its three fields.
    const s = this.section(from, false);
    const i = from % PER_SECTION;
    const kind = s ? s.kind[i]! : ContentKind.NONE;
    if (kind !== ContentKind.NONE) {
      // A KDATA descriptor's seed byte is its source's index in this same map: it moves as is.
      const d = this.section(to, true);
      this.store(d, to % PER_SECTION, kind, seedAt(s!, i), srcAt(s!, i));
      return;
    }
    const ks = this.kernelSource;
    if (ks?.covers(from)) {
      // The machine's own kernel object: a KDATA reference to it (what get() would describe).
      this.store(this.section(to, true), to % PER_SECTION, ContentKind.KDATA, this.sourceIndex(ks), from);
      return;
    }
    this.clear(to);
  }

  clear(pfn: number): void {
    if (this.kernelSource?.covers(pfn)) {
      // Over a kernel-data frame "no descriptor" would read the kernel's object again.
      this.set(pfn, ContentKind.ZERO, 0, pfn);
      return;
    }
    const d = this.section(pfn, false);
    if (d) this.drop(d, pfn % PER_SECTION);
  }

  /** clear() of frames pfn … pfn + n - 1, a section at a time. */
  clearRange(pfn: number, n: number): void {
    const end = pfn + n;
    const ks = this.kernelSource;
    let p = pfn;
    while (p < end) {
      const secEnd = Math.min(end, (Math.floor(p / PER_SECTION) + 1) * PER_SECTION);
      const d = this.section(p, false);
      if (ks) {
        // Frames the kernel source covers become explicit ZERO frames (see clear()): a stretch
        // of them as set()'s steps (the section, the seed index, the stores in order); the
        // others lose their descriptors.
        while (p < secEnd) {
          const len = sameCover(ks, p, secEnd - p);
          if (ks.covers(p)) {
            const dz = this.section(p, true);
            this.storeRun(dz, p % PER_SECTION, len, 1, ContentKind.ZERO, this.seedIndex(0), p, 1);
          } else {
            const dd = this.section(p, false);
            if (dd && dd.n > 0) for (let i = p % PER_SECTION, e = i + len; i < e; i++) this.drop(dd, i);
          }
          p += len;
        }
        continue;
      }
      if (d && d.n > 0) {
        for (let i = p % PER_SECTION, e = i + (secEnd - p); i < e; i++) this.drop(d, i);
      }
      p = secEnd;
    }
  }

  /**
   * clear(pfn + i × step) for i = 0 … n - 1, in that order (takePbeRun()'s
   * safe frames). Step 1 is clearRange(); step -1 a section at a time: a
   * stretch one covers() answer whole as one storeRun() of ZERO frames (the
   * stores in clear()'s order) or its drops; else frame by frame.
   */
  clearStrided(pfn: number, step: number, n: number): void {
    if (n <= 0) return;
    if (step === 1) {
      this.clearRange(pfn, n);
      return;
    }
    const ks = this.kernelSource;
    if (step !== -1) {
      for (let i = 0; i < n; i++) this.clear(pfn + i * step);
      return;
    }
    for (let i = 0; i < n; ) {
      const p = pfn - i;
      const hi = p % PER_SECTION;
      const span = Math.min(n - i, hi + 1);
      const lo = p - span + 1;
      if (ks === null || sameCover(ks, lo, span) === span) {
        if (ks?.covers(lo)) {
          const dz = this.section(p, true);
          this.storeRun(dz, hi, span, -1, ContentKind.ZERO, this.seedIndex(0), p, -1);
        } else {
          const d = this.section(p, false);
          if (d && d.n > 0) for (let x = hi - span + 1; x <= hi; x++) this.drop(d, x);
        }
      } else for (let k = 0; k < span; k++) this.clear(p - k);
      i += span;
    }
  }

  /** copy(from + i, to + i) for i = 0 … n - 1. */
  copyRange(from: number, to: number, n: number): void {
    this.copyStrided(from, 1, to, 1, n);
  }

  /**
   * copy(from + i × fromStep, to + i × toStep) for i = 0 … n - 1, in that
   * order (steps ±1): a stretch of copies whose stores form one run (one kind
   * and index, src following the target) as one storeRun(). Ranges that
   * overlap so that a copy could read what an earlier one stored go copy() by
   * copy().
   */
  copyStrided(from: number, fromStep: number, to: number, toStep: number, n: number): void {
    if (n <= 0) return;
    const fLo = fromStep > 0 ? from : from - (n - 1);
    const tLo = toStep > 0 ? to : to - (n - 1);
    if (tLo <= fLo + n - 1 && fLo <= tLo + n - 1 && !(fromStep === 1 && toStep === 1 && to < from)) {
      for (let i = 0; i < n; i++) this.copy(from + i * fromStep, to + i * toStep);
      return;
    }
    const ks = this.kernelSource;
    let ksIdx = -1;
    let i = 0;
    while (i < n) {
      const f = from + i * fromStep;
      const t = to + i * toStep;
      const fi = f % PER_SECTION;
      const ti = t % PER_SECTION;
      // The span where neither side crosses a section boundary.
      const span = Math.min(
        n - i,
        fromStep > 0 ? PER_SECTION - fi : fi + 1,
        toStep > 0 ? PER_SECTION - ti : ti + 1,
      );
      const s = this.section(f, false);
      let d = this.section(t, false);
      for (let k = 0; k < span; ) {
        const x0 = fi + k * fromStep;
        const kind = s ? s.kind[x0]! : ContentKind.NONE;
        let e = k + 1;
        if (kind !== ContentKind.NONE) {
          // A descriptor of this map (a KDATA one's index is into this same map's sources)
          // moves as its three fields (as copy()).
          const idx = seedAt(s!, x0);
          const src = srcAt(s!, x0);
          const kinds = s!.kind;
          for (; e < span; e++) {
            const x = fi + e * fromStep;
            if (kinds[x] !== kind || seedAt(s!, x) !== idx || srcAt(s!, x) !== src + (e - k) * toStep) break;
          }
          d ??= this.section(t, true);
          this.storeRun(d, ti + k * toStep, e - k, toStep, kind, idx, src, toStep);
        } else if (ks?.covers(f + k * fromStep)) {
          // The machine's own kernel object (a 6.6+ memmap frame that is not all zero): the
          // KDATA reference copy() makes, its source index looked up once.
          const none = noneRun(s, fi + e * fromStep, fromStep, span - e);
          e += coveredRun(ks, f + e * fromStep, fromStep, none);
          d ??= this.section(t, true);
          if (ksIdx < 0) ksIdx = this.sourceIndex(ks);
          this.storeRun(
            d,
            ti + k * toStep,
            e - k,
            toStep,
            ContentKind.KDATA,
            ksIdx,
            f + k * fromStep,
            fromStep,
          );
        } else {
          this.copy(f + k * fromStep, t + k * toStep);
          d = this.section(t, false);
        }
        k = e;
      }
      i += span;
    }
  }

  get(pfn: number): ContentDescriptor | undefined {
    const d = this.section(pfn, false);
    const i = pfn % PER_SECTION;
    const kind = d ? d.kind[i]! : ContentKind.NONE;
    if (kind === ContentKind.NONE) {
      if (this.kernelSource?.covers(pfn))
        return { kind: ContentKind.KDATA, seed: 0, src: pfn, source: this.kernelSource };
      return undefined;
    }
    if (kind === ContentKind.KDATA)
      return { kind, seed: 0, src: srcAt(d!, i), source: this.sources[seedAt(d!, i)]! };
    return { kind, seed: this.seeds[seedAt(d!, i)]!, src: srcAt(d!, i) };
  }

  /** resolve()'s scratch: the identity (seed value or provider) and src of the frame it resolved. */
  private rSeed = 0;
  private rSource: PageContentProvider | null = null;
  private rSrc = 0;

  /**
   * get(pfn)'s kind, its identity and src left in rSeed/rSource/rSrc —
   * without a descriptor object. ContentKind.NONE when get() is undefined.
   */
  private resolve(pfn: number): number {
    const d = this.section(pfn, false);
    const i = pfn % PER_SECTION;
    const kind = d ? d.kind[i]! : ContentKind.NONE;
    if (kind === ContentKind.NONE) {
      if (!this.kernelSource?.covers(pfn)) return ContentKind.NONE;
      this.rSource = this.kernelSource;
      this.rSrc = pfn;
      return ContentKind.KDATA;
    }
    this.rSrc = srcAt(d!, i);
    if (kind === ContentKind.KDATA) this.rSource = this.sources[seedAt(d!, i)]!;
    else this.rSeed = this.seeds[seedAt(d!, i)]!;
    return kind;
  }

  /**
   * Do frame `pfn` here and frame `otherPfn` of `other` hold the same page by
   * descriptor — both none or ZERO, or get() of each naming the same generated
   * page (kind, seed, src) or the same kernel-data frame (provider, src)? A
   * descriptor compare without objects (plan mode's verification asks it for
   * every image page); false says nothing about the bytes.
   */
  sameDescriptor(pfn: number, other: ContentMap, otherPfn: number): boolean {
    // `other` may be this map: take this frame's fields before resolving the other.
    const ka = this.resolve(pfn);
    const srcA = this.rSrc;
    const seedA = this.rSeed;
    const sourceA = this.rSource;
    const kb = other.resolve(otherPfn);
    const zeroA = ka === ContentKind.NONE || ka === ContentKind.ZERO;
    const zeroB = kb === ContentKind.NONE || kb === ContentKind.ZERO;
    if (zeroA || zeroB) return zeroA && zeroB;
    if (ka !== kb || srcA !== other.rSrc) return false;
    return ka === ContentKind.KDATA ? sourceA === other.rSource : seedA === other.rSeed;
  }

  /**
   * How many of frames pfn + i here and otherPfn + i of `other` (i = 0 … n - 1),
   * from the first, pass sameDescriptor() — a section's columns read once per
   * stretch, the two-descriptor case (a restored page and its copy frame) inline.
   */
  sameDescriptorRun(pfn: number, other: ContentMap, otherPfn: number, n: number): number {
    for (let i = 0; i < n; ) {
      const a0 = pfn + i;
      const b0 = otherPfn + i;
      const ai0 = a0 % PER_SECTION;
      const bi0 = b0 % PER_SECTION;
      const span = Math.min(n - i, PER_SECTION - ai0, PER_SECTION - bi0);
      const da = this.section(a0, false);
      const db = other.section(b0, false);
      if (da !== undefined && db !== undefined) {
        // Both described, neither zero: resolve()'s fields compared in place — the columns
        // read directly, the identity test (seed values or providers) redone only when the
        // pair of indexes or the kind class changes.
        const kaCol = da.kind;
        const kbCol = db.kind;
        const sa = da.src;
        const sb = db.src;
        const ea = da.seed;
        const eb = db.seed;
        let pa = -1;
        let pb = -1;
        let pk = false;
        let pSame = false;
        for (let k = 0; k < span; k++) {
          const ai = ai0 + k;
          const bi = bi0 + k;
          const ka = kaCol[ai]!;
          const kb = kbCol[bi]!;
          if (ka > ContentKind.ZERO && kb > ContentKind.ZERO) {
            if (ka !== kb) return i + k;
            if ((sa === null ? da.srcBase + ai : sa[ai]!) !== (sb === null ? db.srcBase + bi : sb[bi]!))
              return i + k;
            const xa = ea === null ? 0 : ea[ai]!;
            const xb = eb === null ? 0 : eb[bi]!;
            const isK = ka === ContentKind.KDATA;
            if (xa !== pa || xb !== pb || isK !== pk) {
              pa = xa;
              pb = xb;
              pk = isK;
              pSame = isK ? this.sources[xa] === other.sources[xb] : this.seeds[xa] === other.seeds[xb];
            }
            if (!pSame) return i + k;
          } else if (!this.sameDescriptor(a0 + k, other, b0 + k)) return i + k;
        }
        i += span;
        continue;
      }
      for (let k = 0; k < span; k++) {
        const ka = da ? da.kind[ai0 + k]! : ContentKind.NONE;
        const kb = db ? db.kind[bi0 + k]! : ContentKind.NONE;
        if (ka > ContentKind.ZERO && kb > ContentKind.ZERO) {
          // Both described, neither zero: resolve()'s fields compared in place.
          const ai = ai0 + k;
          const bi = bi0 + k;
          if (ka !== kb || srcAt(da!, ai) !== srcAt(db!, bi)) return i + k;
          const same =
            ka === ContentKind.KDATA
              ? this.sources[seedAt(da!, ai)] === other.sources[seedAt(db!, bi)]
              : this.seeds[seedAt(da!, ai)] === other.seeds[seedAt(db!, bi)];
          if (!same) return i + k;
        } else if (!this.sameDescriptor(a0 + k, other, b0 + k)) return i + k;
      }
      i += span;
    }
    return n;
  }

  /**
   * PageContentProvider.generatedDescriptor(): when frame `pfn` holds a page
   * generatePage() makes from its descriptor alone (not kernel data), write
   * (kind, seed value, src) at out[at..at+2] and return true — without
   * allocating, so the image writer can ship descriptors to the compression
   * workers instead of bytes.
   */
  generatedDescriptor(pfn: number, out: Uint32Array, at: number): boolean {
    const d = this.section(pfn, false);
    if (!d) return false;
    const i = pfn % PER_SECTION;
    const kind = d.kind[i]!;
    if (!isGeneratedKind(kind)) return false;
    out[at] = kind;
    out[at + 1] = this.seeds[seedAt(d, i)]!;
    out[at + 2] = srcAt(d, i);
    return true;
  }

  /**
   * A KDATA frame's zero test from its provider (PageContentProvider.isZeroFrame),
   * without its bytes: undefined when the frame is not KDATA or the provider cannot tell.
   */
  kdataIsZero(pfn: number): boolean | undefined {
    const d = this.section(pfn, false);
    const i = pfn % PER_SECTION;
    const kind = d ? d.kind[i]! : ContentKind.NONE;
    if (kind === ContentKind.NONE) {
      const k = this.kernelSource;
      return k?.covers(pfn) ? k.isZeroFrame?.(pfn) : undefined;
    }
    if (kind !== ContentKind.KDATA) return undefined;
    return this.sources[seedAt(d!, i)]!.isZeroFrame?.(srcAt(d!, i));
  }

  /**
   * How many of frames pfn … pfn + n - 1, from the first, are known by
   * descriptor not to be all zero: a generated page, or kernel data whose
   * provider's zero test says false — kind() neither NONE nor ZERO, and
   * kdataIsZero() false where kind() is KDATA, frame by frame. A section
   * without descriptors asks the kernel source for its run (nonZeroRun()).
   */
  nonZeroRun(pfn: number, n: number): number {
    const ks = this.kernelSource;
    for (let i = 0; i < n; ) {
      const p0 = pfn + i;
      const i0 = p0 % PER_SECTION;
      const span = Math.min(n - i, PER_SECTION - i0);
      const d = this.section(p0, false);
      if (d === undefined || d.n === 0) {
        // Every frame NONE: kernel data where the kernel source covers it, else nothing.
        if (ks === null) return i;
        let r = 0;
        if (ks.nonZeroRun) r = ks.nonZeroRun(p0, span);
        else while (r < span && ks.covers(p0 + r) && ks.isZeroFrame?.(p0 + r) === false) r++;
        if (r < span) return i + r;
        i += span;
        continue;
      }
      for (let k = 0; k < span; k++) {
        const kind = d.kind[i0 + k]!;
        if (kind === ContentKind.ZERO) return i + k;
        if (kind === ContentKind.NONE) {
          if (!ks?.covers(p0 + k) || ks.isZeroFrame?.(p0 + k) !== false) return i + k;
        } else if (kind === ContentKind.KDATA) {
          if (this.sources[seedAt(d, i0 + k)]!.isZeroFrame?.(srcAt(d, i0 + k)) !== false) return i + k;
        }
      }
      i += span;
    }
    return n;
  }

  /** counts[kind(p)]++ for every frame p of pfn … pfn + n - 1 (counts: 256 entries), a section at a time. */
  countKinds(pfn: number, n: number, counts: Float64Array): void {
    const ks = this.kernelSource;
    for (let i = 0; i < n; ) {
      const p0 = pfn + i;
      const i0 = p0 % PER_SECTION;
      const span = Math.min(n - i, PER_SECTION - i0);
      const kinds = this.section(p0, false)?.kind;
      for (let k = 0; k < span; k++) {
        const kind = kinds ? kinds[i0 + k]! : ContentKind.NONE;
        counts[kind === ContentKind.NONE && ks?.covers(p0 + k) ? ContentKind.KDATA : kind]!++;
      }
      i += span;
    }
  }

  kind(pfn: number): number {
    const d = this.section(pfn, false);
    const k = d ? d.kind[pfn % PER_SECTION]! : ContentKind.NONE;
    if (k === ContentKind.NONE && this.kernelSource?.covers(pfn)) return ContentKind.KDATA;
    return k;
  }

  /** Frames with a descriptor. */
  get size(): number {
    return this.count;
  }

  covers(pfn: number): boolean {
    return this.kind(pfn) !== ContentKind.NONE;
  }

  fill(pfn: number, dst: Uint8Array): void {
    const d = this.get(pfn);
    if (d) this.generate(d, dst);
  }

  /**
   * The descriptors as runs [firstPfn, count, kind, seedIndex, firstSrc] of
   * consecutive frames with one kind and seed and consecutive src pfns, plus the
   * seed table (for dumps).
   */
  runs(): { seeds: number[]; runs: number[][] } {
    const runs: number[][] = [];
    this.forEachRun((pfn, count, kind, seed, src) => {
      runs.push([pfn, count, kind, seed, src]);
    });
    return { seeds: [...this.seeds], runs };
  }

  /** The seed table runs' seed indexes refer to. */
  seedTable(): number[] {
    return [...this.seeds];
  }

  /**
   * runs() without an array per run (a scattered 16 GiB workload has ~2M):
   * each run as (pfn, count, kind, seed index, first src), in pfn order.
   */
  forEachRun(fn: (pfn: number, count: number, kind: number, seed: number, src: number) => void): void {
    const secs = [...this.sectionNumbers].sort((a, b) => a - b);
    let start = -1;
    let count = 0;
    let rkind = 0;
    let rseed = 0;
    let rsrc = 0;
    for (const sec of secs) {
      const d = this.sections.get(sec)!;
      for (let i = 0; i < PER_SECTION; i++) {
        const kind = d.kind[i]!;
        const pfn = sec * PER_SECTION + i;
        if (kind !== ContentKind.NONE && count > 0 && start + count === pfn && rkind === kind) {
          const seed = seedAt(d, i);
          const src = srcAt(d, i);
          if (rseed === seed && rsrc + count === src) {
            count++;
            continue;
          }
        }
        if (count > 0) fn(start, count, rkind, rseed, rsrc);
        count = 0;
        if (kind === ContentKind.NONE) continue;
        start = pfn;
        count = 1;
        rkind = kind;
        rseed = seedAt(d, i);
        rsrc = srcAt(d, i);
      }
    }
    if (count > 0) fn(start, count, rkind, rseed, rsrc);
  }

  /** Bytes the descriptor stands for (generated, or serialised by its kernel-data source, into `dst`). */
  generate(desc: ContentDescriptor, dst: Uint8Array): void {
    if (desc.kind === ContentKind.KDATA) {
      dst.fill(0, 0, PAGE_SIZE);
      desc.source!.fill(desc.src, dst);
      return;
    }
    generatePage(desc.kind, desc.seed, desc.src, 0, dst);
  }
}
