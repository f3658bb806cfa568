/**
 * Struct layouts of Linux 6.12 x86_64 as Debian builds it (6.12.117+deb12,
 * the QEMU fixtures' kernel; defconfig-like for what matters here):
 * CONFIG_NUMA=y (NODES_SHIFT 10), CONFIG_SPARSEMEM_VMEMMAP=y,
 * CONFIG_ZONE_DMA/DMA32=y, CONFIG_ZONE_DEVICE=y (MAX_NR_ZONES 5),
 * CONFIG_MEMORY_HOTPLUG=y, CONFIG_CMA=y, CONFIG_COMPACTION=y,
 * CONFIG_MEMORY_ISOLATION=y, CONFIG_UNACCEPTED_MEMORY=y, CONFIG_ZSMALLOC=y,
 * CONFIG_PAGE_EXTENSION unset, no lock debugging; L1_CACHE_BYTES 64.
 *
 * Member order and sizes follow the 6.12 headers (include/linux/mm_types.h,
 * mmzone.h, memblock.h, utsname.h; kernel/power/power.h, snapshot.c).
 * sizeof(pglist_data) = 0x2a980 is the QEMU fixture's "NODE_DATA(0) allocated
 * [mem 0x17ce7680-0x17d11fff]"; the members after node_id (kswapd, lruvec,
 * per-node vm_stat …) are not modelled. MIGRATE_TYPES is 6 (UNMOVABLE,
 * MOVABLE, RECLAIMABLE, HIGHATOMIC, CMA, ISOLATE).
 */
import { struct, table } from './define.js';

const P = 'unsigned long';

export const STRUCTS_LINUX_612 = table(
  'Linux 6.12 x86_64 (Debian 6.12.117 config), CONFIG_NUMA=y (NODES_SHIFT 10), CONFIG_SPARSEMEM_VMEMMAP=y, MAX_NR_ZONES 5',
  [
    struct('list_head', 16, [
      ['next', 0, 8, 'struct list_head *'],
      ['prev', 8, 8, 'struct list_head *'],
    ]),
    // include/linux/mm_types.h (6.12): lru and buddy_list share the first union;
    // page_type (PGTY_buddy << 24 for a free block head) shares the word with _mapcount.
    struct('page', 64, [
      ['flags', 0, 8, P],
      ['lru', 8, 16, 'struct list_head'],
      ['buddy_list', 8, 16, 'struct list_head'],
      ['mapping', 24, 8, 'struct address_space *'],
      ['index', 32, 8, 'unsigned long'],
      ['private', 40, 8, P],
      ['page_type', 48, 4, 'unsigned int'],
      ['_mapcount', 48, 4, 'atomic_t'],
      ['_refcount', 52, 4, 'atomic_t'],
      ['memcg_data', 56, 8, P],
    ]),
    struct('free_area', 104, [
      ['free_list', 0, 96, 'struct list_head [6]'],
      ['nr_free', 96, 8, P],
    ]),
    struct('zone', 1728, [
      ['_watermark', 0, 24, 'unsigned long [3]'],
      ['watermark_boost', 24, 8, P],
      ['nr_reserved_highatomic', 32, 8, P],
      ['lowmem_reserve', 40, 40, 'long [5]'],
      ['node', 80, 4, 'int'],
      ['zone_pgdat', 88, 8, 'struct pglist_data *'],
      ['per_cpu_pageset', 96, 8, 'struct per_cpu_pages *'],
      ['per_cpu_zonestats', 104, 8, 'struct per_cpu_zonestat *'],
      ['pageset_high_min', 112, 4, 'int'],
      ['pageset_high_max', 116, 4, 'int'],
      ['pageset_batch', 120, 4, 'int'],
      ['zone_start_pfn', 128, 8, P],
      ['managed_pages', 136, 8, 'atomic_long_t'],
      ['spanned_pages', 144, 8, P],
      ['present_pages', 152, 8, P],
      ['present_early_pages', 160, 8, P],
      ['cma_pages', 168, 8, P],
      ['name', 176, 8, 'const char *'],
      ['nr_isolate_pageblock', 184, 8, P],
      ['span_seqlock', 192, 8, 'seqlock_t'],
      ['initialized', 200, 4, 'int'],
      ['free_area', 256, 1144, 'struct free_area [11]'],
      ['unaccepted_pages', 1400, 16, 'struct list_head'],
      ['flags', 1416, 8, P],
      ['lock', 1424, 4, 'spinlock_t'],
      ['percpu_drift_mark', 1472, 8, P],
      ['compact_cached_free_pfn', 1480, 8, P],
      ['compact_cached_migrate_pfn', 1488, 16, 'unsigned long [2]'],
      ['compact_init_migrate_pfn', 1504, 8, P],
      ['compact_init_free_pfn', 1512, 8, P],
      ['compact_considered', 1520, 4, 'unsigned int'],
      ['compact_defer_shift', 1524, 4, 'unsigned int'],
      ['compact_order_failed', 1528, 4, 'int'],
      ['compact_blockskip_flush', 1532, 1, '_Bool'],
      ['contiguous', 1533, 1, '_Bool'],
      // enum zone_stat_item: NR_FREE_PAGES first; 12 items with ZSMALLOC and UNACCEPTED_MEMORY.
      ['vm_stat', 1536, 96, 'atomic_long_t [12]'],
      ['vm_numa_event', 1632, 48, 'atomic_long_t [6]'],
    ]),
    struct('zoneref', 16, [
      ['zone', 0, 8, 'struct zone *'],
      ['zone_idx', 8, 4, 'int'],
    ]),
    // MAX_ZONES_PER_ZONELIST = MAX_NUMNODES * MAX_NR_ZONES = 1024 * 5.
    struct('zonelist', 81936, [['_zonerefs', 0, 81936, 'struct zoneref [5121]']]),
    struct('pglist_data', 0x2a980, [
      ['node_zones', 0, 8640, 'struct zone [5]'],
      ['node_zonelists', 8640, 163872, 'struct zonelist [2]'],
      ['nr_zones', 172512, 4, 'int'],
      ['node_size_lock', 172516, 4, 'spinlock_t'],
      ['node_start_pfn', 172520, 8, P],
      ['node_present_pages', 172528, 8, P],
      ['node_spanned_pages', 172536, 8, P],
      ['node_id', 172544, 4, 'int'],
    ]),
    // kernel/power/snapshot.c (3.17+): the radix-tree bitmap.
    struct('bm_position', 40, [
      ['zone', 0, 8, 'struct mem_zone_bm_rtree *'],
      ['node', 8, 8, 'struct rtree_node *'],
      ['node_pfn', 16, 8, P],
      ['cur_pfn', 24, 8, P],
      ['node_bit', 32, 4, 'int'],
    ]),
    struct('memory_bitmap', 64, [
      ['zones', 0, 16, 'struct list_head'],
      ['p_list', 16, 8, 'struct linked_page *'],
      ['cur', 24, 40, 'struct bm_position'],
    ]),
    struct('mem_zone_bm_rtree', 80, [
      ['list', 0, 16, 'struct list_head'],
      ['nodes', 16, 16, 'struct list_head'],
      ['leaves', 32, 16, 'struct list_head'],
      ['start_pfn', 48, 8, P],
      ['end_pfn', 56, 8, P],
      ['rtree', 64, 8, 'struct rtree_node *'],
      ['levels', 72, 4, 'int'],
      ['blocks', 76, 4, 'unsigned int'],
    ]),
    struct('rtree_node', 24, [
      ['list', 0, 16, 'struct list_head'],
      ['data', 16, 8, 'unsigned long *'],
    ]),
    struct('linked_page', 4096, [
      ['next', 0, 8, 'struct linked_page *'],
      ['data', 8, 4088, 'char [4088]'],
    ]),
    struct('pbe', 24, [
      ['address', 0, 8, 'void *'],
      ['orig_address', 8, 8, 'void *'],
      ['next', 16, 8, 'struct pbe *'],
    ]),
    struct('nosave_region', 32, [
      ['list', 0, 16, 'struct list_head'],
      ['start_pfn', 16, 8, P],
      ['end_pfn', 24, 8, P],
    ]),
    struct('snapshot_handle', 24, [
      ['cur', 0, 4, 'unsigned int'],
      ['buffer', 8, 8, 'void *'],
      ['sync_read', 16, 4, 'int'],
    ]),
    struct('memblock_region', 24, [
      ['base', 0, 8, 'phys_addr_t'],
      ['size', 8, 8, 'phys_addr_t'],
      ['flags', 16, 4, 'enum memblock_flags'],
      ['nid', 20, 4, 'int'],
    ]),
    struct('memblock_type', 40, [
      ['cnt', 0, 8, P],
      ['max', 8, 8, P],
      ['total_size', 16, 8, 'phys_addr_t'],
      ['regions', 24, 8, 'struct memblock_region *'],
      ['name', 32, 8, 'char *'],
    ]),
    struct('memblock', 96, [
      ['bottom_up', 0, 1, '_Bool'],
      ['current_limit', 8, 8, 'phys_addr_t'],
      ['memory', 16, 40, 'struct memblock_type'],
      ['reserved', 56, 40, 'struct memblock_type'],
    ]),
    struct('mem_section', 16, [
      ['section_mem_map', 0, 8, P],
      ['usage', 8, 8, 'struct mem_section_usage *'],
    ]),
    struct('callback_head', 16, [
      ['next', 0, 8, 'struct callback_head *'],
      ['func', 8, 8, 'void (*)(struct callback_head *)'],
    ]),
    // Followed by the pageblock flags (flexible array).
    struct('mem_section_usage', 24, [
      ['rcu', 0, 16, 'struct callback_head'],
      ['subsection_map', 16, 8, 'unsigned long [1]'],
    ]),
    struct('new_utsname', 390, [
      ['sysname', 0, 65, 'char [65]'],
      ['nodename', 65, 65, 'char [65]'],
      ['release', 130, 65, 'char [65]'],
      ['version', 195, 65, 'char [65]'],
      ['machine', 260, 65, 'char [65]'],
      ['domainname', 325, 65, 'char [65]'],
    ]),
    struct('ns_common', 24, [
      ['stashed', 0, 8, 'struct dentry *'],
      ['ops', 8, 8, 'const struct proc_ns_operations *'],
      ['inum', 16, 4, 'unsigned int'],
      ['count', 20, 4, 'refcount_t'],
    ]),
    struct('uts_namespace', 432, [
      ['name', 0, 390, 'struct new_utsname'],
      ['user_ns', 392, 8, 'struct user_namespace *'],
      ['ucounts', 400, 8, 'struct ucounts *'],
      ['ns', 408, 24, 'struct ns_common'],
    ]),
    struct('swsusp_info', 4096, [
      ['uts', 0, 390, 'struct new_utsname'],
      ['version_code', 392, 4, 'u32'],
      ['num_physpages', 400, 8, P],
      ['cpus', 408, 4, 'int'],
      ['image_pages', 416, 8, P],
      ['pages', 424, 8, P],
      ['size', 432, 8, P],
    ]),
  ],
);
