/**
 * struct swsusp_header (kernel/power/swap.c): the last bytes of the resume
 * page (page 0 of a swap partition), written over the tail of the mkswap
 * header by mark_swapfiles() and restored by swsusp_check()/swsusp_unmark().
 *
 * Byte layout (little endian; x86-64; offsets within the 4096-byte page):
 *
 *   field        3.10 (U310, RHEL7)   6.x (U618)
 *   reserved[]   0 .. 4059            0 .. 4055    untouched mkswap page bytes
 *   u32 hw_sig   -                    4056         ACPI FACS signature (SF_HW_SIG)
 *   u32 crc32    4060                 4060         crc32_le of the stream (SF_CRC32_MODE)
 *   u64 image    4064                 4064         swap page of the first swap_map_page
 *   u32 flags    4072                 4072         SF_* below
 *   orig_sig[10] 4076                 4076         swap magic saved by mark_swapfiles()
 *   sig[10]      4086                 4086         "S1SUSPEND\0" while an image is present
 *
 * Every field but hw_sig is at the same offset in both layouts, so reading
 * needs the layout only to know whether 4056 is hw_sig or mkswap bytes.
 */
import { FormatError } from '../../errors.js';
import type { ImageFormatEra } from './format-era.js';
import { SWAP_SIG_V0, SWAP_SIG_V2 } from './mkswap-header.js';
import { ascii, PAGE_SIZE, putAscii, setU64n, u64n, view } from './page.js';

/** SF_* flags, kernel/power/power.h. */
export const SF = {
  PLATFORM_MODE: 1,
  NOCOMPRESS_MODE: 2,
  CRC32_MODE: 4,
  /** 5.17+ */
  HW_SIG: 8,
  /** 6.9+; absent bit = LZO (SF_COMPRESSION_ALG_LZO is 0). */
  COMPRESSION_ALG_LZ4: 16,
} as const;

const FLAG_NAMES: [number, string][] = [
  [SF.PLATFORM_MODE, 'SF_PLATFORM_MODE'],
  [SF.NOCOMPRESS_MODE, 'SF_NOCOMPRESS_MODE'],
  [SF.CRC32_MODE, 'SF_CRC32_MODE'],
  [SF.HW_SIG, 'SF_HW_SIG'],
  [SF.COMPRESSION_ALG_LZ4, 'SF_COMPRESSION_ALG_LZ4'],
];

/** HIBERNATE_SIG, compared over 10 bytes (the NUL is part of it). */
export const HIBERNATE_SIG = 'S1SUSPEND\0';

export const HDR = {
  hwSig: 4056,
  crc32: 4060,
  image: 4064,
  flags: 4072,
  origSig: 4076,
  sig: 4086,
} as const;

export interface SwsuspHeader {
  /** Value at 4056 when read with the 6.x layout; null for the 3.10 layout. */
  hwSig: number | null;
  crc32: number;
  image: number;
  flags: number;
  origSig: string;
  sig: string;
}

/** Names of the set flags, plus `SF_UNKNOWN_0x..` for bits the kernel never defined. */
export function flagNames(flags: number): string[] {
  const out: string[] = [];
  let known = 0;
  for (const [bit, name] of FLAG_NAMES) {
    known |= bit;
    if (flags & bit) out.push(name);
  }
  const rest = (flags & ~known) >>> 0;
  if (rest) out.push(`SF_UNKNOWN_0x${rest.toString(16)}`);
  return out;
}

export function decodeSwsuspHeader(page: Uint8Array, layout: ImageFormatEra = '6.x'): SwsuspHeader {
  if (page.length < PAGE_SIZE) {
    throw new FormatError(
      'SWSUSP_HEADER_SHORT',
      `resume page is ${page.length} bytes, expected ${PAGE_SIZE}`,
      {
        offset: page.length,
      },
    );
  }
  const dv = view(page);
  const image = u64n(dv, HDR.image);
  return {
    hwSig: layout !== '3.10' ? dv.getUint32(HDR.hwSig, true) : null,
    crc32: dv.getUint32(HDR.crc32, true),
    image: Number.isNaN(image) ? Number.POSITIVE_INFINITY : image,
    flags: dv.getUint32(HDR.flags, true),
    origSig: ascii(page, HDR.origSig, 10),
    sig: ascii(page, HDR.sig, 10),
  };
}

export function isSwapSignature(sig: string): boolean {
  return sig === SWAP_SIG_V2 || sig === SWAP_SIG_V0;
}

/**
 * mark_swapfiles() (kernel/power/swap.c): accept the page only if it carries a
 * swap magic, then orig_sig ← sig, sig ← S1SUSPEND, image, flags, crc32 (only
 * with SF_CRC32_MODE) and, in 6.x, hw_sig (with SF_HW_SIG when non-zero).
 * Modifies `page` in place.
 */
export function markSwapfiles(
  page: Uint8Array,
  layout: ImageFormatEra,
  fields: { image: number; flags: number; crc32: number; hwSig?: number },
): void {
  const dv = view(page);
  const sig = ascii(page, HDR.sig, 10);
  if (!isSwapSignature(sig)) {
    // "PM: Swap header not found!" and -ENODEV in the kernel.
    throw new FormatError(
      'SWAP_HEADER_NOT_FOUND',
      `swap header not found: signature at 0x${HDR.sig.toString(16)} is ${JSON.stringify(sig)}, expected "${SWAP_SIG_V2}" or "${SWAP_SIG_V0}"`,
      { offset: HDR.sig },
    );
  }
  let flags = fields.flags;
  page.copyWithin(HDR.origSig, HDR.sig, HDR.sig + 10);
  putAscii(page, HDR.sig, 10, HIBERNATE_SIG);
  setU64n(dv, HDR.image, fields.image);
  if (layout !== '3.10' && fields.hwSig) {
    dv.setUint32(HDR.hwSig, fields.hwSig >>> 0, true);
    flags |= SF.HW_SIG;
  }
  dv.setUint32(HDR.flags, flags >>> 0, true);
  if (flags & SF.CRC32_MODE) dv.setUint32(HDR.crc32, fields.crc32 >>> 0, true);
}
