/**
 * QEMU's fw_cfg file `etc/e820` (hw/i386/e820_memory_layout.h):
 *   repeated 20-byte little-endian records, no header, no padding
 *     +0  u64 address
 *     +8  u64 length
 *     +16 u32 type   (E820_RAM 1, E820_RESERVED 2, …)
 * File size is a multiple of 20. This is what the firmware (SeaBIOS/OVMF)
 * starts from; the firmware adds its own reserved ranges before the kernel
 * sees the map, so the CRC of this table is not the guest's e820 CRC.
 */
import { FormatError } from '../errors.js';
import { E820_MAX_ENTRIES, e820RangeFits } from './e820-limits.js';
import { sanitizeE820 } from './e820-table.js';
import type { E820Entry, ParsedE820 } from './e820-types.js';

export const QEMU_E820_RECORD = 20;

/** Every record plausible (non-zero type and length, no u64 overflow)? */
export function looksLikeQemuE820(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length % QEMU_E820_RECORD !== 0) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o < bytes.length; o += QEMU_E820_RECORD) {
    const addr = dv.getBigUint64(o, true);
    const len = dv.getBigUint64(o + 8, true);
    const type = dv.getUint32(o + 16, true);
    if (type === 0 || len === 0n || !e820RangeFits(addr, len)) return false;
  }
  return true;
}

export function parseQemuE820(bytes: Uint8Array, file: string): ParsedE820[] {
  if (bytes.length % QEMU_E820_RECORD !== 0) {
    throw new FormatError(
      'E820_BAD_BINARY',
      `size ${bytes.length} is not a multiple of 20 (QEMU etc/e820 records)`,
      {
        file,
        offset: bytes.length - (bytes.length % QEMU_E820_RECORD),
      },
    );
  }
  const n = bytes.length / QEMU_E820_RECORD;
  if (n > E820_MAX_ENTRIES)
    throw new FormatError('E820_TOO_MANY_ENTRIES', `${n} records (limit ${E820_MAX_ENTRIES})`, { file });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: E820Entry[] = [];
  for (let o = 0; o < bytes.length; o += QEMU_E820_RECORD) {
    const addr = dv.getBigUint64(o, true);
    const size = dv.getBigUint64(o + 8, true);
    const type = dv.getUint32(o + 16, true);
    if (type === 0)
      throw new FormatError('E820_BAD_BINARY', 'record type 0: expected a non-zero e820 type', {
        file,
        offset: o + 16,
      });
    if (!e820RangeFits(addr, size))
      throw new FormatError('E820_BAD_BINARY', 'address + length overflows 64 bits', { file, offset: o + 8 });
    entries.push({ addr, size, type });
  }
  return [
    {
      source: 'qemu-etc-e820',
      bootIndex: 0,
      origin: 'binary',
      entries: sanitizeE820(entries),
      setupData: [],
      logEdits: [],
      complete: true,
      notes: [
        'QEMU etc/e820 is the input to the guest firmware; SeaBIOS/OVMF add reserved ranges before Linux sees the map',
      ],
    },
  ];
}
