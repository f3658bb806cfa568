/**
 * linux-6.1: upstream 6.1 LTS (Debian 6.1.0-53-amd64 = 6.1.187, and the
 * 6.1.192 tiny build of the QEMU fixtures). The memory-management and
 * hibernation algorithms are the 6.12 ones (rtree bitmaps, 4.8+
 * mark_unsafe_pages, e820 CRC32 check, hw_sig) except where 6.1 predates a
 * change:
 *  - no zero-page encoding (6.6+ ENCODED_PFN_ZERO_FLAG): every saved pfn has a
 *    data page, "Image created (N pages copied)"; a 6.12 image's flagged pfns
 *    are not pfn_valid here, so unpack_orig_pfns() returns -EFAULT
 *    (fixture 612-lzo/kernel-6.1: "PM: Error -14 resuming");
 *  - unpack_orig_pfns() has no "[Firmware Bug]: Memory map mismatch" line (6.2+);
 *  - LZO only (the LZ4 hibernation compressor is 6.9+), and the log lines do
 *    not name the compressor ("Using 1 thread(s) for compression"), no
 *    "Image size after compression" line;
 *  - enum pageflags and PageBuddy are the 6.1 ones (page_type PG_buddy 0x80);
 *  - "Built 1 zonelists … Total pages" prints the managed estimate
 *    (61-lzo: 96474 of 98168 present), like 3.10;
 *  - NODE_DATA is page-rounded (alloc_node_data: roundup(sizeof(pg_data_t),
 *    PAGE_SIZE); 61-lzo: "NODE_DATA(0) allocated [mem 0x17cb6000-0x17ce0fff]").
 * Oops symbol offsets: no System.map of the 6.1 kernels is shipped; the 6.12
 * text layout stands in for them (function names are right, offsets are not).
 */
import { BUILDS } from './builds.js';
import { linux612 } from './linux-6.12.js';
import type { KernelProfile } from './types.js';

export const linux61: KernelProfile = {
  ...linux612,
  id: 'linux-6.1',
  version: 'linux-6.1',
  description: 'Linux 6.1 LTS (Debian 6.1.0-53 / 6.1.187)',
  build: BUILDS['linux-6.1']![0]!.build,
  kernelImage: BUILDS['linux-6.1']![0]!.kernelImage!,
  follows: [
    ...linux612.follows,
    'kernel/power/snapshot.c (6.1): unpack_orig_pfns without zero pfns or FW_BUG line',
    'kernel/power/swap.c (6.1): LZO only, "Using %u thread(s) for compression"',
  ],
  mm: {
    ...linux612.mm,
    // 6.1 enum pageflags (include/linux/page-flags.h).
    pageFlags: {
      ...linux612.mm.pageFlags,
      bits: {
        locked: 0,
        referenced: 1,
        uptodate: 2,
        dirty: 3,
        lru: 4,
        active: 5,
        slab: 9,
        reserved: 12,
        private: 13,
        writeback: 15,
        head: 16,
        swapbacked: 19,
        unevictable: 20,
        mlocked: 21,
      },
    },
    // page_type starts at -1; __SetPageBuddy clears PG_buddy (0x80): 0xffffff7f.
    buddyMapcount: -129,
    nodeDataBytes: 0x2b000,
    nodeDataAlign: 4096,
  },
  swsuspImage: { format: '6.1', archHeader: '5.13-crc32' },
  bootLog: { ...linux612.bootLog, totalPages: 'present-minus-memmap' },
  hibernation: {
    ...linux612.hibernation,
    oops: { ...linux612.hibernation.oops, release: '6.1.0-53-amd64' },
    zeroPages: false,
    compressors: ['lzo'],
    unpackFwBugMessage: false,
    messages: {
      ...linux612.hibernation.messages,
      imageCreated: 'PM: hibernation: Image created (%d pages copied)',
    },
  },
};
