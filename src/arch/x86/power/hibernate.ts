/**
 * swsusp_arch_resume() (arch/x86/power/hibernate.c, hibernate_64.c) and the
 * copy loop of core_restore_code (hibernate_asm_64.S) on model memory:
 * set_up_temporary_mappings() builds page tables from safe pages, then
 * restore_image follows restore_pblist and copies every PBE's page into its
 * original frame with those tables in CR3.
 *
 * Layering: arch/ sits below machine/ and power/, so what this code needs of
 * the boot kernel comes through ArchRestoreKernel (physical memory, the
 * paging flags, pfn_mapped, __va/__pa, get_safe_page() and the page copy),
 * which src/power/resume.ts fills from the Machine and the hibernation
 * allocator. The console lines and the verdict stay with the caller.
 */
import type { PhysMem } from '../../../mm/phys-mem.js';
import { entryAddr, PAGE_SIZE, PMD_SIZE, readEntry, writeEntry } from '../pgtable.js';
import { TranslateCache, translate } from '../walk.js';

const LOW48 = 0xffffffffffffn;

/** The u32 at `paddr` (little endian), also across a frame boundary (a corrupted PBE pointer). */
function rd32(mem: PhysMem, paddr: number): number {
  return (paddr & (PAGE_SIZE - 1)) <= PAGE_SIZE - 4 ? mem.u32Aligned(paddr) : mem.u32(paddr);
}

/** struct pbe { void *address; void *orig_address; struct pbe *next; } (include/linux/suspend.h). */
const PBE_ADDRESS = 0;
const PBE_ORIG_ADDRESS = 8;
const PBE_NEXT = 16;
const PBE_SIZE = 24;
const PMD_BYTES = 2 ** 21;
/** pbeRunAt()'s steps (pages) of the run it found: orig_address and address. */
let runDstStep = 0;
let runSrcStep = 0;

export interface ArchRestoreKernel {
  mem: PhysMem;
  /** The boot kernel's own top-level page table (physical). */
  pgdPhys: number;
  /** Flags of a non-leaf entry and of a 2 MiB leaf (the profile's paging flags). */
  tableFlags: bigint;
  largeLeafFlags: bigint;
  /** pfn_mapped[]: the [start, end) pfn ranges of the direct map. */
  pfnMapped: readonly (readonly [number, number])[];
  /** __va() of a physical address. */
  ptov(paddr: number): bigint;
  /** __pa() of a direct-map address, undefined outside the direct map. */
  virtToPhys(vaddr: bigint): number | undefined;
  /**
   * Bytes the direct map spans from __va(0) (virtToPhys() is `v - __va(0)` below that):
   * lets restore_image convert a PBE's orig_address without a BigInt per page. Optional:
   * without it every conversion goes through virtToPhys().
   */
  directMapBytes?: number;
  /** get_safe_page(GFP_ATOMIC): a zeroed frame no image page is copied over (a pfn); throws when none is left. */
  getSafePage(): number;
  /** The rep movsq of one page: frame `src` into frame `dst`. */
  copyPage(dst: number, src: number): void;
  /**
   * copyPage(dst + i × dstStep, src + i × srcStep) for i = 0 … n - 1, in that
   * order. restore_image calls it only for copies that do not depend on one
   * another (no dst is a src of the run), so an implementation may do them in
   * any order. Optional: without it the run is n copyPage() calls.
   */
  copyPages?(dst: number, dstStep: number, src: number, srcStep: number, n: number): void;
  /**
   * What the PBE at physical address `pa` and the ones its next links reach
   * inside the same page hold, when known without reading the page (the
   * chain's compact form: src/power/snapshot/pbe-chain.ts runAt()): how many
   * (at most `max`) have address and orig_address one page step apart each;
   * out = [address's frame, orig_address's frame, their steps per PBE, the
   * physical address the last one's next points at or -1 for NULL] — what
   * the page's bytes say. 0: read the bytes. Optional.
   */
  pbeRun?(pa: number, max: number, out: Float64Array): number;
}

/**
 * set_up_temporary_mappings(): a PGD and PUD/PMD pages from get_safe_page()
 * mapping every pfn_mapped range with 2 MiB pages at its direct-map address
 * (kernel_ident_mapping_init() with the direct-map offset). Returns the PGD.
 */
export function setUpTemporaryMappings(k: ArchRestoreKernel): number {
  const page = () => k.getSafePage() * PAGE_SIZE;
  const pgd = page();
  /** The next-level table of entry `idx` of `table`, made from a safe page when empty. */
  const next = (table: number, idx: number): number => {
    const e = readEntry(k.mem, table, idx);
    if (e !== 0n) return entryAddr(e);
    const t = page();
    writeEntry(k.mem, table, idx, BigInt(t) | k.tableFlags);
    return t;
  };
  // One PMD entry per 2 MiB (a 12 TiB map has 6M): the direct-map address as its low 48 bits
  // (__va() is linear; the table indices are bits 39–47, 30–38, 21–29), the PGD/PUD walk
  // redone only when its index changes — it allocates a table on first use, so the tables
  // come from get_safe_page() in the same order — and the entry stored as two u32 halves.
  const baseLow48 = Number(k.ptov(0) & LOW48);
  const flagsLo = Number(k.largeLeafFlags & 0xffffffffn);
  const flagsHi = Number((k.largeLeafFlags >> 32n) & 0xffffffffn);
  let pgdIdx = -1;
  let pudIdx = -1;
  let pmd = -1;
  let words: Uint32Array | null = null;
  for (const [spfn, epfn] of k.pfnMapped) {
    const start = Math.floor((spfn * PAGE_SIZE) / PMD_SIZE) * PMD_SIZE;
    const end = epfn * PAGE_SIZE;
    for (let a = start; a < end; a += PMD_SIZE) {
      const v = (baseLow48 + a) % 2 ** 48;
      const gi = Math.floor(v / 2 ** 39) % 512;
      const ui = Math.floor(v / 2 ** 30) % 512;
      if (gi !== pgdIdx || ui !== pudIdx || words === null) {
        const pud = next(pgd, gi);
        pmd = next(pud, ui);
        pgdIdx = gi;
        pudIdx = ui;
        const f = k.mem.frame(pmd / PAGE_SIZE);
        words = (f.byteOffset & 3) === 0 ? new Uint32Array(f.buffer, f.byteOffset, PAGE_SIZE / 4) : null;
      }
      const mi = Math.floor(v / PMD_SIZE) % 512;
      if (words === null) {
        writeEntry(k.mem, pmd, mi, BigInt(a) | k.largeLeafFlags);
        continue;
      }
      // a is 2 MiB aligned: its low 21 bits are free for the flag bits.
      words[2 * mi] = ((a % 2 ** 32) | flagsLo) >>> 0;
      words[2 * mi + 1] = (Math.floor(a / 2 ** 32) | flagsHi) >>> 0;
    }
  }
  return pgd;
}

export interface RestoreImageResult {
  /** PBEs whose page was copied. */
  pbesCopied: number;
  /** The loop stopped at an address the tables in CR3 do not map: reading the PBE, or copying its page. */
  fault?: { address: bigint; index: number; what: 'reading' | 'copying' };
  /** restore_pblist went on past `expected` PBEs: the chain was overwritten. */
  overrun?: boolean;
}

/**
 * core_restore_code with CR3 = `pgd`: from `pblist` (the value of
 * restore_pblist, newest PBE first) copy 4096 bytes from pbe->address to
 * pbe->orig_address, then pbe = pbe->next — loaded after the copy, as the
 * assembly does. The chain is read where get_buffer() wrote it, so whatever
 * happened to those frames in between is what the loop sees.
 *
 * `freshWalks`: without temporary tables the loop walks the boot kernel's own
 * tables, which a copy may overwrite, so every PBE is read through a new
 * walk (as the CPU's loads after the overwrite would see it); with them one
 * walk per PBE page is enough. `onMisplaced(dst, origPfn)` is called when a
 * page lands in a frame that is not __pa(orig_address).
 */
export function restoreImage(
  k: ArchRestoreKernel,
  pgd: number,
  pblist: bigint,
  expected: number,
  freshWalks: boolean,
  onMisplaced: (dst: number, origPfn: number) => void,
): RestoreImageResult {
  const r: RestoreImageResult = { pbesCopied: 0 };
  const mem = k.mem;
  // Pointers as two u32 halves and their low 48 bits as a number: no BigInt per PBE
  // (a 4 GiB image has ~10^6). The walks of the copy's two addresses are cached per
  // 2 MiB region; a copy into a frame a cached walk read (a table page) drops it, and
  // the PTE itself is read at each translation, so every answer is a fresh walk's.
  const dstWalks = new TranslateCache(mem, pgd);
  const srcWalks = new TranslateCache(mem, pgd);
  // Reading the PBEs: without temporary tables a fresh walk per PBE (the same cache
  // rule); with them one walk per PBE page, as before.
  const pbeWalks = freshWalks ? new TranslateCache(mem, pgd) : null;
  const base = k.ptov(0);
  const baseLow48 = Number(base & LOW48);
  const baseHi16 = Number(base >> 48n);
  const dmBytes = k.directMapBytes ?? 0;
  const va = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  let hi = Number((pblist >> 32n) & 0xffffffffn);
  let lo = Number(pblist & 0xffffffffn);
  const pageBytes = new Uint8Array(PAGE_SIZE);
  const pageWords = new Uint32Array(pageBytes.buffer);
  let pagePfn = -1;
  let pbePageLow48 = -1;
  let pbePagePhys = 0;
  const baseLo = Number(base & 0xffffffffn);
  const baseHi = Number((base >> 32n) & 0xffffffffn);
  const runOut = k.pbeRun ? new Float64Array(5) : null;
  /**
   * A run of n PBEs from the current one (in the frame `pbePfn`): orig_address
   * low 48 bits dLow + m × dd pages, address sLow + m × ss pages (dd, ss ±1;
   * orig_address's top 16 bits those of __va(0)). Copies the first of them
   * that stay inside the 2 MiB regions of the first (at least two) in one step
   * and returns how many, when that leaves what the loop page by page would:
   * both regions one large leaf each (the walks answer linearly, no fault),
   * every page in place (__pa(orig_address) = dst: no misplaced call), and
   * no dst is the chain page, a src of the run or a table frame the cached
   * walks read — each copy then writes a frame nothing else in the run reads.
   * Else 0, nothing done.
   */
  const takeRun = (
    all: number,
    dLow: number,
    dd: number,
    sLow: number,
    ss: number,
    pbePfn: number,
  ): number => {
    const n = Math.min(all, inRegion(dLow, dd), inRegion(sLow, ss));
    if (n < 2) return 0;
    const dEnd = dLow + (n - 1) * dd * PAGE_SIZE;
    const dPa = dstWalks.translate(dLow);
    if (dPa < 0 || !dstWalks.leaf) return 0;
    const sPa = srcWalks.translate(sLow);
    if (sPa < 0 || !srcWalks.leaf) return 0;
    const dst = Math.floor(dPa / PAGE_SIZE);
    const src = Math.floor(sPa / PAGE_SIZE);
    const d0 = dLow - baseLow48;
    const dLast = dEnd - baseLow48;
    if (!(d0 >= 0 && d0 < dmBytes && dLast >= 0 && dLast < dmBytes && Math.floor(d0 / PAGE_SIZE) === dst))
      return 0;
    const dLo = dd > 0 ? dst : dst - (n - 1);
    const dHi = dLo + n - 1;
    const sLo = ss > 0 ? src : src - (n - 1);
    if (pbePfn >= dLo && pbePfn <= dHi) return 0;
    if (sLo + n - 1 >= dLo && sLo <= dHi) return 0;
    if (dstWalks.readsFrameIn(dLo, dHi) || srcWalks.readsFrameIn(dLo, dHi)) return 0;
    if (k.copyPages) k.copyPages(dst, dd, src, ss, n);
    else for (let m = 0; m < n; m++) k.copyPage(dst + m * dd, src + m * ss);
    if (pagePfn >= dLo && pagePfn <= dHi) pagePfn = -1;
    r.pbesCopied += n;
    return n;
  };
  // PBEs left of a run that takeRun() turned down: tried again only after them (each shorter
  // tail would be checked again, a page's worth of times). A speed rule: any PBE may go alone.
  let skipRuns = 0;
  // A chain page where the chain found no run of two: its short runs are left to the bytes.
  let hookIdlePfn = -1;
  for (let i = 0; lo !== 0 || hi !== 0; i++) {
    let tryRun = skipRuns === 0;
    if (skipRuns > 0) skipRuns--;
    if (i >= expected) {
      r.overrun = true;
      return r;
    }
    const low48 = (hi & 0xffff) * 0x100000000 + lo;
    const pageLow48 = low48 - (lo & (PAGE_SIZE - 1));
    let pa: number;
    if (pbeWalks) {
      const p = pbeWalks.translate(pageLow48);
      if (p < 0) {
        r.fault = { address: va(hi, lo), index: i, what: 'reading' };
        return r;
      }
      pa = p + (low48 - pageLow48);
    } else {
      if (pageLow48 !== pbePageLow48) {
        const p = translate(mem, pgd, pageLow48);
        if (p < 0) {
          r.fault = { address: va(hi, lo), index: i, what: 'reading' };
          return r;
        }
        pbePageLow48 = pageLow48;
        pbePagePhys = p;
      }
      pa = pbePagePhys + (low48 - pageLow48);
    }
    // The PBE's frame is read once into `pbePage` for all the PBEs in it (170 to a
    // linked page); a copy into that frame drops it, so each read sees current memory.
    const pbePfn = Math.floor(pa / PAGE_SIZE);
    const at = pa - pbePfn * PAGE_SIZE;
    const inPage = at <= PAGE_SIZE - 24 && (at & 3) === 0;
    // (Only for a pointer that is __va(pa): the PBEs below it are then __va() of theirs.)
    if (
      tryRun &&
      runOut !== null &&
      pbePfn !== hookIdlePfn &&
      !pbeWalks &&
      inPage &&
      low48 === baseLow48 + pa &&
      hi >>> 16 === baseHi16
    ) {
      // The chain knows this page's PBEs without its bytes (a synthesised chain page).
      const n = k.pbeRun!(pa, expected - i, runOut);
      // Its answer is the bytes': no second look at them for this PBE.
      if (n > 0) tryRun = false;
      if (n === 1) hookIdlePfn = pbePfn;
      if (n > 1) {
        const sLow = baseLow48 + runOut[0]! * PAGE_SIZE;
        const dLow = baseLow48 + runOut[1]! * PAGE_SIZE;
        const ss = runOut[2]!;
        const dd = runOut[3]!;
        // __va() of both runs without a carry into the top 16 bits.
        const top = Math.max(sLow, sLow + (n - 1) * ss * PAGE_SIZE, dLow, dLow + (n - 1) * dd * PAGE_SIZE);
        const took = top < 2 ** 48 ? takeRun(n, dLow, dd, sLow, ss, pbePfn) : 0;
        if (took > 0) {
          // The last one's next: the PBE below it in this page, or the run's.
          const next = took < n ? pa - took * PBE_SIZE : runOut[4]!;
          if (next < 0) {
            lo = 0;
            hi = 0;
          } else {
            // __va(next) as two u32 halves.
            const l = baseLo + (next % 0x100000000);
            lo = l >>> 0;
            hi = (baseHi + Math.floor(next / 0x100000000) + (l >= 0x100000000 ? 1 : 0)) >>> 0;
          }
          i += took - 1;
          continue;
        }
        skipRuns = n - 1;
      }
    }
    if (inPage && pbePfn !== pagePfn) {
      mem.readPageInto(pbePfn, pageBytes);
      pagePfn = pbePfn;
    }
    const w = at >>> 2;
    const srcLo = inPage ? pageWords[w + PBE_ADDRESS / 4]! : rd32(mem, pa + PBE_ADDRESS);
    const srcHi = inPage ? pageWords[w + PBE_ADDRESS / 4 + 1]! : rd32(mem, pa + PBE_ADDRESS + 4);
    const dstLo = inPage ? pageWords[w + PBE_ORIG_ADDRESS / 4]! : rd32(mem, pa + PBE_ORIG_ADDRESS);
    const dstHi = inPage ? pageWords[w + PBE_ORIG_ADDRESS / 4 + 1]! : rd32(mem, pa + PBE_ORIG_ADDRESS + 4);
    const dstLow48 = (dstHi & 0xffff) * 0x100000000 + dstLo;
    const dPa = dstWalks.translate(dstLow48);
    const sPa = dPa < 0 ? -1 : srcWalks.translate((srcHi & 0xffff) * 0x100000000 + srcLo);
    if (dPa < 0 || sPa < 0) {
      r.fault = { address: dPa < 0 ? va(dstHi, dstLo) : va(srcHi, srcLo), index: i, what: 'copying' };
      return r;
    }
    const dst = Math.floor(dPa / PAGE_SIZE);
    if (tryRun && !pbeWalks && inPage && dstWalks.leaf && srcWalks.leaf && dstHi >>> 16 === baseHi16) {
      // The PBEs get_buffer() linked one after another (a run of a big image: 170 to a
      // chain page), read from the page, in one step when that leaves the same.
      const max = Math.min(expected - i, Math.floor(at / PBE_SIZE) + 1);
      const n = pbeRunAt(pageWords, w, lo, hi, srcLo, srcHi, dstLo, dstHi, max);
      const srcLow48 = (srcHi & 0xffff) * 0x100000000 + srcLo;
      const took = n > 1 ? takeRun(n, dstLow48, runDstStep, srcLow48, runSrcStep, pbePfn) : 0;
      if (took > 0) {
        // The last PBE's next (its page was not written).
        const wl = w - (took - 1) * (PBE_SIZE / 4);
        lo = pageWords[wl + PBE_NEXT / 4]!;
        hi = pageWords[wl + PBE_NEXT / 4 + 1]!;
        i += took - 1;
        continue;
      }
      if (n > 1) skipRuns = n - 1;
    }
    k.copyPage(dst, Math.floor(sPa / PAGE_SIZE));
    dstWalks.forgetFrame(dst);
    srcWalks.forgetFrame(dst);
    pbeWalks?.forgetFrame(dst);
    if (dst === pagePfn) pagePfn = -1;
    r.pbesCopied++;
    // pbe->next, loaded after the copy (which may have overwritten it).
    if (inPage && pagePfn !== pbePfn) {
      mem.readPageInto(pbePfn, pageBytes);
      pagePfn = pbePfn;
    }
    lo = inPage ? pageWords[w + PBE_NEXT / 4]! : rd32(mem, pa + PBE_NEXT);
    hi = inPage ? pageWords[w + PBE_NEXT / 4 + 1]! : rd32(mem, pa + PBE_NEXT + 4);
    // __pa(orig_address): a direct-map address by subtraction, anything else through virtToPhys().
    const d = dstLow48 - baseLow48;
    const dPhys = dstHi >>> 16 === baseHi16 && d >= 0 && d < dmBytes ? d : k.virtToPhys(va(dstHi, dstLo));
    const origPfn = Math.floor((dPhys ?? dPa) / PAGE_SIZE);
    if (dst !== origPfn) onMisplaced(dst, origPfn);
  }
  return r;
}

/** How many of addresses a, a + step pages, … (step ±1) lie in a's 2 MiB region. */
function inRegion(a: number, step: number): number {
  const start = Math.floor(a / PMD_BYTES) * PMD_BYTES;
  return (
    (step > 0 ? Math.floor((start + PMD_BYTES - 1 - a) / PAGE_SIZE) : Math.floor((a - start) / PAGE_SIZE)) + 1
  );
}

/**
 * How many PBEs, from the one at word `w` of its chain page (its pointer `hi:lo`,
 * fields src/dst already read) and at most `max`, form a run: each PBE's next
 * points 24 bytes below it in the same page (get_buffer()'s consecutive
 * chain_alloc()s, walked newest first), and its address and orig_address are
 * the first's plus m pages × one step of ±1 page each. The steps are left in
 * runDstStep / runSrcStep. Reads only.
 */
function pbeRunAt(
  words: Uint32Array,
  w: number,
  lo: number,
  hi: number,
  srcLo: number,
  srcHi: number,
  dstLo: number,
  dstHi: number,
  max: number,
): number {
  if (max < 2) return 1;
  const s0 = (srcHi & 0xffff) * 0x100000000 + srcLo;
  const d0 = (dstHi & 0xffff) * 0x100000000 + dstLo;
  const sTop = srcHi >>> 16;
  const dTop = dstHi >>> 16;
  let sD = 0;
  let dD = 0;
  let m = 1;
  for (; m < max; m++) {
    const wp = w - (m - 1) * (PBE_SIZE / 4);
    const wm = wp - PBE_SIZE / 4;
    // PBE m-1's next is PBE m (lo ≥ the page offset ≥ 24 m: no borrow into hi).
    if (words[wp + PBE_NEXT / 4] !== lo - m * PBE_SIZE || words[wp + PBE_NEXT / 4 + 1] !== hi) break;
    const sh = words[wm + PBE_ADDRESS / 4 + 1]!;
    const dh = words[wm + PBE_ORIG_ADDRESS / 4 + 1]!;
    if (sh >>> 16 !== sTop || dh >>> 16 !== dTop) break;
    const s = (sh & 0xffff) * 0x100000000 + words[wm + PBE_ADDRESS / 4]!;
    const d = (dh & 0xffff) * 0x100000000 + words[wm + PBE_ORIG_ADDRESS / 4]!;
    if (m === 1) {
      sD = s - s0;
      dD = d - d0;
      if ((sD !== PAGE_SIZE && sD !== -PAGE_SIZE) || (dD !== PAGE_SIZE && dD !== -PAGE_SIZE)) break;
    } else if (s !== s0 + m * sD || d !== d0 + m * dD) break;
  }
  runDstStep = dD / PAGE_SIZE;
  runSrcStep = sD / PAGE_SIZE;
  return m;
}

/**
 * swsusp_arch_resume(): set_up_temporary_mappings() (unless `noTempPageTables`,
 * the pre-2.6.14 behaviour a scenario can select: the copy then runs on the
 * boot kernel's own tables), relocate_restore_code() (one more safe page for
 * core_restore_code), then restore_image from the restore_pblist variable at
 * physical address `pblistPhys`.
 */
export function swsuspArchResume(
  k: ArchRestoreKernel,
  pblistPhys: number,
  expected: number,
  noTempPageTables: boolean,
  onMisplaced: (dst: number, origPfn: number) => void,
): RestoreImageResult {
  const pgd = noTempPageTables ? k.pgdPhys : setUpTemporaryMappings(k);
  k.getSafePage(); // relocate_restore_code()
  return restoreImage(k, pgd, k.mem.u64(pblistPhys), expected, noTempPageTables, onMisplaced);
}
