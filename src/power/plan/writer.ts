/**
 * swsusp_write() in plan mode: the image's layout, header flags, page 0 and
 * header page exactly as writeImage() makes them (imageLayout(), the same
 * encoders), the writer's console lines in its order with the same simulated
 * timing (the progress lines, "Wrote … kbytes in … seconds" — both depend on
 * page counts only), and no page data: the pages are not generated,
 * compressed, hashed or written.
 *
 * Estimated, and marked so (WriteImageResult.estimated): the compressed size
 * (./estimate.ts) — in the console "PM: Image size after compression:
 * ~N kbytes (estimate)" (the lines of kernels that print it) — and with it
 * the swap slots the data would take. The CRC32 is not computed: the header
 * carries PLAN_CRC, and crc32 is reported as 0.
 */

import { ModelError, ScenarioError } from '../../errors.js';
import { CMP_HEADER, type CompressorName, UNC_PAGES } from '../compress/compressor.js';
import { defaultClock, kernelThreads, ProgressPrinter, speedLine, threadsLine } from '../image/log.js';
import { decodeMkswapHeader } from '../image/mkswap-header.js';
import { PAGE_SIZE } from '../image/page.js';
import { MAP_PAGE_ENTRIES } from '../image/swap-map.js';
import { markSwapfiles, SF } from '../image/swsusp-header.js';
import { encodeSwsuspInfo } from '../image/swsusp-info.js';
import {
  checkEnoughSwap,
  imageLayout,
  type WriteImageOptions,
  type WriteImageResult,
} from '../image/writer.js';
import { forEachSetRun } from '../snapshot/bitmap.js';
import { estimatedPageBytes, KERNEL_OBJECT_BYTES, META_PAGE_BYTES } from './estimate.js';
import { PLAN_CRC, PlannedImage } from './image.js';
import type { PlannedSave } from './types.js';

export interface PlanWriteResult extends WriteImageResult {
  /** compressedBytes (and lastSwapPage, mapPages of a compressed image) are estimates; crc32 was not computed. */
  estimated: true;
  image: PlannedImage;
}

/** The n-th free (not bad) swap slot from 1 on, and how many there are up to lastPage. */
function slotAllocator(bad: ReadonlySet<number>, lastPage: number) {
  let next = 1;
  return {
    alloc(): number {
      while (bad.has(next)) next++;
      return next++;
    },
    /** Skip n slots (no bad pages in between is the common case; checked one by one otherwise). */
    skip(n: number): number {
      if (bad.size === 0) {
        next += n;
        return next - 1;
      }
      let s = next - 1;
      for (let i = 0; i < n; i++) s = this.alloc();
      return s;
    },
    free(): number {
      let n = lastPage;
      for (const b of bad) if (b >= 1 && b <= lastPage) n--;
      return n;
    },
  };
}

export async function planWriteImage(save: PlannedSave, opts: WriteImageOptions): Promise<PlanWriteResult> {
  const { list, machine, content, copy } = save;
  const log = opts.log;
  const clock = opts.clock ?? defaultClock;
  const L = imageLayout(list, opts);
  const { rules, nrToWrite } = L;
  const lastPage = decodeMkswapHeader(L.page0).lastPage;
  const slots = slotAllocator(L.bad, lastPage);
  if (!L.compressed && opts.checkEnoughSwap !== false) checkEnoughSwap(slots.free(), L.pages);
  const firstMapPage = slots.alloc();
  const headerSlot = slots.alloc();
  const headerPage = encodeSwsuspInfo(opts.arch, {
    numPhyspages: opts.numPhyspages,
    imagePages: L.imagePages,
    nrMetaPages: L.nrMeta,
  });
  const image = new PlannedImage(machine, content, list, L.page0, headerPage, headerSlot, L.nrMeta);

  // The data pages: copy_bm in order, as runs of copy frames; their compressed size, estimated.
  const codec: CompressorName | null = L.compressed ? (opts.compressor as CompressorName) : null;
  let estimate = codec ? L.nrMeta * META_PAGE_BYTES[codec] : 0;
  // memory_bm_next_pfn(copy_bm) imagePages times, as runs of copy frames; the estimate per page
  // from its content kind (a table lookup); copy_bm's position ends after the last one.
  const want = L.imagePages;
  let got = 0;
  let lastCopy = -1;
  const mem = machine.mem;
  const kinds = new Float64Array(256);
  let withBytes = 0;
  forEachSetRun(copy, 0, (start, n) => {
    const take = Math.min(n, want - got);
    if (take > 0) image.addCopyFrames(start, take);
    // Frames counted by kind (a stretch without bytes at a time) and frames with bytes; every
    // figure is an integer, so the sum comes out the same in any order.
    for (let c = start, e = start + take; codec && c < e; ) {
      const plain = mem.unmaterialisedRun(c, e - c);
      content.countKinds(c, plain, kinds);
      c += plain;
      if (c < e) {
        withBytes++;
        c++;
      }
    }
    got += take;
    lastCopy = start + take - 1;
    return got < want;
  });
  if (codec) {
    estimate += withBytes * KERNEL_OBJECT_BYTES[codec];
    for (let k = 0; k < 256; k++) if (kinds[k]! > 0) estimate += kinds[k]! * estimatedPageBytes(codec, k);
  }
  if (got < want) throw new ModelError('PLAN_COPY_BM', 'copy_bm ran out before orig_bm');
  if (got > 0) copy.positionAfter(lastCopy);
  else copy.positionReset();

  const start = clock();
  const threads = opts.threads ?? kernelThreads(opts.cpus ?? 1);
  let chunks = 0;
  let compressedBytes = 0;
  let dataSlots: number;
  if (!codec) {
    log?.(`PM: Saving image data pages (${nrToWrite} pages)...`);
    tick(nrToWrite, new ProgressPrinter(nrToWrite, 'saving', log, opts.onProgress));
    log?.(`PM: Image saving done${rules.doneDot}`);
    log?.(speedLine(rules, 'Wrote', nrToWrite, clock() - start));
    dataSlots = nrToWrite;
  } else {
    log?.(threadsLine(rules, threads, codec, 'compression'));
    log?.(`PM: Compressing and saving image data (${nrToWrite} pages)...`);
    tick(nrToWrite, new ProgressPrinter(nrToWrite, 'saving', log, opts.onProgress));
    chunks = Math.ceil(nrToWrite / UNC_PAGES);
    compressedBytes = Math.round(estimate);
    // Each chunk: u64 cmp_len + data, padded to whole swap pages.
    dataSlots = Math.ceil((compressedBytes + chunks * CMP_HEADER) / PAGE_SIZE) + Math.floor(chunks / 2);
    if (rules.namesCompressor) {
      log?.(speedLine(rules, 'Wrote', nrToWrite, clock() - start));
      log?.(`PM: Image size after compression: ~${Math.floor(compressedBytes / 1024)} kbytes (estimate)`);
      log?.('PM: Image saving done');
    } else {
      log?.(`PM: Image saving done${rules.doneDot}`);
      log?.(speedLine(rules, 'Wrote', nrToWrite, clock() - start));
    }
  }
  // The swap map pages the writer would take between data slots (one per 511 entries).
  const entries = 1 + dataSlots;
  const mapPages = [firstMapPage];
  const extraMaps = Math.floor(entries / MAP_PAGE_ENTRIES);
  const lastSwapPage = slots.skip(dataSlots - 1 + extraMaps);
  if (!codec && lastSwapPage > lastPage) {
    // alloc_swapdev_block() fails: -ENOSPC, as the writer reports it. (A compressed image's
    // slots are an estimate: plan mode does not fail on them.)
    throw new ScenarioError(
      'SWAP_NO_SPACE',
      `no free swap page left (device pages 1..${lastPage} used); the kernel fails with -ENOSPC`,
    );
  }
  for (let i = 1; i <= extraMaps; i++) mapPages.push(firstMapPage + i * (MAP_PAGE_ENTRIES + 1));

  const page0 = L.page0;
  markSwapfiles(page0, opts.format, {
    image: firstMapPage,
    flags: L.flags,
    crc32: PLAN_CRC,
    hwSig: opts.hwSig ?? 0,
  });
  image.writePage0(page0);
  log?.('PM: S|');

  return {
    flags: L.flags | (rules.hasHwSig && opts.hwSig ? SF.HW_SIG : 0),
    crc32: 0,
    firstMapPage,
    mapPages,
    imagePages: L.imagePages,
    zeroPages: L.zeroPages,
    nrMetaPages: L.nrMeta,
    pages: L.pages,
    chunks,
    compressedBytes,
    lastSwapPage,
    threads,
    estimated: true,
    image,
  };
}

/** The writer's per-page progress count (lines at every 10%, the sink at every 1%). */
function tick(n: number, p: ProgressPrinter): void {
  p.tickN(n);
}
