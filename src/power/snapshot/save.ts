/**
 * swsusp_save() → copy_data_pages() (kernel/power/snapshot.c): count the
 * saveable pages, top up the preallocated copy frames (swsusp_alloc), set the
 * orig_bm bit of every saveable pfn and copy page i of orig_bm into frame i
 * of copy_bm. 6.6+: an all-zero source page only gets its zero_bm bit and
 * gives its copy frame to the next page.
 *
 * Copying in the model moves what a frame holds: materialised bytes are
 * copied, generated contents are copied as their descriptor (no bytes made),
 * and a kernel-data frame (struct pages, pglist_data) as a KDATA reference to
 * it (workload/content-map.ts).
 */
import { setDirectMapDefault, setDirectMapInvalid } from '../../arch/x86/cpa.js';
import { ScenarioError } from '../../errors.js';
import { printk } from '../../util/printk.js';
import { ContentKind, isZeroPage } from '../../workload/content.js';
import { BM_END_OF_MAP, PfnBitSetter, positionAsCursor, SetBitCursor, setRange } from './bitmap.js';
import { isUniformLeafSource } from './bm-leaves.js';
import { PAGES_FOR_IO, type PreallocResult } from './preallocate.js';
import {
  countDataPages,
  DirectMapProbe,
  forEachSaveableRun,
  markFreePagesAllZones,
  populatedZones,
} from './saveable.js';
import type { SwsuspMem } from './swsusp-mem.js';

export interface SaveResult {
  /** nr_copy_pages: pages with data in the image. */
  nrCopyPages: number;
  /** nr_zero_pages (6.6+). */
  nrZeroPages: number;
  /** nr_meta_pages = ceil((copy + zero) / 512). */
  nrMetaPages: number;
}

/** Is a frame all zero? (6.x do_copy_page() reports it while copying.) */
export function frameIsZero(s: SwsuspMem, pfn: number): boolean {
  const mem = s.machine.mem;
  if (mem.isMaterialised(pfn)) {
    // A synthesised frame (a uniform bitmap page) is read, not materialised.
    if (mem.sourceOf(pfn) !== undefined) {
      mem.readPageInto(pfn, zeroScratch);
      return isZeroPage(zeroScratch);
    }
    const f = mem.frame(pfn);
    const w = new Uint32Array(f.buffer, f.byteOffset, 1024);
    for (let i = 0; i < 1024; i++) if (w[i] !== 0) return false;
    return true;
  }
  const k = s.content.kind(pfn);
  if (k === ContentKind.KDATA) {
    // A kernel object frame (struct pages of a hole may well be all zero): the provider
    // knows for a memmap frame from its sections' forms; else look at its bytes.
    const z = s.content.kdataIsZero(pfn);
    if (z !== undefined) return z;
    mem.readPageInto(pfn, zeroScratch);
    return isZeroPage(zeroScratch);
  }
  return k === ContentKind.NONE || k === ContentKind.ZERO;
}

const zeroScratch = new Uint8Array(4096);

/** do_copy_page(dst, src) on frames. */
export function copyFrame(s: SwsuspMem, dst: number, src: number): void {
  const mem = s.machine.mem;
  if (mem.isMaterialised(src)) {
    s.content.clear(dst);
    const from = mem.sourceOf(src);
    // An all-ones / all-zero bitmap page (./bm-leaves.ts): bytes that never change, so the
    // copy shares their source instead of a buffer; other frames are read, not materialised.
    if (from !== undefined && isUniformLeafSource(from)) mem.synthesise(dst, from);
    else mem.readPageInto(src, mem.frame(dst));
    return;
  }
  mem.discard(dst);
  s.content.copy(src, dst);
}

/** Fault injection and patch choices for the copy (seed 001). */
export interface SaveFaults {
  /** split_large_page()'s allocation fails when a page is made present again. */
  cpaSplitFails?: boolean;
  /** "x86/hibernate: Use fixmap for saving unmapped pages": map via a fixmap PTE, never split. */
  fixmapSave?: boolean;
}

/** The copy read a not-present address: the hibernating kernel oopses (no image is written). */
export class SaveFault extends Error {
  constructor(
    readonly pfn: number,
    readonly warning: string | null,
  ) {
    super(`safe_copy_page read pfn 0x${pfn.toString(16)} through a not-present direct-map address`);
  }
}

/**
 * safe_copy_page(): copy a frame that may be unmapped in the direct map.
 * kernel_page_present() 'always' (3.10 without DEBUG_PAGEALLOC) reads it
 * directly; 'walk' (6.x) maps it first with hibernate_map_page() —
 * set_direct_map_default_noflush(), which may need a CPA split — or, with the
 * fixmap patch, through a fixmap PTE; then unmaps it again.
 */
export function safeCopyPage(
  s: SwsuspMem,
  dst: number,
  src: number,
  faults: SaveFaults,
  warned: { v: boolean },
  probe: DirectMapProbe,
): void {
  const m = s.machine;
  if (probe.mapped(src)) {
    copyFrame(s, dst, src);
    return;
  }
  // The paths below change mappings (CPA, fixmap): the probe's cached walk is stale.
  probe.reset();
  if (s.profile.hibernation.kernelPagePresent === 'always') throw new SaveFault(src, null);
  if (faults.fixmapSave) {
    copyFrame(s, dst, src);
    return;
  }
  if (!setDirectMapDefault(m, src, { allocFails: faults.cpaSplitFails })) {
    const w = warned.v ? null : `${s.profile.hibernation.messages.hibernatePrefix}Failed to remap page`;
    warned.v = true;
    throw new SaveFault(src, w);
  }
  copyFrame(s, dst, src);
  setDirectMapInvalid(m, src);
}

export function swsuspSave(
  s: SwsuspMem,
  pre: PreallocResult,
  log: (l: string) => void,
  faults: SaveFaults = {},
): SaveResult {
  const msg = s.profile.hibernation.messages;
  log(msg.creatingImage);
  // drain_local_pages(): the model has no per-cpu lists.
  const nrPages = countDataPages(s);
  log(printk(msg.needToCopy, nrPages));
  // enough_free_mem(): free = alloc_normal + NR_FREE_PAGES of lowmem zones.
  let free = pre.allocNormal;
  for (const z of populatedZones(s)) free += s.machine.buddy.nrFreePages[z.index]!;
  log(printk(msg.normalPagesNeeded, nrPages, PAGES_FOR_IO, free));
  if (!(free > nrPages + PAGES_FOR_IO)) {
    throw new ScenarioError('HIBERNATE_ENOMEM', `${msg.hibernatePrefix}Not enough free memory`);
  }
  // swsusp_alloc(): top up the copy frames with alloc_image_page(GFP_ATOMIC).
  // One alloc_image_page() + memory_bm_set_bit(copy_bm) per page, as runs; -ENOMEM at the first failure.
  if (nrPages > pre.allocNormal) {
    const want = nrPages - pre.allocNormal;
    let last = -1;
    const cw = new PfnBitSetter(pre.copy);
    const got = s.allocImagePages(want, (pfn, len) => {
      cw.setRange(pfn, pfn + len);
      last = pfn + len - 1;
    });
    if (last >= 0) pre.copy.setBit(last);
    if (got < want)
      throw new ScenarioError('HIBERNATE_ENOMEM', `${msg.hibernatePrefix}Memory allocation failed`);
  }
  // copy_data_pages()
  const zones = populatedZones(s);
  markFreePagesAllZones(s, zones);
  // memory_bm_set_bit(orig_bm, pfn) for each saveable pfn: a run of bits at a time (the position
  // is reset right after, so the per-bit position moves leave no trace).
  const saveProbe = new DirectMapProbe(s.machine);
  for (const z of zones)
    forEachSaveableRun(s, z, (start, n) => setRange(pre.orig, start, start + n), saveProbe);
  // The copy loop: memory_bm_next_pfn() over orig_bm and copy_bm in lockstep; a zero page
  // (6.6+) only gets its zero_bm bit and leaves its copy frame to the next page. A page that is
  // generated content (or NONE/ZERO) in a 2 MiB region mapped by a large leaf is copied as part
  // of a run of descriptors (ContentMap.copyRange: the same as copyFrame() page by page);
  // materialised, kernel-data (6.6+: zero test) and not-large-mapped pages take the per-page
  // path, which faults (SaveFault) at the exact page. The three maps' positions end where
  // the per-page calls leave them (also when a fault ends the loop).
  const zeroMode = pre.zero !== null;
  const mem = s.machine.mem;
  const content = s.content;
  // kernel_page_present() per page, one upper walk per 2 MiB region between mapping changes.
  const probe = new DirectMapProbe(s.machine);
  const oc = new SetBitCursor(pre.orig);
  const cc = new SetBitCursor(pre.copy);
  cc.next();
  let copied = 0;
  const warned = { v: false };
  let lastZero = -1;
  // Pending descriptor run: src [ps, ps + pn) → copy frames [pd, pd + pn).
  let ps = -1;
  let pd = -1;
  let pn = 0;
  const flush = (): void => {
    if (pn === 0) return;
    mem.discardRange(pd, pn);
    // A run of one (most of a scattered image) is copy() itself: copyRange()'s one store without its run set-up.
    if (pn === 1) content.copy(ps, pd);
    else content.copyRange(ps, pd, pn);
    pn = 0;
  };
  // Pending zero_bm run [zs, zs + zn).
  let zs = -1;
  let zn = 0;
  const zeroPage = (pfn: number): void => {
    if (zn > 0 && zs + zn === pfn) zn++;
    else {
      if (zn > 0) setRange(pre.zero!, zs, zs + zn);
      zs = pfn;
      zn = 1;
    }
    lastZero = pfn;
  };
  const slow = (pfn: number): void => {
    flush();
    if (zeroMode && frameIsZero(s, pfn)) {
      zeroPage(pfn);
      return;
    }
    safeCopyPage(s, cc.current, pfn, faults, warned, probe);
    copied++;
    cc.next();
  };
  try {
    let pfn = oc.next();
    while (pfn !== BM_END_OF_MAP) {
      const kind = probe.region(pfn);
      const regionEnd = probe.regionEnd;
      if (kind !== 1) {
        // Not mapped by a large leaf (not present, or PTEs): page by page. A region never becomes
        // large-mapped during the loop (safe_copy_page() splits and restores, never merges).
        while (pfn !== BM_END_OF_MAP && pfn < regionEnd) {
          slow(pfn);
          pfn = oc.next();
        }
        continue;
      }
      // A large-leaf-mapped region: the pages of orig_bm inside it.
      while (pfn !== BM_END_OF_MAP && pfn < regionEnd) {
        if (mem.isMaterialised(pfn)) slow(pfn);
        else {
          const k = zeroMode ? content.kind(pfn) : -1;
          // 6.6+ kernel-data frame: its provider's zero test (frameIsZero()'s), or its bytes.
          const kz = k === ContentKind.KDATA ? content.kdataIsZero(pfn) : false;
          if (zeroMode && (k === ContentKind.NONE || k === ContentKind.ZERO || kz === true)) {
            flush();
            zeroPage(pfn);
          } else if (kz === undefined) slow(pfn);
          else {
            // Generated contents, or (6.6+) a kernel-data frame its provider knows is not all
            // zero (the memmap of a big machine: tens of millions of frames): part of the
            // descriptor run, as copyFrame() would copy it.
            const dst = cc.current;
            if (pn > 0 && ps + pn === pfn && pd + pn === dst) pn++;
            else {
              flush();
              ps = pfn;
              pd = dst;
              pn = 1;
            }
            copied++;
            cc.next();
            // The next orig_bm pfns, set one after another, whose copy frames follow on and which
            // would take this branch too (no bytes; 6.6+: neither zero nor a zero kernel-data
            // frame): the run grows by them at once, both cursors moved past them.
            const room = regionEnd - pfn - 1;
            // (orig_bm's run first: in a scattered image it is mostly 0, and cc's is then not asked.)
            const oRun = cc.current === pd + pn ? oc.runAfter(room) : 0;
            const lim = oRun > 0 ? Math.min(oRun, 1 + cc.runAfter(room - 1)) : 0;
            let len = lim > 0 ? mem.unmaterialisedRun(pfn + 1, lim) : 0;
            if (zeroMode && len > 0) len = content.nonZeroRun(pfn + 1, len);
            if (len > 0) {
              pn += len;
              copied += len;
              oc.skip(len);
              cc.skip(len - 1);
              cc.next();
            }
          }
        }
        pfn = oc.next();
      }
    }
    flush();
  } finally {
    if (zn > 0) setRange(pre.zero!, zs, zs + zn);
    if (lastZero >= 0) pre.zero!.setBit(lastZero);
    positionAsCursor(pre.orig, oc);
    positionAsCursor(pre.copy, cc);
  }
  const nrZero = nrPages - copied;
  const nrMeta = Math.ceil(nrPages / 512);
  log(printk(msg.imageCreated, copied, nrZero));
  return { nrCopyPages: copied, nrZeroPages: nrZero, nrMetaPages: nrMeta };
}
