/**
 * The `hiblab diagnose` report: its data shape (filled by src/diagnose/) and
 * its two presentations, text for people (a verdict line per kernel profile
 * first, then the evidence) and JSON for scripts (keys documented in
 * src/cli/commands/diagnose.ts). Platform neutral: a browser gets the same.
 */
import type { E820Entry, E820PageChange } from '../firmware/e820-types.js';
import { e820TypeName, formatE820Line } from '../firmware/index.js';

/** What the resume kernel does with the image, in the kernel's order of events. */
export type DiagnoseOutcome =
  /** check_header() / arch_hibernation_header_restore() said "Image mismatch": the fresh boot goes on. */
  | 'refused'
  /** unpack_orig_pfns() returned -EFAULT: "Error -14 resuming", the fresh boot goes on. */
  | 'efault'
  /** A CPU store through an unmapped direct-map address while loading: kernel oops. */
  | 'oops'
  /** restore_image() faults with interrupts off: hang or reset, no console output. */
  | 'hang'
  /** The image is restored but frames the boot kernel does not own were overwritten. */
  | 'silent-overwrite'
  /** Nothing in the maps stops the restore. */
  | 'resumes';

/** How sure the verdict is: decided by the tables alone or the image ('certain'), or by what was likely in the image. */
export type Certainty = 'certain' | 'likely' | 'possible';

export interface DiagnoseCheck {
  /** Stable id: arch-header, e820-crc32, num-physpages, zero-pfn-flag, unpack-orig-pfns, load-in-place, restore-image. */
  readonly id: string;
  /** The kernel function (and file) whose rule this is. */
  readonly kernel: string;
  /** 'absent': this kernel has no such check; 'risk': fails if a likely pfn is in the image; 'not-reached': an earlier check failed. */
  readonly result: 'pass' | 'fail' | 'absent' | 'risk' | 'not-reached';
  readonly detail: string;
  /** What the kernel prints when the check fails. */
  readonly messages: readonly string[];
}

/** A run of pfns the suspend kernel could have saved and the resume kernel does not map, own or know. */
export interface PfnFinding {
  readonly startPfn: number;
  /** Exclusive. */
  readonly endPfn: number;
  /** e820 type (kernel table) in each boot, e.g. "usable" -> "ACPI data". */
  readonly suspendType: string;
  readonly resumeType: string;
  /** What the suspend kernel had there: 'kernel' (memblock-reserved, always saved) or 'usable' (free at boot). */
  readonly suspendUse: 'kernel' | 'usable';
  /** Resume kernel: in its direct map (page walk), in its nosave list, in its memory bitmap (zone spans, pfn_valid). */
  readonly mapped: boolean;
  readonly nosave: boolean;
  readonly inBitmap: boolean;
  /** The page walk of the first pfn (crash vtop style, one line). */
  readonly walk: string;
  readonly effect: Exclude<DiagnoseOutcome, 'refused' | 'resumes'>;
  /** 'cpu' memcpy/memset through the direct map, 'dma' block I/O (nocompress), 'restore' restore_image's copy. */
  readonly how: 'cpu' | 'dma' | 'restore' | 'unpack';
  readonly certainty: Certainty;
  /** With --image: how many image pfns fall in this run (null without the image). */
  readonly inImage: number | null;
  /** One-line explanation. */
  readonly why: string;
}

export interface ProposedFix {
  /** 'usable-ram-crc32' or 'per-pfn-check'. */
  readonly id: string;
  readonly decision: 'refuse' | 'accept' | 'accept-unless';
  readonly detail: string;
}

export interface DiagnoseCase {
  /** Profile id, or "suspend-id -> resume-id" when the boots ran different kernels. */
  readonly label: string;
  readonly suspendProfile: string;
  readonly resumeProfile: string;
  readonly verdict: DiagnoseOutcome;
  readonly certainty: Certainty;
  /** The one-line verdict. */
  readonly summary: string;
  /** The kernel's console lines for the verdict (refusal messages, oops first line). */
  readonly messages: readonly string[];
  readonly checks: readonly DiagnoseCheck[];
  readonly pfns: readonly PfnFinding[];
  /** How likelihood was judged for pfns that are not certain. */
  readonly likelihood: string | null;
  readonly fixes: readonly ProposedFix[];
  readonly notes: readonly string[];
}

export interface DiagnoseBoot {
  readonly file: string;
  readonly boot: number;
  readonly boots: number;
  readonly source: string;
  readonly origin: string;
  readonly release: string | null;
  readonly cmdline: string | null;
  readonly firmware: readonly E820Entry[];
  readonly crc32: number;
  /** Kernel table after memmap=/mem= and trim_bios_range (first case's suspend/resume profile). */
  readonly kernel: readonly E820Entry[];
  readonly userDefined: boolean;
  /** mem=/memmap= words of the command line. */
  readonly memOptions: readonly string[];
  /** Kernel-side e820 edits the log shows (efi_mem_reserve, MTRR trim, …): not in the CRC. */
  readonly loggedEdits: readonly string[];
  readonly hibernation: readonly { line: number; text: string }[];
  readonly observed: {
    kind: string;
    detail: string;
    line: number;
    errno?: number;
    mismatch?: string;
    address?: string;
    function?: string;
  } | null;
  readonly pagesCopied: number | null;
  readonly zeroPages: number | null;
  readonly compressed: boolean | null;
  readonly notes: readonly string[];
}

export interface DiagnoseImage {
  readonly file: string;
  readonly archHeader: string | null;
  readonly e820Checksum: number | null;
  readonly numPhyspages: number;
  readonly imagePages: number;
  readonly pfns: number;
  readonly zeroPfns: number;
  readonly compressor: string;
}

export interface DiagnoseReport {
  readonly suspend: DiagnoseBoot;
  readonly resume: DiagnoseBoot;
  readonly image: DiagnoseImage | null;
  readonly firmwareDiff: {
    readonly identical: boolean;
    readonly added: readonly E820Entry[];
    readonly removed: readonly E820Entry[];
    readonly changed: readonly { a: E820Entry; b: E820Entry }[];
    readonly pages: readonly E820PageChange[];
    readonly ramPagesSuspend: bigint;
    readonly ramPagesResume: bigint;
    readonly crcDiffers: boolean;
  };
  readonly kernelDiff: {
    readonly identical: boolean;
    readonly pages: readonly E820PageChange[];
  };
  readonly cases: readonly DiagnoseCase[];
  readonly notes: readonly string[];
}

const hx = (n: number | bigint): string => `0x${n.toString(16)}`;
const crcHex = (c: number): string => `0x${(c >>> 0).toString(16).padStart(8, '0')}`;
const typeLabel = (t: number | null): string => (t === null ? 'hole' : e820TypeName(t));

export function pfnRangeText(start: number | bigint, end: number | bigint): string {
  const n = BigInt(end) - BigInt(start);
  return n === 1n ? `pfn ${hx(start)}` : `pfn ${hx(start)}-${hx(BigInt(end) - 1n)} (${n} pages)`;
}

const VERDICT_WORD: Record<DiagnoseOutcome, string> = {
  refused: 'REFUSED',
  efault: 'FAILS (-EFAULT)',
  oops: 'OOPS',
  hang: 'HANGS',
  'silent-overwrite': 'SILENT OVERWRITE',
  resumes: 'RESUMES',
};

export function verdictLine(c: DiagnoseCase): string {
  const sure = c.verdict === 'refused' || c.certainty === 'certain' ? '' : ` (${c.certainty})`;
  return `${c.label}: ${VERDICT_WORD[c.verdict]}${sure}: ${c.summary}`;
}

function bootLine(role: string, b: DiagnoseBoot): string {
  return `${role}: ${b.file} boot ${b.boot} of ${b.boots}${b.release ? `, Linux ${b.release}` : ', no "Linux version" line'} (${b.origin}, ${b.source})`;
}

export function formatDiagnoseText(r: DiagnoseReport): string {
  const L: string[] = [];
  L.push(bootLine('suspend', r.suspend));
  L.push(bootLine('resume ', r.resume));
  if (r.image) {
    L.push(
      `image  : ${r.image.file}: ${r.image.pfns} pfns (${r.image.zeroPfns} zero), ${r.image.compressor}, arch header ${r.image.archHeader ?? 'unknown'}${r.image.e820Checksum === null ? '' : `, e820 CRC32 ${crcHex(r.image.e820Checksum)}`}, num_physpages ${r.image.numPhyspages}`,
    );
  }
  L.push('');
  L.push('verdict:');
  for (const c of r.cases) L.push(`  ${verdictLine(c)}`);
  const obs = r.resume.observed;
  if (obs) {
    L.push(`  observed in ${r.resume.file} line ${obs.line}: ${obs.kind}: ${obs.detail}`);
  }
  for (const n of r.notes) L.push(`  note: ${n}`);

  L.push('');
  const fd = r.firmwareDiff;
  L.push(
    `firmware e820 (e820_table_firmware, the CRC32 a 5.13+ kernel checks): suspend ${r.suspend.firmware.length} entries CRC32 ${crcHex(r.suspend.crc32)}, resume ${r.resume.firmware.length} entries CRC32 ${crcHex(r.resume.crc32)}: ${fd.crcDiffers ? 'DIFFER' : 'equal'}`,
  );
  if (fd.identical) L.push('  tables identical');
  const lines: { addr: bigint; text: string }[] = [];
  for (const e of fd.removed) lines.push({ addr: e.addr, text: `  - ${formatE820Line(e)}` });
  for (const e of fd.added) lines.push({ addr: e.addr, text: `  + ${formatE820Line(e)}` });
  for (const ch of fd.changed) {
    lines.push({ addr: ch.a.addr, text: `  - ${formatE820Line(ch.a)}` });
    lines.push({ addr: ch.b.addr, text: `  + ${formatE820Line(ch.b)}` });
  }
  lines.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
  for (const l of lines) L.push(l.text);
  if (fd.pages.length) {
    L.push('  pages that changed type:');
    for (const p of fd.pages)
      L.push(`    ${pfnRangeText(p.startPfn, p.endPfn)}: ${typeLabel(p.from)} -> ${typeLabel(p.to)}`);
  }
  L.push(`  RAM: suspend ${fd.ramPagesSuspend} pages, resume ${fd.ramPagesResume} pages`);

  const kd = r.kernelDiff;
  const opts = (b: DiagnoseBoot) => (b.memOptions.length ? b.memOptions.join(' ') : 'none');
  L.push(
    `kernel e820 (after memmap=/mem= and trim_bios_range): memory options suspend ${opts(r.suspend)}, resume ${opts(r.resume)}: ${kd.identical ? 'tables identical' : 'tables differ'}`,
  );
  for (const p of kd.pages)
    L.push(`    ${pfnRangeText(p.startPfn, p.endPfn)}: ${typeLabel(p.from)} -> ${typeLabel(p.to)}`);
  for (const [role, b] of [
    ['suspend', r.suspend],
    ['resume', r.resume],
  ] as const) {
    if (b.loggedEdits.length) {
      L.push(`  ${role} log's own e820 edits (kernel-side, not in the CRC32; nosave in that kernel):`);
      for (const e of b.loggedEdits) L.push(`    ${e}`);
    }
  }

  L.push('hibernation lines:');
  for (const [role, b] of [
    ['suspend', r.suspend],
    ['resume', r.resume],
  ] as const) {
    if (!b.hibernation.length) L.push(`  ${role}: none`);
    else {
      L.push(`  ${role}:`);
      const shown = b.hibernation.slice(0, 30);
      for (const h of shown) L.push(`    ${String(h.line).padStart(5)}: ${h.text}`);
      if (b.hibernation.length > shown.length) L.push(`    … ${b.hibernation.length - shown.length} more`);
    }
  }
  for (const b of [r.suspend, r.resume]) for (const n of b.notes) L.push(`note (${b.file}): ${n}`);

  for (const c of r.cases) {
    L.push('');
    L.push(
      `== ${c.label} (suspend kernel ${c.suspendProfile}, resume kernel ${c.resumeProfile}): ${VERDICT_WORD[c.verdict]}`,
    );
    for (const n of c.notes) L.push(`  note: ${n}`);
    c.checks.forEach((k, i) => {
      L.push(`  ${i + 1}. ${k.id} [${k.kernel}]: ${k.result} — ${k.detail}`);
      if (k.result === 'fail' || k.result === 'risk') for (const m of k.messages) L.push(`       | ${m}`);
    });
    if (c.pfns.length) {
      L.push('  pfns the suspend kernel could save that the resume kernel does not map, own or know:');
      for (const f of c.pfns.slice(0, 40)) {
        const img = f.inImage === null ? '' : `, ${f.inImage} in the image`;
        L.push(
          `    ${pfnRangeText(f.startPfn, f.endPfn)}: ${f.suspendType} (${f.suspendUse === 'kernel' ? 'kernel-owned' : 'free at boot'}) -> ${f.resumeType}; ${f.mapped ? 'mapped' : 'not mapped'}, ${f.nosave ? 'nosave' : 'owned'}${f.inBitmap ? '' : ', outside the memory bitmap'} => ${f.effect} [${f.certainty}${img}]`,
        );
        L.push(`      ${f.why}`);
        L.push(`      walk: ${f.walk}`);
      }
      if (c.pfns.length > 40) L.push(`    … ${c.pfns.length - 40} more runs`);
    }
    if (c.likelihood) L.push(`  likelihood: ${c.likelihood}`);
    if (c.fixes.length) {
      L.push('  proposed fixes:');
      for (const f of c.fixes) L.push(`    ${f.id}: ${f.decision} — ${f.detail}`);
    }
  }
  return `${L.join('\n')}\n`;
}

const entryJson = (e: E820Entry) => ({
  addr: e.addr,
  size: e.size,
  end: e.addr + e.size - 1n,
  type: e.type,
  typeName: e820TypeName(e.type),
});

const changeJson = (p: E820PageChange) => ({
  startPfn: p.startPfn,
  endPfn: p.endPfn,
  pages: Number(p.pages),
  from: typeLabel(p.from),
  to: typeLabel(p.to),
});

function bootJson(b: DiagnoseBoot) {
  return {
    file: b.file,
    boot: b.boot,
    boots: b.boots,
    source: b.source,
    origin: b.origin,
    release: b.release,
    cmdline: b.cmdline,
    firmware: b.firmware.map(entryJson),
    crc32: crcHex(b.crc32),
    kernel: b.kernel.map(entryJson),
    userDefined: b.userDefined,
    memOptions: b.memOptions,
    loggedEdits: b.loggedEdits,
    hibernation: b.hibernation,
    observed: b.observed,
    pagesCopied: b.pagesCopied,
    zeroPages: b.zeroPages,
    compressed: b.compressed,
    notes: b.notes,
  };
}

/** The --json object (bigints become 0x strings in the CLI's toJson). */
export function diagnoseJson(r: DiagnoseReport): unknown {
  return {
    suspend: bootJson(r.suspend),
    resume: bootJson(r.resume),
    image: r.image && {
      ...r.image,
      e820Checksum: r.image.e820Checksum === null ? null : crcHex(r.image.e820Checksum),
    },
    firmwareDiff: {
      identical: r.firmwareDiff.identical,
      added: r.firmwareDiff.added.map(entryJson),
      removed: r.firmwareDiff.removed.map(entryJson),
      changed: r.firmwareDiff.changed.map((c) => ({ a: entryJson(c.a), b: entryJson(c.b) })),
      pages: r.firmwareDiff.pages.map(changeJson),
      ramPages: {
        suspend: Number(r.firmwareDiff.ramPagesSuspend),
        resume: Number(r.firmwareDiff.ramPagesResume),
      },
      crcDiffers: r.firmwareDiff.crcDiffers,
    },
    kernelDiff: { identical: r.kernelDiff.identical, pages: r.kernelDiff.pages.map(changeJson) },
    cases: r.cases.map((c) => ({
      label: c.label,
      suspendProfile: c.suspendProfile,
      resumeProfile: c.resumeProfile,
      verdict: c.verdict,
      certainty: c.certainty,
      summary: c.summary,
      messages: c.messages,
      checks: c.checks,
      pfns: c.pfns.map((f) => ({
        ...f,
        startPfn: hx(f.startPfn),
        endPfn: hx(f.endPfn),
        pages: f.endPfn - f.startPfn,
      })),
      likelihood: c.likelihood,
      fixes: c.fixes,
      notes: c.notes,
    })),
    notes: r.notes,
  };
}
