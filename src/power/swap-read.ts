/**
 * The read side of kernel/power/swap.c on a booted model machine:
 * swsusp_check() (find the signature, reset it at once), swsusp_read() (the
 * header page, then the loader the header's flags select), load_image() for
 * an uncompressed image and load_compressed_image() (3.10: load_image_lzo(),
 * the profile names it) for a compressed one.
 *
 * Each loader asks snapshot_write_next() (./snapshot/restore.ts) where stream
 * page `cur` goes and stores it there (./page-store.ts): the compressed loader
 * with a memcpy through the boot kernel's direct map — where a missing
 * translation is its page fault, and the oops names it — the uncompressed one
 * with a bio that writes the frame physically and cannot fault. A 6.6+ zero
 * page is memset by snapshot_write_next() itself, under either loader.
 */
import type { Machine } from '../machine/boot.js';
import { VmallocArea } from '../mm/vmalloc.js';
import { printk } from '../util/printk.js';
import { CMP_SIZE, UNC_PAGES, UNC_SIZE } from './compress/compressor.js';
import { type ChunkPool, GEN_WORDS } from './compress/pool.js';
import type { KernelConsole } from './console.js';
import type { EventSink } from './events.js';
import { FORMAT_ERAS, type ImageFormatEra } from './image/format-era.js';
import { kernelThreads, ProgressPrinter, speedLine, threadsLine } from './image/log.js';
import {
  chunkPageBytes,
  ImageReader,
  type ReadOptions as ImageReadOptions,
  type StreamChunk,
} from './image/reader.js';
import type { BlockSink, ReadSource } from './image/source.js';
import { decodeSwsuspHeader, HDR, HIBERNATE_SIG, SF, type SwsuspHeader } from './image/swsusp-header.js';
import type { SwsuspInfo } from './image/swsusp-info.js';
import { type LoaderFault, loaderOops, type ResumeTrigger } from './loader-oops.js';
import { formatOops, type Oops } from './oops.js';
import type { ImagePageStore } from './page-store.js';
import { type BitBlock, findNextBit } from './snapshot/bitmap.js';
import { PAGE_SIZE } from './snapshot/kernel-heap.js';
import { RestoreError, type SnapshotRestore, type WriteTarget } from './snapshot/restore.js';
import { RUN_ZERO } from './snapshot/restore-runs.js';

export type SwapDevice = ReadSource & BlockSink;

/**
 * The compressed loader's run paths. `pbe` off makes every PBE load go
 * through the per-page loop (the oracle of the loader's equivalence test),
 * `direct` off every in-place load; `image` off keeps runs to consecutive
 * image pfns (else they follow orig_bm across gaps). `pbeRuns` and
 * `imageRuns` count the runs taken (the latter those with a gap).
 */
export const loaderRuns = { pbe: true, direct: true, image: true, pbeRuns: 0, imageRuns: 0 };

/**
 * A consecutive run (image pfns pfn+1, pfn+2, …; for PBEs also safe frames one
 * step apart) at least this long is taken in its strided form, which stores,
 * discards and chains it as ranges; shorter ones, and runs across gaps, in
 * image order (lists). The choice changes only the speed.
 */
const CONSECUTIVE_RUN = 32;

/** The index of the last data entry (not RUN_ZERO) of flags[0..n), or -1. */
function lastDataBefore(flags: Uint8Array, n: number): number {
  for (let i = n - 1; i >= 0; i--) if ((flags[i]! & RUN_ZERO) === 0) return i;
  return -1;
}

/** Data entries (not RUN_ZERO) in flags[0..n). */
function dataIn(flags: Uint8Array, n: number): number {
  let d = 0;
  for (let i = 0; i < n; i++) if ((flags[i]! & RUN_ZERO) === 0) d++;
  return d;
}

/** What the loaders read of an image: ImageReader, or plan mode's PlanReader (./plan/image.ts). */
export interface LoaderImage {
  readonly info: SwsuspInfo;
  /** entries[0]: the swap slot of the header page. */
  readonly map: { readonly entries: ArrayLike<number> };
  streamPage(s: number): Uint8Array;
  stream(opts: ImageReadOptions): AsyncGenerator<StreamChunk, number>;
}

/** Opens the image on the device (ImageReader.open; plan mode opens its planned image). */
export type OpenImage = (device: SwapDevice, format: ImageFormatEra) => LoaderImage;

const openReader: OpenImage = (device, format) => ImageReader.open(device, { format });

export interface SwsuspCheckResult {
  header: SwsuspHeader;
  /** HIBERNATE_SIG was there (and has been reset). */
  found: boolean;
  /** The image reader, or why the swap map / header page cannot be read. */
  reader: LoaderImage | null;
  readerError: Error | null;
}

/**
 * swsusp_check(): page 0 of the resume device. No HIBERNATE_SIG → found
 * false (the caller prints "Image not found"). Otherwise the signature is reset to the
 * original swap signature and written back at once, before the image is
 * read, so a crash while loading leaves a plain swap device.
 */
export async function swsuspCheck(
  m: Machine,
  device: SwapDevice,
  open: OpenImage = openReader,
): Promise<SwsuspCheckResult> {
  const page0 = device.readAt(0, PAGE_SIZE).slice();
  const header = decodeSwsuspHeader(page0, m.profile.swsuspImage.format);
  if (header.sig !== HIBERNATE_SIG) return { header, found: false, reader: null, readerError: null };
  // The reader validates the map and header page now; the kernel reads them later, after the reset.
  let reader: LoaderImage | null = null;
  let readerError: Error | null = null;
  try {
    reader = open(device, m.profile.swsuspImage.format);
  } catch (e) {
    readerError = e as Error;
  }
  page0.set(page0.subarray(HDR.origSig, HDR.origSig + 10), HDR.sig);
  await device.writePage(0, page0);
  return { header, found: true, reader, readerError };
}

export interface ReadOptions {
  console: KernelConsole;
  device: SwapDevice;
  trigger: ResumeTrigger;
  pool?: ChunkPool;
  /** Online CPUs (the thread rule). */
  cpus: number;
  /** Simulated disk read speed (MB/s) for console timing. */
  diskMBps: number;
  events?: EventSink;
}

export interface ReadResult {
  /** 0, or the errno swsusp_read() returns (-61 short image / bad CRC, -1 header mismatch, …). */
  errno: number;
  /** The loader's page fault (the oops is already printed). */
  oops?: Oops;
  streamPages: number;
  /** Stream pages the loader consumed. */
  loaded: number;
  threads: number;
  compressor: string;
}

/** Raised by a loader when a store faults; swsusp_read() turns it into the oops. */
class FaultSignal extends Error {
  constructor(readonly oops: Oops) {
    super(oops.reason);
  }
}

/**
 * swsusp_read(): header page into `buffer`, then load_image() or
 * load_compressed_image(); the "Read … kbytes" speed line. Throws nothing
 * for image errors: they come back as errno, a fault as `oops`.
 */
export async function swsuspRead(
  m: Machine,
  reader: LoaderImage,
  header: SwsuspHeader,
  rs: SnapshotRestore,
  store: ImagePageStore,
  opts: ReadOptions,
): Promise<ReadResult> {
  const con = opts.console;
  const log = (l: string) => con.print(l);
  const info = reader.info;
  rs.info = info;
  const nrToRead = info.pages - 1;
  const compressed = (header.flags & SF.NOCOMPRESS_MODE) === 0;
  const codec = header.flags & SF.COMPRESSION_ALG_LZ4 ? 'lz4' : 'lzo';
  const threads = kernelThreads(opts.cpus);
  const res: ReadResult = {
    errno: 0,
    streamPages: nrToRead,
    loaded: 0,
    threads: compressed ? threads : 0,
    compressor: compressed ? codec : 'none',
  };
  const rules = FORMAT_ERAS[m.profile.swsuspImage.format];
  const diskMs = (1000 / (opts.diskMBps * 1024 * 1024)) * 4096;

  // Header page: snapshot_write_next() (cur 0) gives `buffer`, read synchronously.
  const first = rs.writeNext();
  store.buffer(first!.pfn, opts.device.readAt(reader.map.entries[0]! * PAGE_SIZE, PAGE_SIZE));
  const t0 = con.nowMs();
  if (compressed) {
    log(threadsLine(rules, threads, codec, 'decompression'));
    log(`PM: Loading and decompressing image data (${nrToRead} pages)...`);
  } else {
    log(`PM: Loading image data pages (${nrToRead} pages)...`);
  }
  // The kernel's progress lines, each followed by the simulated disk time of the next 10%.
  const mStep = Math.floor(nrToRead / 10) || 1;
  const progress = new ProgressPrinter(
    nrToRead,
    'loading',
    (l) => {
      log(l);
      con.advanceMs(mStep * diskMs);
    },
    opts.events
      ? (done, total) => opts.events!({ type: 'progress', phase: 'load-image', done, total })
      : undefined,
  );
  // The loading task's 16 KiB kernel stack (THREAD_SIZE), a real order-2 block of the boot
  // kernel: the oops' RSP/RBP/R13 point into it, at the profile's frame offsets.
  const stackPfn = m.buddy.alloc(2);
  const stack = m.ptov(Math.max(0, stackPfn) * PAGE_SIZE);
  const loader: Loader = { m, rs, store, reader, progress, trigger: opts.trigger, stack };
  opts.events?.({ type: 'phase-start', phase: 'load-image' });
  try {
    if (compressed) {
      const crc = await loadCompressedImage(loader, opts.pool, threads);
      res.loaded = progress.count;
      log(`PM: Image loading done${rules.doneDot}`);
      if (!rs.imageLoaded()) res.errno = -61;
      else if ((header.flags & SF.CRC32_MODE) !== 0 && crc >>> 0 !== header.crc32 >>> 0) {
        log(`PM: Invalid image CRC32!`);
        res.errno = -61;
      }
    } else {
      loadImage(loader);
      res.loaded = progress.count;
      log(`PM: Image loading done${rules.doneDot}`);
      if (!rs.imageLoaded()) res.errno = -61;
    }
  } catch (e) {
    if (e instanceof FaultSignal) {
      rs.flush();
      // struct snapshot_handle { unsigned int cur; void *buffer; int sync_read; } lives in
      // swsusp_read()'s frame (R13 in the seed's oops): crash's `p *snapshot` reads it there.
      if (stackPfn >= 0) {
        const h = e.oops.regs.r13 - m.kaslr.pageOffsetBase;
        if (h > 0n) {
          const hp = Number(h);
          m.mem.setU32(hp, rs.cur);
          m.mem.setU64(hp + 8, e.oops.address);
          m.mem.setU32(hp + 16, 0);
        }
      }
      res.loaded = progress.count;
      res.oops = e.oops;
      for (const l of formatOops(m, e.oops)) log(l);
      return res;
    }
    if (e instanceof RestoreError) res.errno = e.errno;
    else throw e;
  } finally {
    opts.events?.({ type: 'phase-end', phase: 'load-image' });
  }
  log(speedLine(rules, 'Read', nrToRead, con.nowMs() - t0));
  if (res.errno) log(printk(m.profile.hibernation.messages.errorResuming, res.errno));
  return res;
}

interface Loader {
  m: Machine;
  rs: SnapshotRestore;
  store: ImagePageStore;
  reader: LoaderImage;
  progress: ProgressPrinter;
  trigger: ResumeTrigger;
  /** Base of the loading task's kernel stack. */
  stack: bigint;
}

/**
 * Which generated page each data page of the stream should be, for the pool
 * (ReadOptions.expect): data page j is the j-th pfn of orig_bm that is not
 * in zero_bm — the order get_buffer() hands them out. Known once
 * prepare_image() has built orig_bm (after the last meta page); chunks handed
 * to the pool before that get no hint. Reads the bitmap words without moving
 * the bitmap's own position.
 */
class ExpectHints {
  private blocks: readonly BitBlock[] | null = null;
  private block = 0;
  private bit = 0;
  /** Stream page the cursor stands at. */
  private stream = 0;

  constructor(
    private readonly rs: SnapshotRestore,
    private readonly store: ImagePageStore,
    private readonly nrMeta: number,
  ) {}

  /** The next data pfn of orig_bm (skipping zero_bm pfns), or -1. */
  private nextPfn(): number {
    const bl = this.blocks!;
    const zero = this.rs.zeroBm;
    while (this.block < bl.length) {
      const b = bl[this.block]!;
      const i = findNextBit(b.words, b.end - b.start, this.bit);
      if (i >= b.end - b.start) {
        this.block++;
        this.bit = 0;
        continue;
      }
      this.bit = i + 1;
      const pfn = b.start + i;
      if (zero?.testBitQuiet(pfn)) continue;
      return pfn;
    }
    return -1;
  }

  /** Hints exist once prepare_image() has built orig_bm (ReadOptions.expectReady). */
  ready(): boolean {
    return this.rs.origBm !== null;
  }

  fill(first: number, pages: number, out: Uint32Array): boolean {
    const orig = this.rs.origBm;
    if (!orig || first + pages <= this.nrMeta) return false;
    if (!this.blocks) {
      this.blocks = orig.blocks32();
      this.stream = this.nrMeta;
    }
    if (first < this.stream) return false;
    while (this.stream < first) {
      this.nextPfn();
      this.stream++;
    }
    let any = false;
    for (let p = 0; p < pages; p++) {
      const pfn = this.nextPfn();
      this.stream++;
      if (pfn < 0) out[p * GEN_WORDS] = 0;
      else {
        this.store.expectFor(pfn, out, p * GEN_WORDS);
        if (out[p * GEN_WORDS] !== 0) any = true;
      }
    }
    return any;
  }
}

/** A CPU store through the direct map; on a fault, the oops with the loader's registers. */
/** The loader's state for an oops: what it was doing and nr_pages (no closure per page). */
type FaultInfo = (what: LoaderFault['what'], nrPages: number) => LoaderFault;

function cpuStore(
  L: Loader,
  t: WriteTarget,
  bytes: Uint8Array | null,
  fault: FaultInfo,
  what: LoaderFault['what'],
  nrPages: number,
  stream = -1,
): void {
  const w = L.store.cpu(t, bytes, stream);
  if (w) throw new FaultSignal(loaderOops(L.m, L.trigger, w.vaddr, w, fault(what, nrPages)));
}

/** snapshot_write_next()'s memset of the 6.6+ zero pages it passed while advancing. */
function drainZeroFills(L: Loader, fault: FaultInfo, nrPages: number): void {
  const zf = L.rs.zeroFills;
  while (zf.length) cpuStore(L, zf.shift()!, null, fault, 'zero-fill', nrPages);
}

/**
 * load_image(): snapshot_write_next() first, then a bio read into the page —
 * block I/O, which cannot fault. nr_pages counts the pages read.
 */
function loadImage(L: Loader): void {
  const { rs, store, reader, progress } = L;
  // The first call after the header: cur 1 → load_header()/check_header().
  let target = rs.writeNext();
  const fault: FaultInfo = (what, nrPages) => ({ what, compressed: false, nrPages });
  for (let n = 0; target; n++) {
    const bytes = reader.streamPage(n);
    if (target.kind === 'buffer') store.buffer(target.pfn, bytes);
    else store.dma(target, bytes, n);
    progress.tick();
    target = rs.writeNext(bytes);
    drainZeroFills(L, fault, progress.count);
  }
}

/**
 * load_compressed_image() / load_image_lzo(): the reader streams decompressed
 * chunks (the kernel's threads); each page is memcpy'd from data[thr].unc + off
 * to data_of(*snapshot) — through the direct map — then nr_pages++ and
 * snapshot_write_next(). The rest of the stream is drained for the CRC once
 * the snapshot is complete, like the CRC thread finishing its batch. Returns
 * the stream's crc32.
 */
async function loadCompressedImage(L: Loader, pool: ChunkPool | undefined, threads: number): Promise<number> {
  const { m, rs, store, reader, progress } = L;
  const op = m.profile.hibernation.oops;
  // page = vmalloc(sizeof(*page) * MAX_RD_PAGES); data = vmalloc(sizeof(*data) * nr_threads):
  // virtual addresses from the model's vmalloc area (the oops' R14/R15 are these).
  const vm = new VmallocArea(m.kaslr.vmallocBase, op.resumeVmallocInUse);
  vm.vmalloc(8 * op.maxReadPages);
  const decSize = op.decUncOffset + UNC_SIZE + CMP_SIZE;
  const data = vm.vmalloc(decSize * threads);
  let off = 0;
  const fault: FaultInfo = (what, nrPages) => {
    // The kernel's chunk of stream page nrPages (chunks are UNC_PAGES pages; a plan stream's
    // chunk holds several of them), whose thread's buffer the copy reads.
    const chunkIndex = Math.floor(nrPages / UNC_PAGES);
    const unc = data + BigInt(decSize * (chunkIndex % threads) + op.decUncOffset);
    return {
      what,
      compressed: true,
      nrPages,
      dec: { data, unc, cmp: unc + BigInt(UNC_SIZE), off },
      stack: L.stack,
    };
  };
  // The pool checks each data page against the image page's generated
  // contents as it decompresses it (a hint: cpuGenerated() re-checks the
  // descriptor against the page's real target), so matching pages are stored
  // as descriptors without making their bytes here.
  const hints = new ExpectHints(rs, store, reader.info.nrMetaPages);
  const stream = reader.stream({
    pool,
    threads,
    reuse: true,
    expect: pool ? (first, pages, out) => hints.fill(first, pages, out) : undefined,
    expectReady: () => hints.ready(),
    // Matched pages are stored as descriptors; the rare one stored as bytes is made again here.
    skipMatched: true,
  });
  const pageScratch = new Uint8Array(PAGE_SIZE);
  // The first call after the header: cur 1 → load_header()/check_header().
  let target = rs.writeNext();
  let crc = 0;
  outer: for (;;) {
    const it = await stream.next();
    if (it.done) return it.value;
    const chunk = it.value;
    const pages = chunk.data.length / PAGE_SIZE;
    const match = chunk.match;
    for (let k = 0; k < pages; k++) {
      if (!target) break outer;
      // A view of the page only when its bytes are used (not for a pool-matched page).
      let bytes: Uint8Array | undefined;
      let n = progress.count;
      off = (n % UNC_PAGES) * PAGE_SIZE;
      // memcpy(data_of(*snapshot), data[thr].unc + off, PAGE_SIZE)
      // In-place runs: the consecutive form (strided stores) when it finds a long run, else the
      // image-order form (gaps allowed, list stores); both leave what the per-page loop would.
      const dExtra =
        target.kind === 'direct' && !match && k + 1 < pages && loaderRuns.direct
          ? rs.peekDirectRun(target.pfn, pages - k - 1)
          : 0;
      if (
        target.kind === 'direct' &&
        !match &&
        k + 1 < pages &&
        loaderRuns.direct &&
        loaderRuns.image &&
        dExtra < CONSECUTIVE_RUN
      ) {
        // The same run in image order: the next orig_bm pfns, gaps allowed, 6.6+ zero pages
        // among them (rs.runPfns, runFlags), cut after the last data page whose frame and those
        // before it the direct map takes (no store of the run faults). Their get_buffer()s at
        // once, then their stores in image order (a zero page's memset where writeNext() would
        // have queued it): no step of one touches what another does.
        const found = rs.peekDirectList(target.pfn, pages - k - 1);
        const e = found > 0 ? lastDataBefore(rs.runFlags, store.mappedList(rs.runPfns, found + 1)) : 0;
        if (e > 0) {
          const list = rs.runPfns;
          const dataN = dataIn(rs.runFlags, e + 1);
          if (list[e]! - list[0]! !== e || dataN !== e + 1) loaderRuns.imageRuns++;
          rs.takeDirectList(e);
          store.cpuDirectList(list, rs.runFlags, e + 1, chunk.data, k, chunk.firstStreamPage + k);
          progress.tickN(dataN);
          k += dataN - 1;
          off = ((n + dataN - 1) % UNC_PAGES) * PAGE_SIZE;
          target = rs.writeNext();
          drainZeroFills(L, fault, n + dataN - 1);
          if (!target) break outer;
          continue;
        }
      } else if (dExtra > 0) {
        // A run of in-place pages (the next orig_bm pfns, consecutive, all "forbidden AND free"):
        // stored in one call, then snapshot_write_next() advanced over them at once. The last
        // page of the run goes on below like any page; a fault inside it leaves the loader's
        // state as the per-page loop would: the pages before it stored, counted and advanced over.
        const extra = dExtra;
        const stored = store.cpuDirectRun(target.pfn, extra + 1, chunk.data, k, chunk.firstStreamPage + k);
        const upTo = Math.min(stored, extra);
        progress.tickN(upTo);
        rs.takeDirectRun(target.pfn, upTo);
        if (stored <= extra) {
          const f = progress.count;
          off = (f % UNC_PAGES) * PAGE_SIZE;
          const p = target.pfn + stored;
          const w = store.faultWalk(p);
          throw new FaultSignal(loaderOops(m, L.trigger, w.vaddr, w, fault('copy', f)));
        }
        k += extra;
        off = ((n + extra) % UNC_PAGES) * PAGE_SIZE;
        progress.tick();
        target = rs.writeNext();
        drainZeroFills(L, fault, n + extra);
        if (!target) break outer;
        continue;
      }
      if (target.kind === 'buffer') {
        bytes = chunkPageBytes(chunk, k, pageScratch);
        store.buffer(target.pfn, bytes);
      } else {
        const w = match?.[k] ? store.cpuGenerated(target, chunk.expect!, k * GEN_WORDS) : undefined;
        if (w === undefined) {
          bytes = chunkPageBytes(chunk, k, pageScratch);
          cpuStore(L, target, bytes, fault, 'copy', n, chunk.firstStreamPage + k);
        } else if (w) throw new FaultSignal(loaderOops(m, L.trigger, w.vaddr, w, fault('copy', n)));
      }
      progress.tick();
      // PBE runs: the consecutive form (strided copies) when it finds a long run, else the
      // image-order form, as for the in-place runs above.
      const pExtra =
        target.kind === 'pbe' && !match && k + 1 < pages && loaderRuns.pbe
          ? rs.peekPbeRun(target.imagePfn!, pages - k - 1)
          : 0;
      if (
        target.kind === 'pbe' &&
        !match &&
        k + 1 < pages &&
        loaderRuns.pbe &&
        loaderRuns.image &&
        pExtra < CONSECUTIVE_RUN
      ) {
        // The same run in image order: the next orig_bm pfns, gaps allowed, 6.6+ zero pages
        // among them, and the next safe frames, any pfns (rs.runPfns, runFlags, runCopies), cut
        // after the last data page whose safe frame and those before it the direct map takes.
        const ip = target.imagePfn!;
        const found = rs.peekPbeList(ip, pages - k - 1);
        const run = found > 0 ? lastDataBefore(rs.runFlags, store.mappedList(rs.runCopies, found)) + 1 : 0;
        if (run > 0) {
          const dataN = dataIn(rs.runFlags, run);
          if (rs.runPfns[run - 1]! - ip !== run || dataN !== run) loaderRuns.imageRuns++;
          rs.takePbeList(run);
          loaderRuns.pbeRuns++;
          store.cpuPbeList(
            rs.runCopies,
            rs.runPfns,
            rs.runFlags,
            run,
            chunk.data,
            k + 1,
            chunk.firstStreamPage + k + 1,
          );
          progress.tickN(dataN);
          k += dataN;
          n += dataN;
          off = (n % UNC_PAGES) * PAGE_SIZE;
        }
      } else if (pExtra > 0) {
        // A run of PBE loads after this one (consecutive image pfns, safe frames from one run of
        // safe_pages_list, room in the chain page: peekPbeRun()) whose stores the direct map
        // takes without a fault: their get_buffer()s at once, then their stores in order. No
        // step of one reads or writes what another touches, so the memory, the maps' positions
        // and the chain end as the per-page loop leaves them.
        const ip = target.imagePfn!;
        const run = store.mappedRun(rs.pbeRunCopy, rs.pbeRunStep, pExtra);
        if (run > 0) {
          const c0 = rs.pbeRunCopy;
          const step = rs.pbeRunStep;
          rs.takePbeRun(ip, run);
          loaderRuns.pbeRuns++;
          store.cpuPbeRun(c0, step, ip + 1, run, chunk.data, k + 1, chunk.firstStreamPage + k + 1);
          progress.tickN(run);
          k += run;
          n += run;
          off = (n % UNC_PAGES) * PAGE_SIZE;
        }
      }
      // Only header/meta pages ('buffer' targets) are read by snapshot_write_next().
      target = rs.writeNext(bytes);
      drainZeroFills(L, fault, n);
      if (!target) break outer;
    }
  }
  // Drain the rest of the stream for the CRC.
  for (;;) {
    const it = await stream.next();
    if (it.done) {
      crc = it.value;
      break;
    }
  }
  return crc;
}
