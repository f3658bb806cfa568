/**
 * A scenario: two boots of one machine (the one that hibernates and the one
 * that resumes), what is in memory, how the image is written, injected faults
 * and the expected outcome. Written as YAML (docs/scenario.schema.json,
 * docs/scenarios.md), read by loadScenario(), which validates every field and
 * fills the defaults documented here, so consumers never see a missing default.
 */

export type Outcome = 'resumed' | 'refused' | 'oops' | 'silent-corruption' | 'hibernate-failed';

export const OUTCOMES: readonly Outcome[] = [
  'resumed',
  'refused',
  'oops',
  'silent-corruption',
  'hibernate-failed',
];

/** Where a boot's e820 table comes from. Exactly one of `file` / `inline`. */
export interface E820Source {
  /**
   * Path relative to the scenario file, or `data:<path>` for a file shipped
   * with hiblab under data/ (e.g. `data:e820/seed-000-suspend.txt`).
   */
  file?: string;
  /** Boot index within that file or inline text (parseE820 order); default 0. */
  boot?: number;
  /** dmesg / journal text pasted into the YAML. */
  inline?: string;
}

/**
 * 'off' = nokaslr (the profile's fixed bases); `{seed}` = bases drawn like
 * kernel_randomize_memory(); explicit bases (0x hex strings, e.g. read from a
 * crash dump). After loading, a boot's `kaslr` is always set.
 */
export type KaslrSpec =
  | 'off'
  | { seed: number }
  | { pageOffsetBase: string; vmemmapBase: string; vmallocBase?: string };

export {
  type ContentWeights,
  DEFAULT_CONTENTS,
  WORKLOAD_KINDS,
  WORKLOAD_PLACEMENTS,
  WORKLOAD_ZONES,
  type WorkloadGroup,
  type WorkloadKind,
  type WorkloadPlacement,
  type WorkloadSpec,
  type WorkloadZone,
} from '../workload/types.js';

import type { WorkloadSpec } from '../workload/types.js';

export type ResumeVia = 'initcall' | 'sysfs';

export interface BootSpec {
  e820: E820Source;
  /** Kernel profile id; default (and always set after loading): scenario.profile. */
  profile?: string;
  /** memmap=, mem=, nokaslr, hibernate=nocompress, hibernate.compressor=, resume=, resume_offset= */
  cmdline?: string;
  /** Default: 'off' with `nokaslr` on the cmdline or a profile without memory KASLR, else a seed derived from scenario.seed. */
  kaslr?: KaslrSpec;
  /** Suspend boot: what is in memory at hibernation; resume boot: the boot kernel's own use (e.g. dracut). */
  workload?: WorkloadSpec;
  /** Resume boot only (default {via: 'initcall'}); seed 000: sysfs from "dracut-pre-moun", PID 318. */
  resumeTrigger?: { via: ResumeVia; process?: string; pid?: number };
}

export type Compressor = 'lzo' | 'lz4' | 'none';

export interface HibernateSpec {
  /** Default from the suspend cmdline (hibernate=nocompress, hibernate.compressor=) else 'lzo'. Always set after loading. */
  compressor?: Compressor;
  /** Compression threads (6.x hibernate.compression_threads / 3.10 nr_cpus based). */
  threads?: number;
  /** Online CPUs of the suspend boot. */
  cpus?: number;
  /** /sys/power/image_size; after loading always a byte count (number) when given. */
  imageSize?: string | number;
  /** /sys/power/disk = platform (SF_PLATFORM_MODE); default false. */
  platformMode?: boolean;
}

export interface FaultSpec {
  /** seed 001: CPA split allocation fails while saving a not-present page. */
  cpaSplitFails?: boolean;
  /** seed 001: the "use fixmap for saving unmapped pages" patch. */
  fixmapSave?: boolean;
  /** Pages made not-present in the direct map before hibernation (pages default 1, huge default false). */
  unmapPagesAtSave?: { pfn: number; pages?: number; huge?: boolean }[];
  /** seed 003: restore without set_up_temporary_mappings (pre-2.6.14 style). */
  noTempPageTables?: boolean;
}

export interface ExpectSpec {
  outcome: Outcome;
  /** Substrings that must appear in the run's kernel log. */
  contains?: string[];
}

export interface Scenario {
  name: string;
  description?: string;
  /** Master seed (KASLR, workload, swap uuid); default 0. */
  seed: number;
  /** Default kernel profile id. */
  profile: string;
  suspend: BootSpec;
  resume: BootSpec;
  hibernate?: HibernateSpec;
  faults?: FaultSpec;
  expect?: ExpectSpec;
  /** where the scenario came from, for messages */
  source?: { file?: string; builtin?: string };
}
