/**
 * What a workload is: groups of pages of one kind (anon, page cache, slab,
 * kernel), where they may live and what their contents look like. The
 * scenario format (src/scenario/types.ts) embeds these; the placer and the
 * content generator consume them.
 */

export type WorkloadKind = 'anon' | 'pagecache' | 'slab' | 'kernel';
export type WorkloadZone = 'DMA' | 'DMA32' | 'Normal' | 'any';
export type WorkloadPlacement = 'compact' | 'scattered';

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['anon', 'pagecache', 'slab', 'kernel'];
export const WORKLOAD_ZONES: readonly WorkloadZone[] = ['DMA', 'DMA32', 'Normal', 'any'];
export const WORKLOAD_PLACEMENTS: readonly WorkloadPlacement[] = ['compact', 'scattered'];

/** Relative weights of generated page contents (need not sum to 1). */
export interface ContentWeights {
  zero?: number;
  text?: number;
  pointer?: number;
  random?: number;
  /**
   * Calibrated on the real kernel-images fixtures (src/workload/calibration.ts):
   * the hogmem test pattern, kernel text/data, page cache / slab as the
   * booted build's real images compress (LZO bytes per page).
   */
  pattern?: number;
  kernel?: number;
  pagecache?: number;
}

/** The generic weights every group has after loading. */
export type BasicContentWeights = Required<Pick<ContentWeights, 'zero' | 'text' | 'pointer' | 'random'>>;

export interface WorkloadGroup {
  kind: WorkloadKind;
  /** Exact page count (after loading: always set, from `size` if that was given; 0 for an unsized fill group). */
  pages?: number;
  /** "800M", "2G" (memparse, bytes); kept as written, `pages` = ceil(bytes / 4096). */
  size?: string;
  /** Highest zone allowed (zonelist fallback below it), default 'any'. */
  zone?: WorkloadZone;
  /** Default 'scattered'. */
  placement?: WorkloadPlacement;
  /** Content weights; default depends on `kind` (see DEFAULT_CONTENTS). */
  contents?: ContentWeights;
  /** This group is resized so that the hibernating kernel's nr_copy_pages equals workload.targetCopyPages. */
  fill?: boolean;
  /** Optional label for reports. */
  name?: string;
  /**
   * Exact frames this group occupies: pfn ranges "0xSTART-0xEND" (inclusive) or
   * single pfns "0xPFN". Every RAM frame of the pin must be free at boot (else a
   * WORKLOAD_FRAME_BUSY error names the frame and its owner); holes and firmware
   * ranges inside a range are skipped. Use it to
   * pin memory where a real system had it (seed 000: pfn 0xbe142 was saved).
   */
  frames?: { start: number; end: number }[];
}

export interface WorkloadSpec {
  /** Workload PRNG seed; default derived from the scenario seed and the boot. */
  seed?: number;
  groups: WorkloadGroup[];
  /** nr_copy_pages the hibernating kernel must reach (needs exactly one `fill` group). */
  targetCopyPages?: number;
  /** Fraction 0…1 of the groups' pages freed and allocated again before hibernation (fragments the free lists); default 0. */
  churn?: number;
}

/** Default content weights per workload kind (used when a group gives no `contents`). */
export const DEFAULT_CONTENTS: Readonly<Record<WorkloadKind, Readonly<BasicContentWeights>>> = {
  // Process memory: many zero-filled (untouched heap/stack) pages, pointers, some data.
  anon: { zero: 2, text: 2, pointer: 3, random: 3 },
  // File contents: mostly text-like data, some binary.
  pagecache: { zero: 1, text: 6, pointer: 0, random: 3 },
  // Kernel objects: pointer-dense.
  slab: { zero: 1, text: 1, pointer: 7, random: 1 },
  // Kernel text/data, page tables, per-cpu areas.
  kernel: { zero: 2, text: 2, pointer: 4, random: 2 },
};
