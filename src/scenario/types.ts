/**
 * A scenario: two boots of one machine (the one that hibernates and the one
 * that resumes), what is in memory, how the image is written, injected faults
 * and the expected outcome. Written as YAML (docs/scenario.schema.json,
 * docs/scenarios.md), read by loadScenario(), which validates every field and
 * fills the defaults documented here, so consumers never see a missing default.
 */

/**
 * How a run ends. The first five are the hibernate/resume verdicts; the rest
 * end HMM stories (`hmm:`, hmm-story.ts): `completed` (every step ran, every
 * CPU read saw what the process wrote), `livelock` (a CPU access kept faulting
 * into migrate_to_ram without progress), `sigbus`/`sigsegv` (a signal ended the
 * process), `data-lost` (a CPU read after the story's steps did not see what
 * the process wrote, e.g. device memory that did not survive hibernation).
 * A story with a hibernate step that resumes and reads its data back intact
 * ends `resumed`.
 */
export type Outcome = RunVerdict;

export const OUTCOMES: readonly Outcome[] = [
  'resumed',
  'refused',
  'oops',
  'silent-corruption',
  'hibernate-failed',
  'completed',
  'livelock',
  'sigbus',
  'sigsegv',
  'data-lost',
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

import { ScenarioError } from '../errors.js';
import type { RunVerdict } from '../power/events.js';
import type { WorkloadSpec } from '../workload/types.js';

export type ResumeVia = 'initcall' | 'sysfs';

export interface BootSpec {
  image?: undefined;
  e820: E820Source;
  /**
   * Kernel profile id; default (and always set after loading): scenario.profile.
   * The resume boot of an image scenario may have AUTO_PROFILE, decided when its log is read.
   */
  profile?: string;
  /** memmap=, mem=, nokaslr, hibernate=nocompress, hibernate.compressor=, resume=, resume_offset= */
  cmdline?: string;
  /**
   * Default: 'off' with `nokaslr` on the cmdline or a profile without memory KASLR, else a seed
   * derived from scenario.seed. Always set after loading, except on the resume boot of an image
   * scenario: left unset there, the run decides it from the effective command line (the
   * scenario's, else the log's own `Command line:`), as `hiblab resume` does.
   */
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

/**
 * An HMM story (issue 13, seed 002): processes with anonymous mappings on the
 * suspend boot's machine, the lib/test_hmm.c dmirror driver, and steps run in
 * order — CPU writes and reads, device migrations through the driver's ioctls,
 * /proc/PID/pagemap reads, and optionally a hibernate → resume cycle through
 * the engine (which needs the scenario's `resume` boot).
 */
export interface HmmStorySpec {
  driver: HmmDriverSpec;
  processes: HmmProcessSpec[];
  steps: HmmStep[];
}

export type HmmFreeze = 'none' | 'evict';
export type HmmDeviceMemory = 'rpage' | 'device';

export interface HmmDriverSpec {
  /**
   * pgmap_owner of dmirror_devmem_fault's migrate_vma: 'device' (the pgmap's
   * owner, as upstream) or the name of another owner token (seed 002's
   * '&dmirror_device'). Default 'device'.
   */
  faultOwner: string;
  /** pgmap_owner of migrations to the device (MIGRATE_VMA_SELECT_SYSTEM ignores it); default 'device'. */
  migrateOwner: string;
  /**
   * Where a device-private page's data lives: 'rpage' (upstream test_hmm: a
   * system page allocated per device page) or 'device' (a real device: the
   * device's own memory, lost when the machine powers off). Default 'rpage'.
   */
  deviceMemory: HmmDeviceMemory;
  /**
   * The driver's PM freeze callback: 'none' (upstream test_hmm has no
   * dev_pm_ops) or 'evict' (migrate every device page back to system RAM
   * before the image is made). Default 'none'.
   */
  freeze: HmmFreeze;
}

export interface HmmMappingSpec {
  name: string;
  /** Bytes, rounded up to pages. */
  size: number;
  /** 'rw' (PROT_READ|PROT_WRITE, default) or 'r'. */
  prot: 'rw' | 'r';
}

export interface HmmProcessSpec {
  /** comm, at most 15 characters. */
  name: string;
  /** CAP_SYS_ADMIN: pagemap shows frame numbers only then. Default false. */
  capSysAdmin: boolean;
  /** mmap(MAP_PRIVATE | MAP_ANONYMOUS) regions, mapped at the start in this order. */
  mappings: HmmMappingSpec[];
}

/** One step; `process` is the index into processes (default 0). */
export type HmmStep =
  | {
      action: 'write';
      process: number;
      mapping: string;
      offset: number;
      u32?: number;
      fill?: number;
      pattern?: 'index';
    }
  | { action: 'migrate'; process: number; mapping: string; to: 'device' | 'system'; device: number }
  | { action: 'pagemap'; process: number; mapping: string; page: number }
  | { action: 'read'; process: number; mapping: string }
  | { action: 'hibernate' };

/**
 * `suspend: { image: FILE }`: a real swap image (a raw copy of the swap
 * device, as `hiblab image` reads) is the hibernated state. No modelled
 * suspend boot runs: the image's pfn set, zero pages and page contents are
 * what the resume kernel loads. The other BootSpec keys are absent (typed
 * `undefined` so code reading a modelled boot's key needs no narrowing).
 */
export interface ImageSuspendSpec {
  /** Path relative to the scenario file (like e820.file; no `data:` form: hiblab ships no images). */
  image: string;
  e820?: undefined;
  profile?: undefined;
  cmdline?: undefined;
  kaslr?: undefined;
  workload?: undefined;
  resumeTrigger?: undefined;
}

/** Profile id of a resume boot that takes its kernel from its log's `Linux version` (image scenarios). */
export const AUTO_PROFILE = 'auto';

export interface Scenario {
  name: string;
  description?: string;
  /** Master seed (KASLR, workload, swap uuid); default 0. */
  seed: number;
  /**
   * Default kernel profile id. In a scenario with `suspend.image` it may be
   * left out: it is then AUTO_PROFILE ('auto'), and the resume boot's kernel is
   * the profile of its e820 log's `Linux version` line, else linux-6.12 — what
   * `hiblab resume` picks (resolve.ts profileForLog()).
   */
  profile: string;
  /** The modelled hibernating boot, or a real image as the hibernated state. */
  suspend: BootSpec | ImageSuspendSpec;
  /** In an HMM story the file may omit it: it is then the suspend boot again (same e820, profile, cmdline). */
  resume: BootSpec;
  hibernate?: HibernateSpec;
  faults?: FaultSpec;
  expect?: ExpectSpec;
  /** An HMM story on the suspend boot's machine (runHmmStory). */
  hmm?: HmmStorySpec;
  /**
   * Where the scenario came from, for messages; `image`: where `suspend.image`
   * is written in the file (errors about the image file point there).
   */
  source?: { file?: string; builtin?: string; image?: { line: number; column: number } };
}

/**
 * The modelled suspend boot of a scenario; a scenario whose hibernated state
 * is a real image has none (for code paths that need one).
 */
export function modelledSuspend(sc: Scenario): BootSpec {
  if (isImageSuspend(sc.suspend)) {
    throw new ScenarioError(
      'SCENARIO_IMAGE_SUSPEND',
      `${sc.name}: the hibernated state is a real image (suspend.image), there is no modelled suspend boot`,
      { file: sc.source?.file ?? sc.name },
    );
  }
  return sc.suspend;
}

/** Is the hibernated state a real image (`suspend: { image: FILE }`)? */
export function isImageSuspend(s: BootSpec | ImageSuspendSpec): s is ImageSuspendSpec {
  return (s as ImageSuspendSpec).image !== undefined;
}
