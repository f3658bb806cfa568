/**
 * software_resume() (kernel/power/hibernate.c) on a booted model machine:
 * swsusp_check() → swsusp_read() (./swap-read.ts: the header, load_image() or
 * load_compressed_image()) → hibernation_restore() → swsusp_arch_resume()
 * (../arch/x86/power/hibernate.ts: set_up_temporary_mappings(), restore_image)
 * → the jump back into the image kernel, whose memory ./verify.ts then checks
 * against the digests taken at hibernation.
 *
 * This file is the order of those steps, the console lines between them and
 * the verdict; the steps live in the files named above.
 */

import { type ArchRestoreKernel, swsuspArchResume } from '../arch/x86/power/hibernate.js';
import type { Machine } from '../machine/boot.js';
import { symbolPhys } from '../machine/symbols.js';
import { printk } from '../util/printk.js';
import type { ContentMap } from '../workload/content-map.js';
import type { ChunkPool } from './compress/pool.js';
import type { KernelConsole } from './console.js';
import { type EventSink, inPhase, inPhaseSync } from './events.js';
import type { ImageManifest } from './hibernate.js';
import { ImageReader } from './image/reader.js';
import { SF } from './image/swsusp-header.js';
import { ImageFrameSource } from './image-frames.js';
import type { ResumeTrigger } from './loader-oops.js';
import type { Oops } from './oops.js';
import { ImagePageStore, type SilentWrite } from './page-store.js';
import { PlanPageStore } from './plan/store.js';
import {
  acpiNvs,
  disableNonbootCpus,
  pmDebugLog,
  pmDebugOn,
  syscoreResumeLines,
  syscoreSuspend,
} from './pm-console.js';
import { RestoreError, SnapshotRestore } from './snapshot/restore.js';
import { SwsuspMem } from './snapshot/swsusp-mem.js';
import { type OpenImage, type SwapDevice, swsuspCheck, swsuspRead } from './swap-read.js';
import { type VerifyResult, verifyRestoreAsync } from './verify.js';

export type { ResumeTrigger } from './loader-oops.js';
export { e820TypeAt, type SilentWrite } from './page-store.js';
export { type VerifyResult, verifyRestore, verifyRestoreAsync } from './verify.js';

export type ResumeOutcome = 'resumed' | 'refused' | 'oops' | 'silent-corruption' | 'no-image';

export interface ResumeOptions {
  console: KernelConsole;
  /** The swap device (read) and, for swsusp_check()'s signature reset, its page sink. */
  device: SwapDevice;
  trigger: ResumeTrigger;
  pool?: ChunkPool;
  cpus?: number;
  /** The content descriptors of the hibernated machine (to keep restored pages as descriptors). */
  imageContent?: ContentMap;
  /** Boot machine's own content map. */
  content: ContentMap;
  /** Digest of every image page at hibernation time (to verify the restore). */
  manifest?: ImageManifest;
  faults?: { noTempPageTables?: boolean };
  /**
   * A real image (no descriptors): keep each loaded data page as a frame that
   * reads its bytes back from the image (./image-frames.ts) instead of a 4 KiB
   * host buffer. The device must stay readable while the machine is read.
   */
  imageFrames?: boolean;
  /** Simulated disk read speed (MB/s) for console timing; default 150. */
  diskMBps?: number;
  /** Structured events: load-image / restore / verify phases, load progress, the oops. */
  events?: EventSink;
  /** The steps that need page bytes, swapped in plan mode (./plan/): nothing else changes. */
  pageIo?: ResumePageIo;
  /**
   * The kernel that wrote the image (its build, command line and text address): after the
   * jump it is the one printing (syscore_resume()'s "Calling …" lines). Unknown for a real
   * image: then the boot kernel stands in.
   */
  imageKernel?: Pick<Machine, 'profile' | 'e820' | 'kernelImage'>;
}

/** How the image is opened, where a loaded page lands, how the restore is checked. */
export interface ResumePageIo {
  openImage: OpenImage;
  store: (m: Machine, content: ContentMap, imageContent: ContentMap | undefined) => ImagePageStore;
  verify: (m: Machine, manifest: ImageManifest) => VerifyResult;
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

export async function softwareResume(m: Machine, opts: ResumeOptions): Promise<ResumeResult> {
  const con = opts.console;
  const msg = m.profile.hibernation.messages;
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
  const store =
    opts.pageIo?.store(m, opts.content, opts.imageContent) ??
    new ImagePageStore(m, opts.content, opts.imageContent);
  const silentWrites = store.silentWrites;
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

  const found = await swsuspCheck(m, opts.device, opts.pageIo?.openImage);
  if (!found.found) {
    log(`PM: Image not found (code -22)`);
    return result('no-image', `no hibernation signature on the resume device ("${found.header.sig}")`);
  }
  // 6.x software_resume(): pm_pr_dbg("Image signature found, resuming").
  pmDebugLog(m, log)(msg.signatureFound);
  for (const l of msg.afterSignature) log(l);
  log(msg.preparingRestore);
  for (const l of msg.freezeUser) log(printk(l, '0.000'));
  if (msg.pm.oomDisabled) log(msg.pm.oomDisabled);
  for (const l of msg.freezeRest) log(printk(l, '0.002'));
  con.advanceMs(3);
  if (msg.loadingImage) log(msg.loadingImage);
  else log('PM: Loading hibernation image.');

  const s = new SwsuspMem(m, opts.content);
  s.createBasicMemoryBitmaps(pmDebugLog(m, log));
  const rs = new SnapshotRestore(s, log);

  if (!found.reader) {
    log(printk(msg.errorResuming, -22));
    failLines(m, log, -22);
    return result('refused', `image unreadable: ${found.readerError?.message}`, { errno: -22 });
  }
  // (A planned image has no bytes to read back: only a real reader's pages are kept this way.)
  if (opts.imageFrames && found.reader instanceof ImageReader)
    store.keepImageFrames(new ImageFrameSource(found.reader, m.mem.budget));
  const read = await swsuspRead(m, found.reader, found.header, rs, store, {
    console: con,
    device: opts.device,
    trigger: opts.trigger,
    pool: opts.pool,
    cpus: opts.cpus ?? 1,
    diskMBps: opts.diskMBps ?? 150,
    events: opts.events,
  });
  // However the loader stopped, restore_pblist in memory is what get_buffer() left.
  rs.flushPblist();
  stats.streamPages = read.streamPages;
  stats.threads = read.threads;
  stats.compressor = read.compressor;
  stats.loaded = read.loaded;
  fillStats(stats, rs);
  if (read.oops) {
    opts.events?.({ type: 'oops', boot: 'resume', oops: read.oops });
    return result('oops', read.oops.reason, { oops: read.oops, restore: rs });
  }
  if (read.errno) {
    failLines(m, log, read.errno);
    return result('refused', refusalReason(read.errno, rs), { errno: read.errno, restore: rs });
  }
  log(msg.imageLoaded);

  // ---- hibernation_restore() → resume_target_kernel() → swsusp_arch_resume() ----
  for (const l of msg.pm.quiesce) log(l);
  disableNonbootCpus(m, log);
  syscoreSuspend(m, log);
  rs.flush();
  const restoreFault = inPhaseSync(opts.events, 'restore', () =>
    archResume(m, s, rs, store, rs.viaPbe, stats, Boolean(opts.faults?.noTempPageTables), log),
  );
  if (restoreFault) return result('oops', restoreFault, { restore: rs });
  // The jump: the image kernel goes on from swsusp_arch_suspend() with in_suspend == 0.
  // Its hibernation_snapshot() sees in_suspend == 0: platform_leave()/platform_finish()
  // when the image was written in platform mode (SF_PLATFORM_MODE), dpm_resume(PMSG_RESTORE);
  // then hibernate(): free_basic_memory_bitmaps() (pm_pr_dbg), thaw_processes()
  // (oom_killer_enable(), "Restarting tasks"), and the exit line.
  const platform = (found.header.flags & SF.PLATFORM_MODE) !== 0;
  const after = [
    // The image kernel's create_image() goes on: platform_leave(), syscore_resume(), platform_finish().
    ...(platform ? [acpiNvs(m, 'restore')] : []),
    ...syscoreResumeLines(opts.imageKernel ?? m),
    ...(platform ? [acpiNvs(m, 'wake')] : []),
    ...msg.pm.restore,
    msg.restoredSuccessfully,
    ...(pmDebugOn(opts.imageKernel ?? m) ? [msg.bitmapsFreed] : []),
    ...(msg.pm.oomEnabled ? [msg.pm.oomEnabled] : []),
    'Restarting tasks ... done.',
    ...msg.pm.hibernationExit,
  ];
  const manifest = opts.manifest;
  // Plan mode verifies descriptors (its own check); a full run digests pages in the pool.
  const planVerify = opts.pageIo?.verify;
  const verify = manifest
    ? planVerify
      ? inPhaseSync(opts.events, 'verify', () => planVerify(m, manifest))
      : await inPhase(opts.events, 'verify', () => verifyRestoreAsync(m, manifest, opts.pool))
    : undefined;
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
  // load_image_and_restore() → swsusp_free(), free_basic_memory_bitmaps() (pm_pr_dbg in 6.x);
  // software_resume(): thaw_processes() (oom_killer_enable(), "Restarting tasks"); the error.
  if (pmDebugOn(m)) log(msg.bitmapsFreed);
  if (msg.pm.oomEnabled) log(msg.pm.oomEnabled);
  log('Restarting tasks ... done.');
  if (msg.resumeFailed) log(printk(msg.resumeFailed, errno));
}

/**
 * swsusp_arch_resume() on the boot machine, with what the arch code needs of
 * it. A fault in the copy loop hangs the machine with interrupts off: no
 * console output, only the reason. Returns that reason, or null.
 */
function archResume(
  m: Machine,
  s: SwsuspMem,
  rs: SnapshotRestore,
  store: ImagePageStore,
  total: number,
  stats: ResumeStats,
  noTempPageTables: boolean,
  log: (l: string) => void,
): string | null {
  const k: ArchRestoreKernel = {
    mem: m.mem,
    pgdPhys: m.kernelImage.pgdPhys,
    tableFlags: m.profile.paging.tableFlags,
    largeLeafFlags: m.profile.paging.largeLeafFlags,
    pfnMapped: m.directMap.pfnMapped,
    ptov: (p) => m.ptov(p),
    virtToPhys: (v) => m.virtToPhys(v),
    directMapBytes: m.kaslr.sizesTb[0]! * 2 ** 40,
    getSafePage: () => {
      const p = s.getSafePage();
      if (p < 0) throw new RestoreError(-12, 'set_up_temporary_mappings: no safe page');
      return p;
    },
    copyPage: (dst, src) => store.copyFrame(dst, src),
    // Plan mode copies a run's descriptors at once; a full run copies page by page.
    copyPages:
      store instanceof PlanPageStore
        ? (dst, dstStep, src, srcStep, n) => store.copyFrameRun(dst, dstStep, src, srcStep, n)
        : undefined,
    // restore_pblist's chain pages read from the chain's compact form while nothing wrote them.
    pbeRun: (pa, max, out) => rs.pbeRunAt(pa, max, out),
  };
  const r = swsuspArchResume(k, symbolPhys(m, 'restore_pblist'), total, noTempPageTables, (dst, orig) =>
    store.silent(dst, orig, 'restore'),
  );
  stats.pbesCopied = r.pbesCopied;
  if (r.overrun) {
    log(
      '(no console output: restore_image keeps following a corrupted restore_pblist — the machine hangs or resets)',
    );
    return `restore_pblist holds more than the ${total} PBEs get_buffer() linked: the chain was overwritten — hang`;
  }
  if (r.fault) {
    const { address, index, what } = r.fault;
    log(
      `(no console output: restore_image faulted at 0x${address.toString(16)} with interrupts off and the image half copied — the machine hangs or resets)`,
    );
    return `restore_image faulted on 0x${address.toString(16)} while ${what} PBE ${index} of ${total}: the page tables it walks ${noTempPageTables ? 'were overwritten by image pages (no safe temporary page tables)' : 'do not map it'} — hang`;
  }
  if (r.pbesCopied < total) {
    // A NULL next before the end: restore_image returns into the image kernel with
    // the rest of the PBEs' pages never copied (verification shows which).
    log(
      `(no console output: restore_pblist ended after ${r.pbesCopied} of ${total} PBEs — their pages stay in safe frames)`,
    );
  }
  return null;
}
