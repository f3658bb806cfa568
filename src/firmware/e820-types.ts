/**
 * e820 entry types and the kernel's spelling of each.
 *
 * Values: 3.10 include/uapi/asm/e820.h (RAM 1, RESERVED 2, ACPI 3, NVS 4,
 * UNUSABLE 5, RESERVED_KERN 128; RHEL 7 adds PMEM 7, PRAM 12) and 6.x
 * arch/x86/include/asm/e820/types.h (adds SOFT_RESERVED 0xefffffff, drops
 * RESERVED_KERN). Names: e820_type_to_string() / e820_print_type().
 */

export { E820_TYPE } from '../lib/e820-abi.js';

import { E820_TYPE } from '../lib/e820-abi.js';

export type E820TypeValue = number;

/** One e820 entry. Addresses are u64 in the kernel, so bigint here. `size` > 0. */
export interface E820Entry {
  readonly addr: bigint;
  readonly size: bigint;
  readonly type: E820TypeValue;
}

/** Inclusive end address, as the kernel prints it. */
export function e820End(e: E820Entry): bigint {
  return e.addr + e.size - 1n;
}

/**
 * The kernel's printed name of a type (e820_print_type, 6.x spelling).
 * `persistent (type 12)` and `type N` follow the kernel's format strings.
 */
export function e820TypeName(type: E820TypeValue): string {
  switch (type) {
    case E820_TYPE.RAM:
    case E820_TYPE.RESERVED_KERN:
      return 'usable';
    case E820_TYPE.RESERVED:
      return 'reserved';
    case E820_TYPE.SOFT_RESERVED:
      return 'soft reserved';
    case E820_TYPE.ACPI:
      return 'ACPI data';
    case E820_TYPE.NVS:
      return 'ACPI NVS';
    case E820_TYPE.UNUSABLE:
      return 'unusable';
    case E820_TYPE.PMEM:
    case E820_TYPE.PRAM:
      return `persistent (type ${type})`;
    default:
      return `type ${type}`;
  }
}

/** Is this type memory the kernel puts in memblock.memory / maps (RAM or RESERVED_KERN)? */
export function isRamLike(type: E820TypeValue): boolean {
  return type === E820_TYPE.RAM || type === E820_TYPE.RESERVED_KERN;
}

/**
 * Type by the kernel's printed name for this profile: e820_print_type() of 3.10
 * knows only 1–5 (+128 printed "usable", RHEL 7 adds 7/12); everything else is
 * "type N". `knownTypes` comes from the kernel profile.
 */
export function e820TypeNameFor(type: E820TypeValue, knownTypes?: readonly number[]): string {
  if (knownTypes && !knownTypes.includes(type)) return `type ${type}`;
  return e820TypeName(type);
}

/** A kernel edit of e820_table seen in a log (`e820: update …` / `e820: remove …`). */
export interface E820Edit {
  readonly kind: 'update' | 'remove';
  readonly addr: bigint;
  /** Bytes (the log prints an inclusive end; size = end + 1 - addr). */
  readonly size: bigint;
  /**
   * update: the old type; remove: the checked type, or null when the kernel
   * removed regardless of type (e820__range_remove(…, check_type = false)).
   */
  readonly fromType: E820TypeValue | null;
  /** update only: the new type. */
  readonly toType?: E820TypeValue;
  /** 1-based line in the input. */
  readonly line?: number;
}

/** A contiguous range of pages that has a different type on side b. `null` type = hole. */
export interface E820PageChange {
  readonly startPfn: bigint;
  /** Exclusive. */
  readonly endPfn: bigint;
  readonly pages: bigint;
  readonly from: E820TypeValue | null;
  readonly to: E820TypeValue | null;
}

export interface E820Diff {
  readonly identical: boolean;
  /** Entries present (same addr, size, type) only in b. */
  readonly added: E820Entry[];
  /** Entries present only in a. */
  readonly removed: E820Entry[];
  /** Entries with the same start address whose size or type changed. */
  readonly changed: { readonly a: E820Entry; readonly b: E820Entry }[];
  /** Page-granular type changes (a page's type = type covering its first byte…, see diffE820). */
  readonly pages: E820PageChange[];
  /** Pages fully covered by RAM (E820_RAM / RESERVED_KERN) on each side. */
  readonly ramPagesA: bigint;
  readonly ramPagesB: bigint;
  /** compute_e820_crc32() of each table. */
  readonly crcA: number;
  readonly crcB: number;
  /** A 6.x kernel (5.13+) would refuse the resume: "Hibernate inconsistent memory map detected!". */
  readonly crcDiffers: boolean;
}

/** Where a parsed table came from (see parseE820). */
export type E820Source = 'dmesg' | 'iomem' | 'qemu-etc-e820' | 'json';

/** One boot's e820 information as read from an input file. */
export interface ParsedE820 {
  source: E820Source;
  /** 0-based index of the boot within the file (logs split at "Linux version"). */
  bootIndex: number;
  /**
   * Which kind of lines the table came from: 'BIOS-e820' (either print format) | 'Xen' |
   * 'user' | 'reserve setup_data' | 'extended' | 'iomem' | 'binary' | 'json'.
   */
  origin: string;
  /** The firmware table (e820_table_firmware: as received, sanitized), rebuilt where needed. */
  entries: E820Entry[];
  /** setup_data ranges known from the input. */
  setupData: { addr: bigint; size: bigint }[];
  /** `e820: update`/`e820: remove` edits seen in the log (kernel edits, NOT in the firmware table). */
  logEdits: E820Edit[];
  /** The kernel command line of that boot if the log has one ("Command line: …"). */
  cmdline?: string;
  /** 1-based line of the first table line (for messages). */
  line?: number;
  /** False when only a fragment was found (the table does not start below 1 MiB). */
  complete: boolean;
  /** What the parser had to infer (rebuilt table, kernel view only, …), one sentence each. */
  notes: string[];
  /** The `user:` table (e820_table after memmap=/mem=) when the log printed one. */
  userTable?: E820Entry[];
}
