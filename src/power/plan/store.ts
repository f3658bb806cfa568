/**
 * Where a loaded page lands in plan mode: the same ImagePageStore (the CPU
 * store's real page walk and its fault, block I/O, the silent-write record,
 * restore_image's frame copies), but a data page is not bytes: its frame
 * takes the content of the hibernated kernel's copy frame for that image pfn
 * — its descriptor, or its bytes when that frame is materialised (page
 * tables, bitmaps: few and cheap).
 */
import { ModelError } from '../../errors.js';
import type { Machine } from '../../machine/boot.js';
import type { FrameSource } from '../../mm/phys-mem.js';
import type { ContentMap } from '../../workload/content-map.js';
import { isZeroPage } from '../image/page.js';
import { ImagePageStore } from '../page-store.js';
import { isUniformLeafSource, uniformSourceFor } from '../snapshot/bm-leaves.js';
import { PAGE_SIZE } from '../snapshot/kernel-heap.js';
import { RUN_ZERO } from '../snapshot/restore-runs.js';
import type { PlannedImage } from './image.js';

export class PlanPageStore extends ImagePageStore {
  constructor(
    m: Machine,
    content: ContentMap,
    imageContent: ContentMap | undefined,
    private readonly image: PlannedImage,
  ) {
    super(m, content, imageContent);
  }

  /** The boot machine's content map (where restored descriptors went). */
  get bootContent(): ContentMap {
    return this.content;
  }

  protected override put(pfn: number, imagePfn: number, bytes: Uint8Array | null): void {
    // A memset (6.6+ zero page) or a page without an image pfn: as in a full run.
    if (bytes === null || imagePfn < 0) {
      super.put(pfn, imagePfn, bytes);
      return;
    }
    const src = this.image.copyFrameOf(imagePfn);
    if (src < 0) {
      throw new ModelError(
        'PLAN_NO_PAGE',
        `plan mode: image pfn 0x${imagePfn.toString(16)} has no data page in the planned image`,
      );
    }
    const from = this.image.machine.mem;
    if (from.isMaterialised(src)) {
      const u = from.sourceOf(src);
      if (u !== undefined && this.putUniform(pfn, imagePfn, u)) return;
      // Read, not materialised (a synthesised copy frame stays without a buffer).
      from.readPageInto(src, this.bytes);
      super.put(pfn, imagePfn, this.bytes);
      return;
    }
    this.wrote(pfn);
    this.m.mem.discard(pfn);
    // The copy frame's descriptor (generated or kernel data), without a descriptor object.
    if (!this.content.copyFromMap(this.image.content, src, pfn)) this.content.clear(pfn);
  }

  /**
   * cpuPbeRun() (the loader's run of PBE loads, ../page-store.ts) as runs:
   * image pfns whose copy frames are consecutive and hold no bytes (the
   * memmap copies of a big machine: tens of millions) take their descriptors
   * in one ContentMap.copyRunFromMap() call, after the same wrote() and
   * discard() of each target frame as put() — every step touches its own
   * frame only, so doing each step for the run at once leaves what put() page
   * by page leaves. A copy frame with bytes goes through put().
   */
  override cpuPbeRun(
    c: number,
    step: number,
    imagePfn: number,
    n: number,
    data: Uint8Array,
    first: number,
  ): void {
    const image = this.image;
    const from = image.machine.mem;
    for (let i = 0; i < n; ) {
      const ip = imagePfn + i;
      const src = image.copyFrameOf(ip);
      const len = src < 0 ? 0 : from.unmaterialisedRun(src, 1 + image.copyFrameRunAfter(ip, n - i - 1));
      if (len === 0) {
        // No copy frame (put() throws) or one with bytes.
        const at = (first + i) * PAGE_SIZE;
        this.put(c + i * step, ip, data.subarray(at, at + PAGE_SIZE));
        i++;
        continue;
      }
      const t = c + i * step;
      for (let j = 0; j < len; j++) this.wrote(t + j * step);
      this.m.mem.discardStrided(t, step, len);
      this.content.copyRunFromMap(image.content, src, t, step, len);
      i += len;
    }
  }

  /**
   * cpuDirectRun() (the loader's run of in-place loads, ../page-store.ts) as runs: the frames
   * the direct map translates to themselves (mappedRun(): none of their stores faults) go
   * through cpuPbeRun() with step 1 (the same put() of each, in order, as descriptor runs where
   * the copy frames hold no bytes), cut after each nosave frame so its silent-write record
   * follows its put() as page by page; from the first frame that does not map to itself on,
   * page by page.
   */
  override cpuDirectRun(pfn: number, n: number, data: Uint8Array, first: number, stream = -1): number {
    const r = this.mappedRun(pfn, 1, n);
    const end = pfn + r;
    for (let p = pfn; p < end; ) {
      const ns = firstNosaveIn(this.m.nosave.regions, p, end);
      const stop = ns < 0 ? end : ns + 1;
      this.cpuPbeRun(p, 1, p, stop - p, data, first + (p - pfn));
      if (ns >= 0) this.silent(ns, ns, 'cpu');
      p = stop;
    }
    if (r === n) return n;
    return r + super.cpuDirectRun(end, n - r, data, first + r, stream < 0 ? -1 : stream + r);
  }

  /**
   * cpuPbeList() (the loader's runs in image order, ../page-store.ts): entry i
   * into frame targets[i]. A RUN_ZERO entry is put()'s memset (wrote(),
   * discard(), no descriptor). The data entries are consecutive data pages of
   * the image (orig_bm's next pfns; only zero pages lie between them), so
   * their copy frames are one copyFrameOf() and then the next frames of its
   * copy-frame run: where those hold no bytes, each target takes put()'s
   * steps for a descriptor (wrote(), discard(), the copy frame's descriptor)
   * without a lookup per page; a copy frame with bytes goes through put().
   */
  override cpuPbeList(
    targets: Float64Array,
    pfns: Float64Array,
    flags: Uint8Array,
    n: number,
    data: Uint8Array,
    first: number,
  ): void {
    const image = this.image;
    const from = image.machine.mem;
    const mem = this.m.mem;
    let d = 0;
    // Data entries from i on, the first data entry's data page number, the last data entry.
    let dataLeft = 0;
    let k0 = -1;
    let lastData = -1;
    for (let j = 0; j < n; j++) {
      if ((flags[j]! & RUN_ZERO) !== 0) continue;
      if (dataLeft++ === 0) k0 = image.dataOrdinalOf(pfns[j]!);
      lastData = j;
    }
    // The data entries must be consecutive data pages (else page by page, where put() says why).
    const consecutive = k0 >= 0 && image.dataOrdinalOf(pfns[lastData]!) === k0 + dataLeft - 1;
    for (let i = 0; i < n; ) {
      if ((flags[i]! & RUN_ZERO) !== 0) {
        const t = targets[i]!;
        this.wrote(t);
        mem.discard(t);
        this.content.clear(t);
        i++;
        continue;
      }
      const ip = pfns[i]!;
      const src = consecutive ? image.frameOfOrdinal(k0 + d) : -1;
      const len = src < 0 ? 0 : from.unmaterialisedRun(src, Math.min(dataLeft, 1 + image.copyRunLeft()));
      if (len === 0) {
        // Page by page: a copy frame with bytes (or none: put() throws).
        const at = (first + d) * PAGE_SIZE;
        this.put(targets[i]!, ip, data.subarray(at, at + PAGE_SIZE));
        d++;
        dataLeft--;
        i++;
        continue;
      }
      // `len` data entries from i on (zero entries among them memset in order).
      for (let j = 0; j < len; i++) {
        const t = targets[i]!;
        this.wrote(t);
        mem.discard(t);
        if ((flags[i]! & RUN_ZERO) !== 0) {
          this.content.clear(t);
          continue;
        }
        if (!this.content.copyFromMap(image.content, src + j, t)) this.content.clear(t);
        j++;
      }
      d += len;
      dataLeft -= len;
    }
  }

  /**
   * cpuDirectList() (in-place loads in image order, frames mapped to themselves): as
   * cpuPbeList() into their own frames, cut after each nosave frame so its silent-write record
   * follows its store as page by page.
   */
  override cpuDirectList(
    pfns: Float64Array,
    flags: Uint8Array,
    n: number,
    data: Uint8Array,
    first: number,
  ): void {
    const nosave = this.m.nosave;
    let d = 0;
    for (let i = 0; i < n; ) {
      // Up to and including the next nosave frame, or to the end.
      let e = i;
      while (e < n && !nosave.contains(pfns[e]!)) e++;
      const stop = e < n ? e + 1 : n;
      this.cpuPbeList(pfns.subarray(i), pfns.subarray(i), flags.subarray(i), stop - i, data, first + d);
      for (let j = i; j < stop; j++) if ((flags[j]! & RUN_ZERO) === 0) d++;
      if (e < n) this.silent(pfns[e]!, pfns[e]!, 'cpu');
      i = stop;
    }
  }

  /**
   * restore_image's copies of a PBE run (ArchRestoreKernel.copyPages):
   * copyFrame(dst + i × dstStep, src + i × srcStep) for i < n (steps ±1),
   * in that order. restore_image passes only runs in which no dst is a src:
   * each copy's steps then touch its own dst (the walk cache, the frame, its
   * descriptor) and read a src no other copy writes. When no src holds bytes
   * (the memmap pages of a big machine) the run's steps go a kind at a time —
   * wrote() of each dst, their discards, then their descriptors in the same
   * order (ContentMap.copyStrided); otherwise copy by copy.
   */
  copyFrameRun(dst: number, dstStep: number, src: number, srcStep: number, n: number): void {
    const mem = this.m.mem;
    const sLo = srcStep > 0 ? src : src - (n - 1);
    if (mem.unmaterialisedRun(sLo, n) < n) {
      for (let i = 0; i < n; i++) this.copyFrame(dst + i * dstStep, src + i * srcStep);
      return;
    }
    for (let i = 0; i < n; i++) this.wrote(dst + i * dstStep);
    mem.discardStrided(dst, dstStep, n);
    this.content.copyStrided(src, srcStep, dst, dstStep, n);
  }

  /** A materialised copy frame's bytes. */
  private readonly bytes = new Uint8Array(4096);

  /** Per uniform leaf source: are its bytes zero, and the source uniformSourceFor() gives them. */
  private readonly uniform = new Map<FrameSource, { zero: boolean; u: FrameSource | null }>();

  /**
   * super.put(pfn, imagePfn, bytes of a copy frame synthesised by `src`) without the bytes, when
   * `src` is a uniform bitmap leaf's source (the hibernated kernel's all-zero / all-ones bitmap
   * pages: ~100k at 12 TiB), whose bytes never change: each source's bytes are read and
   * classified once, then every frame takes the steps put() takes for those bytes. False (nothing
   * done) for any other frame, or when the image pfn has a descriptor put() would compare.
   */
  private putUniform(pfn: number, imagePfn: number, src: FrameSource): boolean {
    if (!isUniformLeafSource(src) || this.imageContent?.get(imagePfn)) return false;
    let c = this.uniform.get(src);
    if (c === undefined) {
      const b = new Uint8Array(PAGE_SIZE);
      src.fill(0, b);
      c = { zero: isZeroPage(b), u: uniformSourceFor(b) };
      this.uniform.set(src, c);
    }
    if (c.u === null) return false;
    const mem = this.m.mem;
    this.wrote(pfn);
    if (c.zero) {
      mem.discard(pfn);
      this.content.clear(pfn);
      if (!mem.isMaterialised(pfn)) return true;
    }
    this.content.clear(pfn);
    mem.synthesise(pfn, c.u);
    return true;
  }
}

/** The lowest pfn in [lo, hi) inside a nosave region (NosaveList.contains()), or -1. */
function firstNosaveIn(
  regions: readonly { startPfn: number; endPfn: number }[],
  lo: number,
  hi: number,
): number {
  let best = -1;
  for (const r of regions) {
    const a = Math.max(lo, r.startPfn);
    if (a < hi && a < r.endPfn && (best < 0 || a < best)) best = a;
  }
  return best;
}
