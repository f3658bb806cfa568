/**
 * linux-6.12: upstream 6.12 (the stock Debian 6.12.117 kernel of the QEMU
 * fixtures), with the April 2025 e820 nosave fix that 6.12.y stable carries.
 */
import { E820_TYPE } from '../firmware/e820-types.js';
import type { HibernationProfile } from './hibernation.js';
import type { KernelProfile } from './types.js';

export const linux612: KernelProfile = {
  id: 'linux-6.12',
  description: 'Linux 6.12 (upstream / Debian 6.12.117)',
  follows: [
    'arch/x86/kernel/e820.c: e820__update_table, e820__range_update, e820__range_remove, e820__register_nosave_regions (2025 fix)',
    'arch/x86/kernel/e820.c: e820__memblock_setup (RAM only; SOFT_RESERVED reserved)',
    'arch/x86/kernel/setup.c: trim_bios_range, memblock_x86_reserve_range_setup_data',
    'arch/x86/realmode/init.c: reserve_real_mode (first 1 MiB reserved)',
    'arch/x86/mm/init.c: init_mem_mapping, memory_map_top_down, split_mem_range, alloc_low_pages',
    'arch/x86/mm/init_64.c: kernel_physical_mapping_init, phys_pud_init, phys_pmd_init, phys_pte_init',
    'arch/x86/mm/kaslr.c: kernel_randomize_memory',
    'mm/mm_init.c: init_unavailable_range, subsection_map_init; mm/memory_hotplug.c: pfn_to_online_page',
    'mm/page_alloc.c: __free_one_page, __rmqueue_smallest, expand',
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
      E820_TYPE.SOFT_RESERVED,
    ],
    setupData: 'memblock-reserve',
    nosave: 'e820__register_nosave_regions',
    nosaveLog: 'mem-inclusive-hibernation-prefix',
    memmapOperators: '@#$!%',
  },
  memblock: {
    memoryTypes: [E820_TYPE.RAM],
    reserveLowBytes: 1024 * 1024,
  },
  mm: {
    sectionSizeBits: 27,
    subsectionShift: 21,
    hasPfnToOnlinePage: true,
    holePagesReserved: true,
    // 6.12 enum pageflags (include/linux/page-flags.h); NODES_SHIFT 10 (Debian), ZONES_SHIFT 3.
    pageFlags: {
      bits: {
        locked: 0,
        referenced: 2,
        uptodate: 3,
        dirty: 4,
        lru: 5,
        active: 8,
        slab: 7,
        reserved: 12,
        private: 13,
        writeback: 1,
        head: 6,
        swapbacked: 16,
        unevictable: 17,
        mlocked: 18,
      },
      zonesPgoff: 51,
      zonesWidth: 3,
      nodesPgoff: 54,
      nodesWidth: 10,
      lastCpupidPgoff: 0,
      lastCpupidWidth: 0,
    },
    // include/linux/mm_types.h (6.12): flags, lru, mapping, index, private, _mapcount, _refcount, memcg_data.
    structPage: {
      size: 64,
      flags: 0,
      lru: 8,
      mapping: 24,
      index: 32,
      private: 40,
      mapcount: 48,
      refcount: 52,
    },
    maxOrder: 10,
    // page_type PGTY_buddy (0xf0) << 24, read as a signed _mapcount (include/linux/page-flags.h 6.12).
    buddyMapcount: -268435456,
    bootFreeToTail: true,
    memmapInitWholeSection: true,
    // QEMU fixture: "NODE_DATA(0) allocated [mem 0x17ce7680-0x17d11fff]" = 0x2a980 bytes.
    nodeDataBytes: 0x2a980,
    nodeDataAlign: 64,
  },
  paging: {
    pteLeafFlags: 0x8000000000000163n,
    largeLeafFlags: 0x80000000000001e3n,
    tableFlags: 0x67n,
    fixedPageOffset: 0xffff888000000000n,
    fixedVmallocBase: 0xffffc90000000000n,
    fixedVmemmapBase: 0xffffea0000000000n,
    kaslrMemoryDefault: true,
    kaslrVaddrStart: 0xffff888000000000n,
    // CPU_ENTRY_AREA_BASE on 4-level paging.
    kaslrVaddrEnd: 0xfffffe0000000000n,
    vmallocSizeTb: 32,
    physicalPaddingTb: 10,
    maxPhysmemBits: 46,
    pgtBufPages: 12,
    stepping: 'top-down-step-shift-8',
    directGbpages: true,
  },
  // QEMU fixture guests with nokaslr (/proc/iomem): Kernel code 0x01000000,
  // Kernel data 0x02c00000, Kernel bss ends 0x03bfffff; init_top_pgt placed at the
  // start of .data, the brk area right after .bss (assumed 64 KiB + pgt_buf).
  kernelImage: {
    textPhys: 0x1000000,
    textVirt: 0xffffffff81000000n,
    pgdOffset: 0x1c00000,
    pgtBufOffset: 0x2c00000,
    endOffset: 0x2c1c000,
  },
  bootLog: {
    lastPfnPrefix: '',
    totalPages: 'present',
    zoneRangeWidth: 16,
  },
  hibernation: {
    bitmap: 'rtree',
    swsuspHeader: '6.x',
    archHeader: 'crc32',
    e820Check: true,
    numPhyspages: 'present_pages',
    zeroPages: true,
    compressors: ['lzo', 'lz4'],
    hwSig: true,
    skipOffline: true,
    kernelPagePresent: 'walk',
    markUnsafePages: '4.8',
    unpackRequiresPfnValid: true,
    unpackFwBugMessage: true,
    safePageRecycling: true,
    tempTextMapping: true,
    messages: {
      hibernatePrefix: 'PM: hibernation: ',
      imageMismatch: 'PM: hibernation: Image mismatch: %s',
      failedToLoad: 'PM: hibernation: Failed to load image, recovering.',
      restoredSuccessfully: 'PM: hibernation: Hibernation image restored successfully.',
      preallocating: 'PM: hibernation: Allocated %lu pages for snapshot',
      imageCreated: 'PM: hibernation: Image created (%d pages copied, %d zero pages)',
      errorResuming: 'PM: Error %d resuming',
    },
  } satisfies HibernationProfile,
};
