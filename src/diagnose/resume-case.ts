/**
 * One kernel-profile case of a diagnosis: what the resume kernel does with
 * an image the suspend kernel wrote, as the chain of the kernel's own checks
 * and then the pages it would load where it must not.
 *
 *   1. arch_hibernation_header_restore() (arch/x86/power/hibernate*.c): the
 *      restore record's magic (profile.swsuspImage.archHeader);
 *   2. 5.13+: the e820 CRC32 of e820_table_firmware (profile.hibernation.e820Check);
 *   3. check_header() (kernel/power/snapshot.c): num_physpages, max_pfn on
 *      x86-64 3.10, present pages later (profile.hibernation.numPhyspages);
 *   4. unpack_orig_pfns(): 6.6+ images flag zero pages with bit 63
 *      (profile.hibernation.zeroPages); a kernel without the flag sees a pfn
 *      it cannot have → -EFAULT; every pfn must be in the memory bitmap
 *      (zone spans) and, 4.8+, pfn_valid (unpackRequiresPfnValid); 6.2+ prints
 *      the FW_BUG line (unpackFwBugMessage);
 *   5. get_buffer(): an image pfn the boot kernel registered nosave is
 *      "forbidden and free" → loaded in place through the direct map: an
 *      unmapped address faults in the loader (profile.hibernation.oops.loader),
 *      a mapped one is overwritten silently; block I/O (nocompress) never faults;
 *   6. restore_image (arch/x86/power/hibernate_asm_64.S): other image pfns are
 *      copied through temporary page tables that map only pfn_mapped → an
 *      unmapped one faults with interrupts off: a hang.
 * Which pfns the suspend kernel could have saved comes from its own boot:
 * RAM (memblock.memory) minus its nosave regions; memblock-reserved frames
 * (kernel image, page tables, memmap, …) are always saved (saveable_page()
 * saves PageReserved pages it can reach), free RAM only when in use then.
 */
import { walk } from '../arch/x86/walk.js';
import { E820_TYPE, type E820Entry, e820TypeName, isRamLike } from '../firmware/e820-types.js';
import { e820Crc32 } from '../firmware/index.js';
import type { SetupArch } from '../machine/boot.js';
import type { PfnRuns } from '../power/image/pfn-runs.js';
import type { KernelProfile } from '../profiles/types.js';
import type {
  Certainty,
  DiagnoseCase,
  DiagnoseCheck,
  DiagnoseOutcome,
  PfnFinding,
  ProposedFix,
} from '../report/diagnose.js';
import { pfnRangeText } from '../report/diagnose.js';
import { printk } from '../util/printk.js';
import { contains, intersect, normalize, type PfnRange, subtract, totalPages } from './pfn-ranges.js';

/** What is known about the image: from --image exactly, else from the suspend kernel and its log. */
export interface ImageFacts {
  readonly archHeader: string | null;
  readonly e820Checksum: number | null;
  readonly numPhyspages: number;
  /** Ascending image pfns and their zero flags, as runs. */
  readonly list: PfnRuns;
  readonly zeroCount: number;
  readonly compressed: boolean;
}

export interface BootSide {
  readonly machine: SetupArch;
  /** Firmware table (the CRC32 input) and the kernel's table. */
  readonly firmware: readonly E820Entry[];
  readonly kernel: readonly E820Entry[];
  /** Ranges the log's own RAM → non-RAM edits made nosave in that kernel (not replayed into memblock). */
  readonly loggedNosave: readonly PfnRange[];
}

export interface CaseInput {
  readonly label: string;
  readonly suspendProfile: KernelProfile;
  readonly resumeProfile: KernelProfile;
  readonly suspend: BootSide;
  readonly resume: BootSide;
  readonly image: ImageFacts | null;
  /** Suspend log facts (without --image). */
  readonly log: { pagesCopied: number | null; zeroPages: number | null; compressed: boolean | null };
  readonly notes: readonly string[];
}

const INCONSISTENT = 'Hibernate inconsistent memory map detected!';
const UNRECOGNIZED = 'Unrecognized hibernate image header format!';
const ENCODED_PFN_ZERO_FLAG = 2n ** 63n;

const pfnDown = (a: bigint): number => Number(a >> 12n);
const pfnUp = (a: bigint): number => Number((a + 0xfffn) >> 12n);

/** Ranges of a memblock type, in whole pages (PFN_UP start, PFN_DOWN end unless `out`). */
function regionPfns(regions: readonly { base: number; size: number }[], out = false): PfnRange[] {
  return normalize(
    regions.map((r) =>
      out
        ? ([Math.floor(r.base / 4096), Math.ceil((r.base + r.size) / 4096)] as const)
        : ([Math.ceil(r.base / 4096), Math.floor((r.base + r.size) / 4096)] as const),
    ),
  );
}

/** e820 type name at a pfn of a sorted table ("hole" where none). */
function typeAt(table: readonly E820Entry[], pfn: number): string {
  const a = BigInt(pfn) << 12n;
  let lo = 0;
  let hi = table.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = table[mid]!;
    if (a < e.addr) hi = mid - 1;
    else if (a >= e.addr + e.size) lo = mid + 1;
    else return e.type === E820_TYPE.RESERVED_KERN ? 'usable (RESERVED_KERN)' : e820TypeName(e.type);
  }
  return 'hole';
}

/** Page walk granule of a level that is not present (the whole entry's span is unmapped). */
const GRANULE_PFNS: Record<string, number> = { PGD: 2 ** 27, PUD: 2 ** 18, PMD: 512, PTE: 1 };

/**
 * The parts of `ranges` the kernel's page tables map, found by real walks of
 * the direct map: one walk per page-table entry, stepping over whole unmapped
 * or large-mapped entries.
 */
export function walkMapped(sa: SetupArch, ranges: readonly PfnRange[]): PfnRange[] {
  const out: [number, number][] = [];
  for (const [s, e] of ranges) {
    let pfn = s;
    while (pfn < e) {
      const w = walk(sa.mem, sa.img.pgdPhys, sa.kaslr.pageOffsetBase + BigInt(pfn) * 4096n);
      const gran =
        w.paddr !== undefined ? (w.pageSize ?? 4096) / 4096 : GRANULE_PFNS[w.notMappedAt ?? 'PTE']!;
      const next = Math.min(e, (Math.floor(pfn / gran) + 1) * gran);
      if (w.paddr !== undefined) {
        const last = out[out.length - 1];
        if (last && last[1] === pfn) last[1] = next;
        else out.push([pfn, next]);
      }
      pfn = next;
    }
  }
  return out;
}

/** One line of a walk, crash vtop style: "PGD → PUD → PMD: not present". */
function walkLine(sa: SetupArch, pfn: number): string {
  const va = sa.kaslr.pageOffsetBase + BigInt(pfn) * 4096n;
  const w = walk(sa.mem, sa.img.pgdPhys, va);
  const steps = w.steps.map((s) => `${s.level} ${s.value === 0n ? '0' : `0x${s.value.toString(16)}`}`);
  const end =
    w.paddr !== undefined
      ? `=> 0x${w.paddr.toString(16)} (${w.pageSize === 4096 ? '4k' : w.pageSize === 2 ** 21 ? '2M' : '1G'} page)`
      : `=> not mapped (${w.notMappedAt} entry empty)`;
  return `0x${va.toString(16)}: ${steps.join(', ')} ${end}`;
}

/** Image pfns in [s, e). */
function countIn(list: PfnRuns, s: number, e: number): number {
  return list.countBelow(e) - list.countBelow(s);
}

/** Zero-page pfns of the image in [s, e). */
function zeroIn(img: ImageFacts, s: number, e: number): number {
  if (img.zeroCount === 0) return 0;
  return img.list.zeroBelow(e) - img.list.zeroBelow(s);
}

const RANK: Record<Certainty, number> = { certain: 3, likely: 2, possible: 1 };
const ORDER: Record<string, number> = { efault: 0, oops: 1, hang: 2 };

/** What the suspend kernel could save, split into kernel-owned (always saved) and free-at-boot RAM. */
export function saveablePfns(p: KernelProfile, side: BootSide): { kernel: PfnRange[]; usable: PfnRange[] } {
  const sa = side.machine;
  const ram = intersect(regionPfns(sa.mb.memory.regions), [[0, sa.maxPfn]]);
  const nosave = normalize([
    ...sa.nosave.regions.map((r) => [r.startPfn, r.endPfn] as const),
    ...side.loggedNosave,
  ]);
  const candidates = subtract(ram, nosave);
  let reserved = intersect(regionPfns(sa.mb.reserved.regions, true), candidates);
  // kernel_page_present() (6.x): a reserved page outside the direct map is not saved.
  if (p.hibernation.kernelPagePresent === 'walk')
    reserved = intersect(reserved, normalize(sa.directMap.pfnMapped));
  return { kernel: reserved, usable: subtract(candidates, reserved) };
}

export function diagnoseCase(inp: CaseInput): DiagnoseCase {
  const S = inp.suspendProfile;
  const R = inp.resumeProfile;
  const sm = inp.suspend.machine;
  const rm = inp.resume.machine;
  const rh = R.hibernation;
  const img = inp.image;
  const msg = (reason: string) => printk(rh.messages.imageMismatch, reason);
  const checks: DiagnoseCheck[] = [];
  const notes = [...inp.notes];
  let refusal: { messages: string[]; summary: string } | null = null;

  // 1. arch header
  const imageArch = img?.archHeader ?? S.swsuspImage.archHeader;
  const archOk = imageArch === R.swsuspImage.archHeader;
  checks.push({
    id: 'arch-header',
    kernel: 'arch_hibernation_header_restore (arch/x86/power/hibernate.c)',
    result: archOk ? 'pass' : 'fail',
    detail: `image restore record ${imageArch}${img ? ' (read from the image)' : ` (written by ${S.id})`}, ${R.id} expects ${R.swsuspImage.archHeader}`,
    messages: archOk ? [] : [...(rh.e820Check ? [UNRECOGNIZED] : []), msg('architecture specific data')],
  });
  if (!archOk) {
    refusal = {
      messages: checks[0]!.messages.slice(),
      summary: `the image's restore record (${imageArch}) is not the one ${R.id} writes (${R.swsuspImage.archHeader}): "${checks[0]!.messages[0]}"`,
    };
  }

  // 2. e820 CRC32 (5.13+)
  const crcR = e820Crc32(inp.resume.firmware);
  const crcImage = img ? img.e820Checksum : S.hibernation.e820Check ? e820Crc32(inp.suspend.firmware) : null;
  if (!rh.e820Check) {
    checks.push({
      id: 'e820-crc32',
      kernel: 'arch_hibernation_header_restore (arch/x86/power/hibernate.c, 5.13+)',
      result: 'absent',
      detail: `${R.id} has no e820 check: a changed firmware map is not noticed here`,
      messages: [],
    });
  } else if (refusal) {
    checks.push({
      id: 'e820-crc32',
      kernel: 'arch_hibernation_header_restore (arch/x86/power/hibernate.c, 5.13+)',
      result: 'not-reached',
      detail: 'the restore record was already refused',
      messages: [],
    });
  } else {
    const ok = crcImage === crcR;
    const hexc = (c: number | null) => (c === null ? 'none' : `0x${(c >>> 0).toString(16).padStart(8, '0')}`);
    checks.push({
      id: 'e820-crc32',
      kernel: 'arch_hibernation_header_restore (arch/x86/power/hibernate.c, 5.13+)',
      result: ok ? 'pass' : 'fail',
      detail: `image e820 CRC32 ${hexc(crcImage)}${img ? ' (from the image)' : " (of the suspend boot's firmware table)"}, resume boot's firmware table ${hexc(crcR)}`,
      messages: ok ? [] : [INCONSISTENT, msg('architecture specific data')],
    });
    if (!ok)
      refusal = {
        messages: [INCONSISTENT, msg('architecture specific data')],
        summary: `"${INCONSISTENT}" (e820 CRC32 ${hexc(crcImage)} != ${hexc(crcR)})`,
      };
  }

  // 3. num_physpages
  const physOf = (p: KernelProfile, sa: SetupArch): number =>
    p.hibernation.numPhyspages === 'max_pfn' ? sa.maxPfn : sa.zones.totalPresent;
  const physS = img ? img.numPhyspages : physOf(S, sm);
  const physR = physOf(R, rm);
  const what = (p: KernelProfile) => (p.hibernation.numPhyspages === 'max_pfn' ? 'max_pfn' : 'present pages');
  if (refusal) {
    checks.push({
      id: 'num-physpages',
      kernel: 'check_header (kernel/power/snapshot.c)',
      result: 'not-reached',
      detail: 'an earlier check refused the image',
      messages: [],
    });
  } else {
    const ok = physS === physR;
    checks.push({
      id: 'num-physpages',
      kernel: 'check_header (kernel/power/snapshot.c)',
      result: ok ? 'pass' : 'fail',
      detail: `image num_physpages ${physS}${img ? ' (from the image)' : ` (${what(S)} of the suspend kernel)`}, resume kernel ${physR} (${what(R)})`,
      messages: ok ? [] : [msg('memory size')],
    });
    if (!ok)
      refusal = {
        messages: [msg('memory size')],
        summary: `"${msg('memory size')}" (num_physpages ${physS} != ${physR})`,
      };
  }

  // Which pfns the suspend kernel could have saved.
  const sv = saveablePfns(S, inp.suspend);
  const candidates = normalize([...sv.kernel, ...sv.usable]);
  const kernelPages = totalPages(sv.kernel);
  const usablePages = totalPages(sv.usable);

  // How likely a free-at-boot pfn is in the image.
  let fraction: number | null = null;
  let likelihood: string | null = null;
  if (!img) {
    const saved = inp.log.pagesCopied === null ? null : inp.log.pagesCopied + (inp.log.zeroPages ?? 0);
    if (saved !== null && usablePages > 0) {
      fraction = Math.min(1, Math.max(0, saved - kernelPages) / usablePages);
      likelihood = `kernel-owned frames (memblock-reserved at boot: kernel image, page tables, memmap, …; ${kernelPages} pages) are always saved; the suspend log says ${saved} pages were saved, so about ${(fraction * 100).toFixed(1)}% of the ${usablePages} free-at-boot RAM pages were in the image: a run of n such pages holds one with probability 1-(1-${fraction.toFixed(3)})^n (>= 50%: likely, else possible)`;
    } else {
      likelihood = `kernel-owned frames (memblock-reserved at boot; ${kernelPages} pages) are always saved; a free-at-boot RAM page is in the image whenever it was in use at hibernation (page cache, anonymous memory, slab) — the suspend log has no "pages copied" count to say how often, so such pfns are counted likely`;
    }
  }
  const certaintyOf = (use: 'kernel' | 'usable', n: number): Certainty => {
    if (use === 'kernel') return 'certain';
    if (fraction === null) return 'likely';
    return 1 - (1 - fraction) ** n >= 0.5 ? 'likely' : 'possible';
  };

  // 4. zero-page flag
  const zeroCount = img ? img.zeroCount : inp.log.zeroPages;
  const imageHasZero = img
    ? img.zeroCount > 0
    : S.hibernation.zeroPages && (zeroCount === null || zeroCount > 0);
  const events: {
    effect: 'efault' | 'oops' | 'hang';
    certainty: Certainty;
    summary: string;
    messages: string[];
  }[] = [];
  if (refusal) {
    checks.push({
      id: 'zero-pfn-flag',
      kernel: 'unpack_orig_pfns (kernel/power/snapshot.c; ENCODED_PFN_ZERO_FLAG 6.6+)',
      result: 'not-reached',
      detail: 'an earlier check refused the image',
      messages: [],
    });
  } else {
    if (imageHasZero && !rh.zeroPages) {
      const cert: Certainty = img || (zeroCount ?? 0) > 0 ? 'certain' : 'likely';
      const firstZero = img ? firstZeroPfn(img) : null;
      const raw = firstZero === null ? null : BigInt(firstZero) | ENCODED_PFN_ZERO_FLAG;
      const fw =
        rh.unpackFwBugMessage && rh.unpackRequiresPfnValid && raw !== null
          ? [
              `${rh.messages.hibernatePrefix}[Firmware Bug]: Memory map mismatch at 0x${(BigInt.asUintN(64, raw * 4096n)).toString(16)} after hibernation`,
            ]
          : [];
      const m = [...fw, printk(rh.messages.errorResuming, -14), rh.messages.failedToLoad];
      checks.push({
        id: 'zero-pfn-flag',
        kernel: 'unpack_orig_pfns (kernel/power/snapshot.c; ENCODED_PFN_ZERO_FLAG 6.6+)',
        result: cert === 'certain' ? 'fail' : 'risk',
        detail: `the image flags ${zeroCount ?? 'its'} zero pages with bit 63${img ? '' : ` (${S.id} does)`}; ${R.id} does not know the flag, so such a pfn is not in its memory bitmap → -EFAULT`,
        messages: m,
      });
      events.push({
        effect: 'efault',
        certainty: cert,
        summary: `unpack_orig_pfns() meets a zero-flagged pfn${raw === null ? '' : ` (0x${raw.toString(16)})`} it cannot have → "${printk(rh.messages.errorResuming, -14)}"`,
        messages: m,
      });
    } else {
      checks.push({
        id: 'zero-pfn-flag',
        kernel: 'unpack_orig_pfns (kernel/power/snapshot.c; ENCODED_PFN_ZERO_FLAG 6.6+)',
        result: 'pass',
        detail: imageHasZero
          ? `${R.id} decodes the zero-page flag`
          : 'the image stores every page (no zero-page flags)',
        messages: [],
      });
    }
  }

  // The resume kernel's view: memory bitmap extents, nosave, direct map.
  let bitmap = normalize(
    rm.zones.zones
      .filter((z) => z.spannedPages)
      .map((z) => [z.startPfn, z.startPfn + z.spannedPages] as const),
  );
  if (rh.unpackRequiresPfnValid) {
    const per = rm.sections.pfnsPerSection;
    const valid: [number, number][] = [];
    for (let s = 0; s < rm.sections.count; s++)
      if (rm.sections.present[s]) valid.push([s * per, (s + 1) * per]);
    bitmap = intersect(bitmap, normalize(valid));
  }
  const rNosave = normalize([
    ...rm.nosave.regions.map((r) => [r.startPfn, r.endPfn] as const),
    ...inp.resume.loggedNosave,
  ]);
  const pfnMapped = normalize(rm.directMap.pfnMapped);
  const notBitmap = subtract(candidates, bitmap);
  const inBitmap = intersect(candidates, bitmap);
  const nosaveSet = intersect(inBitmap, rNosave);
  const unmappedHint = subtract(inBitmap, pfnMapped);
  const walkedMapped = walkMapped(rm, unmappedHint);
  const mapped = normalize([...pfnMapped, ...walkedMapped]);
  const problem = normalize([...notBitmap, ...nosaveSet, ...subtract(unmappedHint, walkedMapped)]);

  // Split the problem runs where any attribute changes.
  const points = new Set<number>();
  const addPts = (rs: readonly PfnRange[]) => {
    for (const [s, e] of rs) {
      points.add(s);
      points.add(e);
    }
  };
  addPts(problem);
  addPts(intersect(problem, notBitmap));
  addPts(intersect(problem, rNosave));
  addPts(intersect(problem, mapped));
  addPts(intersect(problem, sv.kernel));
  // Entry edges, touching entries included (a merged range would hide a type change).
  const tablePts = (t: readonly E820Entry[]) => {
    for (const e of t) {
      points.add(pfnDown(e.addr));
      points.add(pfnUp(e.addr + e.size));
    }
  };
  tablePts(inp.suspend.kernel);
  tablePts(inp.resume.kernel);
  const sorted = [...points].sort((a, b) => a - b);

  const compressed = img ? img.compressed : (inp.log.compressed ?? true);
  const findings: PfnFinding[] = [];
  let dropped = 0;
  for (let i = 0; i + 1 < sorted.length; i++) {
    const s = sorted[i]!;
    const e = sorted[i + 1]!;
    if (!contains(problem, s)) continue;
    const inBm = !contains(notBitmap, s);
    const nos = contains(rNosave, s);
    const isMapped = contains(mapped, s);
    const use: 'kernel' | 'usable' = contains(sv.kernel, s) ? 'kernel' : 'usable';
    const sType = sideType(inp.suspend, s);
    const rType = sideType(inp.resume, s);
    const inImage = img ? countIn(img.list, s, e) : null;
    if (inImage === 0) {
      dropped++;
      continue;
    }
    let effect: PfnFinding['effect'];
    let how: PfnFinding['how'];
    let why: string;
    if (!inBm) {
      effect = 'efault';
      how = 'unpack';
      const valid = rm.sections.pfnValid(s);
      why = `unpack_orig_pfns(): outside ${R.id}'s memory bitmap (${valid ? 'no zone spans it' : 'pfn_valid() is false'}) → -EFAULT${rh.unpackFwBugMessage && !valid ? ' with "[Firmware Bug]: Memory map mismatch"' : ''}`;
    } else if (nos) {
      const zeros = img ? zeroIn(img, s, e) : 0;
      if (compressed || (zeros > 0 && !isMapped)) {
        effect = isMapped ? 'silent-overwrite' : 'oops';
        how = 'cpu';
        const fn = compressed ? rh.oops.loader.compressed : 'snapshot_write_next (zero page memset)';
        why = isMapped
          ? `nosave in ${R.id} (forbidden and free: get_buffer() loads it in place) and mapped anyway: ${fn} overwrites a frame the boot kernel does not own`
          : `nosave in ${R.id} (forbidden and free: get_buffer() loads it in place) and not in its direct map: ${fn} faults writing it`;
      } else {
        effect = 'silent-overwrite';
        how = 'dma';
        why = `nosave in ${R.id}: get_buffer() loads it in place; ${rh.oops.loader.nocompress} reads it by block I/O (DMA), which needs no mapping: the frame is overwritten silently${R.hibernation.zeroPages ? ' (a zero page there would be memset by the CPU and fault if unmapped)' : ''}`;
      }
    } else {
      effect = 'hang';
      how = 'restore';
      why = `owned but not in ${R.id}'s direct map: loaded into a safe page, then restore_image copies it through temporary tables that map only pfn_mapped → fault with interrupts off`;
    }
    const certainty: Certainty = inImage !== null ? 'certain' : certaintyOf(use, e - s);
    const last = findings[findings.length - 1];
    if (
      last &&
      last.endPfn === s &&
      last.effect === effect &&
      last.how === how &&
      last.suspendUse === use &&
      last.suspendType === sType &&
      last.resumeType === rType &&
      last.mapped === isMapped
    ) {
      const n = e - last.startPfn;
      findings[findings.length - 1] = {
        ...last,
        endPfn: e,
        inImage: inImage === null ? null : (last.inImage ?? 0) + inImage,
        certainty: inImage !== null ? 'certain' : certaintyOf(use, n),
      };
      continue;
    }
    findings.push({
      startPfn: s,
      endPfn: e,
      suspendType: sType,
      resumeType: rType,
      suspendUse: use,
      mapped: isMapped,
      nosave: nos,
      inBitmap: inBm,
      walk: walkLine(rm, s),
      effect,
      how,
      certainty,
      inImage,
      why,
    });
  }
  if (img && dropped > 0)
    notes.push(`${dropped} run(s) of such pfns hold no image pfn (read from the image): harmless`);

  // Checks 5-7 from the findings.
  const sub = (eff: PfnFinding['effect'][]) => findings.filter((f) => eff.includes(f.effect));
  const best = (fs: PfnFinding[]): Certainty | null =>
    fs.reduce<Certainty | null>(
      (b, f) => (b === null || RANK[f.certainty] > RANK[b] ? f.certainty : b),
      null,
    );
  const checkFrom = (
    id: string,
    kernel: string,
    fs: PfnFinding[],
    okText: string,
    msgs: string[],
  ): DiagnoseCheck => {
    if (refusal)
      return { id, kernel, result: 'not-reached', detail: 'the image was refused before this', messages: [] };
    const b = best(fs);
    return {
      id,
      kernel,
      result: b === null ? 'pass' : b === 'certain' ? 'fail' : 'risk',
      detail:
        b === null
          ? okText
          : `${fs.length} run(s), ${fs.reduce((n, f) => n + (f.endPfn - f.startPfn), 0)} pages: first ${pfnRangeText(fs[0]!.startPfn, fs[0]!.endPfn)} [${fs[0]!.certainty}]`,
      messages: b === null ? [] : msgs,
    };
  };
  const efaults = sub(['efault']);
  checks.push(
    checkFrom(
      'unpack-orig-pfns',
      'unpack_orig_pfns (kernel/power/snapshot.c)',
      efaults,
      `every pfn the suspend kernel could save is in ${R.id}'s memory bitmap`,
      [printk(rh.messages.errorResuming, -14), rh.messages.failedToLoad],
    ),
  );
  const loads = findings.filter(
    (f) => f.effect === 'oops' || (f.effect === 'silent-overwrite' && f.how !== 'restore'),
  );
  const oopsFn = compressed ? rh.oops.loader.compressed : rh.oops.loader.nocompress;
  checks.push(
    checkFrom(
      'load-in-place',
      `get_buffer (kernel/power/snapshot.c), ${oopsFn} (kernel/power/swap.c)`,
      loads,
      `no pfn the suspend kernel could save is nosave in ${R.id}`,
      sub(['oops']).length
        ? [
            R.hibernation.oops.style === '3.10'
              ? 'BUG: unable to handle kernel paging request at …'
              : 'BUG: unable to handle page fault for address: …',
          ]
        : [],
    ),
  );
  checks.push(
    checkFrom(
      'restore-image',
      'restore_image / core_restore_code (arch/x86/power/hibernate_asm_64.S)',
      sub(['hang']),
      `every other pfn is in ${R.id}'s direct map`,
      ['(no console output: the machine hangs or resets)'],
    ),
  );

  for (const f of findings) {
    if (f.effect === 'silent-overwrite') continue;
    events.push({
      effect: f.effect,
      certainty: f.certainty,
      summary:
        f.effect === 'efault'
          ? `unpack_orig_pfns() rejects ${pfnRangeText(f.startPfn, f.endPfn)} (${f.suspendType} -> ${f.resumeType}) → "${printk(rh.messages.errorResuming, -14)}"`
          : f.effect === 'oops'
            ? `${f.how === 'cpu' && compressed ? rh.oops.loader.compressed : 'the loader'} writes ${pfnRangeText(f.startPfn, f.endPfn)} (${f.suspendType} -> ${f.resumeType}, nosave, not direct-mapped) → page fault`
            : `restore_image copies to ${pfnRangeText(f.startPfn, f.endPfn)} (${f.suspendType} -> ${f.resumeType}), unmapped in its temporary tables → hang`,
      messages:
        f.effect === 'oops'
          ? [
              R.hibernation.oops.style === '3.10'
                ? `BUG: unable to handle kernel paging request at ${hexVa(rm, f.startPfn)}`
                : `BUG: unable to handle page fault for address: ${hexVa(rm, f.startPfn)}`,
            ]
          : f.effect === 'efault'
            ? [printk(rh.messages.errorResuming, -14), rh.messages.failedToLoad]
            : [],
    });
  }

  // The verdict: refused, else the first fatal event in the kernel's order among the most certain.
  let verdict: DiagnoseOutcome;
  let certainty: Certainty = 'certain';
  let summary: string;
  let messages: string[];
  const ordered = events
    .map((ev, i) => ({ ev, i }))
    .sort((a, b) => ORDER[a.ev.effect]! - ORDER[b.ev.effect]! || a.i - b.i);
  const firstCertain = ordered.find((x) => x.ev.certainty === 'certain');
  const firstAny = [...ordered].sort((a, b) => RANK[b.ev.certainty] - RANK[a.ev.certainty])[0];
  const silent = sub(['silent-overwrite']);
  const pathVerdict = (): { v: DiagnoseOutcome; c: Certainty; s: string; m: string[] } => {
    if (ordered.length) {
      const earlier = firstCertain
        ? ordered.filter(
            (x) =>
              ORDER[x.ev.effect]! < ORDER[firstCertain.ev.effect]! ||
              (x.ev.effect === firstCertain.ev.effect && x.i < firstCertain.i),
          )
        : [];
      const pick = earlier.length
        ? [...earlier].sort((a, b) => RANK[b.ev.certainty] - RANK[a.ev.certainty])[0]!
        : (firstCertain ?? firstAny)!;
      const also = earlier.length && firstCertain ? `; if not, ${firstCertain.ev.summary}` : '';
      return { v: pick.ev.effect, c: pick.ev.certainty, s: pick.ev.summary + also, m: pick.ev.messages };
    }
    if (silent.length) {
      const f = silent[0]!;
      return {
        v: 'silent-overwrite',
        c: best(silent)!,
        s: `restored, but ${pfnRangeText(f.startPfn, f.endPfn)} (${f.suspendType} -> ${f.resumeType}) is written ${f.how === 'dma' ? 'by block I/O' : 'through the direct map'} into a frame ${R.id} does not own${silent.length > 1 ? ` (+${silent.length - 1} more runs)` : ''}`,
        m: [],
      };
    }
    return {
      v: 'resumes',
      c: 'certain',
      s: `every pfn the suspend kernel could save is RAM that ${R.id} maps and owns`,
      m: [rh.messages.restoredSuccessfully],
    };
  };
  const path = pathVerdict();
  if (refusal) {
    verdict = 'refused';
    summary = refusal.summary;
    messages = [...refusal.messages, rh.messages.failedToLoad];
  } else {
    verdict = path.v;
    certainty = path.c;
    summary = path.s;
    messages = path.m;
  }

  // The fixes replace the e820 check only: the restore record and check_header()'s size stay.
  const otherRefusal = !archOk
    ? checks[0]!.messages[checks[0]!.messages.length - 1]!
    : physS !== physR
      ? msg('memory size')
      : null;
  const fixes = proposedFixes(inp, findings, refusal !== null, path, otherRefusal);
  return {
    label: inp.label,
    suspendProfile: S.id,
    resumeProfile: R.id,
    verdict,
    certainty,
    summary,
    messages,
    checks,
    pfns: findings,
    likelihood:
      findings.some((f) => f.certainty !== 'certain') || (!img && findings.length) ? likelihood : null,
    fixes,
    notes,
  };
}

/** e820 type at a pfn, naming a RAM page the log's own edit reserved (not replayed into the table). */
function sideType(side: BootSide, pfn: number): string {
  const t = typeAt(side.kernel, pfn);
  return t.startsWith('usable') && contains(side.loggedNosave, pfn) ? 'reserved (logged e820 update)' : t;
}

function firstZeroPfn(img: ImageFacts): number | null {
  const L = img.list;
  for (let r = 0; r < L.runs; r++) if (L.runIsZero(r)) return L.runStart(r);
  return null;
}

function hexVa(sa: SetupArch, pfn: number): string {
  return (sa.kaslr.pageOffsetBase + BigInt(pfn) * 4096n).toString(16).padStart(16, '0');
}

/**
 * What the two fixes proposed for this class of bug would decide:
 * a CRC32 over the usable-RAM entries only (firmware changes outside RAM stop
 * refusing resumes), and a per-pfn check (refuse exactly when an image pfn is
 * not RAM the resume kernel maps and owns).
 */
function proposedFixes(
  inp: CaseInput,
  findings: readonly PfnFinding[],
  refused: boolean,
  path: { v: DiagnoseOutcome; c: Certainty; s: string },
  otherRefusal: string | null,
): ProposedFix[] {
  if (otherRefusal) {
    const d = `the image is refused by a check the fix does not touch: "${otherRefusal}"`;
    return [
      { id: 'usable-ram-crc32', decision: 'refuse', detail: d },
      { id: 'per-pfn-check', decision: 'refuse', detail: d },
    ];
  }
  const ramOnly = (t: readonly E820Entry[]) =>
    e820Crc32(t.filter((e) => isRamLike(e.type)).map((e) => ({ ...e, type: E820_TYPE.RAM })));
  const a = ramOnly(inp.suspend.firmware);
  const b = ramOnly(inp.resume.firmware);
  const hexc = (c: number) => `0x${(c >>> 0).toString(16).padStart(8, '0')}`;
  const then = `then: ${path.v}${path.c === 'certain' ? '' : ` (${path.c})`}: ${path.s}`;
  const out: ProposedFix[] = [
    {
      id: 'usable-ram-crc32',
      decision: a === b ? 'accept' : 'refuse',
      detail:
        a === b
          ? `the usable entries are the same (CRC32 ${hexc(a)}): accepted; ${then}`
          : `the usable entries differ (CRC32 ${hexc(a)} != ${hexc(b)}): refused before any page is loaded`,
    },
  ];
  const bad = findings;
  if (bad.length === 0) {
    out.push({
      id: 'per-pfn-check',
      decision: 'accept',
      detail: `no pfn the suspend kernel could save is unsafe for the resume kernel: accepted${refused ? ' (where today it is refused)' : ''}`,
    });
  } else {
    const certain = bad.filter((f) => f.certainty === 'certain');
    const first = (certain[0] ?? bad[0])!;
    out.push({
      id: 'per-pfn-check',
      decision: certain.length ? 'refuse' : 'accept-unless',
      detail: certain.length
        ? `refused: ${pfnRangeText(first.startPfn, first.endPfn)} (${first.suspendType} -> ${first.resumeType}) is ${first.inImage !== null ? 'in the image' : 'always in the image (kernel-owned)'} and not safe to load`
        : `refused only if one of ${bad.reduce((n, f) => n + (f.endPfn - f.startPfn), 0)} unsafe pfns (first ${pfnRangeText(first.startPfn, first.endPfn)}) is in the image (${first.certainty}); otherwise accepted`,
    });
  }
  return out;
}
