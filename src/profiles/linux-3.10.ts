/**
 * linux-3.10: RHEL 7.9, kernel-3.10.0-1160.el7.x86_64.
 *
 * Upstream 3.10 memory setup plus the RHEL backports that the seed-000 crash
 * dump shows: KASLR memory randomization (page_offset_base 0xffff926340000000,
 * vmemmap_base 0xffffe30300000000), PTI (no _PAGE_GLOBAL in direct-map PTEs:
 * 0x8000000000000063), the 4.x memory_map_top_down() stepping, and struct
 * pages of firmware holes that are initialised but not PageReserved.
 */
import { E820_TYPE } from '../lib/e820-abi.js';
import { BUILDS } from './builds.js';
import type { HibernationProfile } from './hibernation.js';
import { structPageLayoutOf } from './structs/define.js';
import { STRUCTS_LINUX_310 } from './structs/linux-3.10.js';
import type { KernelProfile } from './types.js';

export const linux310: KernelProfile = {
  structs: STRUCTS_LINUX_310,
  id: 'linux-3.10',
  version: 'linux-3.10',
  build: BUILDS['linux-3.10']![0]!.build,
  description: 'RHEL 7.9 (3.10.0-1160.el7.x86_64)',
  follows: [
    'arch/x86/kernel/e820.c: sanitize_e820_map, e820_update_range, e820_remove_range, e820_mark_nosave_regions',
    'arch/x86/kernel/setup.c: trim_bios_range, e820_reserve_setup_data, setup_arch (num_physpages = max_pfn)',
    'arch/x86/kernel/e820.c: memblock_x86_fill (RAM + RESERVED_KERN)',
    'mm/memblock.c: memblock_add, memblock_reserve, memblock_trim_memory, memblock_find_in_range (top-down)',
    'arch/x86/mm/init.c: init_mem_mapping, memory_map_top_down, split_mem_range, alloc_low_pages',
    'arch/x86/mm/init_64.c: kernel_physical_mapping_init, phys_pud_init, phys_pmd_init, phys_pte_init',
    'arch/x86/mm/kaslr.c (RHEL backport): kernel_randomize_memory',
    'mm/page_alloc.c: free_area_init_nodes, memmap_init_zone, __free_one_page, __rmqueue_smallest, expand',
    'kernel/power/snapshot.c: register_nosave_region',
  ],
  e820: {
    knownTypes: [
      E820_TYPE.RAM,
      E820_TYPE.RESERVED,
      E820_TYPE.ACPI,
      E820_TYPE.NVS,
      E820_TYPE.UNUSABLE,
      E820_TYPE.PMEM,
      E820_TYPE.PRAM,
      E820_TYPE.RESERVED_KERN,
    ],
    setupData: 'reserved-kern',
    nosave: 'e820_mark_nosave_regions',
    // RHEL 7 prints "PM: Registered nosave memory: [mem %#010llx-%#010llx]".
    nosaveLog: 'mem-inclusive',
    // RHEL 7 backports PMEM/PRAM and with it memmap=nn!ss; '%' (4.16) is absent.
    memmapOperators: '@#$!',
    kernelNotRamWarning: '.text .data .bss are not marked as E820_RAM!',
    tooManyEntries: 'e820: too many entries; ignoring',
  },
  memblock: {
    memoryTypes: [E820_TYPE.RAM, E820_TYPE.RESERVED_KERN],
    reserveLowBytes: 64 * 1024,
  },
  mm: {
    sectionSizeBits: 27,
    subsectionShift: null,
    hasPfnToOnlinePage: false,
    holePagesReserved: false,
    // 3.10 enum pageflags; NODES_SHIFT 10, ZONES_SHIFT 2, LAST_CPUPID 20 bits:
    // the seed's pages read 0x1fffff00000000 (DMA32, node 0) and 0x0fffff00000000 (DMA).
    pageFlags: {
      bits: {
        locked: 0,
        referenced: 2,
        uptodate: 3,
        dirty: 4,
        lru: 5,
        active: 6,
        slab: 7,
        reserved: 10,
        private: 11,
        writeback: 13,
        head: 14,
        swapbacked: 19,
        unevictable: 20,
        mlocked: 21,
      },
      zonesPgoff: 52,
      zonesWidth: 2,
      nodesPgoff: 54,
      nodesWidth: 10,
      lastCpupidPgoff: 32,
      lastCpupidWidth: 20,
    },
    structPage: structPageLayoutOf(STRUCTS_LINUX_310),
    maxOrder: 10,
    // PAGE_BUDDY_MAPCOUNT_VALUE (include/linux/mm.h 3.10).
    buddyMapcount: -128,
    bootFreeToTail: false,
    memmapInitWholeSection: false,
    // node_data[0] = 0x13ffd7000 in the seed, directly under the page-table pages at
    // 0x13fffe000: roundup(sizeof(pg_data_t), PAGE_SIZE) = 0x27000 (inference).
    nodeDataBytes: 0x27000,
    nodeDataAlign: 4096,
    // enum migratetype (3.10): UNMOVABLE, RECLAIMABLE, MOVABLE, RESERVE, ISOLATE.
    migrateMovable: 2,
    sectionMapFlags: 0x3,
    nrNodeStates: 5,
    sectionRoots: 'static-array',
  },
  // RHEL 7.9 backports the 4.7 restore record (jump_address_phys, magic 0x123456789abcdef0); no e820 check.
  swsuspImage: { format: '3.10', archHeader: '4.7-4.9' },
  paging: {
    pteLeafFlags: 0x8000000000000063n,
    largeLeafFlags: 0x80000000000000e3n,
    tableFlags: 0x67n,
    fixedPageOffset: 0xffff880000000000n,
    fixedVmallocBase: 0xffffc90000000000n,
    fixedVmemmapBase: 0xffffea0000000000n,
    kaslrMemoryDefault: true,
    kaslrVaddrStart: 0xffff880000000000n,
    // 4.8-era kaslr.c (the RHEL backport's source): vaddr_end = ESPFIX_BASE_ADDR.
    kaslrVaddrEnd: 0xffffff0000000000n,
    vmallocSizeTb: 32,
    physicalPaddingTb: 10,
    maxPhysmemBits: 46,
    pgtBufPages: 12,
    stepping: 'top-down-step-shift-8',
    directGbpages: true,
  },
  // Seed 000 (crash vtop): _text 0xffffffff8b000000 at phys 0x1f000000, PGD
  // (init_level4_pgt) 0xffffffff8be10000, first brk page-table page 0x1fe74000.
  kernelImage: {
    textPhys: 0x1f000000,
    textVirt: 0xffffffff8b000000n,
    pgdOffset: 0xe10000,
    pgtBufOffset: 0xe74000,
    endOffset: 0xe80000,
    pgdSymbol: 'init_level4_pgt',
  },
  bootLog: {
    lastPfnPrefix: 'e820: ',
    e820Prefix: 'e820: ',
    totalPages: 'present-minus-memmap',
    zoneRangeWidth: 8,
  },
  hibernation: {
    oops: {
      style: '3.10',
      release: '3.10.0-1160.el7.x86_64',
      hardware: 'Red Hat KVM, BIOS 1.11.0-2.el7 04/01/2014',
      // Offsets from _text = 0xffffffff8b000000 that give the seed-000 crash's addresses
      // (load_image_lzo+2086 = 0xffffffff8b2fe476, swsusp_read+0x1ee = 0xffffffff8b2ffb2e, …).
      symbols: {
        load_image_lzo: { offset: 0x2fdc50, size: 0xe70 },
        load_image: { offset: 0x2fd6a0, size: 0x290 },
        snapshot_write_next: { offset: 0x2f8b40, size: 0x2a0 },
        swsusp_read: { offset: 0x2ff940, size: 0x240 },
        software_resume: { offset: 0x2fad00, size: 0x1c0 },
        resume_store: { offset: 0x2faf40, size: 0xd0 },
        kobj_attr_store: { offset: 0x588600, size: 0x20 },
        sysfs_kf_write: { offset: 0x4db070, size: 0x50 },
        kernfs_fop_write: { offset: 0x4da5b0, size: 0x160 },
        vfs_write: { offset: 0x44da90, size: 0x1f0 },
        SyS_write: { offset: 0x44e8b0, size: 0xf0 },
        system_call_fastpath: { offset: 0x993f6d, size: 0x2a },
        do_one_initcall: { offset: 0x20a1a0, size: 0x1b0 },
        kernel_init_freeable: { offset: 0xd8c1b0, size: 0x280 },
        kernel_init: { offset: 0x96f8e0, size: 0x110 },
        ret_from_fork_nospec_end: { offset: 0x993dd0, size: 0x0 },
        swsusp_arch_resume: { offset: 0x2776a0, size: 0x120 },
        restore_image: { offset: 0x277890, size: 0x40 },
        core_restore_code: { offset: 0x2778d0, size: 0x40 },
        swsusp_save: { offset: 0x2f9c30, size: 0x3f0 },
        swsusp_arch_suspend: { offset: 0x277720, size: 0x6e },
        hibernation_snapshot: { offset: 0x2fa3f0, size: 0x300 },
        hibernate: { offset: 0x2fab30, size: 0x1d0 },
        state_store: { offset: 0x2f5a40, size: 0xf0 },
      },
      saveFault: 'swsusp_save+0x2a6',
      saveTrace: [
        'swsusp_arch_suspend+0x5e',
        'hibernation_snapshot+0x1c5',
        'hibernate+0x14a',
        'state_store+0x6f',
        'kobj_attr_store+0x12',
        'sysfs_kf_write+0x42',
        'kernfs_fop_write+0xeb',
        'vfs_write+0xc0',
        'SyS_write+0x7f',
        'system_call_fastpath+0x25',
      ],
      loader: { compressed: 'load_image_lzo', nocompress: 'load_image' },
      copyInsnOffset: 2086,
      // Model text layout (3.10 has no zero pages; no real oops shows these sites).
      zeroFillInsnOffset: 0x1c5,
      writeNextReturn: { compressed: 0x3a0, nocompress: 0x1d5 },
      // Seed 000 (/work/shared/seeds/000_*.txt, crash> bt): RSP ffff9263fd72bc70, RBP
      // ffff9263fd72bd78, R13 = &snapshot ffff9263fd72bd88 in the 16 KiB stack at ffff9263fd728000.
      loaderFrame: { rsp: 0x3c70, rbp: 0x3d78, snapshotHandle: 0x3d88 },
      // Seed 000's R9, R10, RFLAGS.
      loaderRegs: { r9: 1n, r10: 1n, rflags: 0x10246n },
      // RHEL 7.9 swap.c: LZO_MAX_RD_PAGES 8192; struct dec_data { thr; ready; stop; ret;
      // go; done (wait_queue_head_t, 24 bytes each); unc_len; cmp_len; unc[]; cmp[] } → unc at 0x58,
      // sizeof 0x43058 (the seed's `imul $0x43058` before the vmalloc of data).
      maxReadPages: 8192,
      decUncOffset: 0x58,
      // Seed 000: data = R15 = vmalloc_base + 0x9fc000, the second vmalloc of load_image_lzo()
      // after page[] (64 KiB + a guard page = 0x11000), so 0x9eb000 bytes were in use before.
      resumeVmallocInUse: 0x9eb000,
      callTrace: {
        sysfs: [
          'swsusp_read+0x1ee',
          'software_resume+0x10e',
          'resume_store+0x95',
          'kobj_attr_store+0x12',
          'sysfs_kf_write+0x42',
          'kernfs_fop_write+0xeb',
          'vfs_write+0xc0',
          'SyS_write+0x7f',
          'system_call_fastpath+0x25',
        ],
        initcall: [
          'swsusp_read+0x1ee',
          'software_resume+0x10e',
          'do_one_initcall+0xba',
          'kernel_init_freeable+0x1c7',
          'kernel_init+0xe',
          'ret_from_fork_nospec_end+0x0',
        ],
      },
    },
    bitmap: 'bm-block-list',
    e820Check: false,
    // RHEL7 snapshot.c:1665 init_header(): num_physpages, which setup_arch() sets to max_pfn.
    numPhyspages: 'max_pfn',
    zeroPages: false,
    compressors: ['lzo'],
    hwSig: false,
    skipOffline: true,
    kernelPagePresent: 'always',
    markUnsafePages: '3.10',
    unpackRequiresPfnValid: false,
    unpackFwBugMessage: false,
    safePageRecycling: false,
    tempTextMapping: true,
    messages: {
      hibernatePrefix: 'PM: ',
      imageMismatch: 'PM: Image mismatch: %s',
      failedToLoad: 'PM: Failed to load hibernation image, recovering.',
      restoredSuccessfully: 'PM: Image restored successfully.',
      preallocStart: null,
      preallocDone: 'PM: Preallocating image memory... done (allocated %lu pages)',
      creatingImage: 'PM: Creating hibernation image:',
      needToCopy: 'PM: Need to copy %u pages',
      normalPagesNeeded: 'PM: Normal pages needed: %u + %u, available pages: %u',
      imageCreated: 'PM: Hibernation image created (%d pages copied)',
      errorResuming: 'PM: Error %d resuming',
      imageLoaded: 'PM: Image successfully loaded',
      resumeFailed: null,
      bitmapsFreed: 'PM: Basic memory bitmaps freed',
      freezeUser: ['Freezing user space processes ... (elapsed %s seconds) done.'],
      freezeRest: ['Freezing remaining freezable tasks ... (elapsed %s seconds) done.'],
      hibernationEntry: ['PM: Syncing filesystems ... done.'],
      resumeManual: 'PM: Starting manual resume from disk',
      afterSignature: [],
      preparingRestore: 'PM: Preparing processes for restore.',
      signatureFound: 'PM: Image signature found, resuming',
      writingImage: null,
      loadingImage: null,
      // No RHEL 7 console of these phases is in the fixtures: the device-PM lines
      // are the model's since the first release (3.10's dpm_show_time() prints
      // "<phase> of devices complete after"; no "start"/"end" phases yet).
      pm: {
        freeze: [
          'PM: freeze of devices complete after 18.699 msecs',
          'PM: late freeze of devices complete after 0.963 msecs',
          'PM: noirq freeze of devices complete after 1.072 msecs',
        ],
        thaw: [
          'PM: noirq thaw of devices complete after 3.653 msecs',
          'PM: thaw of devices complete after 4.819 msecs',
        ],
        quiesce: [
          'PM: quiesce of devices complete after 15.822 msecs',
          'PM: late quiesce of devices complete after 1.035 msecs',
          'PM: noirq quiesce of devices complete after 0.898 msecs',
        ],
        restore: [
          'PM: noirq restore of devices complete after 14.642 msecs',
          'PM: early restore of devices complete after 0.841 msecs',
          'PM: restore of devices complete after 37.120 msecs',
        ],
        hibernate: [
          'PM: hibernate of devices complete after 12.595 msecs',
          'PM: late hibernate of devices complete after 0.682 msecs',
          'PM: noirq hibernate of devices complete after 0.664 msecs',
        ],
        // drivers/acpi/sleep.c: PREFIX "ACPI: " (the "PM: " pr_fmt came in 5.x).
        acpiPrefix: 'ACPI: ',
        // oom_killer_disable() printed nothing before 4.0.
        oomDisabled: null,
        oomEnabled: null,
        hibernationExit: [],
        powerDown: 'reboot: Power down',
        debugLines: 'always',
        // 3.10 syscore_suspend(): pr_debug(), and "PM: Calling %pF" only with initcall_debug.
        syscoreCheck: null,
      },
    },
  } satisfies HibernationProfile,
};
