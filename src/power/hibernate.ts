/**
 * hibernate() (kernel/power/hibernate.c) on a model machine: freeze, basic
 * bitmaps, hibernate_preallocate_memory(), create_image() → swsusp_save(),
 * then swsusp_write() through the image writer into a swap device, and
 * power-down. The kernel objects involved (bitmaps, copy frames) live in
 * the machine's memory; the returned record says what went into the image
 * and keeps a digest of every saved page for verification after resume.
 */

import { walk } from '../arch/x86/walk.js';
import { ModelError } from '../errors.js';
import { e820Crc32 } from '../firmware/index.js';
import type { Machine } from '../machine/boot.js';
import { symbolPhys } from '../machine/symbols.js';
import { printk } from '../util/printk.js';
import type { ContentMap } from '../workload/content-map.js';
import type { CompressorName } from './compress/compressor.js';
import type { ChunkPool } from './compress/pool.js';
import type { KernelConsole } from './console.js';
import { type EventSink, inPhase, inPhaseSync } from './events.js';
import { FORMAT_ERAS } from './image/format-era.js';
import { speedLine } from './image/log.js';
import { imagePfnRuns, type PfnRuns, type ZeroFlags } from './image/pfn-runs.js';
import type { BlockSink } from './image/source.js';
import type { ArchEra } from './image/swsusp-info.js';
import {
  type DigestSources,
  type PageRecord,
  type WriteImageOptions,
  type WriteImageResult,
  writeImage,
} from './image/writer.js';
import { formatOops, type Oops, textAddr } from './oops.js';
import type { PlanImageWriter } from './plan/types.js';
import {
  acpiNvs,
  acpiPreparing,
  disableNonbootCpus,
  pmDebugLog,
  pmDebugOn,
  syscoreResumeLines,
  syscoreSuspend,
} from './pm-console.js';
import { BM_END_OF_MAP, forEachSetRun } from './snapshot/bitmap.js';
import { storeU64 } from './snapshot/kernel-heap.js';
import { hibernatePreallocateMemory, type PreallocResult } from './snapshot/preallocate.js';
import { SaveFault, type SaveFaults, type SaveResult, swsuspSave } from './snapshot/save.js';
import { countDataPages } from './snapshot/saveable.js';
import { SwsuspMem } from './snapshot/swsusp-mem.js';

export interface HibernateOptions {
  compressor: CompressorName | 'none';
  cpus?: number;
  threads?: number;
  imageSize?: number;
  platformMode?: boolean;
  pool?: ChunkPool;
  /** The swap device: page sink; page 0 is a fresh mkswap page of `devicePages`. */
  sink: BlockSink;
  /** Swap device size in pages, or a function of the image's stream pages (1 + meta + copy). */
  devicePages: number | ((imagePages: number) => number);
  swapUuidSeed?: number;
  console: KernelConsole;
  /** Called after the basic bitmaps exist with the current saveable count (workload sizing). */
  beforePreallocate?: (saveableNow: () => number) => void;
  /** Simulated disk write speed (MB/s) for the console's timing; default 200. */
  diskMBps?: number;
  faults?: SaveFaults;
  /** Who wrote "disk" to /sys/power/state (for an oops while saving). */
  process?: string;
  /** Structured events: the save and write-image phases, write progress. */
  events?: EventSink;
  /**
   * Leave swsusp_free() to the caller. runScenario() runs it in the restored
   * kernel after a resume (hibernation_snapshot(): `if (error || !in_suspend)
   * swsusp_free()`), so the image kernel's memory stays at the image point
   * while the resume boot loads copies of its kernel-data frames.
   */
  deferSwsuspFree?: boolean;
  /**
   * Plan mode (./plan/): this writer replaces writeImage(). It gets the pfn
   * list and the copy frames (copy_bm) instead of page bytes and prints the
   * writer's lines; no page is generated, digested, compressed or written.
   */
  planWriter?: PlanImageWriter;
}

/** Hibernation died: an oops while creating the image (nothing was written). */
export class HibernateOops extends Error {
  constructor(readonly oops: Oops) {
    super(oops.reason);
  }
}

export interface ImageManifest {
  /** Image pfns, ascending (zero pages included), as runs (iterable: Array.from gives the pfns). */
  pfns: PfnRuns;
  /** 1 where the pfn is a zero page (6.6+): a view of `pfns`' runs. */
  zero: ZeroFlags;
  /**
   * pageDigest() of each saved page's bytes at hibernation time, by list index
   * (full runs; the writer fills it). Plan mode has none: planVerify()
   * compares descriptors with the copy frames instead.
   */
  digest: Uint32Array | null;
  /**
   * Which digests the writer computed from a generated page of the entry's
   * own pfn (image/writer.ts DigestSources): verifyRestoreAsync() takes a
   * frame that still holds that same descriptor as matching without making
   * the page again. Null in plan mode.
   */
  digestSources: DigestSources | null;
  count: number;
}

export interface HibernateResult {
  save: SaveResult;
  prealloc: { allocNormal: number; saveable: number };
  write: WriteImageResult;
  manifest: ImageManifest;
  /** e820 CRC32 stored in the arch header (6.x) of the firmware table. */
  e820Crc: number;
  numPhyspages: number;
  mem: SwsuspMem;
}

/** init_header(): num_physpages per profile (3.10 x86-64: max_pfn; later: present pages). */
export function numPhyspagesOf(m: Machine): number {
  return m.profile.hibernation.numPhyspages === 'max_pfn' ? m.maxPfn : m.zones.totalPresent;
}

export function archEra(m: Machine): ArchEra {
  return m.profile.swsuspImage.archHeader;
}

export async function hibernate(
  m: Machine,
  content: ContentMap,
  opts: HibernateOptions,
): Promise<HibernateResult> {
  const con = opts.console;
  const msg = m.profile.hibernation.messages;
  const log = (l: string) => con.print(l);
  for (const l of msg.hibernationEntry) log(l);
  for (const l of msg.freezeUser) log(printk(l, '0.002'));
  // freeze_processes() → oom_killer_disable() (mm/oom_kill.c).
  if (msg.pm.oomDisabled) log(msg.pm.oomDisabled);
  con.advanceMs(2);

  const s = new SwsuspMem(m, content);
  s.createBasicMemoryBitmaps(pmDebugLog(m, log));
  opts.beforePreallocate?.(() => countDataPages(s));

  const t0 = con.nowMs();
  const pre: PreallocResult = hibernatePreallocateMemory(s, { imageSize: opts.imageSize }, log);
  con.advanceMs(pre.allocNormal * 0.004);
  log(speedLine(FORMAT_ERAS[m.profile.swsuspImage.format], 'Allocated', pre.allocNormal, con.nowMs() - t0));
  for (const l of msg.freezeRest) log(printk(l, '0.001'));
  // hibernation_snapshot(): dpm_suspend(PMSG_FREEZE) … dpm_suspend_end(); create_image():
  // platform_pre_snapshot() (ACPI: acpi_pm_prepare() + NVS save), then pm_sleep_disable_secondary_cpus().
  for (const l of msg.pm.freeze) log(l);
  if (opts.platformMode) {
    log(acpiPreparing(m, 4));
    log(acpiNvs(m, 'save'));
  }
  disableNonbootCpus(m, log);
  syscoreSuspend(m, log);

  // create_image(): in_suspend = 1; swsusp_arch_suspend() → swsusp_save()
  storeU64(s.heap, symbolPhys(m, 'in_suspend'), 1n);
  let save: SaveResult;
  try {
    save = inPhaseSync(opts.events, 'save', () => swsuspSave(s, pre, log, opts.faults));
  } catch (e) {
    if (!(e instanceof SaveFault)) throw e;
    if (e.warning) log(e.warning);
    const vaddr = m.ptov(e.pfn * 4096);
    const [func, off] = m.profile.hibernation.oops.saveFault.split('+');
    const oops: Oops = {
      address: vaddr,
      func: func!,
      offset: Number.parseInt(off!, 16),
      rip: textAddr(m, func!, Number.parseInt(off!, 16)),
      regs: {
        rax: 0n,
        rbx: BigInt(e.pfn),
        rcx: 0x200n,
        rdx: 0n,
        rsi: vaddr,
        rdi: 0n,
        rbp: 0n,
        rsp: 0n,
        r8: 0n,
        r9: 0n,
        r10: 0n,
        r11: 0n,
        r12: 0n,
        r13: 0n,
        r14: 0n,
        r15: 0n,
        rflags: 0x10046n,
      },
      errorCode: 0,
      pid: 1,
      comm: opts.process ?? 'bash',
      trace: [...m.profile.hibernation.oops.saveTrace],
      walk: walk(m.mem, m.kernelImage.pgdPhys, vaddr),
      reason: `the hibernating kernel read pfn 0x${e.pfn.toString(16)} through a not-present direct-map address while copying it (${e.warning ? 'the CPA split needed to map it failed' : 'kernel_page_present() assumed it mapped'})`,
    };
    for (const l of formatOops(m, oops)) log(l);
    throw new HibernateOops(oops);
  }
  con.advanceMs(save.nrCopyPages * 0.001);
  storeU64(s.heap, symbolPhys(m, 'nr_copy_pages'), BigInt(save.nrCopyPages));
  storeU64(s.heap, symbolPhys(m, 'nr_meta_pages'), BigInt(save.nrMetaPages));
  if (m.profile.hibernation.zeroPages)
    storeU64(s.heap, symbolPhys(m, 'nr_zero_pages'), BigInt(save.nrZeroPages));
  // create_image() after swsusp_arch_suspend() returned in the hibernating kernel:
  // platform_leave() (ACPI NVS restore), syscore_resume(), platform_finish() (wake),
  // then dpm_resume(PMSG_THAW).
  if (opts.platformMode) log(acpiNvs(m, 'restore'));
  for (const l of syscoreResumeLines(m)) log(l);
  if (opts.platformMode) log(acpiNvs(m, 'wake'));
  for (const l of msg.pm.thaw) log(l);
  if (msg.writingImage) log(msg.writingImage);

  // The image: the pfn list is orig_bm (+ zero_bm flags), the data the copy frames in order.
  const count = save.nrCopyPages + save.nrZeroPages;
  // memory_bm_next_pfn(orig_bm) `count` times, as runs, with zero_bm's flags (6.6+); orig_bm's
  // position ends after the last pfn, as next_pfn leaves it.
  const zeroBm = pre.zero;
  const pfns = imagePfnRuns(
    (fn) => forEachSetRun(pre.orig, 0, fn),
    zeroBm ? (fn) => forEachSetRun(zeroBm, 0, fn) : null,
    count,
  );
  if (pfns.count !== count) {
    throw new ModelError('ORIG_BM_SHORT', `orig_bm holds ${pfns.count} pfns, swsusp_save() counted ${count}`);
  }
  if (count > 0) pre.orig.positionAfter(pfns.lastPfn!);
  else pre.orig.positionReset();
  const manifest: ImageManifest = {
    pfns,
    zero: pfns.zero,
    // Plan mode digests nothing (no page bytes): no per-page array.
    digest: opts.planWriter ? null : new Uint32Array(count),
    digestSources: opts.planWriter ? null : { kind: new Uint8Array(count), seed: -1 },
    count,
  };
  // One record and one page buffer, refilled per page: the writer consumes a
  // record before pulling the next. A copy frame whose contents are a
  // generated page goes as its descriptor (the pool makes the bytes and their
  // digest off this thread); materialised and kernel-data frames as bytes.
  // The writer fills manifest.digest from the pool's per-page digests.
  const pageBuf = new Uint8Array(4096);
  const desc = new Uint32Array(3);
  const rec: PageRecord = { pfn: 0, bytes: null, genKind: 0, genSeed: 0, genSrc: 0 };
  // An iterator that hands out the same record and result object every time
  // (a generator would allocate an iterator result per page).
  let i = 0;
  // The list entry i: run `run` of manifest.pfns, `runLeft` entries of it still to come.
  let run = -1;
  let runPfn = 0;
  let runLeft = 0;
  let runZero = false;
  const step: IteratorResult<PageRecord> = { value: rec, done: false };
  const end: IteratorResult<PageRecord> = { value: undefined, done: true };
  const data: Iterable<PageRecord> & Iterator<PageRecord> = {
    [Symbol.iterator]() {
      i = 0;
      run = -1;
      runLeft = 0;
      pre.copy.positionReset();
      return this;
    },
    next(): IteratorResult<PageRecord> {
      if (i >= count) return end;
      if (runLeft === 0) {
        run++;
        runPfn = pfns.runStart(run);
        runLeft = pfns.runLength(run);
        runZero = pfns.runIsZero(run);
      }
      rec.pfn = runPfn++;
      runLeft--;
      i++;
      rec.genKind = 0;
      if (runZero) {
        rec.bytes = null;
        return step;
      }
      const copyPfn = pre.copy.nextPfn();
      if (copyPfn === BM_END_OF_MAP) throw new Error('copy_bm ran out before orig_bm');
      if (m.mem.generatedDescriptor(copyPfn, desc, 0)) {
        rec.bytes = null;
        rec.genKind = desc[0]!;
        rec.genSeed = desc[1]!;
        rec.genSrc = desc[2]!;
      } else {
        m.mem.readPageInto(copyPfn, pageBuf);
        rec.bytes = pageBuf;
      }
      return step;
    },
  };
  const e820Crc = e820Crc32(m.e820.firmware);
  const numPhyspages = numPhyspagesOf(m);
  const diskMs = (1000 / ((opts.diskMBps ?? 200) * 1024 * 1024)) * 4096;
  const events = opts.events;
  const writeOpts: WriteImageOptions = {
    format: m.profile.swsuspImage.format,
    arch: {
      era: archEra(m),
      // restore_registers of this build (System.map / the fixture images' jump_address).
      jumpAddress: m.kernelImage.textVirt + BigInt(m.profile.build.restoreRegistersOffset),
      jumpAddressPhys: BigInt(m.kernelImage.textPhys + m.profile.build.restoreRegistersOffset),
      cr3: BigInt(m.kernelImage.pgdPhys),
      e820Checksum: e820Crc,
    },
    numPhyspages,
    compressor: opts.compressor,
    platformMode: opts.platformMode,
    fresh: {
      devicePages:
        typeof opts.devicePages === 'number'
          ? opts.devicePages
          : opts.devicePages(1 + save.nrMetaPages + save.nrCopyPages),
      label: 'HIBLABSWAP',
      uuidSeed: opts.swapUuidSeed ?? 1,
    },
    cpus: opts.cpus ?? 2,
    threads: opts.threads,
    pool: opts.pool,
    clock: con.nowMs,
    log: (l) => {
      if (l.startsWith('PM: Image saving progress'))
        con.advanceMs(((save.nrCopyPages + save.nrMetaPages) / 10) * diskMs);
      log(l);
    },
    onProgress: events
      ? (done, total) => events({ type: 'progress', phase: 'write-image', done, total })
      : undefined,
    digests: manifest.digest ?? undefined,
    digestSources: manifest.digestSources ?? undefined,
  };
  // zero_bm exists only where the profile has zero pages (6.6+), so the list flags none elsewhere.
  const list = pfns;
  const write = await inPhase(events, 'write-image', async () =>
    opts.planWriter
      ? opts.planWriter({ machine: m, content, copy: pre.copy, list }, writeOpts)
      : writeImage(opts.sink, list, data, writeOpts),
  );
  // swsusp_free(): copy frames and the image bitmaps go back; power_down().
  if (!opts.deferSwsuspFree) s.swsuspFree();
  if (opts.platformMode) {
    // hibernation_platform_enter(): dpm_suspend*(PMSG_HIBERNATE), the ACPI S4 prepare and
    // NVS save, the other CPUs off, then the firmware powers the machine off in S4.
    for (const l of msg.pm.hibernate) log(l);
    log(acpiPreparing(m, 4));
    log(acpiNvs(m, 'save'));
    disableNonbootCpus(m, log);
    syscoreSuspend(m, log);
  } else {
    // HIBERNATION_SHUTDOWN: kernel_power_off() → machine_power_off() after the ACPI S5 prepare.
    log(acpiPreparing(m, 5));
    log(msg.pm.powerDown);
  }
  return {
    save,
    prealloc: { allocNormal: pre.allocNormal, saveable: pre.saveable },
    write,
    manifest,
    e820Crc,
    numPhyspages,
    mem: s,
  };
}

/**
 * hibernate() after hibernation_snapshot() failed (e.g. -ENOMEM from
 * hibernate_preallocate_memory()): swsusp_free(), free_basic_memory_bitmaps()
 * (pm_pr_dbg), thaw_processes() (oom_killer_enable(), "Restarting tasks"),
 * and the exit line. The lines the kernel prints, in order.
 */
export function hibernateFailedLines(m: Machine): string[] {
  const msg = m.profile.hibernation.messages;
  return [
    ...(pmDebugOn(m) ? [msg.bitmapsFreed] : []),
    ...(msg.pm.oomEnabled ? [msg.pm.oomEnabled] : []),
    'Restarting tasks ... done.',
    ...msg.pm.hibernationExit,
  ];
}
