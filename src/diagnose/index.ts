/**
 * diagnose(): from the logs of the boot that hibernated and the boot that
 * tried to resume (and optionally the real image) to a verdict per kernel
 * profile. Both boots' kernels are set up with the model's own setupArch()
 * (memblock, direct-map page tables, nosave list, zones) from their e820
 * tables and command lines; resume-case.ts runs the kernel's checks.
 */
import {
  buildKernelE820,
  diffE820,
  e820Crc32,
  formatRemoveLine,
  formatUpdateLine,
  isRamLike,
  type KernelE820,
  parseKernelCmdline,
  sameE820,
} from '../firmware/index.js';
import { type SetupArch, setupArch } from '../machine/boot.js';
import type { ImageReader } from '../power/image/reader.js';
import { SF } from '../power/image/swsusp-header.js';
import { PROFILES } from '../profiles/index.js';
import type { KernelProfile } from '../profiles/types.js';
import type { DiagnoseBoot, DiagnoseCase, DiagnoseImage, DiagnoseReport } from '../report/diagnose.js';
import type { BootLog } from './boot-log.js';
import { normalize, type PfnRange } from './pfn-ranges.js';
import { chooseProfiles } from './profile-choice.js';
import { type BootSide, diagnoseCase, type ImageFacts } from './resume-case.js';

export type { BootLog } from './boot-log.js';
export { readBootLog } from './boot-log.js';
export { chooseProfiles, profileForRelease } from './profile-choice.js';
export type { ImageFacts } from './resume-case.js';

export interface DiagnoseOptions {
  readonly suspend: BootLog;
  readonly resume: BootLog;
  /** auto | all | a profile id. */
  readonly profile?: string;
  /** The real image (hiblab's reader), if given. */
  readonly image?: ImageFacts & {
    readonly file: string;
    readonly imagePages: number;
    readonly compressor: string;
  };
  /** The profile registry (default: every registered profile). */
  readonly profiles?: readonly KernelProfile[];
}

const TRIM = (e: { kind: string; addr: bigint; size: bigint }) =>
  (e.kind === 'update' && e.addr === 0n && e.size === 0x1000n) ||
  (e.kind === 'remove' && e.addr === 0xa0000n && e.size === 0x60000n);

/**
 * The log's own RAM → non-RAM edits (efi_mem_reserve, MOKvar, BGRT, MTRR trim,
 * …): the kernel registers them nosave (e820__register_nosave_regions /
 * e820_mark_nosave_regions run late in setup_arch), rounded out to pages.
 * trim_bios_range's two edits are the model's own and left out.
 */
function loggedNosave(b: BootLog): PfnRange[] {
  const out: PfnRange[] = [];
  for (const e of b.parsed.logEdits) {
    if (TRIM(e)) continue;
    const fromRam = e.fromType === null || isRamLike(e.fromType);
    const toRam = e.kind === 'update' && e.toType !== undefined && isRamLike(e.toType);
    if (fromRam && !toRam) out.push([Number(e.addr >> 12n), Number((e.addr + e.size + 0xfffn) >> 12n)]);
  }
  return normalize(out);
}

function loggedEditLines(b: BootLog): string[] {
  return b.parsed.logEdits
    .filter((e) => !TRIM(e))
    .map((e) =>
      e.kind === 'update'
        ? formatUpdateLine(e.addr, e.size, e.fromType!, e.toType!)
        : formatRemoveLine(e.addr, e.size, e.fromType),
    );
}

/** The kernel table the model boots: firmware table + memmap=/mem= + trim_bios_range (log edits not replayed). */
function kernelTable(b: BootLog, p: KernelProfile): KernelE820 {
  return buildKernelE820({ ...b.parsed, logEdits: [] }, p, b.cmdline ?? undefined);
}

const tableKey = (p: KernelProfile, k: KernelE820): string =>
  `${p.id}|${k.kernel.map((e) => `${e.addr}:${e.size}:${e.type}`).join(',')}|${k.setupData.map((s) => `${s.addr}:${s.size}`).join(',')}`;

export function diagnose(o: DiagnoseOptions): DiagnoseReport {
  const registry = o.profiles ?? PROFILES;
  const cases = chooseProfiles(o.profile ?? 'auto', o.suspend.release, o.resume.release, registry);
  // setup_arch() once per distinct (kernel, table): the same map on both boots costs one.
  const machines = new Map<string, SetupArch>();
  const side = (b: BootLog, p: KernelProfile): BootSide & { k: KernelE820 } => {
    const k = kernelTable(b, p);
    const key = tableKey(p, k);
    let m = machines.get(key);
    if (!m) {
      m = setupArch(k, { profile: p, kaslr: { nokaslr: true } });
      machines.set(key, m);
    }
    return { machine: m, firmware: k.firmware, kernel: k.kernel, loggedNosave: loggedNosave(b), k };
  };

  const out: DiagnoseCase[] = [];
  let first: { s: KernelE820; r: KernelE820 } | null = null;
  for (const c of cases) {
    const s = side(o.suspend, c.suspend);
    const r = side(o.resume, c.resume);
    first ??= { s: s.k, r: r.k };
    out.push(
      diagnoseCase({
        label: c.label,
        suspendProfile: c.suspend,
        resumeProfile: c.resume,
        suspend: s,
        resume: r,
        image: o.image ?? null,
        log: {
          pagesCopied: o.suspend.counts.pagesCopied ?? null,
          zeroPages: o.suspend.counts.zeroPages ?? null,
          compressed:
            o.suspend.counts.compressed ??
            (o.suspend.cmdline !== null && /(?:^|\s)hibernate=nocompress(?:\s|$)/.test(o.suspend.cmdline)
              ? false
              : null),
        },
        notes: c.notes,
      }),
    );
  }
  const fd = diffE820(o.suspend.parsed.entries, o.resume.parsed.entries);
  const kd = diffE820(first!.s.kernel, first!.r.kernel);
  const boot = (b: BootLog, k: KernelE820): DiagnoseBoot => ({
    file: b.file,
    boot: b.index,
    boots: b.boots,
    source: b.parsed.source,
    origin: b.parsed.origin,
    release: b.release,
    cmdline: b.cmdline,
    firmware: k.firmware,
    crc32: e820Crc32(k.firmware),
    kernel: k.kernel,
    userDefined: k.userDefined,
    memOptions: b.cmdline
      ? parseKernelCmdline(b.cmdline).options.map(
          (x) => `${x.param}${x.value === undefined ? '' : `=${x.value}`}`,
        )
      : [],
    loggedEdits: loggedEditLines(b),
    hibernation: b.hibernation,
    observed: b.observed,
    pagesCopied: b.counts.pagesCopied ?? null,
    zeroPages: b.counts.zeroPages ?? null,
    compressed: b.counts.compressed ?? null,
    notes: [...b.parsed.notes, ...k.notes],
  });
  const notes: string[] = [];
  const obs = o.resume.observed;
  if (obs) {
    const seen =
      obs.kind === 'restored'
        ? ['resumes', 'silent-overwrite']
        : obs.kind === 'refused'
          ? ['refused']
          : obs.kind === 'oops'
            ? ['oops']
            : obs.kind === 'failed' && obs.errno === -14
              ? ['efault']
              : null;
    if (seen && cases.length === 1 && !seen.includes(out[0]!.verdict)) {
      notes.push(
        `the resume log shows ${obs.kind}, the ${out[0]!.label} prediction is ${out[0]!.verdict}: the model misses what decided this boot (see the notes of the case)`,
      );
    }
  }
  const image: DiagnoseImage | null = o.image
    ? {
        file: o.image.file,
        archHeader: o.image.archHeader,
        e820Checksum: o.image.e820Checksum,
        numPhyspages: o.image.numPhyspages,
        imagePages: o.image.imagePages,
        pfns: o.image.list.count,
        zeroPfns: o.image.zeroCount,
        compressor: o.image.compressor,
      }
    : null;
  return {
    suspend: boot(o.suspend, first!.s),
    resume: boot(o.resume, first!.r),
    image,
    firmwareDiff: {
      identical: fd.identical,
      added: fd.added,
      removed: fd.removed,
      changed: fd.changed,
      pages: fd.pages,
      ramPagesSuspend: fd.ramPagesA,
      ramPagesResume: fd.ramPagesB,
      crcDiffers: fd.crcDiffers,
    },
    kernelDiff: { identical: sameE820(first!.s.kernel, first!.r.kernel), pages: kd.pages },
    cases: out,
    notes,
  };
}

/** The facts diagnose uses from a real image, read by hiblab's reader (header page, swsusp header flags, meta pages). */
export function imageFacts(
  reader: ImageReader,
  file: string,
): ImageFacts & { file: string; imagePages: number; compressor: string } {
  const meta = reader.metaList();
  return {
    file,
    archHeader: reader.info.arch.era,
    e820Checksum: reader.info.arch.e820Checksum,
    numPhyspages: reader.info.numPhyspages,
    imagePages: reader.info.imagePages,
    list: meta,
    zeroCount: meta.zeroCount,
    compressed: (reader.swsusp.flags & SF.NOCOMPRESS_MODE) === 0,
    compressor: reader.compressor ?? 'none',
  };
}
