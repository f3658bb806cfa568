/**
 * The e820 checksum a 5.13+ kernel stores in the hibernation image header.
 *
 * Byte layout hashed (mirrors compute_e820_crc32() in arch/x86/power/hibernate.c, 6.x):
 *   offset 0   u32 nr_entries (LE)          — struct e820_table.nr_entries
 *   offset 4   nr_entries × 20 bytes, packed (struct e820_entry is __packed):
 *                +0  u64 addr (LE)
 *                +8  u64 size (LE)
 *                +16 u32 type (LE)
 * CRC = ~crc32_le(~0, bytes) = zlib crc32 of those 4 + 20·n bytes.
 * The table is e820_table_firmware (sanitized, before memmap=/mem= edits).
 */
import { crc32 } from '../lib/crc32.js';
import type { E820Entry } from './e820-types.js';

export const E820_ENTRY_BYTES = 20;

/** Pack entries as the kernel lays out struct e820_table (nr_entries + packed entries). */
export function packE820Table(entries: readonly E820Entry[]): Uint8Array {
  const bytes = new Uint8Array(4 + E820_ENTRY_BYTES * entries.length);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    const o = 4 + i * E820_ENTRY_BYTES;
    dv.setBigUint64(o, BigInt.asUintN(64, e.addr), true);
    dv.setBigUint64(o + 8, BigInt.asUintN(64, e.size), true);
    dv.setUint32(o + 16, e.type >>> 0, true);
  });
  return bytes;
}

/** compute_e820_crc32(e820_table_firmware) of arch/x86/power/hibernate.c (5.13+). */
export function e820Crc32(entries: readonly E820Entry[]): number {
  return crc32(packE820Table(entries));
}
