/** Bounds on what an e820 input may claim, so hostile files cannot exhaust memory. */

/** Largest input file accepted (bytes). */
export const E820_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Most table entries accepted from one input (all boots together). */
export const E820_MAX_ENTRIES = 100_000;

/** 2^64: where the 64-bit physical address space ends. */
export const E820_ADDR_LIMIT = 1n << 64n;

/**
 * The one u64 rule every e820 parser applies (binary, JSON, log text, /proc/iomem):
 * an entry [addr, addr + size) must end at or below 2^64, i.e. its inclusive end
 * is a u64 the kernel can print as "[mem 0x…-0xffffffffffffffff]". Text forms
 * cannot write more than 16 hex digits, so only the binary and JSON forms can
 * break it. (sanitize_e820_map() / e820__update_table() bail out on a table with
 * such an entry: "if (addr + size < addr) return -1".)
 */
export function e820RangeFits(addr: bigint, size: bigint): boolean {
  return addr >= 0n && size >= 0n && addr + size <= E820_ADDR_LIMIT;
}
