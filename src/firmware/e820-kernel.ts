/**
 * From the firmware table to the kernel's e820_table: the edits setup_arch()
 * makes, in its order, with the lines the kernel logs for each.
 *
 *   e820__memory_setup()            prints "BIOS-e820:" (e820_table_firmware = this, checksummed)
 *   e820_reserve_setup_data()       3.10 only here: setup_data RAM → RESERVED_KERN, prints "reserve setup_data:"
 *   parse_early_param()             mem= (parse_memopt), memmap= (parse_memmap_opt → parse_memmap_one)
 *   e820__finish_early_params()     if userdef: sanitize, print "user-defined physical RAM map:" / "user:"
 *   e820_add_kernel_range()         a kernel at its link address (nokaslr) whose [_text, _end) is not all
 *                                   RAM: warn, remove the range (any type) and add it back as RAM
 *   trim_bios_range()               page 0 RAM → reserved, RAM in [640K, 1M) removed
 *
 * A log source gives the firmware table and the command line only: the
 * `e820: update/remove` lines a log also shows are that kernel's own edits,
 * which this function (and the boot model) make themselves; replaying them
 * would apply the kernel's edits twice, or edits of another kernel/boot.
 */
import { ScenarioError } from '../errors.js';
import type { KernelProfile } from '../profiles/types.js';
import { flat } from '../util/flat.js';
import { parseKernelCmdline } from './cmdline.js';
import { formatE820Line, formatRemoveLine, formatUpdateLine, hex010 } from './e820-format.js';
import { e820RangeAdd, e820RangeRemove, e820RangeUpdate, sanitizeE820, U64_MAX } from './e820-table.js';
import { E820_TYPE, type E820Entry, type ParsedE820 } from './e820-types.js';

export interface KernelE820 {
  /** Checksummed table (unchanged by memmap=/mem=). */
  firmware: E820Entry[];
  /** e820_table after the kernel's edits (3.10 includes RESERVED_KERN = 128 entries). */
  kernel: E820Entry[];
  /** setup_data ranges; for 6.x the boot model must memblock_reserve() them. */
  setupData: { addr: bigint; size: bigint }[];
  /** memmap=/mem= changed the table → the kernel printed "user-defined physical RAM map:". */
  userDefined: boolean;
  /** Kernel-style lines, in the order the kernel prints them. */
  log: string[];
  /** What hiblab noticed that the kernel does not print (ignored or malformed options). */
  notes: string[];
  /**
   * nokaslr: the kernel runs at its link address (profile.kernelImage), never
   * relocated; e820_add_kernel_range() made [_text, _end) RAM if it was not.
   */
  kernelFixed: boolean;
  /** The command line the kernel parsed (the argument, else the log's). */
  cmdline: string;
}

/** e820__mapped_all(): is every byte of [start, end) covered by entries of `type`? */
function mappedAll(table: readonly E820Entry[], start: bigint, end: bigint, type: number): boolean {
  let at = start;
  for (const e of [...table].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0))) {
    if (e.type !== type || e.addr + e.size <= at) continue;
    if (e.addr > at) return false;
    at = e.addr + e.size;
    if (at >= end) return true;
  }
  return at >= end;
}

const PAGE = 0x1000n;
/** BIOS_BEGIN / BIOS_END (asm/e820.h): the legacy 640K–1M hole. */
const BIOS_BEGIN = 0xa0000n;
const BIOS_END = 0x100000n;

/** Apply memmap=/mem= options, mirroring parse_memopt() and parse_memmap_one() (arch/x86/kernel/e820.c). */
function applyMemOptions(
  table: E820Entry[],
  cmdline: string,
  profile: KernelProfile,
  log: string[],
  notes: string[],
): { table: E820Entry[]; userdef: boolean } {
  const known = profile.e820.knownTypes;
  const ops = profile.e820.memmapOperators;
  let userdef = false;
  const remove = (start: bigint, size: bigint, type: number | null): void => {
    log.push(formatRemoveLine(start, size > U64_MAX - start ? U64_MAX - start : size, type, known));
    table = e820RangeRemove(table, start, size, type);
  };
  for (const opt of parseKernelCmdline(cmdline).options) {
    if (opt.param === 'mem') {
      // parse_memopt(): "nopentium" is 32-bit only; userdef is set before the size check.
      if (opt.value === undefined || opt.value === 'nopentium') {
        log.push(`Malformed early option 'mem'`);
        continue;
      }
      userdef = true;
      const size = opt.items[0]!.size ?? 0n;
      if (size === 0n) {
        // "Don't remove all memory when getting mem={invalid}".
        log.push(`Malformed early option 'mem'`);
        continue;
      }
      remove(size, U64_MAX - size, E820_TYPE.RAM);
      continue;
    }
    // parse_memmap_opt(): each comma item through parse_memmap_one(); its return value is ignored.
    for (const it of opt.items) {
      if (it.exactmap) {
        table = [];
        userdef = true;
        continue;
      }
      if (it.size === undefined) {
        notes.push(`memmap=${it.raw}: no size, ignored by the kernel (-EINVAL)`);
        continue;
      }
      userdef = true;
      const size = it.size;
      const start = it.start ?? 0n;
      const addType: Record<string, number> = {
        '@': E820_TYPE.RAM,
        '#': E820_TYPE.ACPI,
        $: E820_TYPE.RESERVED,
        '!': E820_TYPE.PRAM,
      };
      if (it.op !== '' && ops.includes(it.op) && it.op !== '%') {
        table = e820RangeAdd(table, start, size, addType[it.op]!);
        if (it.trailing !== '')
          notes.push(`memmap=${it.raw}: trailing '${it.trailing}' (-EINVAL after the edit)`);
      } else if (it.op === '%' && ops.includes('%')) {
        if (it.trailing !== '') {
          notes.push(`memmap=${it.raw}: trailing '${it.trailing}', ignored by the kernel (-EINVAL)`);
          continue;
        }
        const from = it.from ?? 0;
        const to = it.to ?? 0;
        if (from && to) {
          log.push(formatUpdateLine(start, size, from, to, known));
          table = e820RangeUpdate(table, start, size, from, to);
        } else if (to) table = e820RangeAdd(table, start, size, to);
        else if (from) remove(start, size, from);
        else remove(start, size, null);
      } else {
        // "memmap=nn" without @ (or an operator this kernel lacks) behaves as mem=nn.
        remove(size, U64_MAX - size, E820_TYPE.RAM);
        if (it.op !== '')
          notes.push(
            `memmap=${it.raw}: '${it.op}' is not a memmap operator of ${profile.id}; treated as mem=${it.raw.slice(0, it.raw.indexOf(it.op))} (-EINVAL)`,
          );
      }
    }
  }
  return { table, userdef };
}

/**
 * append_e820_table() → __e820__range_add() (3.10 append_e820_map → __e820_add_region):
 * the firmware entries go into e820_table in their order until it is full; each entry
 * past KernelBuild.e820MaxEntries is dropped with an error line. Simplified: the
 * 128-entry zeropage / SETUP_E820_EXT split (sanitize between the two appends) is not
 * modelled; every table in ../shared/fixtures has at most 38 entries. This bound is also
 * what keeps a 100k-entry hostile table from costing 100k entries in every later step.
 */
function appendE820Table(
  entries: readonly E820Entry[],
  profile: KernelProfile,
  log: string[],
): readonly E820Entry[] {
  const cap = profile.build.e820MaxEntries;
  if (entries.length <= cap) return entries;
  for (let i = cap; i < entries.length; i++) {
    const e = entries[i]!;
    log.push(
      flat(
        `${profile.e820.tooManyEntries} [mem ${hex010(e.addr)}-${hex010((e.addr + e.size - 1n) & U64_MAX)}]`,
      ),
    );
  }
  return entries.slice(0, cap);
}

export function buildKernelE820(fw: ParsedE820, profile: KernelProfile, cmdline?: string): KernelE820 {
  const known = profile.e820.knownTypes;
  const log: string[] = [];
  const notes: string[] = [];
  const firmware = sanitizeE820(appendE820Table(fw.entries, profile, log));
  log.push(`${profile.bootLog.e820Prefix}BIOS-provided physical RAM map:`);
  for (const e of firmware) log.push(formatE820Line(e, 'BIOS-e820', known));
  let table = firmware.slice();

  const setupData: { addr: bigint; size: bigint }[] = [];
  for (const s of fw.setupData)
    if (!setupData.some((x) => x.addr === s.addr && x.size === s.size)) setupData.push(s);
  setupData.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));

  if (profile.e820.setupData === 'reserved-kern' && setupData.length > 0) {
    // e820_reserve_setup_data() (3.10 setup.c): e820_update_range(pa, size, E820_RAM, E820_RESERVED_KERN),
    // then sanitize_e820_map() and print the table as "reserve setup_data".
    for (const s of setupData) {
      log.push(formatUpdateLine(s.addr, s.size, E820_TYPE.RAM, E820_TYPE.RESERVED_KERN, known));
      table = e820RangeUpdate(table, s.addr, s.size, E820_TYPE.RAM, E820_TYPE.RESERVED_KERN);
    }
    table = sanitizeE820(table);
    log.push('extended physical RAM map:');
    for (const e of table) log.push(formatE820Line(e, 'reserve setup_data', known));
  }
  // 6.x ('memblock-reserve'): setup_data stays RAM in e820; the ranges are returned for memblock_reserve().

  const mem = applyMemOptions(table, cmdline ?? fw.cmdline ?? '', profile, log, notes);
  table = mem.table;
  if (mem.userdef) {
    // e820__finish_early_params() / finish_e820_parsing(): a table the sanitizer rejects is fatal.
    if (table.length < 2) {
      throw new ScenarioError(
        'E820_USER_MAP_INVALID',
        `Invalid user supplied memory map: ${table.length} entr${table.length === 1 ? 'y' : 'ies'} after memmap=/mem= (the kernel early_panic()s; sanitize needs at least 2)`,
      );
    }
    table = sanitizeE820(table);
    log.push(`${profile.bootLog.e820Prefix}user-defined physical RAM map:`);
    for (const e of table) log.push(formatE820Line(e, 'user', known));
  }

  // e820_add_kernel_range() (arch/x86/kernel/setup.c), for a kernel that stays at its link
  // address. With KASLR the decompressor picked a RAM range outside memmap= holes
  // (choose_random_location → mem_avoid_memmap), where this check passes.
  const cmd = cmdline ?? fw.cmdline ?? '';
  const kernelFixed = parseKernelCmdline(cmd).nokaslr;
  if (kernelFixed) {
    const start = BigInt(profile.kernelImage.textPhys);
    const size = BigInt(profile.kernelImage.endOffset);
    if (!mappedAll(table, start, start + size, E820_TYPE.RAM)) {
      log.push(profile.e820.kernelNotRamWarning);
      log.push(formatRemoveLine(start, size, null, known));
      table = e820RangeRemove(table, start, size, null);
      table = e820RangeAdd(table, start, size, E820_TYPE.RAM);
    }
  }

  // trim_bios_range() (arch/x86/kernel/setup.c): page 0 is BIOS-owned; 640K–1M is not RAM.
  log.push(formatUpdateLine(0n, PAGE, E820_TYPE.RAM, E820_TYPE.RESERVED, known));
  table = e820RangeUpdate(table, 0n, PAGE, E820_TYPE.RAM, E820_TYPE.RESERVED);
  log.push(formatRemoveLine(BIOS_BEGIN, BIOS_END - BIOS_BEGIN, E820_TYPE.RAM, known));
  table = sanitizeE820(e820RangeRemove(table, BIOS_BEGIN, BIOS_END - BIOS_BEGIN, E820_TYPE.RAM));

  table = sanitizeE820(table);
  return {
    firmware,
    kernel: table,
    setupData,
    userDefined: mem.userdef,
    log,
    notes,
    kernelFixed,
    cmdline: cmd,
  };
}
