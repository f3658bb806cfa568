/** Firmware memory maps: e820 parsing, the kernel's e820 edits, the hibernation e820 CRC. */

export { crc32 } from '../lib/crc32.js';
export * from './cmdline.js';
export { E820_ENTRY_BYTES, e820Crc32, packE820Table } from './e820-checksum.js';
export { diffE820, ramPages } from './e820-diff.js';
export {
  formatE820Line,
  formatRemoveLine,
  formatUpdateLine,
  hex010,
  hex018,
  parseE820TypeName,
} from './e820-format.js';
export { buildKernelE820, type KernelE820 } from './e820-kernel.js';
export { E820_MAX_ENTRIES, E820_MAX_INPUT_BYTES } from './e820-limits.js';
export { type PickedBoot, parseE820, parseE820Boot } from './e820-parse.js';
export {
  e820RangeAdd,
  e820RangeRemove,
  e820RangeUpdate,
  sameE820,
  sanitizeE820,
  U64_MAX,
} from './e820-table.js';
export * from './e820-types.js';
