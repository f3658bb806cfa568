/**
 * Where a loaded image page lands in the boot machine (the store side of
 * load_image() / load_compressed_image(), kernel/power/swap.c):
 *  - a CPU store (the loader's memcpy, snapshot_write_next()'s memset of a
 *    6.6+ zero page) goes through the boot kernel's direct map: the target's
 *    kernel virtual address is resolved by a real walk of the boot kernel's
 *    page tables, and a missing translation is the loader's page fault;
 *  - block I/O (the uncompressed loader's bio into the page) writes the frame
 *    physically and cannot fault — it overwrites silently.
 * A page loaded straight into a frame the boot kernel registered as nosave
 * (firmware-owned) is recorded as a silent write.
 */
import { TranslateCache, type WalkResult, walk } from '../arch/x86/walk.js';
import { e820TypeName } from '../firmware/e820-types.js';
import type { Machine } from '../machine/boot.js';
import { ContentKind, isZeroPage } from '../workload/content.js';
import type { ContentMap } from '../workload/content-map.js';
import type { ImageFrameSource } from './image-frames.js';
import { uniformSourceFor } from './snapshot/bm-leaves.js';
import { PAGE_SIZE } from './snapshot/kernel-heap.js';
import type { WriteTarget } from './snapshot/restore.js';
import { RUN_ZERO } from './snapshot/restore-runs.js';

/** A PMD entry's span (2 MiB): one large leaf of the direct map. */
const REGION = 2 * 1024 * 1024;

export interface SilentWrite {
  pfn: number;
  imagePfn: number;
  /** 'cpu' memcpy/memset through a mapped address, 'dma' block I/O, 'restore' restore_image's copy. */
  how: 'cpu' | 'dma' | 'restore';
  /** What the boot kernel's e820 says the frame is. */
  e820: string;
}

/** The boot kernel's e820 type of a frame, as a report names it. */
export function e820TypeAt(m: Machine, pfn: number): string {
  const a = BigInt(pfn) * 4096n;
  for (const e of m.e820.kernel) if (a >= e.addr && a < e.addr + e.size) return e820TypeName(e.type);
  return 'a hole (no e820 entry)';
}

export class ImagePageStore {
  readonly silentWrites: SilentWrite[] = [];
  private readonly scratch = new Uint8Array(PAGE_SIZE);
  private readonly desc = new Uint32Array(3);
  /** Low 48 bits of page_offset_base: the direct-map address of pfn p is that + p·4096 (mod 2^48 for the walk). */
  private readonly pageOffsetLow48: number;
  /**
   * The loader's walks, cached per 2 MiB region: nothing changes the boot
   * kernel's mappings while it loads (no CPA on this path), and a store into a
   * frame the cached walk read (a page-table page, which only a stray write
   * can reach) drops it — see wrote().
   */
  private readonly walks: TranslateCache;
  /**
   * With a real image (no descriptors to keep pages as): a data page stored
   * with its stream page number becomes a frame that reads from the image
   * (./image-frames.ts) instead of a 4 KiB buffer. Null: bytes are kept.
   */
  private frames: ImageFrameSource | null = null;

  constructor(
    protected readonly m: Machine,
    /** The boot machine's content descriptors. */
    protected readonly content: ContentMap,
    /** The hibernated machine's descriptors: a restored page that equals one is kept as a descriptor. */
    protected readonly imageContent: ContentMap | undefined,
  ) {
    this.pageOffsetLow48 = Number(BigInt.asUintN(48, m.kaslr.pageOffsetBase));
    this.walks = new TranslateCache(m.mem, m.kernelImage.pgdPhys);
  }

  /** Keep data pages as references into the image they were loaded from (see `frames`). */
  keepImageFrames(src: ImageFrameSource | null): void {
    this.frames = src;
  }

  /** Frame `pfn` gets new contents: a cached walk through it is stale. */
  protected wrote(pfn: number): void {
    this.walks.forgetFrame(pfn);
  }

  /**
   * The frame the direct-map address of `pfn` translates to in the boot
   * kernel's page tables (the walk the memcpy's MMU does), or -1 when it is
   * not mapped. Allocation-free; walk() is run only to describe a fault.
   */
  private directFrame(pfn: number): number {
    const low48 = (this.pageOffsetLow48 + pfn * PAGE_SIZE) % 2 ** 48;
    const pa = this.walks.translate(low48);
    return pa < 0 ? -1 : Math.floor(pa / PAGE_SIZE);
  }

  /** The hibernated machine's generated-page descriptor of `imagePfn` (kind > 0 and not ZERO), else null. */
  private imageDescriptor(imagePfn: number | undefined): Uint32Array | null {
    if (imagePfn === undefined || !this.imageContent) return null;
    if (!this.imageContent.generatedDescriptor(imagePfn, this.desc, 0)) return null;
    return this.desc[0] === ContentKind.ZERO ? null : this.desc;
  }

  /**
   * The pool's view for ReadOptions.expect: write image pfn `imagePfn`'s
   * generated-page descriptor at out[at..at+2] (kind 0 when there is none, or
   * it is a ZERO page, which put() keeps as "no descriptor").
   */
  expectFor(imagePfn: number, out: Uint32Array, at: number): void {
    const d = this.imageDescriptor(imagePfn);
    if (!d) {
      out[at] = 0;
      return;
    }
    out[at] = d[0]!;
    out[at + 1] = d[1]!;
    out[at + 2] = d[2]!;
  }

  /**
   * cpu() for a page the pool found equal to the generated page exp[at..at+2]:
   * when that is the image page's own descriptor, the frame keeps it as a
   * descriptor (what put() decides after comparing the bytes itself) and no
   * byte is made on this thread. Returns undefined when the caller must
   * store the bytes with cpu() instead.
   */
  cpuGenerated(t: WriteTarget, exp: Uint32Array, at: number): WalkResult | null | undefined {
    const d = this.imageDescriptor(t.imagePfn);
    if (!d || d[0] !== exp[at] || d[1] !== exp[at + 1] || d[2] !== exp[at + 2]) return undefined;
    const m = this.m;
    const phys = this.directFrame(t.pfn);
    if (phys < 0) return walk(m.mem, m.kernelImage.pgdPhys, m.ptov(t.pfn * PAGE_SIZE));
    this.wrote(phys);
    m.mem.discard(phys);
    this.content.set(phys, d[0]!, d[1]!, d[2]!);
    if (t.kind === 'direct' && m.nosave.contains(phys)) this.silent(phys, t.imagePfn ?? -1, 'cpu');
    return null;
  }

  /** The one-page `buffer` (header, meta pages): a kernel allocation, written as bytes. */
  buffer(pfn: number, bytes: Uint8Array): void {
    this.wrote(pfn);
    this.m.mem.frame(pfn).set(bytes);
  }

  /**
   * CPU store of one page (bytes, or null for a memset to zero) at the
   * direct-map address of `t.pfn`; `stream` is the page's number in the
   * uncompressed stream (-1: not from the stream). Returns null when done, or
   * the failed walk (the page fault) with the virtual address it was for.
   */
  cpu(t: WriteTarget, bytes: Uint8Array | null, stream = -1): WalkResult | null {
    const m = this.m;
    const phys = this.directFrame(t.pfn);
    if (phys < 0) return walk(m.mem, m.kernelImage.pgdPhys, m.ptov(t.pfn * PAGE_SIZE));
    this.put(phys, t.imagePfn ?? -1, bytes, stream);
    if (t.kind === 'direct' && m.nosave.contains(phys)) this.silent(phys, t.imagePfn ?? -1, 'cpu');
    return null;
  }

  /**
   * cpu() for `n` in-place targets pfn, pfn+1, … (kind 'direct', image pfn =
   * frame), page i's bytes at `data` + (first + i) pages (stream page
   * `stream` + i; -1: not known): stored in order, each through its own
   * translation, until one faults. Returns how many were stored (n, or the
   * index of the page whose store faults; faultWalk() then describes it).
   */
  cpuDirectRun(pfn: number, n: number, data: Uint8Array, first: number, stream = -1): number {
    const nosave = this.m.nosave;
    for (let i = 0; i < n; i++) {
      const p = pfn + i;
      const phys = this.directFrame(p);
      if (phys < 0) return i;
      this.put(
        phys,
        p,
        data.subarray((first + i) * PAGE_SIZE, (first + i + 1) * PAGE_SIZE),
        stream < 0 ? -1 : stream + i,
      );
      if (nosave.contains(phys)) this.silent(phys, p, 'cpu');
    }
    return n;
  }

  /**
   * How many of frames c, c + step, … (at most n) the direct map translates to
   * themselves — a CPU store into each lands in that frame and cannot fault.
   * Reads only (the loader checks a run before it takes its get_buffer()s).
   */
  mappedRun(c: number, step: number, n: number): number {
    let i = 0;
    while (i < n) {
      const f = c + i * step;
      if (this.directFrame(f) !== f) return i;
      i++;
      // A 2 MiB large leaf maps its region at one offset: f → f means every frame of the region
      // maps to itself, so a ±1 run skips to the region's edge without a walk per frame.
      if (this.walks.leaf && (step === 1 || step === -1)) {
        const v = (this.pageOffsetLow48 + f * PAGE_SIZE) % 2 ** 48;
        const inRegion = Math.floor((v % REGION) / PAGE_SIZE);
        const more = step === 1 ? REGION / PAGE_SIZE - 1 - inRegion : inRegion;
        i += Math.min(more, n - i);
      }
    }
    return n;
  }

  /**
   * cpu() for `n` PBE targets whose translations mappedRun() found: page i
   * (its bytes at `data` + (first + i) pages, stream page `stream` + i) goes
   * to safe frame c + i × step, for image pfn imagePfn + i. (No nosave
   * record: a PBE target is a safe frame the boot kernel allocated.)
   */
  cpuPbeRun(
    c: number,
    step: number,
    imagePfn: number,
    n: number,
    data: Uint8Array,
    first: number,
    stream = -1,
  ): void {
    for (let i = 0; i < n; i++) {
      const at = (first + i) * PAGE_SIZE;
      this.put(c + i * step, imagePfn + i, data.subarray(at, at + PAGE_SIZE), stream < 0 ? -1 : stream + i);
    }
  }

  /**
   * cpuDirectRun() for in-place targets in image order, frames the direct map
   * translates to themselves (mappedList(): no store faults): frames
   * pfns[0..n) (image pfn = frame) in order; an entry flagged RUN_ZERO is
   * memset (a 6.6+ zero page), the others take the next pages of `data` from
   * page `first` on (stream pages `stream` + 0, 1, …; -1: not known).
   */
  cpuDirectList(
    pfns: Float64Array,
    flags: Uint8Array,
    n: number,
    data: Uint8Array,
    first: number,
    stream = -1,
  ): void {
    const nosave = this.m.nosave;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const p = pfns[i]!;
      if ((flags[i]! & RUN_ZERO) !== 0) this.put(p, p, null);
      else {
        const at = (first + d) * PAGE_SIZE;
        this.put(p, p, data.subarray(at, at + PAGE_SIZE), stream < 0 ? -1 : stream + d);
        d++;
      }
      if (nosave.contains(p)) this.silent(p, p, 'cpu');
    }
  }

  /** mappedRun() for frames c[0..n) in any order: how many, from the first, the direct map translates to themselves. */
  mappedList(c: Float64Array, n: number): number {
    for (let i = 0; i < n; i++) if (this.directFrame(c[i]!) !== c[i]!) return i;
    return n;
  }

  /**
   * cpuPbeRun() in image order: entry i goes to safe frame copies[i] for
   * image pfn pfns[i] (frames whose translations mappedList() found), a
   * memset for an entry flagged RUN_ZERO, else the next page of `data` from
   * page `first` on (stream pages `stream` + 0, 1, …). (No nosave record: a
   * PBE target is a safe frame the boot kernel allocated.)
   */
  cpuPbeList(
    copies: Float64Array,
    pfns: Float64Array,
    flags: Uint8Array,
    n: number,
    data: Uint8Array,
    first: number,
    stream = -1,
  ): void {
    let d = 0;
    for (let i = 0; i < n; i++) {
      if ((flags[i]! & RUN_ZERO) !== 0) {
        this.put(copies[i]!, pfns[i]!, null);
        continue;
      }
      const at = (first + d) * PAGE_SIZE;
      this.put(copies[i]!, pfns[i]!, data.subarray(at, at + PAGE_SIZE), stream < 0 ? -1 : stream + d);
      d++;
    }
  }

  /** The failed walk of a CPU store into frame `pfn` (the page fault cpu() returns). */
  faultWalk(pfn: number): WalkResult {
    return walk(this.m.mem, this.m.kernelImage.pgdPhys, this.m.ptov(pfn * PAGE_SIZE));
  }

  /** Block I/O into frame `t.pfn` (no page tables involved) of stream page `stream` (-1: not known). */
  dma(t: WriteTarget, bytes: Uint8Array, stream = -1): void {
    this.put(t.pfn, t.imagePfn ?? -1, bytes, stream);
    if (t.kind === 'direct' && this.m.nosave.contains(t.pfn)) this.silent(t.pfn, t.imagePfn ?? -1, 'dma');
  }

  silent(pfn: number, imagePfn: number, how: SilentWrite['how']): void {
    this.silentWrites.push({ pfn, imagePfn, how, e820: e820TypeAt(this.m, pfn) });
  }

  /** restore_image's copy of frame `src` into `dst` (descriptors travel as descriptors). */
  copyFrame(dst: number, src: number): void {
    const m = this.m;
    this.wrote(dst);
    // A frame that reads from the image: the copy reads the same stream page.
    if (this.frames?.alias(m.mem, dst, src)) {
      this.content.clear(dst);
      return;
    }
    if (m.mem.isMaterialised(src)) {
      this.content.clear(dst);
      m.mem.frame(dst).set(m.mem.frame(src));
    } else {
      m.mem.discard(dst);
      this.content.copy(src, dst);
    }
  }

  /**
   * Put a page's bytes into a frame, as a descriptor when they are the image
   * page's generated contents, else as a reference to stream page `stream` of
   * the image when keepImageFrames() gave a source. (Plan mode's store,
   * ./plan/store.ts, puts the image page's descriptor without bytes.)
   */
  protected put(pfn: number, imagePfn: number, bytes: Uint8Array | null, stream = -1): void {
    const m = this.m;
    this.wrote(pfn);
    if (bytes === null || isZeroPage(bytes)) {
      m.mem.discard(pfn);
      this.content.clear(pfn);
      if (bytes === null || !m.mem.isMaterialised(pfn)) return;
    }
    const d = imagePfn >= 0 ? this.imageContent?.get(imagePfn) : undefined;
    if (d && bytes) {
      this.imageContent!.generate(d, this.scratch);
      if (equalPages(this.scratch, bytes)) {
        m.mem.discard(pfn);
        this.content.setDescriptor(pfn, d);
        return;
      }
    }
    this.content.clear(pfn);
    // All ones up to a bit, zero above (a bitmap page of the image kernel): fixed bytes, no buffer.
    const u = uniformSourceFor(bytes!);
    if (u !== null) m.mem.synthesise(pfn, u);
    else if (stream >= 0 && this.frames) this.frames.attach(m.mem, pfn, stream);
    else m.mem.frame(pfn).set(bytes!);
  }
}

function equalPages(a: Uint8Array, b: Uint8Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, 1024);
  const y =
    b.byteOffset % 4 === 0
      ? new Uint32Array(b.buffer, b.byteOffset, 1024)
      : new Uint32Array(b.slice().buffer);
  for (let i = 0; i < 1024; i++) if (x[i] !== y[i]) return false;
  return true;
}
