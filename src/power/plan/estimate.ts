/**
 * The compressed size of an image in plan mode, estimated from what each
 * page is (its content descriptor) instead of compressing it.
 *
 * Source of the table: hiblab's own LZO1X-1 and LZ4 codecs
 * (src/power/compress/) over 24 chunks of 32 generated pages of one kind
 * each (the writer's chunk size, CMP_HEADER excluded), bytes per page
 * rounded; test/power/plan-estimate.test.ts re-measures every entry.
 * Frames that are not generated — page tables, bitmaps, kernel data such
 * as struct pages — get one flat figure (KERNEL_OBJECT_BYTES) (a bitmap
 * page that was never written is not materialised and counts as a zero
 * page), and meta
 * pages another (META_PAGE_BYTES), both measured the same way on the
 * builtins' images (seed-000: 16530 such frames, 286 / 330 bytes with
 * LZO / LZ4; seed-000-6.12: 347 / 375; qemu-384m-to-512m: 213 / 232;
 * their meta pages 1528–1662 / 2034–2173). The estimate is the sum over
 * the image's stream pages; test/engine/plan.test.ts holds it within 20%
 * of the real compressed size on the builtins.
 */
import { ContentKind } from '../../workload/content.js';
import type { CompressorName } from '../compress/compressor.js';

/** Bytes per page for kinds 0..6 then CALIBRATED + 0..64 (index 7 + L). */
const LZO = [
  16, 16, 1461, 1929, 4112, 1905, 65, 129, 202, 274, 348, 420, 493, 567, 639, 712, 785, 857, 930, 1003, 1074,
  1146, 1218, 1290, 1362, 1433, 1504, 1574, 1645, 1717, 1787, 1855, 1926, 1995, 2065, 2135, 2202, 2270, 2338,
  2406, 2472, 2540, 2605, 2672, 2735, 2798, 2861, 2925, 2986, 3046, 3109, 3170, 3229, 3289, 3346, 3407, 3467,
  3520, 3583, 3642, 3700, 3756, 3811, 3876, 3929, 3989, 4050, 4083, 4104, 4110, 4112, 4112,
];
const LZ4 = [
  16, 16, 1573, 2389, 4112, 2314, 47, 67, 157, 230, 304, 380, 456, 533, 609, 687, 763, 838, 915, 988, 1063,
  1139, 1215, 1288, 1364, 1436, 1508, 1581, 1652, 1725, 1794, 1866, 1934, 2004, 2075, 2143, 2213, 2280, 2345,
  2413, 2478, 2542, 2608, 2672, 2736, 2798, 2859, 2918, 2979, 3038, 3096, 3155, 3211, 3269, 3325, 3380, 3436,
  3487, 3543, 3594, 3645, 3698, 3748, 3799, 3847, 3898, 3950, 3999, 4051, 4096, 4110, 4112,
];

/** A page that is not generated from a descriptor (kernel objects, page tables, bitmaps). */
export const KERNEL_OBJECT_BYTES: Readonly<Record<CompressorName, number>> = { lzo: 300, lz4: 340 };
/** A meta page (512 ascending u64 pfns). */
export const META_PAGE_BYTES: Readonly<Record<CompressorName, number>> = { lzo: 1580, lz4: 2090 };

/**
 * Estimated compressed bytes of one non-materialised page of content kind
 * `kind` (NONE reads as zeros; KDATA is a kernel object).
 */
export function estimatedPageBytes(codec: CompressorName, kind: number): number {
  const t = codec === 'lz4' ? LZ4 : LZO;
  if (kind >= ContentKind.CALIBRATED) return t[7 + kind - ContentKind.CALIBRATED] ?? t[t.length - 1]!;
  if (kind === ContentKind.KDATA) return KERNEL_OBJECT_BYTES[codec];
  return t[kind] ?? KERNEL_OBJECT_BYTES[codec];
}

/** The table's kinds, for the test that re-measures it. */
export function estimatedKinds(): number[] {
  const ks: number[] = [ContentKind.ZERO, ContentKind.TEXT, ContentKind.POINTER, ContentKind.RANDOM];
  ks.push(ContentKind.KERNEL, ContentKind.PATTERN);
  for (let l = 0; l <= 64; l++) ks.push(ContentKind.CALIBRATED + l);
  return ks;
}
