/**
 * The restore side of the snapshot core (kernel/power/snapshot.c):
 * snapshot_write_next() as a state machine over the image stream —
 * load_header()/check_header(), unpack_orig_pfns(), mark_unsafe_pages(),
 * prepare_image(), get_buffer() with its PBE chain — driven page by page by
 * the loader (../resume.ts). Every object lives in the boot machine's memory.
 *
 * The rule that matters most (unchanged from 3.10 to 6.18): get_buffer()
 * loads an image page straight into its original frame when that frame is
 * "forbidden AND free". Frames the hibernation code allocated itself are
 * like that — and so is a registered nosave pfn (forbidden) that is also an
 * image pfn (free = unsafe after mark_unsafe_pages): the seed-000 crash.
 */
import { ModelError } from '../../errors.js';
import { e820Crc32 } from '../../firmware/index.js';
import type { Machine } from '../../machine/boot.js';
import { symbolPhys } from '../../machine/symbols.js';
import { printk } from '../../util/printk.js';
import type { SwsuspInfo } from '../image/swsusp-info.js';
import { type BitBlock, BitWriter, BM_END_OF_MAP, clearRange, type MemoryBitmap } from './bitmap.js';
import { PAGE_SIZE, putU32, storeU64 } from './kernel-heap.js';
import { PBES_PER_LINKED_PAGE, PbeChain } from './pbe-chain.js';
import {
  assignBits,
  type BlockHint,
  imageRunOf,
  lastSetIn,
  orBits,
  preallocateImagePages,
  RUN_FORBIDDEN,
  runOfPbeLoads,
  runOfSetInAll,
  sameLayout,
} from './restore-runs.js';
import { populatedZones } from './saveable.js';
import { PG_ANY, PG_SAFE, PG_UNSAFE_CLEAR, PG_UNSAFE_KEEP, type SwsuspMem } from './swsusp-mem.js';

export { PBE_SIZE, PBES_PER_LINKED_PAGE } from './pbe-chain.js';

// A meta page entry: the pfn as a u64, ENCODED_PFN_ZERO_FLAG = bit 63 (6.6+ zero page), ~0 ends the page.
/**
 * unpack_orig_pfns() takes entries that name the next pfns as one stretch
 * (`on`; off: entry by entry, for the tests); `joined` counts the entries joined so.
 */
export const unpackRuns = { on: true, joined: 0 };

/** The exact pfn of a meta entry's halves (error messages). */
const exactPfn = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

export class RestoreError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

/** duplicate_memory_bitmap(dst, src): every bit of src set in dst (word by word when the layouts agree). */
function duplicateBitmap(dst: MemoryBitmap, src: MemoryBitmap): void {
  if (!orBits(dst, src)) src.forEachSet((pfn) => dst.setBitQuiet(pfn));
}

/** The block lists the run peeks read (SnapshotRestore.runBlocks()). */
interface RunBlocks {
  /** orig_bm, forbidden, free. */
  all: (readonly BitBlock[])[];
  zero: readonly BitBlock[] | null;
  /** [orig_bm]. */
  orig: (readonly BitBlock[])[];
}

/** Where the loader must put stream page `cur`. */
export interface WriteTarget {
  /** Frame to write; `kind` says why. */
  pfn: number;
  kind: 'buffer' | 'direct' | 'pbe';
  /** Image pfn this data page belongs to (data pages only). */
  imagePfn?: number;
}

export class SnapshotRestore {
  readonly m: Machine;
  /** snapshot_handle.cur */
  cur = 0;
  nrMetaPages = 0;
  nrCopyPages = 0;
  nrZeroPages = 0;
  info: SwsuspInfo | null = null;
  /** The one-page `buffer` (header and meta pages). */
  bufferPfn = -1;
  copyBm: MemoryBitmap | null = null;
  zeroBm: MemoryBitmap | null = null;
  origBm: MemoryBitmap | null = null;
  /** restore_pblist's chain (chain_alloc() of PBEs), from the last meta page on. */
  private chain: PbeChain | null = null;
  /** Counters for reports (seed 004). viaPbe is also the length of restore_pblist,
   *  which lives only in model memory (restore_image walks it there). */
  direct = 0;
  viaPbe = 0;
  /** Zero pfns (6.6+) memset while advancing, with their target frames. */
  readonly zeroFills: WriteTarget[] = [];

  constructor(
    readonly s: SwsuspMem,
    readonly log: (l: string) => void,
  ) {
    this.m = s.machine;
  }

  /**
   * check_header(): the arch record (magic; 5.13+ also the e820 CRC of the
   * boot kernel's firmware table), then num_physpages. Returns the reason or null.
   */
  checkHeader(info: SwsuspInfo): string | null {
    const m = this.m;
    const h = m.profile.hibernation;
    if (info.arch.era !== m.profile.swsuspImage.archHeader) {
      if (h.e820Check) this.log('Unrecognized hibernate image header format!');
      return 'architecture specific data';
    }
    if (h.e820Check) {
      const crc = e820Crc32(m.e820.firmware);
      if ((info.arch.e820Checksum ?? -1) !== crc) {
        this.log('Hibernate inconsistent memory map detected!');
        return 'architecture specific data';
      }
    }
    const now = h.numPhyspages === 'max_pfn' ? m.maxPfn : m.zones.totalPresent;
    if (info.numPhyspages !== now) return 'memory size';
    return null;
  }

  /**
   * snapshot_write_next(): advance to stream page `cur` and say where the
   * loader must put it. Throws RestoreError with the kernel's errno.
   */
  writeNext(streamPage?: Uint8Array): WriteTarget | null {
    const s = this.s;
    const msg = this.m.profile.hibernation.messages;
    if (this.cur === 0) {
      if (this.bufferPfn < 0) this.bufferPfn = s.getImagePage(PG_ANY);
      this.cur++;
      return { pfn: this.bufferPfn, kind: 'buffer' };
    }
    if (this.cur === 1) {
      const info = this.info!;
      // load_header()
      const reason = this.checkHeader(info);
      if (reason) {
        this.log(printk(msg.imageMismatch, reason));
        throw new RestoreError(-1, `Image mismatch: ${reason}`);
      }
      this.nrCopyPages = info.imagePages;
      this.nrMetaPages = info.pages - info.imagePages - 1;
      // The globals as load_header() sets them (what `p nr_copy_pages` shows in a crash of the resume kernel).
      storeU64(s.heap, symbolPhys(this.m, 'nr_copy_pages'), BigInt(this.nrCopyPages));
      storeU64(s.heap, symbolPhys(this.m, 'nr_meta_pages'), BigInt(this.nrMetaPages));
      this.copyBm = s.createBitmap(symbolPhys(this.m, 'copy_bm'), s.anyPageSource());
      if (this.m.profile.hibernation.zeroPages) {
        this.zeroBm = s.createBitmap(symbolPhys(this.m, 'zero_bm'), s.anyPageSource());
      }
      this.nrZeroPages = 0;
      this.cur++;
      return { pfn: this.bufferPfn, kind: 'buffer' };
    }
    if (this.cur <= this.nrMetaPages + 1) {
      this.unpackOrigPfns(streamPage!);
      if (this.cur === this.nrMetaPages + 1) {
        this.prepareImage();
        this.chain = new PbeChain(s.heap, () => this.chainPage());
        // chain_init() time in snapshot_write_next(): restore_pblist = NULL.
        storeU64(s.heap, symbolPhys(this.m, 'restore_pblist'), 0n);
        this.origBm!.positionReset();
        this.zeroBm?.positionReset();
        return this.nextData();
      }
      this.cur++;
      return { pfn: this.bufferPfn, kind: 'buffer' };
    }
    if (this.cur > this.nrMetaPages + this.nrCopyPages + this.nrZeroPages) return null;
    return this.nextData();
  }

  /** True once every image page has a frame (snapshot_image_loaded()). */
  imageLoaded(): boolean {
    return this.nrCopyPages > 0 && this.cur > this.nrMetaPages + this.nrCopyPages + this.nrZeroPages;
  }

  /**
   * get_buffer() for the next data page, cur++, and (6.6+) the zero-page loop:
   * while the current orig_bm pfn is in zero_bm, its buffer is memset and the
   * next one taken ("goto next"), ending the image when cur passes the total.
   * The memsets are queued in `zeroFills` for the loader, which performs them
   * (a memset through an unmapped address faults like the memcpy does).
   */
  private nextData(): WriteTarget | null {
    let t = this.getBuffer();
    this.cur++;
    const total = this.nrMetaPages + this.nrCopyPages + this.nrZeroPages;
    while (this.zeroBm && t.imagePfn !== undefined && this.zeroBm.testBit(t.imagePfn)) {
      this.zeroFills.push(t);
      if (this.cur > total) return null;
      t = this.getBuffer();
      this.cur++;
    }
    return t;
  }

  /**
   * After writeNext() returned the in-place target `pfn` (kind 'direct'): how
   * many of the next stream pages, at most `max`, get_buffer() would also load
   * in place, into pfn+1, pfn+2, … — the next orig_bm bits are consecutive,
   * each frame is "forbidden AND free", none is a 6.6+ zero page, and the image
   * has that many pages left. Reads bits only (no position moves): the loader
   * stores the run, then takeDirectRun() advances as that many writeNext() calls.
   */
  peekDirectRun(pfn: number, max: number): number {
    const lim = Math.min(max, this.nrMetaPages + this.nrCopyPages + this.nrZeroPages - this.cur + 1);
    if (lim <= 0) return 0;
    const b = this.runBlocks();
    return b ? runOfSetInAll(b.all, b.zero, pfn + 1, lim, this.origHint) : 0;
  }

  /**
   * `k` writeNext() calls that each return the next in-place target after
   * `pfn` (as peekDirectRun() found them): cur and the counters advance, and
   * every map's position ends where the last get_buffer() left it —
   * memory_bm_next_pfn() on orig_bm, memory_bm_test_bit() on forbidden, free
   * and zero_bm (a test_bit's position depends on the pfn alone).
   */
  takeDirectRun(pfn: number, k: number): void {
    if (k <= 0) return;
    this.directTaken(this.advanceOrig(pfn, k, 'takeDirectRun'), k);
  }

  /**
   * The end of `k` in-place get_buffer() calls whose last pfn is `last`:
   * memory_bm_test_bit() on forbidden, free and zero_bm leaves each map's
   * position at that pfn (it depends on the pfn alone); cur and the counter advance.
   */
  private directTaken(last: number, k: number): void {
    this.s.forbidden!.testBit(last);
    this.s.free!.testBit(last);
    this.zeroBm?.testBit(last);
    this.cur += k;
    this.direct += k;
  }

  /**
   * After writeNext() returned the PBE target of image pfn `pfn`: how many of
   * the next stream pages, at most `max`, get_buffer() would also load through
   * a PBE with no step in between that differs page to page — the next
   * orig_bm bits are pfn+1, pfn+2, …, each NOT "forbidden AND free" and not a
   * 6.6+ zero page; chain_alloc() has room for them in its current chain page
   * (no chain page is taken); and the safe frames they get are the next pops
   * of safe_pages_list's top run (pbeRunCopy, pbeRunCopy + pbeRunStep, …).
   * Reads only; takePbeRun() then does those get_buffer() calls at once.
   */
  peekPbeRun(pfn: number, max: number): number {
    const s = this.s;
    let lim = Math.min(
      max,
      this.nrMetaPages + this.nrCopyPages + this.nrZeroPages - this.cur + 1,
      this.chain!.roomInPage,
      s.safePages.topLength,
    );
    if (lim <= 0) return 0;
    const b = this.runBlocks();
    if (!b) return 0;
    lim = runOfPbeLoads(b.all[0]!, b.all[1]!, b.all[2]!, b.zero, pfn + 1, lim, this.origHint);
    if (lim > 0) {
      this.pbeRunCopy = s.safePages.peek()!;
      this.pbeRunStep = s.safePages.topStep;
    }
    return lim;
  }

  /** PbeChain.runAt() of restore_pblist's chain (restore_image's run of PBEs without their bytes); 0 without a chain. */
  pbeRunAt(pa: number, max: number, out: Float64Array): number {
    return this.chain ? this.chain.runAt(pa, max, out) : 0;
  }

  /** The run peeks' last block of orig_bm's list (restore-runs.ts BlockHint). */
  private readonly origHint: BlockHint = { k: 0 };

  /** The first safe frame and the step of the run peekPbeRun() found. */
  pbeRunCopy = -1;
  pbeRunStep = 0;

  /**
   * `k` get_buffer() calls (and cur++) for the PBE loads peekPbeRun() found
   * after image pfn `pfn`: image pfns pfn+1 … pfn+k, safe frames pbeRunCopy +
   * i × pbeRunStep. Every map's position ends where the last call left it:
   * memory_bm_next_pfn() on orig_bm, test_bit on forbidden (free only when
   * the pfn is forbidden: the && of get_buffer()) and zero_bm.
   */
  takePbeRun(pfn: number, k: number): void {
    if (k <= 0) return;
    const s = this.s;
    const last = this.advanceOrig(pfn, k, 'takePbeRun');
    // The last test of free_pages_map was at the last forbidden pfn of the run (if any).
    const lastForbidden = lastSetIn(this.runBlocks()!.all[1]!, pfn + 1, last + 1);
    s.isForbidden(last);
    if (lastForbidden >= 0) s.isFree(lastForbidden);
    const copy0 = this.pbeRunCopy;
    const step = this.pbeRunStep;
    // The safe frames: __get_safe_page() pops safe_pages_list and memsets the page (4.8+);
    // 3.10 pops the list as it is.
    s.safePages.popRun(k);
    if (this.m.profile.hibernation.safePageRecycling) {
      // Each frame's discard() and clear() touch that frame only: the discards at once, then
      // the clears in pop order.
      this.m.mem.discardStrided(copy0, step, k);
      s.content.clearStrided(copy0, step, k);
    }
    this.pbePhys = this.chain!.addRun(k, copy0, step, pfn + 1);
    this.pblistDirty = true;
    this.zeroBm?.testBit(last);
    this.cur += k;
    this.viaPbe += k;
  }

  /**
   * Runs in image order (the loader's runs where the image pfns have gaps):
   * the image pfns of the run the last peek found, their RUN_* flags
   * (restore-runs.ts imageRunOf()), and (PBE runs) the safe frames they get.
   * Grown to the longest run asked for.
   */
  runPfns = new Float64Array(256);
  runFlags = new Uint8Array(256);
  runCopies = new Float64Array(256);

  private runRoom(n: number): void {
    if (n <= this.runPfns.length) return;
    const c = Math.max(n, this.runPfns.length * 2);
    this.runPfns = new Float64Array(c);
    this.runCopies = new Float64Array(c);
    this.runFlags = new Uint8Array(c);
  }

  /** get_buffer() calls the image has left (cur up to nr_meta + nr_copy + nr_zero). */
  private left(): number {
    return this.nrMetaPages + this.nrCopyPages + this.nrZeroPages - this.cur + 1;
  }

  /**
   * peekDirectRun() in image order: after writeNext() returned the in-place
   * target `pfn`, runPfns[0] = pfn and runPfns[1..n] the next n orig_bm pfns
   * (gaps allowed, at most `maxData` data pages, ending with one) that
   * get_buffer() would also load in place ("forbidden AND free"); 6.6+ zero
   * pages among them are flagged RUN_ZERO (their buffers are memset). Returns
   * n; reads only.
   */
  peekDirectList(pfn: number, maxData: number): number {
    const lim = this.left();
    if (lim <= 0 || maxData <= 0) return 0;
    const b = this.runBlocks();
    if (!b) return 0;
    this.runRoom(Math.min(lim, 4 * maxData + 64) + 1);
    const a = b.all;
    const n = imageRunOf(
      a[0]!,
      a[1]!,
      a[2]!,
      b.zero,
      pfn + 1,
      Math.min(lim, this.runPfns.length - 1),
      maxData,
      true,
      this.runPfns.subarray(1),
      this.runFlags.subarray(1),
      this.origHint,
    );
    this.runPfns[0] = pfn;
    this.runFlags[0] = 0;
    return n;
  }

  /**
   * takeDirectRun() for the list peekDirectList() found: the `k` get_buffer()
   * calls (and cur++) of runPfns[1..k], each in place. Each moves orig_bm past
   * its pfn and test_bit()s forbidden, free and zero_bm at it: the positions
   * end at runPfns[k] (they depend on the pfn alone). The loader does the
   * zero pages' memsets itself (not through zeroFills).
   */
  takeDirectList(k: number): void {
    if (k <= 0) return;
    const last = this.runPfns[k]!;
    this.origBm!.positionAfter(last);
    this.directTaken(last, k);
  }

  /**
   * peekPbeRun() in image order: after writeNext() returned the PBE target of
   * image pfn `pfn`, the next orig_bm pfns (gaps allowed, at most `maxData`
   * data pages, ending with one) that get_buffer() would also load through a
   * PBE with no step in between that differs page to page: each NOT
   * "forbidden AND free" (6.6+ zero pages among them flagged RUN_ZERO), room
   * for their PBEs in the current chain page, and that many frames on
   * safe_pages_list (the next pops, any pfns). The image pfns go to runPfns,
   * the safe frames to runCopies. Returns how many; reads only.
   */
  peekPbeList(pfn: number, maxData: number): number {
    const s = this.s;
    const lim = Math.min(this.left(), this.chain!.roomInPage, s.safePages.length);
    if (lim <= 0 || maxData <= 0) return 0;
    const b = this.runBlocks();
    if (!b) return 0;
    this.runRoom(lim);
    const a = b.all;
    const n = imageRunOf(
      a[0]!,
      a[1]!,
      a[2]!,
      b.zero,
      pfn + 1,
      lim,
      maxData,
      false,
      this.runPfns,
      this.runFlags,
      this.origHint,
    );
    if (n > 0) s.safePages.peekInto(this.runCopies, n);
    return n;
  }

  /**
   * `k` get_buffer() calls (and cur++) for the first k PBE loads
   * peekPbeList() found: image pfn runPfns[i] into safe frame runCopies[i].
   * Every map's position ends where the last call left it: orig_bm after
   * runPfns[k-1], forbidden and zero_bm at it, free at the last forbidden pfn
   * of the run (get_buffer()'s && tests free only then).
   */
  takePbeList(k: number): void {
    if (k <= 0) return;
    const s = this.s;
    const P = this.runPfns;
    const last = P[k - 1]!;
    this.origBm!.positionAfter(last);
    s.isForbidden(last);
    for (let i = k - 1; i >= 0; i--) {
      if ((this.runFlags[i]! & RUN_FORBIDDEN) !== 0) {
        s.isFree(P[i]!);
        break;
      }
    }
    // The safe frames: __get_safe_page() pops safe_pages_list and memsets the page (4.8+);
    // 3.10 pops the list as it is.
    s.safePages.popN(k);
    if (this.m.profile.hibernation.safePageRecycling) {
      // Each frame's discard() and clear() touch that frame only: a stretch of frames one step
      // apart (safe_pages_list pops runs) goes as one strided discard and clear.
      const mem = this.m.mem;
      const C = this.runCopies;
      for (let i = 0; i < k; ) {
        const c0 = C[i]!;
        let j = i + 1;
        const step = j < k && (C[j]! === c0 + 1 || C[j]! === c0 - 1) ? C[j]! - c0 : 1;
        while (j < k && C[j]! === C[j - 1]! + step) j++;
        mem.discardStrided(c0, step, j - i);
        s.content.clearStrided(c0, step, j - i);
        i = j;
      }
    }
    this.pbePhys = this.chain!.addList(k, this.runCopies, P);
    this.pblistDirty = true;
    this.zeroBm?.testBit(last);
    this.cur += k;
    this.viaPbe += k;
  }

  /** memory_bm_next_pfn(orig_bm) `k` times, which must give pfn+1 … pfn+k; returns pfn+k. */
  private advanceOrig(pfn: number, k: number, who: string): number {
    const orig = this.origBm!;
    let got = -1;
    const last = pfn + k;
    const b = this.runBlocks();
    if (b !== null && runOfSetInAll(b.orig, null, pfn + 1, k, this.origHint) === k) {
      // The run's peek found pfn+1 … pfn+k set in orig_bm, and the position is after pfn (the
      // last next_pfn() returned it): those k calls return them and leave it after pfn+k.
      orig.positionAfter(last);
      return last;
    }
    for (let i = 0; i < k; i++) got = orig.nextPfn();
    if (got !== last)
      throw new ModelError(
        'RESTORE_RUN',
        `${who}: orig_bm gave pfn 0x${got.toString(16)}, not 0x${last.toString(16)}`,
      );
    return last;
  }

  /** The block lists peekDirectRun() reads (orig_bm, forbidden, free; zero_bm), null when they differ in layout. */
  private runBlocksCache: RunBlocks | null | undefined;
  private runBlocks(): RunBlocks | null {
    if (this.runBlocksCache !== undefined) return this.runBlocksCache;
    const s = this.s;
    if (!this.origBm || !s.forbidden || !s.free) return null;
    const o = this.origBm.blocks32();
    const all = [o, s.forbidden.blocks32(), s.free.blocks32()];
    const zero = this.zeroBm ? this.zeroBm.blocks32() : null;
    const ok = all.every((b) => sameLayout(o, b)) && (zero === null || sameLayout(o, zero));
    // `orig`: orig_bm's list alone (advanceOrig()'s test, without an array per call).
    this.runBlocksCache = ok ? { all, zero, orig: [o] } : null;
    return this.runBlocksCache;
  }

  /**
   * unpack_orig_pfns(): set the copy_bm (and 6.6+ zero_bm) bits of one meta
   * page. Per entry the kernel does memory_bm_pfn_present() and
   * memory_bm_set_bit(), each moving the map's position to that pfn; the bits
   * go in through one BitWriter and the position is set once, by the last
   * entry's set_bit (the position a find_bit leaves depends on the pfn alone).
   * pfn_valid() is asked once per section.
   */
  private unpackOrigPfns(page: Uint8Array): void {
    const m = this.m;
    const h = m.profile.hibernation;
    const copy = this.copyBm!;
    const dv = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
    // The entries' u32 halves (page buffers are 4-byte aligned; else through the DataView).
    const w =
      unpackRuns.on && page.byteOffset % 4 === 0
        ? new Uint32Array(page.buffer, page.byteOffset, PAGE_SIZE / 4)
        : null;
    const secs = m.sections;
    const per = secs.pfnsPerSection;
    const needValid = h.unpackRequiresPfnValid || h.unpackFwBugMessage;
    const cw = new BitWriter(copy);
    const zw = this.zeroBm ? new BitWriter(this.zeroBm) : null;
    // The extents' span: a pfn inside it and inside an extent is present.
    const ext = copy.extents;
    let secLo = -1;
    let secHi = -1;
    let secValid = false;
    let last = -1;
    let lastZero = -1;
    // The extent that held the last present pfn (meta pages list ascending pfns: mostly the same).
    let extLo = 0;
    let extHi = 0;
    // Pending run of set_bit()s: pfns [rs, rs + rn), zero pages or not (quiet bits: their
    // order does not matter; the positions are set in the finally below).
    let rs = 0;
    let rn = 0;
    let rz = false;
    const flush = (): void => {
      if (rn === 0) return;
      cw.setRange(rs, rs + rn);
      if (rz) zw!.setRange(rs, rs + rn);
      rn = 0;
    };
    try {
      for (let j = 0; j < 512; j++) {
        // The u64 as two u32 halves (no BigInt per entry); the exact value only for the error paths.
        const lo = dv.getUint32(j * 8, true);
        const hi = dv.getUint32(j * 8 + 4, true);
        if (lo === 0xffffffff && hi === 0xffffffff) break;
        const zero = h.zeroPages && hi >= 0x80000000;
        const hiPfn = h.zeroPages ? hi & 0x7fffffff : hi;
        // Above 2^52 a pfn is no frame (and not exact in a double): the largest safe integer.
        const pfn =
          hiPfn > 0x100000 || (hiPfn === 0x100000 && lo > 0)
            ? Number.MAX_SAFE_INTEGER
            : hiPfn * 0x100000000 + lo;
        let valid = true;
        if (needValid) {
          if (pfn < secLo || pfn >= secHi) {
            secLo = Math.floor(pfn / per) * per;
            secHi = secLo + per;
            secValid = secs.pfnValid(pfn);
          }
          valid = secValid && pfn >= 0 && Number.isInteger(pfn);
        }
        let present = pfn >= extLo && pfn < extHi;
        if (!present) {
          for (const e of ext) {
            if (pfn >= e.start && pfn < e.end) {
              present = true;
              extLo = e.start;
              extHi = e.end;
              break;
            }
          }
        }
        if ((!h.unpackRequiresPfnValid || valid) && present) {
          if (rn > 0 && pfn === rs + rn && zero === rz) rn++;
          else {
            flush();
            rs = pfn;
            rn = 1;
            rz = zero;
          }
          // The entries after it that name the next pfns (same high half, same zero flag) in the
          // same section and extent pass the same checks: they join the run at once.
          let q = pfn;
          if (w !== null) {
            const lim = Math.min(extHi, needValid ? secHi : extHi);
            let x = lo;
            while (j + 1 < 512 && q + 1 < lim && x < 0xffffffff) {
              const o = (j + 1) * 2;
              if (w[o] !== x + 1 || w[o + 1] !== hi) break;
              j++;
              x++;
              q++;
            }
            if (q > pfn) {
              unpackRuns.joined += q - pfn;
              rn += q - pfn;
              if (zero) this.nrZeroPages += q - pfn;
            }
          }
          last = q;
          if (zero) {
            lastZero = q;
            this.nrZeroPages++;
          }
        } else {
          if (h.unpackFwBugMessage && !valid) {
            this.log(
              // pr_err(FW_BUG …) under snapshot.c's pr_fmt: "PM: hibernation: [Firmware Bug]: …".
              `${h.messages.hibernatePrefix}[Firmware Bug]: Memory map mismatch at 0x${(exactPfn(hiPfn, lo) * 4096n).toString(16)} after hibernation`,
            );
          }
          throw new RestoreError(
            -14,
            `unpack_orig_pfns: pfn 0x${exactPfn(hiPfn, lo).toString(16)} is not in this kernel's memory bitmap`,
          );
        }
      }
    } finally {
      flush();
      // The positions the last memory_bm_set_bit() of each map left.
      if (last >= 0) copy.setBit(last);
      if (lastZero >= 0) this.zeroBm!.setBit(lastZero);
    }
  }

  /** mark_unsafe_pages(): after it, the free bit means "an image page wants this frame". */
  private markUnsafePages(bm: MemoryBitmap): void {
    const s = this.s;
    if (this.m.profile.hibernation.markUnsafePages === '3.10') {
      // swsusp_unset_page_free() on every valid pfn of the zones: a section (all valid or none) at a time.
      const secs = this.m.sections;
      const per = secs.pfnsPerSection;
      for (const z of populatedZones(s)) {
        const end = z.startPfn + z.spannedPages;
        for (let pfn = z.startPfn; pfn < end; ) {
          const secEnd = Math.min(end, (Math.floor(pfn / per) + 1) * per);
          if (secs.pfnValid(pfn)) clearRange(s.free!, pfn, secEnd);
          pfn = secEnd;
        }
      }
      let fail = -1;
      const w = new BitWriter(s.free!);
      bm.forEachSet((pfn) => {
        if (fail >= 0) return;
        if (secs.pfnValid(pfn)) w.set(pfn);
        else fail = pfn;
      });
      if (fail >= 0)
        throw new RestoreError(-14, `mark_unsafe_pages: image pfn 0x${fail.toString(16)} is not valid`);
    } else {
      // memory_bm_clear(free_pages_map) + duplicate_memory_bitmap(free_pages_map, bm), word by word.
      if (!assignBits(s.free!, bm)) {
        s.free!.clearAll();
        bm.forEachSet((pfn) => s.free!.setBitQuiet(pfn));
      }
    }
    s.allocatedUnsafePages = 0;
  }

  /** memory_bm_free(bm, clear): free_image_page() each page of the bitmap. */
  private freeBitmap(bm: MemoryBitmap, clear: boolean): void {
    for (const p of [...bm.dataPfns, ...bm.metaPfns]) this.s.freeImagePage(p, clear);
  }

  /** prepare_image() (3.10 or 4.8+ per profile). */
  private prepareImage(): void {
    const s = this.s;
    const m = this.m;
    const h = m.profile.hibernation;
    // free_image_page(buffer, PG_UNSAFE_CLEAR); buffer = NULL (no highmem on x86-64)
    s.freeImagePage(this.bufferPfn, PG_UNSAFE_CLEAR);
    this.bufferPfn = -1;
    const copy = this.copyBm!;
    // 6.7+ (Kondeti's zero_bm fix): the temporary copy of zero_bm is created
    // BEFORE mark_unsafe_pages() and freed with PG_UNSAFE_KEEP, so freeing it
    // cannot clear the "unsafe" mark of an image pfn. (Freeing it with
    // PG_UNSAFE_CLEAR after mark_unsafe_pages() makes an image pfn look safe:
    // it is then both loaded in place and handed out as a safe page — the model
    // shows the resulting corruption.)
    let tmp: MemoryBitmap | null = null;
    if (this.zeroBm) tmp = s.createBitmap(symbolPhys(m, 'zero_bm'), s.anyPageSource());
    this.markUnsafePages(copy);
    const orig = s.createBitmap(symbolPhys(m, 'orig_bm'), s.pageSource(PG_SAFE));
    duplicateBitmap(orig, copy);
    this.freeBitmap(copy, PG_UNSAFE_KEEP);
    this.copyBm = null;
    this.origBm = orig;
    if (this.zeroBm && tmp) {
      duplicateBitmap(tmp, this.zeroBm);
      this.freeBitmap(this.zeroBm, PG_UNSAFE_KEEP);
      const z = s.createBitmap(symbolPhys(m, 'zero_bm'), s.pageSource(PG_SAFE));
      duplicateBitmap(z, tmp);
      this.freeBitmap(tmp, PG_UNSAFE_KEEP);
      this.zeroBm = z;
    }
    const images = this.nrCopyPages + this.nrZeroPages;
    // Reserve safe pages for the PBE chain.
    let nr = Math.ceil((images - s.allocatedUnsafePages) / PBES_PER_LINKED_PAGE);
    const spList: number[] = [];
    while (nr-- > 0) {
      const p = s.getImagePage(PG_SAFE);
      if (p < 0) throw new RestoreError(-12, 'prepare_image: out of memory (PBE pages)');
      if (h.safePageRecycling) s.pushSafePage(p);
      else spList.push(p);
    }
    // Preallocate frames for the image: safe ones go on safe_pages_list,
    // image pfns that get allocated become "owned originals".
    if (!h.safePageRecycling) s.safePages.clear();
    nr = images - s.allocatedUnsafePages;
    if (nr > 0 && preallocateImagePages(s, nr) < nr)
      throw new RestoreError(-12, 'prepare_image: out of memory');
    // 3.10: give the reserved PBE pages back so chain_alloc() can re-take them.
    for (const p of spList) s.freeImagePage(p, PG_UNSAFE_CLEAR);
  }

  /** chain_alloc()'s page source: 3.10 get_image_page(PG_SAFE); 4.8+ __get_safe_page(). */
  private chainPage(): number {
    const p = this.m.profile.hibernation.safePageRecycling
      ? this.s.getSafePage()
      : this.s.getImagePage(PG_SAFE);
    if (p < 0) throw new RestoreError(-12, 'chain_alloc: out of memory');
    return p;
  }

  /** get_buffer(): the original frame if we own it, else a safe frame + a PBE. */
  private getBuffer(): WriteTarget {
    const s = this.s;
    const pfn = this.origBm!.nextPfn();
    if (pfn === BM_END_OF_MAP) throw new RestoreError(-14, 'get_buffer: end of orig_bm');
    if (s.isForbidden(pfn) && s.isFree(pfn)) {
      this.direct++;
      return { pfn, kind: 'direct', imagePfn: pfn };
    }
    // pbe = chain_alloc(ca, sizeof(struct pbe)): before the safe page is taken.
    const j = this.chain!.alloc();
    let copy: number;
    if (this.m.profile.hibernation.safePageRecycling) {
      copy = s.getSafePage();
      if (copy < 0) throw new RestoreError(-12, 'get_buffer: no safe page');
    } else {
      // 3.10: pbe->address = safe_pages_list; safe_pages_list = safe_pages_list->next (no NULL check)
      const p = s.safePages.pop();
      if (p === undefined)
        throw new RestoreError(-12, 'get_buffer: safe_pages_list is empty (NULL dereference)');
      copy = p;
    }
    // pbe->address = __va(copy), pbe->orig_address = __va(pfn), pbe->next = restore_pblist;
    // restore_pblist = pbe. The chain keeps its PBEs compactly and produces its pages' bytes
    // when they are read (./pbe-chain.ts).
    const pbeAt = this.chain!.set(j, copy, pfn);
    this.pbePhys = pbeAt;
    // restore_pblist = pbe: the variable is written to memory by flushPblist() (before
    // restore_image() reads it, and whenever the loader stops), not once per page; nothing
    // reads it in between.
    this.pblistDirty = true;
    this.viaPbe++;
    return { pfn: copy, kind: 'pbe', imagePfn: pfn };
  }

  /** Physical address of the newest PBE, −1 before the first. */
  private pbePhys = -1;
  /** restore_pblist in memory is behind pbePhys. */
  private pblistDirty = false;

  /** Store restore_pblist (the newest PBE) in memory if it changed since the last store. */
  flushPblist(): void {
    if (!this.pblistDirty) return;
    this.storeVa(this.restorePblistPhys(), this.pbePhys);
    this.pblistDirty = false;
  }
  private pblistPhys = -1;
  /** __va(0) as two u32 halves (the direct map is linear). */
  private vaLo = -1;
  private vaHi = 0;

  private restorePblistPhys(): number {
    if (this.pblistPhys < 0) this.pblistPhys = symbolPhys(this.m, 'restore_pblist');
    return this.pblistPhys;
  }

  /** *(u64 *)__va(at) = __va(phys), or NULL for phys −1. */
  private storeVa(at: number, phys: number): void {
    const pfn = Math.floor(at / PAGE_SIZE);
    this.putVa(this.s.heap.phys.frame(pfn), at - pfn * PAGE_SIZE, phys);
  }

  /** storeVa() into frame `f` at offset `o`. (`x >>> 0` is x mod 2^32 for integers below 2^53.) */
  private putVa(f: Uint8Array, o: number, phys: number): void {
    if (phys < 0) {
      putU32(f, o, 0);
      putU32(f, o + 4, 0);
      return;
    }
    if (this.vaLo < 0) {
      const base = this.s.heap.ptov(0);
      this.vaLo = Number(base & 0xffffffffn);
      this.vaHi = Number((base >> 32n) & 0xffffffffn);
    }
    const lo = this.vaLo + (phys >>> 0);
    const hi = (this.vaHi + Math.floor(phys / 0x100000000) + (lo >= 0x100000000 ? 1 : 0)) >>> 0;
    putU32(f, o, lo >>> 0);
    putU32(f, o + 4, hi);
  }

  /** Kernel virtual address of the newest PBE (restore_pblist), 0 before the first. */
  get pbeAddr(): bigint {
    return this.pbePhys < 0 ? 0n : this.s.heap.ptov(this.pbePhys);
  }

  /** Flush bitmap positions into memory (for the inspector / a dump). */
  flush(): void {
    this.flushPblist();
    this.origBm?.flush();
    this.zeroBm?.flush();
    this.s.forbidden?.flush();
    this.s.free?.flush();
  }
}
