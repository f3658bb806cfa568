/**
 * e820 type numbers: the ABI shared by firmware, the x86 boot code and every
 * kernel profile (3.10 include/uapi/asm/e820.h; 6.x
 * arch/x86/include/asm/e820/types.h). Names and parsing live in
 * src/firmware/e820-types.ts; this file sits at the bottom layer so profiles
 * can name types without importing the firmware layer.
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
