/**
 * Plan mode: the engine's decisions without page contents, compression or
 * I/O. The two boots, swsusp_save()'s saveable/zero decisions, the restore
 * side's get_buffer()/PBE assignment, every check and where a store faults
 * run as in a full run (the same code); only the steps that need page bytes
 * are swapped for the strategies of this directory:
 *
 *   full run                           plan mode
 *   writeImage() (compress, CRC, I/O)  planWriteImage(): counts, the same lines, size estimated
 *   swap device, ImageReader           PlannedImage: page 0 and the header page as real
 *                                      bytes, meta pages packed on demand, data pages as
 *                                      references to the hibernated kernel's copy frames
 *   ImagePageStore (bytes)             PlanPageStore: a loaded page takes its copy frame's
 *                                      content descriptor (same page walks, same faults)
 *   verifyRestore() (digests)          planVerify(): descriptors compared, bytes only for
 *                                      materialised / kernel-data frames
 */
import type { Machine } from '../../machine/boot.js';
import type { ContentMap } from '../../workload/content-map.js';
import type { PfnRuns } from '../image/pfn-runs.js';
import type { WriteImageOptions, WriteImageResult } from '../image/writer.js';
import type { MemoryBitmap } from '../snapshot/bitmap.js';

/** What swsusp_save() left for swsusp_write(): the pfn list and the copy frames, not bytes. */
export interface PlannedSave {
  machine: Machine;
  content: ContentMap;
  /** copy_bm: frame i holds the i-th non-zero page of `list`. */
  copy: MemoryBitmap;
  list: PfnRuns;
}

/** hibernate()'s image writer in plan mode (HibernateOptions.planWriter). */
export type PlanImageWriter = (save: PlannedSave, opts: WriteImageOptions) => Promise<WriteImageResult>;
