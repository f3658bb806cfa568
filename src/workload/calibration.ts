/**
 * Content levels calibrated on the real images of the kernel-images fixtures.
 *
 * Measured with hiblab's own image reader and LZO1X-1 over 32-page chunks of
 * same-class pages (classes by pfn: the hogmem pages of pfnmap.txt, the
 * kernel image [_text, _end), everything else), zero pages excluded:
 *
 *   image              class         pages   LZO bytes/page
 *   612-lzo (stock)    pattern       16384      62
 *                      kernel image   8813    2075
 *                      other          5398     911
 *   tiny612-lzo        pattern       16384      62
 *                      kernel image   1860    1232
 *                      other          3663    1107
 *
 * A calibrated page of level L (ContentKind.CALIBRATED + L) compresses to
 * ≈ 129 + 72.3·L bytes with LZO1X-1 (test/workload/calibration.test.ts
 * measures it), so each class gets the level nearest its measurement. The
 * test pattern is generated exactly (ContentKind.PATTERN: 62 bytes/page).
 */
import type { KernelProfile } from '../profiles/types.js';

export interface ContentCalibration {
  /** Level of kernel text/data pages (the kernel image [_text, _end)). */
  readonly kernel: number;
  /** Level of page cache / slab / other kernel-allocated pages. */
  readonly pagecache: number;
}

/** Stock distribution kernels (612-lzo): 2075 and 911 bytes/page. */
export const STOCK_CALIBRATION: ContentCalibration = { kernel: 27, pagecache: 11 };
/** The tinyconfig kernels (tiny612-lzo): 1232 and 1107 bytes/page. */
export const TINY_CALIBRATION: ContentCalibration = { kernel: 15, pagecache: 14 };

/** The calibration of the booted build (builds without measurements use the stock one). */
export function contentCalibration(profile: KernelProfile): ContentCalibration {
  return profile.build.calibration === 'tiny' ? TINY_CALIBRATION : STOCK_CALIBRATION;
}
