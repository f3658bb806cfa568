/**
 * e820 entry types and the kernel's spelling of each.
 *
 * Values: 3.10 include/uapi/asm/e820.h (RAM 1, RESERVED 2, ACPI 3, NVS 4,
 * UNUSABLE 5, RESERVED_KERN 128; RHEL 7 adds PMEM 7, PRAM 12) and 6.x
 * arch/x86/include/asm/e820/types.h (adds SOFT_RESERVED 0xefffffff, drops
 * RESERVED_KERN). Names: e820_type_to_string() / e820_print_type().
 */

export const E820_TYPE = {
  RAM: 1,
  RESERVED: 2,
  ACPI: 3,
  NVS: 4,
  UNUSABLE: 5,
  PMEM: 7,
  PRAM: 12,
  /** EFI_MEMORY_SP "specific purpose" memory (6.x). */
  SOFT_RESERVED: 0xefffffff,
  /** Kernel-internal (3.10 … 6.9): setup_data ranges carved out of RAM. Printed "usable". */
  RESERVED_KERN: 128,
} as const;

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
