/**
 * HMM / ZONE_DEVICE data of a kernel profile: swap-type numbering of the
 * special swap entries, GUP flag values, the test_hmm (dmirror) ABI and the
 * driver and core-mm behaviours that changed between releases. The model asks
 * these fields instead of testing a version number.
 */

/**
 * Swap types of the profile's kernel configuration (include/linux/swap.h):
 * the top types of the 5-bit field are reserved for special entries.
 */
export interface SwapTypes {
  readonly maxSwapfiles: number;
  readonly hwpoison: number;
  readonly migrationRead: number;
  readonly migrationReadExclusive: number;
  readonly migrationWrite: number;
  readonly deviceWrite: number;
  readonly deviceRead: number;
  readonly deviceExclusiveWrite: number;
  readonly deviceExclusiveRead: number;
  readonly pteMarker: number;
}

/**
 * swap.h arithmetic: MAX_SWAPFILES = 2^MAX_SWAPFILES_SHIFT − SWP_DEVICE_NUM −
 * SWP_MIGRATION_NUM − SWP_HWPOISON_NUM − SWP_PTE_MARKER_NUM, then HWPOISON,
 * MIGRATION_*, DEVICE_* and PTE_MARKER in that order.
 */
export function swapTypes(
  deviceNum: number,
  migrationNum: number,
  hwpoisonNum = 1,
  markerNum = 1,
): SwapTypes {
  const max = 32 - deviceNum - migrationNum - hwpoisonNum - markerNum;
  const mig = max + hwpoisonNum;
  const dev = mig + migrationNum;
  return {
    maxSwapfiles: max,
    hwpoison: max,
    migrationRead: mig,
    migrationReadExclusive: migrationNum === 3 ? mig + 1 : mig,
    migrationWrite: mig + migrationNum - 1,
    deviceWrite: dev,
    deviceRead: dev + 1,
    deviceExclusiveWrite: dev + 2,
    deviceExclusiveRead: deviceNum === 4 ? dev + 3 : dev + 2,
    pteMarker: dev + deviceNum,
  };
}

export interface DmirrorIoctlNumbers {
  readonly read: number;
  readonly write: number;
  readonly migrateToDev: number;
  readonly migrateToSys: number;
  readonly snapshot: number;
  readonly exclusive: number;
  readonly checkExclusive: number;
  /** HMM_DMIRROR_RELEASE; null where the driver lacks it. */
  readonly release: number | null;
  /** HMM_DMIRROR_FLAGS (mm-new THP series); null where absent. */
  readonly flags: number | null;
  /** HMM_DMIRROR_READ_UNLOCKED (in-flight series); null where absent. */
  readonly readUnlocked: number | null;
}

export interface HmmProfile {
  /** include/linux/swap.h numbering of the special swap types for this config. */
  readonly swap: SwapTypes;
  /** DMIRROR_NDEVICES in lib/test_hmm.c. */
  readonly dmirrorDevices: number;
  /** Pages per hmm_range_fault / migrate_vma step of the driver (64 in DRV-BASE, 32/512 in DRV-NEW). */
  readonly dmirrorFaultChunk: number;
  readonly dmirrorMigrateChunk: number;
  readonly ioctls: DmirrorIoctlNumbers;
  /** dmirror_fops_release() evicts the device's chunks (DRV-NEW "evict device pages on file close"). */
  readonly dmirrorEvictOnClose: boolean;
  /** do_swap_page() trylocks the device-private page before migrate_to_ram (1afaeb8293c9, ≈6.15). */
  readonly doSwapPageLocksDevicePage: boolean;
  /** Per-VMA-lock faults (6.4+): a device-private fault under the VMA lock returns VM_FAULT_RETRY first. */
  readonly perVmaLockFaults: boolean;
  /** FOLL_* values (include/linux/mm_types.h, mm/internal.h INTERNAL_GUP_FLAGS). */
  readonly foll: {
    readonly write: number;
    readonly get: number;
    readonly longterm: number;
    readonly touch: number;
    readonly pin: number;
    /** Flags gup refuses from callers (is_valid_gup_args → -EINVAL). */
    readonly internalMask: number;
  };
  /** GUP_PIN_COUNTING_BIAS (include/linux/mm.h). */
  readonly gupPinBias: number;
  /** hmm_range_fault accepts VM_MIXEDMAP VMAs (the `mixedmap` selftest). */
  readonly hmmMixedmap: boolean;
  /** Which hmm-tests.c the profile's tree ships (hmm-facts §0: TEST-BASE or TEST-NEW). */
  readonly hmmTests: 'TEST-BASE' | 'TEST-NEW';
}

/** linux-6.12: SWP_DEVICE_NUM 4 (two exclusive types until ≈6.15), SWP_MIGRATION_NUM 3. */
export const HMM_LINUX_6_12: HmmProfile = {
  swap: swapTypes(4, 3),
  dmirrorDevices: 4,
  dmirrorFaultChunk: 64,
  dmirrorMigrateChunk: 64,
  ioctls: {
    read: 0,
    write: 1,
    migrateToDev: 2,
    migrateToSys: 3,
    snapshot: 4,
    exclusive: 5,
    checkExclusive: 6,
    release: 7,
    flags: null,
    readUnlocked: null,
  },
  dmirrorEvictOnClose: false,
  doSwapPageLocksDevicePage: false,
  perVmaLockFaults: true,
  foll: {
    write: 0x1,
    get: 0x2,
    longterm: 0x100,
    touch: 1 << 16,
    pin: 1 << 19,
    // FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE
    internalMask: 0x7f << 16,
  },
  gupPinBias: 1024,
  hmmMixedmap: true,
  hmmTests: 'TEST-BASE',
};

/**
 * What linux-6.1 differs in, as data (there is no full 6.1 profile): kept so
 * a 6.1 profile can be assembled from HMM_LINUX_6_12 plus these changes.
 */
export const HMM_LINUX_6_1_DIFFERENCES: readonly { feature: string; in6_1: string; in6_12: string }[] = [
  {
    feature: 'per-VMA lock page faults',
    in6_1: 'absent (every fault under mmap_lock)',
    in6_12: 'present: do_swap_page returns VM_FAULT_RETRY for a device-private entry under the VMA lock',
  },
  {
    feature: 'tools/testing/selftests path',
    in6_1: 'selftests/vm/hmm-tests.c',
    in6_12: 'selftests/mm/hmm-tests.c',
  },
  {
    feature: 'FOLL_ flag layout',
    in6_1: 'FOLL_* are #defines in include/linux/mm.h (FOLL_PIN 0x40000, FOLL_LONGTERM 0x10000)',
    in6_12: 'enum in mm_types.h + mm/internal.h (FOLL_LONGTERM 0x100, 0x10000 = internal FOLL_TOUCH)',
  },
];
