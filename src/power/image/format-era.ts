/**
 * The two generations of the on-disk swsusp format that hiblab writes and
 * reads. Everything in which linux-3.10 and 6.x differ *inside the image
 * code* is a field of this table, so the writer and reader never test a
 * kernel version themselves. A kernel profile names its era
 * (`KernelProfile.swsusp.imageFormat`).
 *
 * Sources: kernel/power/swap.c and include/linux/lzo.h of 3.10 and 6.x
 * (see the reference digest §1.2, §1.6, §1.9).
 */
import { bytesWorst6x, lzoWorst310 } from '../compress/compressor.js';

export type ImageFormatEra = '3.10' | '6.1' | '6.x';

export interface FormatEraRules {
  readonly era: ImageFormatEra;
  /** struct swsusp_header has `u32 hw_sig` at 4056 (6.x only). */
  readonly hasHwSig: boolean;
  /** Worst-case compressed size of `n` bytes the loader accepts for cmp_len. */
  worstCompress(n: number): number;
  /** Whether the compressor name appears in "Using %u thread(s) for %s compression". */
  readonly namesCompressor: boolean;
  /** 3.10 ends some lines with '.', 6.x does not. */
  readonly doneDot: string;
  /** Prefix of swsusp_show_speed(): 3.10 "PM: ", 6.x "PM: hibernation: " (pr_fmt of hibernate.c). */
  readonly speedPrefix: string;
  /** swap_writer_finish(): 6.x calls mark_swapfiles() before flushing the last map page, 3.10 after. */
  readonly markBeforeFlush: boolean;
  /** The format can carry ENCODED_PFN_ZERO_FLAG pfns (6.6+). */
  readonly zeroPageFlag: boolean;
  /** SF_COMPRESSION_ALG_LZ4 exists (6.9+). */
  readonly lz4: boolean;
}

export const FORMAT_ERAS: Readonly<Record<ImageFormatEra, FormatEraRules>> = {
  '3.10': {
    era: '3.10',
    hasHwSig: false,
    worstCompress: lzoWorst310,
    namesCompressor: false,
    doneDot: '.',
    speedPrefix: 'PM: ',
    markBeforeFlush: false,
    zeroPageFlag: false,
    lz4: false,
  },
  // 6.1: the 6.x header (hw_sig, CRC32 record) before zero pages (6.6), LZ4 (6.9)
  // and the compressor name in the thread line; "Image saving done" before "Wrote".
  '6.1': {
    era: '6.1',
    hasHwSig: true,
    worstCompress: bytesWorst6x,
    namesCompressor: false,
    doneDot: '',
    speedPrefix: 'PM: hibernation: ',
    markBeforeFlush: true,
    zeroPageFlag: false,
    lz4: false,
  },
  '6.x': {
    era: '6.x',
    hasHwSig: true,
    worstCompress: bytesWorst6x,
    namesCompressor: true,
    doneDot: '',
    speedPrefix: 'PM: hibernation: ',
    markBeforeFlush: true,
    zeroPageFlag: true,
    lz4: true,
  },
};
