/**
 * The mkswap header: page 0 of a swap device (union swap_header in
 * include/linux/swap.h). The swsusp header (./swsusp-header.ts) overlays the
 * tail of this same page.
 *
 * Byte layout (page 0, little endian):
 *   0x000  bootbits[1024]        untouched (room for a boot sector / disklabel)
 *   0x400  u32 version           1 for "SWAPSPACE2"
 *   0x404  u32 last_page         index of the last usable page (device pages - 1)
 *   0x408  u32 nr_badpages
 *   0x40c  u8  sws_uuid[16]
 *   0x41c  char sws_volume[16]   label, NUL padded
 *   0x42c  u32 padding[117]
 *   0x600  u32 badpages[]        nr_badpages page indices
 *   0xff6  char magic[10]        "SWAPSPACE2" (v1) or "SWAP-SPACE" (v0)
 */
import { FormatError } from '../../errors.js';
import { Prng } from '../../util/prng.js';
import { ascii, PAGE_SIZE, putAscii, view } from './page.js';

export const SWAP_SIG_V2 = 'SWAPSPACE2';
export const SWAP_SIG_V0 = 'SWAP-SPACE';
export const SWAP_MAGIC_OFFSET = PAGE_SIZE - 10;
const INFO = 0x400;
const BADPAGES = 0x600;
/** Bad-page slots that fit in the page before the magic. */
export const MAX_BADPAGES = (SWAP_MAGIC_OFFSET - BADPAGES) >>> 2;

export interface MkswapHeader {
  version: number;
  lastPage: number;
  nrBadpages: number;
  /** 32 lowercase hex digits. */
  uuid: string;
  label: string;
  badpages: number[];
}

export function decodeMkswapHeader(page: Uint8Array): MkswapHeader {
  if (page.length < PAGE_SIZE) {
    throw new FormatError(
      'SWAP_HEADER_SHORT',
      `swap header page is ${page.length} bytes, expected ${PAGE_SIZE}`,
      {
        offset: page.length,
      },
    );
  }
  const dv = view(page);
  const nrBadpages = dv.getUint32(INFO + 8, true);
  if (nrBadpages > MAX_BADPAGES) {
    throw new FormatError(
      'SWAP_BADPAGES_INVALID',
      `swap header nr_badpages is ${nrBadpages}, expected at most ${MAX_BADPAGES}`,
      { offset: INFO + 8 },
    );
  }
  const badpages: number[] = [];
  for (let i = 0; i < nrBadpages; i++) badpages.push(dv.getUint32(BADPAGES + 4 * i, true));
  let uuid = '';
  for (let i = 0; i < 16; i++) uuid += page[INFO + 12 + i]!.toString(16).padStart(2, '0');
  let label = ascii(page, INFO + 28, 16);
  const nul = label.indexOf('\0');
  if (nul >= 0) label = label.slice(0, nul);
  return {
    version: dv.getUint32(INFO, true),
    lastPage: dv.getUint32(INFO + 4, true),
    nrBadpages,
    uuid,
    label,
    badpages,
  };
}

export interface FreshSwapOptions {
  /** Device size in pages; last_page = pages - 1. */
  devicePages: number;
  label?: string;
  /** Seed for the random UUID (deterministic). */
  uuidSeed?: number | bigint | string;
}

/** A fresh `mkswap`-style page 0: version 1, last_page, label, uuid (v4 layout) from a seed. */
export function makeMkswapPage(opts: FreshSwapOptions): Uint8Array {
  if (!Number.isInteger(opts.devicePages) || opts.devicePages < 2 || opts.devicePages > 0x100000000) {
    throw new FormatError('SWAP_SIZE_INVALID', `device of ${opts.devicePages} pages, expected 2 .. 2^32`);
  }
  const page = new Uint8Array(PAGE_SIZE);
  const dv = view(page);
  dv.setUint32(INFO, 1, true);
  dv.setUint32(INFO + 4, opts.devicePages - 1, true);
  const prng = new Prng(opts.uuidSeed ?? 'hiblab-swap');
  for (let i = 0; i < 16; i++) page[INFO + 12 + i] = prng.nextU32() & 0xff;
  // RFC 4122 version 4 / variant bits, as libuuid sets them.
  page[INFO + 12 + 6] = (page[INFO + 12 + 6]! & 0x0f) | 0x40;
  page[INFO + 12 + 8] = (page[INFO + 12 + 8]! & 0x3f) | 0x80;
  putAscii(page, INFO + 28, 16, (opts.label ?? '').slice(0, 15));
  putAscii(page, SWAP_MAGIC_OFFSET, 10, SWAP_SIG_V2);
  return page;
}
