/**
 * software_resume() → swsusp_check() → swsusp_read() → load_image_lzo() /
 * load_compressed_image() / load_image() → hibernation_restore() →
 * swsusp_arch_resume() on a booted model machine (kernel/power/hibernate.c,
 * swap.c, snapshot.c; arch/x86/power/hibernate*.c).
 *
 * Every CPU store of an image page goes through the boot kernel's direct map:
 * the loader resolves the target's kernel virtual address with a real walk of
 * the boot kernel's page tables in model memory. A missing translation is a
 * page fault in kernel mode → an oops, exactly where the kernel would take it
 * (the memcpy in the compressed loader, the memset of a 6.6+ zero page, the
 * PBE copy of restore_image). Block I/O (the uncompressed loader) writes
 * frames physically and cannot fault — it overwrites silently.
 */
import { type WalkResult, walk } from '../arch/x86/walk.js';
import { e820TypeName } from '../firmware/e820-types.js';
import type { Machine } from '../machine/boot.js';
import { symbolPhys } from '../machine/symbols.js';
import { printk } from '../util/printk.js';
import { isZeroPage, pageDigest } from '../workload/content.js';
import type { ContentMap } from '../workload/content-map.js';
import { UNC_PAGES } from './compress/compressor.js';
import type { ChunkPool } from './compress/pool.js';
import type { KernelConsole } from './console.js';
import type { ImageManifest } from './hibernate.js';
import { FORMAT_ERAS } from './image/format-era.js';
import { speedLine, threadsLine } from './image/log.js';
import { ImageReader } from './image/reader.js';
import type { BlockSink, ReadSource } from './image/source.js';
import { decodeSwsuspHeader, HDR, HIBERNATE_SIG, SF } from './image/swsusp-header.js';
import { formatOops, type Oops, type OopsRegs, textAddr } from './oops.js';
import { PAGE_SIZE, putU64 } from './snapshot/kernel-heap.js';
import { RestoreError, SnapshotRestore, type WriteTarget } from './snapshot/restore.js';
import { SwsuspMem } from './snapshot/swsusp-mem.js';

export type ResumeOutcome = 'resumed' | 'refused' | 'oops' | 'silent-corruption' | 'no-image';

export interface ResumeOptions {
  console: KernelConsole;
  /** The swap device (read) and, for swsusp_check()'s signature reset, its page sink. */
  device: ReadSource & BlockSink;
  trigger: { via: 'initcall' | 'sysfs'; process?: string; pid?: number };
  pool?: ChunkPool;
  cpus?: number;
  /** The content descriptors of the hibernated machine (to keep restored pages as descriptors). */
  imageContent?: ContentMap;
  /** Boot machine's own content map. */
  content: ContentMap;
  /** Digest of every image page at hibernation time (to verify the restore). */
  manifest?: ImageManifest;
  faults?: { noTempPageTables?: boolean };
  /** Simulated disk read speed (MB/s) for console timing; default 150. */
  diskMBps?: number;
}

export interface SilentWrite {
  pfn: number;
  imagePfn: number;
  /** 'cpu' memcpy/memset through a mapped address, 'dma' block I/O. */
  how: 'cpu' | 'dma' | 'restore';
  /** What the boot kernel's e820 says the frame is. */
  e820: string;
}

export interface ResumeStats {
  streamPages: number;
  nrMetaPages: number;
  nrCopyPages: number;
  nrZeroPages: number;
  /** Image pages loaded straight into their original frame. */
  direct: number;
  /** Image pages loaded into safe frames and copied by restore_image (PBEs). */
  viaPbe: number;
  /** PBEs restore_image followed in memory and copied (viaPbe when the chain is intact). */
  pbesCopied: number;
  /** Stream pages consumed by the loader. */
  loaded: number;
  threads: number;
  compressor: string;
}

export interface VerifyResult {
  checked: number;
  ok: number;
  bad: number;
  firstBad?: number;
}

export interface ResumeResult {
  outcome: ResumeOutcome;
  reason: string;
  errno?: number;
  oops?: Oops;
  stats: ResumeStats;
  silentWrites: SilentWrite[];
  verify?: VerifyResult;
  restore?: SnapshotRestore;
  /** Lines the restored (image) kernel prints after the jump back. */
  afterRestore: string[];
}

class FaultSignal extends Error {
  constructor(readonly oops: Oops) {
    super(oops.reason);
  }
}

/** dec_data / cmp buffers: where the model's loader vmalloc()s its decompression area. */
const DEC_DATA_OFFSET = 0x9fc000;

export async function softwareResume(m: Machine, opts: ResumeOptions): Promise<ResumeResult> {
  const con = opts.console;
  const h = m.profile.hibernation;
  const msg = h.messages;
  const log = (l: string) => con.print(l);
  const stats: ResumeStats = {
    streamPages: 0,
    nrMetaPages: 0,
    nrCopyPages: 0,
    nrZeroPages: 0,
    direct: 0,
    viaPbe: 0,
    pbesCopied: 0,
    loaded: 0,
    threads: 0,
    compressor: '',
  };
  const silentWrites: SilentWrite[] = [];
  const result = (
    outcome: ResumeOutcome,
    reason: string,
    extra: Partial<ResumeResult> = {},
  ): ResumeResult => ({
    outcome,
    reason,
    stats,
    silentWrites,
    afterRestore: [],
    ...extra,
  });

  if (opts.trigger.via === 'sysfs' && msg.resumeManual) log(msg.resumeManual);

  // ---- swsusp_check(): find the signature and reset it at once ----
  const page0 = opts.device.readAt(0, PAGE_SIZE).slice();
  const hdr = decodeSwsuspHeader(page0, m.profile.swsuspImage.format);
  if (hdr.sig !== HIBERNATE_SIG) {
    log(`PM: Image not found (code -22)`);
    return result('no-image', `no hibernation signature on the resume device ("${hdr.sig}")`);
  }
  // The reader validates the map and header now; the kernel reads them later, after the reset.
  let reader: ImageReader | null = null;
  let readerError: Error | null = null;
  try {
    reader = ImageReader.open(opts.device, { format: m.profile.swsuspImage.format });
  } catch (e) {
    readerError = e as Error;
  }
  page0.set(page0.subarray(HDR.origSig, HDR.origSig + 10), HDR.sig);
  await opts.device.writePage(0, page0);
  log(msg.signatureFound);
  for (const l of msg.afterSignature) log(l);
  log(msg.preparingRestore);
  for (const l of msg.freezeUser) log(printk(l, '0.000'));
  for (const l of msg.freezeRest) log(printk(l, '0.002'));
  con.advanceMs(3);
  if (msg.loadingImage) log(msg.loadingImage);
  else log('PM: Loading hibernation image.');

  const s = new SwsuspMem(m, opts.content);
  s.createBasicMemoryBitmaps(log);
  const rs = new SnapshotRestore(s, log);

  if (!reader) {
    log(printk(msg.errorResuming, -22));
    failLines(m, log, -22);
    return result('refused', `image unreadable: ${readerError?.message}`, { errno: -22 });
  }
  const info = reader.info;
  rs.info = info;
  const nrToRead = info.pages - 1;
  stats.streamPages = nrToRead;
  const compressed = (hdr.flags & SF.NOCOMPRESS_MODE) === 0;
  const codec = hdr.flags & SF.COMPRESSION_ALG_LZ4 ? 'lz4' : 'lzo';
  stats.compressor = compressed ? codec : 'none';
  const threads = Math.min(3, Math.max(1, (opts.cpus ?? 1) - 1));
  stats.threads = compressed ? threads : 0;
  const rules = FORMAT_ERAS[m.profile.swsuspImage.format];
  const diskMs = (1000 / ((opts.diskMBps ?? 150) * 1024 * 1024)) * 4096;

  // Header page: snapshot_write_next() (cur 0) gives `buffer`, read synchronously.
  let target: WriteTarget | null = rs.writeNext();
  m.mem.frame(target!.pfn).set(opts.device.readAt(reader.map.entries[0]! * PAGE_SIZE, PAGE_SIZE));
  const t0 = con.nowMs();
  if (compressed) {
    log(threadsLine(rules, threads, codec, 'decompression'));
    log(`PM: Loading and decompressing image data (${nrToRead} pages)...`);
  } else {
    log(`PM: Loading image data pages (${nrToRead} pages)...`);
  }
  const mStep = Math.floor(nrToRead / 10) || 1;
  const op = h.oops;
  const loaderFn = compressed ? op.loader.compressed : op.loader.nocompress;
  // The writing task's 16 KiB kernel stack (THREAD_SIZE), a real order-2 block of the boot
  // kernel: the oops' RSP/RBP point into it, at the frame offsets of the seed's crash.
  const stackPfn = m.buddy.alloc(2);
  const stack = m.ptov(Math.max(0, stackPfn) * PAGE_SIZE);
  const decData = m.kaslr.vmallocBase + BigInt(DEC_DATA_OFFSET);
  const imageContent = opts.imageContent;
  const scratch = new Uint8Array(PAGE_SIZE);

  /** CPU store of one page at the direct-map address of frame `pfn` (memcpy/memset). */
  const cpuStore = (
    t: WriteTarget,
    bytes: Uint8Array | null,
    fn: string,
    fnOff: number,
    regs: Partial<OopsRegs>,
  ) => {
    const vaddr = m.ptov(t.pfn * PAGE_SIZE);
    const w = walk(m.mem, m.kernelImage.pgdPhys, vaddr);
    if (w.paddr === undefined) {
      throw new FaultSignal(makeOops(m, opts, vaddr, w, fn, fnOff, regs));
    }
    const phys = Math.floor(w.paddr / PAGE_SIZE);
    storePage(phys, t.imagePfn ?? -1, bytes);
    if (t.kind === 'direct' && m.nosave.contains(phys)) {
      silentWrites.push({ pfn: phys, imagePfn: t.imagePfn ?? -1, how: 'cpu', e820: e820TypeAt(m, phys) });
    }
  };
  /** Put a page's bytes into a frame, as a descriptor when the bytes are the image page's generated contents. */
  const storePage = (pfn: number, imagePfn: number, bytes: Uint8Array | null) => {
    if (bytes === null || isZeroPage(bytes)) {
      m.mem.discard(pfn);
      opts.content.clear(pfn);
      if (bytes === null || !m.mem.isMaterialised(pfn)) return;
    }
    const d = imagePfn >= 0 ? imageContent?.get(imagePfn) : undefined;
    if (d && bytes) {
      imageContent!.generate(d, scratch);
      if (equalPages(scratch, bytes)) {
        m.mem.discard(pfn);
        opts.content.setDescriptor(pfn, d);
        return;
      }
    }
    opts.content.clear(pfn);
    m.mem.frame(pfn).set(bytes!);
  };

  let n = 0; // nr_pages: stream pages copied so far
  let errno = 0;
  const drainZeroFills = (regsBase: Partial<OopsRegs>) => {
    while (rs.zeroFills.length) {
      const z = rs.zeroFills.shift()!;
      cpuStore(z, null, 'snapshot_write_next', 0x1c5, { ...regsBase, rcx: 0x200n, rdx: 0n, rsi: 0n });
    }
  };
  try {
    // The first call after the header: cur 1 → load_header()/check_header().
    target = rs.writeNext();
    if (compressed) {
      const stream = reader.stream({ pool: opts.pool, threads });
      let crc = 0;
      outer: for (;;) {
        const it = await stream.next();
        if (it.done) {
          crc = it.value;
          break;
        }
        const chunk = it.value;
        const pages = chunk.data.length / PAGE_SIZE;
        for (let k = 0; k < pages; k++) {
          if (!target) break outer;
          const bytes = chunk.data.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE);
          const off = (n % UNC_PAGES) * PAGE_SIZE;
          const regs: Partial<OopsRegs> = {
            rbx: BigInt(n),
            r12: BigInt(off),
            r14: decData + 0x58n,
            r15: decData,
            rsi: decData + 0x58n + BigInt(off),
            r11: decData + 0x58n + 131072n,
            rbp: stack + 0x3d78n,
            rsp: stack + 0x3c70n,
            r13: stack + 0x3d88n,
          };
          // memcpy(data_of(*snapshot), data[thr].unc + off, PAGE_SIZE)
          if (target.kind === 'buffer') m.mem.frame(target.pfn).set(bytes);
          else cpuStore(target, bytes, loaderFn, op.copyInsnOffset, regs);
          if (n % mStep === 0) {
            log(`PM: Image loading progress: ${String(Math.floor(n / mStep) * 10).padStart(3)}%`);
            con.advanceMs(mStep * diskMs);
          }
          n++;
          target = rs.writeNext(bytes);
          drainZeroFills(regs);
          if (!target) break outer;
        }
      }
      // Drain the rest of the stream for the CRC, like the kernel's crc thread finishing its batch.
      if (!target) {
        for (;;) {
          const it = await stream.next();
          if (it.done) {
            crc = it.value;
            break;
          }
        }
      }
      stats.loaded = n;
      log(`PM: Image loading done${rules.doneDot}`);
      if (!rs.imageLoaded()) errno = -61;
      else if ((hdr.flags & SF.CRC32_MODE) !== 0 && crc >>> 0 !== hdr.crc32 >>> 0) {
        log(`PM: Invalid image CRC32!`);
        errno = -61;
      }
    } else {
      // load_image(): snapshot_write_next() first, then a bio read into the page.
      for (;;) {
        if (!target) break;
        const bytes = reader.streamPage(n);
        if (target.kind === 'buffer') m.mem.frame(target.pfn).set(bytes);
        else {
          storePage(target.pfn, target.imagePfn ?? -1, bytes);
          if (target.kind === 'direct' && m.nosave.contains(target.pfn)) {
            silentWrites.push({
              pfn: target.pfn,
              imagePfn: target.imagePfn ?? -1,
              how: 'dma',
              e820: e820TypeAt(m, target.pfn),
            });
          }
        }
        if (n % mStep === 0) {
          log(`PM: Image loading progress: ${String(Math.floor(n / mStep) * 10).padStart(3)}%`);
          con.advanceMs(mStep * diskMs);
        }
        n++;
        target = rs.writeNext(bytes);
        drainZeroFills({ rbx: BigInt(n) });
      }
      stats.loaded = n;
      log(`PM: Image loading done${rules.doneDot}`);
      if (!rs.imageLoaded()) errno = -61;
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
      fillStats(stats, rs);
      stats.loaded = n;
      for (const l of formatOops(m, e.oops)) log(l);
      return result('oops', e.oops.reason, { oops: e.oops, restore: rs });
    }
    if (e instanceof RestoreError) errno = e.errno;
    else throw e;
  }
  fillStats(stats, rs);
  log(speedLine(rules, 'Read', nrToRead, con.nowMs() - t0));
  if (errno) {
    log(printk(msg.errorResuming, errno));
    failLines(m, log, errno);
    return result('refused', refusalReason(errno, rs), { errno, restore: rs });
  }
  log(msg.imageLoaded);

  // ---- hibernation_restore() → resume_target_kernel() → swsusp_arch_resume() ----
  log('PM: quiesce of devices complete after 15.822 msecs');
  log('PM: late quiesce of devices complete after 1.035 msecs');
  log('PM: noirq quiesce of devices complete after 0.898 msecs');
  log('Disabling non-boot CPUs ...');
  rs.flush();
  const restoreFault = restoreImage(m, s, rs, opts, silentWrites, stats);
  if (restoreFault) {
    return result('oops', restoreFault, { restore: rs });
  }
  // The jump: the image kernel goes on from swsusp_arch_suspend() with in_suspend == 0.
  const after = [
    'PM: noirq restore of devices complete after 14.642 msecs',
    'PM: early restore of devices complete after 0.841 msecs',
    'PM: restore of devices complete after 37.120 msecs',
    msg.restoredSuccessfully,
    msg.bitmapsFreed,
    'Restarting tasks ... done.',
  ];
  const verify = opts.manifest ? verifyRestore(m, opts.manifest) : undefined;
  if (silentWrites.length) {
    const w = silentWrites[0]!;
    return result(
      'silent-corruption',
      `image pfn 0x${w.imagePfn.toString(16)} was written (${w.how}) into frame 0x${w.pfn.toString(16)}, which the boot kernel's e820 calls ${w.e820} — a frame it does not own`,
      { verify, restore: rs, afterRestore: after },
    );
  }
  if (verify && verify.bad > 0) {
    return result(
      'silent-corruption',
      `${verify.bad} of ${verify.checked} restored pages differ from the hibernated ones (first at pfn 0x${verify.firstBad!.toString(16)})`,
      { verify, restore: rs, afterRestore: after },
    );
  }
  return result('resumed', verify ? `all ${verify.checked} image pages verified` : 'image restored', {
    verify,
    restore: rs,
    afterRestore: after,
  });
}

function fillStats(stats: ResumeStats, rs: SnapshotRestore): void {
  stats.nrMetaPages = rs.nrMetaPages;
  stats.nrCopyPages = rs.nrCopyPages;
  stats.nrZeroPages = rs.nrZeroPages;
  stats.direct = rs.direct;
  stats.viaPbe = rs.viaPbe;
}

function refusalReason(errno: number, rs: SnapshotRestore): string {
  if (errno === -1) return 'the image header was rejected (check_header: Image mismatch)';
  if (errno === -14) return 'a pfn of the image is not valid in this kernel (-EFAULT)';
  if (errno === -61)
    return rs.imageLoaded() ? 'image CRC32 mismatch (-ENODATA)' : 'the image ended early (-ENODATA)';
  if (errno === -12) return 'out of memory while preparing the image (-ENOMEM)';
  return `error ${errno}`;
}

function failLines(m: Machine, log: (l: string) => void, errno: number): void {
  const msg = m.profile.hibernation.messages;
  log(msg.failedToLoad);
  log(msg.bitmapsFreed);
  if (msg.resumeFailed) log(printk(msg.resumeFailed, errno));
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

export function e820TypeAt(m: Machine, pfn: number): string {
  const a = BigInt(pfn) * 4096n;
  for (const e of m.e820.kernel) if (a >= e.addr && a < e.addr + e.size) return e820TypeName(e.type);
  return 'a hole (no e820 entry)';
}

function makeOops(
  m: Machine,
  opts: ResumeOptions,
  vaddr: bigint,
  w: WalkResult,
  fn: string,
  fnOff: number,
  regs: Partial<OopsRegs>,
): Oops {
  const trace = [...m.profile.hibernation.oops.callTrace[opts.trigger.via]];
  if (fn === 'snapshot_write_next') trace.unshift(`${m.profile.hibernation.oops.loader.compressed}+0x3a0`);
  const full: OopsRegs = {
    rax: 0n,
    rbx: 0n,
    rcx: 0x200n,
    rdx: 0x1000n,
    rsi: 0n,
    rdi: vaddr,
    rbp: 0n,
    rsp: 0n,
    r8: 0n,
    r9: 1n,
    r10: 1n,
    r11: 0n,
    r12: 0n,
    r13: 0n,
    r14: 0n,
    r15: 0n,
    rflags: 0x10246n,
    ...regs,
  };
  return {
    address: vaddr,
    func: fn,
    offset: fnOff,
    rip: textAddr(m, fn, fnOff),
    regs: full,
    errorCode: 0x2,
    pid: opts.trigger.pid ?? (opts.trigger.via === 'sysfs' ? 318 : 1),
    comm: opts.trigger.process ?? (opts.trigger.via === 'sysfs' ? 'bash' : 'swapper/0'),
    trace,
    walk: w,
    reason: `page fault writing 0x${vaddr.toString(16)} (pfn 0x${(Number(vaddr - m.kaslr.pageOffsetBase) / 4096).toString(16)}) in ${fn}: the boot kernel's direct map has no ${w.notMappedAt ?? 'leaf'} entry for it`,
  };
}

/**
 * swsusp_arch_resume(): build the temporary page tables from safe pages
 * (set_up_temporary_mappings: 2 MiB pages over pfn_mapped, like
 * kernel_ident_mapping_init), then restore_image copies every PBE into its
 * original frame. Without the temporary tables (the pre-2.6.14 behaviour a
 * scenario can select) the copy walks the boot kernel's own tables, which the
 * copy itself may overwrite. Returns a fault reason, or null.
 */
function restoreImage(
  m: Machine,
  s: SwsuspMem,
  rs: SnapshotRestore,
  opts: ResumeOptions,
  silentWrites: SilentWrite[],
  stats: ResumeStats,
): string | null {
  const useTemp = !opts.faults?.noTempPageTables;
  let pgd = m.kernelImage.pgdPhys;
  if (useTemp) pgd = setUpTemporaryMappings(m, s);
  // relocate_restore_code(): one safe page for core_restore_code.
  s.getSafePage();
  // core_restore_code (arch/x86/power/hibernate_asm_64.S), with cr3 = `pgd`:
  // follow restore_pblist (newest PBE first) through model memory, copying
  // 4096 bytes from pbe->address to pbe->orig_address, then pbe = pbe->next.
  // The chain is read where get_buffer() wrote it, so whatever happened to
  // those frames in between is what the copy loop sees.
  const total = rs.viaPbe;
  const hang = (bad: bigint, i: number, what: string) => {
    opts.console.print(
      `(no console output: restore_image faulted at 0x${bad.toString(16)} with interrupts off and the image half copied — the machine hangs or resets)`,
    );
    return `restore_image faulted on 0x${bad.toString(16)} while ${what} PBE ${i} of ${total}: the page tables it walks ${useTemp ? 'do not map it' : 'were overwritten by image pages (no safe temporary page tables)'} — hang`;
  };
  let pbeV = m.mem.u64(symbolPhys(m, 'restore_pblist'));
  let pbePageV = -1n;
  let pbePagePhys = 0;
  for (let i = 0; pbeV !== 0n; i++) {
    if (i >= total) {
      opts.console.print(
        '(no console output: restore_image keeps following a corrupted restore_pblist — the machine hangs or resets)',
      );
      return `restore_pblist holds more than the ${total} PBEs get_buffer() linked: the chain was overwritten — hang`;
    }
    const pv = pbeV - (pbeV % BigInt(PAGE_SIZE));
    // With the temporary tables (safe pages, never copied over) one walk per
    // PBE page is enough; without them a copy may clobber a table on the way
    // to the PBE page, so every PBE is read through a fresh walk, as the CPU's
    // loads after a page-table overwrite would see it.
    if (pv !== pbePageV || !useTemp) {
      const w = walk(m.mem, pgd, pv);
      if (w.paddr === undefined) return hang(pbeV, i, 'reading');
      pbePageV = pv;
      pbePagePhys = w.paddr;
    }
    const pa = pbePagePhys + Number(pbeV - pv);
    const srcV = m.mem.u64(pa); // pbe->address
    const dstV = m.mem.u64(pa + 8); // pbe->orig_address
    const wd = walk(m.mem, pgd, dstV);
    const ws = walk(m.mem, pgd, srcV);
    if (wd.paddr === undefined || ws.paddr === undefined) {
      return hang(wd.paddr === undefined ? dstV : srcV, i, 'copying');
    }
    const dst = Math.floor(wd.paddr / PAGE_SIZE);
    const src = Math.floor(ws.paddr / PAGE_SIZE);
    copyFrameContent(m, opts.content, dst, src);
    stats.pbesCopied++;
    // pbe->next is loaded after the copy (rep movsq, then the next pointer).
    pbeV = m.mem.u64(pa + 16);
    // __pa(orig_address): the frame the image page belongs to.
    const origPfn = Math.floor((m.virtToPhys(dstV) ?? wd.paddr) / PAGE_SIZE);
    if (dst !== origPfn) {
      silentWrites.push({ pfn: dst, imagePfn: origPfn, how: 'restore', e820: e820TypeAt(m, dst) });
    }
  }
  if (stats.pbesCopied < total) {
    // A NULL next before the end: restore_image returns into the image kernel with
    // the rest of the PBEs' pages never copied (verification shows which).
    opts.console.print(
      `(no console output: restore_pblist ended after ${stats.pbesCopied} of ${total} PBEs — their pages stay in safe frames)`,
    );
  }
  return null;
}

function copyFrameContent(m: Machine, content: ContentMap, dst: number, src: number): void {
  if (m.mem.isMaterialised(src)) {
    content.clear(dst);
    m.mem.frame(dst).set(m.mem.frame(src));
  } else {
    m.mem.discard(dst);
    content.copy(src, dst);
  }
}

/** set_up_temporary_mappings(): a PGD + PUD/PMD pages from get_safe_page() mapping pfn_mapped with 2 MiB pages. */
function setUpTemporaryMappings(m: Machine, s: SwsuspMem): number {
  const page = () => {
    const p = s.getSafePage();
    if (p < 0) throw new RestoreError(-12, 'set_up_temporary_mappings: no safe page');
    return p * PAGE_SIZE;
  };
  const pgd = page();
  const flags = m.profile.paging.tableFlags;
  const large = m.profile.paging.largeLeafFlags;
  const get = (table: number, idx: number, make: boolean): number => {
    const f = m.mem.frame(table / PAGE_SIZE);
    const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
    const e = dv.getBigUint64(idx * 8, true);
    if (e !== 0n) return Number(e & 0x000ffffffffff000n);
    if (!make) return 0;
    const t = page();
    putU64(f, idx * 8, BigInt(t) | flags);
    return t;
  };
  for (const [spfn, epfn] of m.directMap.pfnMapped) {
    const start = Math.floor((spfn * PAGE_SIZE) / 0x200000) * 0x200000;
    const end = epfn * PAGE_SIZE;
    for (let a = start; a < end; a += 0x200000) {
      const va = m.ptov(a);
      const i4 = Number((va >> 39n) & 511n);
      const i3 = Number((va >> 30n) & 511n);
      const i2 = Number((va >> 21n) & 511n);
      const pud = get(pgd, i4, true);
      const pmd = get(pud, i3, true);
      const f = m.mem.frame(pmd / PAGE_SIZE);
      putU64(f, i2 * 8, BigInt(a) | large);
    }
  }
  return pgd;
}

/** After the jump: every image pfn's frame must hold what it held at hibernation. */
export function verifyRestore(m: Machine, man: ImageManifest): VerifyResult {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  const bytes = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < man.count; i++) {
    const pfn = man.pfns[i]!;
    m.mem.readPageInto(pfn, bytes);
    const good = man.zero[i] ? isZeroPage(bytes) : pageDigest(bytes) === man.digest[i];
    r.checked++;
    if (good) r.ok++;
    else {
      r.bad++;
      if (r.firstBad === undefined) r.firstBad = pfn;
    }
  }
  return r;
}
