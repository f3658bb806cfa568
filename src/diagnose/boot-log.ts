/**
 * One boot of a kernel log, as diagnose reads it: the e820 tables (through
 * the one e820 parser, parseE820Boot), and from the same boot's lines the
 * kernel release (`Linux version …`), the command line (`Command line:` or
 * `Kernel command line:`) and the hibernation lines (PM:, the arch checks'
 * messages, oops lines) with what they say happened.
 *
 * Boots are the e820 parser's: boot N is the N-th boot with an e820 table.
 * Its lines run from the `Linux version` line that precedes its table (or
 * the end of the previous boot) to where the next boot starts, so the lines
 * after a restore (printed by the restored kernel on the same console) stay
 * with the boot that resumed.
 */
import { ParseError } from '../errors.js';
import type { ParsedE820 } from '../firmware/e820-types.js';
import { parseE820, parseE820Boot } from '../firmware/index.js';

export interface LogLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly text: string;
}

/** What the hibernation lines of one boot say happened. */
export interface ObservedHibernation {
  /**
   * 'image-written' (hibernate: the image was saved), 'hibernate-failed',
   * 'restored', 'refused' (check_header: Image mismatch), 'failed' (an error
   * code: -EFAULT, -ENODATA, …), 'oops', 'no-image', 'loaded' (loaded, no
   * restore line seen).
   */
  readonly kind:
    | 'image-written'
    | 'hibernate-failed'
    | 'restored'
    | 'refused'
    | 'failed'
    | 'oops'
    | 'no-image'
    | 'loaded';
  readonly detail: string;
  readonly line: number;
  readonly errno?: number;
  /** 'refused': the reason after "Image mismatch: ". */
  readonly mismatch?: string;
  /** 'oops': faulting address and function as printed. */
  readonly address?: string;
  readonly function?: string;
}

/** Counts the hibernating kernel printed (snapshot.c / swap.c). */
export interface HibernateCounts {
  /** "Need to copy N pages" / "Image created (N pages copied…)". */
  readonly pagesCopied?: number;
  /** 6.6+: "… M zero pages)". */
  readonly zeroPages?: number;
  /** "Compressing and saving image data" (true) or "Saving image data pages" (false). */
  readonly compressed?: boolean;
}

export interface BootLog {
  readonly file: string;
  /** Index of this boot (parse order) and how many the input holds. */
  readonly index: number;
  readonly boots: number;
  readonly parsed: ParsedE820;
  /** `uname -r` from the `Linux version` line, e.g. "6.12.117+deb12-amd64". */
  readonly release: string | null;
  readonly releaseLine: number | null;
  readonly cmdline: string | null;
  /** Hibernation lines of this boot, progress lines left out. */
  readonly hibernation: readonly LogLine[];
  readonly counts: HibernateCounts;
  /** The outcome the lines show: for a resume boot the resume, else the hibernation. */
  readonly observed: ObservedHibernation | null;
}

/** Lines of a boot that matter to hibernation (matched anywhere in the line: any prefix shape). */
const HIBERNATION_LINE =
  /\bPM: |Hibernate inconsistent memory map|Unrecognized hibernate image header|\[Firmware Bug\]: Memory map mismatch|BUG: unable to handle|\bRIP: |\bIP: \[<|exception RIP:|Kernel panic - not syncing/;
/** Progress, nosave-marking and unrelated PM: lines (ACPI sleep states, genpd): many, and not evidence here. */
const PROGRESS =
  /PM: Image (?:loading|saving) progress:|Registered nosave memory|Marking nosave pages|ACPI: PM:|PM: genpd:|PM: Adding info for|PM: Moving .* to end of list|of devices complete after|PM: S\|/;

function textOf(input: Uint8Array | string): string | null {
  if (typeof input === 'string') return input;
  if (input.includes(0)) return null; // QEMU etc/e820: no log lines
  return new TextDecoder('utf-8').decode(input);
}

/**
 * Read boot `boot` (default 0) of a log. Throws ParseError E820_NOT_FOUND
 * (from the e820 parser) for a log without e820 lines.
 */
export function readBootLog(input: Uint8Array | string, file: string, boot?: number): BootLog {
  let picked: ReturnType<typeof parseE820Boot>;
  try {
    picked = parseE820Boot(input, file, boot);
  } catch (e) {
    if (e instanceof ParseError && e.code === 'E820_NOT_FOUND') throw noTableError(file);
    throw e;
  }
  const parsed = picked.parsed;
  const base = {
    file,
    index: picked.index,
    boots: picked.boots,
    parsed,
    counts: {},
  };
  const text = parsed.source === 'dmesg' ? textOf(input) : null;
  if (text === null) {
    return {
      ...base,
      release: null,
      releaseLine: null,
      cmdline: parsed.cmdline ?? null,
      hibernation: [],
      observed: null,
    };
  }
  const lines = text.split(/\r?\n/);
  // Boot starts: for each parsed boot, the last "Linux version" line after the
  // previous boot's table and at or before its own table.
  const all = picked.boots > 1 ? parseE820(input, file).map((b) => b.line ?? 1) : [parsed.line ?? 1];
  const versionLines: number[] = [];
  for (let i = 0; i < lines.length; i++) if (/Linux version \S/.test(lines[i]!)) versionLines.push(i + 1);
  const starts = all.map((tableLine, k) => {
    const prev = k === 0 ? 0 : all[k - 1]!;
    const v = versionLines.filter((l) => l > prev && l <= tableLine);
    return k === 0 ? 1 : (v[v.length - 1] ?? tableLine);
  });
  const from = starts[picked.index]!;
  const to = picked.index + 1 < starts.length ? starts[picked.index + 1]! - 1 : lines.length;

  let release: string | null = null;
  let releaseLine: number | null = null;
  let cmdline: string | null = null;
  let kernelCmdline: string | null = null;
  const hib: LogLine[] = [];
  for (let n = from; n <= to; n++) {
    const raw = lines[n - 1]!;
    const v = /Linux version (\S+)/.exec(raw);
    if (v && release === null) {
      release = v[1]!;
      releaseLine = n;
    }
    const c = /(?:^|[\]\s:])Command line: ?(.*)$/.exec(raw);
    if (c && cmdline === null && !/Kernel command line:/.test(raw)) cmdline = c[1]!.trim();
    const kc = /Kernel command line: ?(.*)$/.exec(raw);
    if (kc && kernelCmdline === null) kernelCmdline = kc[1]!.trim();
    if (HIBERNATION_LINE.test(raw) && !PROGRESS.test(raw)) hib.push({ line: n, text: raw.trim() });
  }
  return {
    ...base,
    release,
    releaseLine,
    cmdline: cmdline ?? kernelCmdline ?? parsed.cmdline ?? null,
    hibernation: hib,
    counts: countsOf(hib),
    observed: observe(hib),
  };
}

function countsOf(hib: readonly LogLine[]): HibernateCounts {
  let pagesCopied: number | undefined;
  let zeroPages: number | undefined;
  let compressed: boolean | undefined;
  for (const { text } of hib) {
    const created = /Image created \((\d+) pages copied(?:, (\d+) zero pages)?\)/.exec(text);
    if (created) {
      pagesCopied = Number(created[1]);
      if (created[2] !== undefined) zeroPages = Number(created[2]);
    }
    const need = /Need to copy (\d+) pages/.exec(text);
    if (need && pagesCopied === undefined) pagesCopied = Number(need[1]);
    if (/Compressing and saving image data/.test(text)) compressed = true;
    if (/Saving image data pages/.test(text)) compressed = false;
  }
  const out: { pagesCopied?: number; zeroPages?: number; compressed?: boolean } = {};
  if (pagesCopied !== undefined) out.pagesCopied = pagesCopied;
  if (zeroPages !== undefined) out.zeroPages = zeroPages;
  if (compressed !== undefined) out.compressed = compressed;
  return out;
}

/** The outcome the hibernation lines show, most decisive line first. */
function observe(hib: readonly LogLine[]): ObservedHibernation | null {
  const find = (re: RegExp) => {
    for (const l of hib) {
      const m = re.exec(l.text);
      if (m) return { l, m };
    }
    return null;
  };
  const bug = find(/BUG: unable to handle (?:kernel paging request at|page fault for address:) ?(\S+)/);
  if (bug) {
    const rip =
      find(/exception RIP: ([A-Za-z0-9_.]+)\+/) ??
      find(/\bRIP: [0-9a-fx:]*\s*([A-Za-z0-9_.]+)\+0x/) ??
      find(/\bIP: \[<[0-9a-f]+>\] ([A-Za-z0-9_.]+)\+/);
    const o: ObservedHibernation = {
      kind: 'oops',
      detail: bug.l.text.slice(bug.l.text.indexOf('BUG:')),
      line: bug.l.line,
      address: bug.m[1]!,
    };
    return rip ? { ...o, function: rip.m[1]! } : o;
  }
  const mismatch = find(/Image mismatch: (.+)$/);
  if (mismatch) {
    const why =
      find(/(Hibernate inconsistent memory map detected!|Unrecognized hibernate image header format!)/) ??
      mismatch;
    return {
      kind: 'refused',
      detail: why.m[1] === mismatch.m[1] ? `Image mismatch: ${mismatch.m[1]}` : why.m[1]!,
      line: why.l.line,
      mismatch: mismatch.m[1]!.trim(),
      errno: -1,
    };
  }
  const err = find(/Error (-\d+) resuming|resume failed \((-\d+)\)/);
  if (err) {
    const fw = find(/\[Firmware Bug\]: (Memory map mismatch.*)$/);
    return {
      kind: 'failed',
      detail: fw ? `${err.m[0]} after "${fw.m[1]}"` : err.m[0],
      line: err.l.line,
      errno: Number(err.m[1] ?? err.m[2]),
    };
  }
  const restored = find(/(?:Hibernation )?[Ii]mage restored successfully/);
  if (restored) return { kind: 'restored', detail: restored.l.text, line: restored.l.line };
  const loaded = find(/Image successfully loaded/);
  if (loaded) return { kind: 'loaded', detail: loaded.l.text, line: loaded.l.line };
  // A hibernating boot usually tried to resume first ("Image not found"): what it wrote decides.
  const wrote = find(/Wrote \d+ kbytes|Image saving done|Image created \(/);
  if (wrote) return { kind: 'image-written', detail: wrote.l.text, line: wrote.l.line };
  const short = find(/Image allocation is \d+ pages short/);
  if (short) return { kind: 'hibernate-failed', detail: short.l.text, line: short.l.line };
  const notFound = find(/Image not found \(code (-\d+)\)/);
  if (notFound) return { kind: 'no-image', detail: notFound.m[0], line: notFound.l.line };
  return null;
}

/** A log with no e820 table is an error the user can act on (names the file). */
export function noTableError(file: string): ParseError {
  return new ParseError(
    'DIAGNOSE_NO_E820',
    'no e820 table in this log: diagnose needs the BIOS-e820 lines of each boot (dmesg, journalctl -k, a serial console)',
    { file },
  );
}
