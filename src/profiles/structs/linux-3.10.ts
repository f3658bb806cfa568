/**
 * Struct layouts of RHEL 7.9 kernel-3.10.0-1160.el7.x86_64 (x86_64, the
 * distro config: CONFIG_NUMA=y with NODES_SHIFT 10, CONFIG_SPARSEMEM_VMEMMAP=y,
 * CONFIG_SPARSEMEM_EXTREME=y, CONFIG_MEMCG=y, CONFIG_COMPACTION=y,
 * CONFIG_MEMORY_HOTPLUG=y, CONFIG_MEMORY_ISOLATION=y, CONFIG_CMA unset,
 * CONFIG_NUMA_BALANCING=y, no lock debugging; L1_CACHE_BYTES 64).
 *
 * Member order and sizes follow the 3.10 headers (include/linux/mm_types.h,
 * mmzone.h, memblock.h, utsname.h; kernel/power/power.h, snapshot.c) plus
 * the RHEL backports the seed-000 crash session shows:
 *  - memblock_region has flags and nid (3.13+ backport): `p
 *    memblock_memory_init_regions` prints base, size, flags, nid;
 *  - struct zone is 0x800 bytes (node_zones[1] at +0x800, node_zones[2] at
 *    +0x1000): the kABI padding RHEL appends; member offsets below are the
 *    upstream 3.10 ones, which the seed does not contradict;
 *  - swsusp_info.pages at +0x1a8 (`mov 0x1a8(%r14),%rdx` in swsusp_read);
 *  - sizeof(pglist_data) rounds up to 0x27000 (NODE_DATA 0x13ffd7000 directly
 *    under the page-table pages at 0x13fffe000).
 * MIGRATE_TYPES is 5 (UNMOVABLE, RECLAIMABLE, MOVABLE, RESERVE, ISOLATE).
 */
import { struct, table } from './define.js';

const P = 'unsigned long';

export const STRUCTS_LINUX_310 = table(
  'RHEL 7.9 3.10.0-1160.el7.x86_64, CONFIG_NUMA=y (NODES_SHIFT 10), CONFIG_SPARSEMEM_VMEMMAP=y, CONFIG_MEMCG=y',
  [
    struct('list_head', 16, [
      ['next', 0, 8, 'struct list_head *'],
      ['prev', 8, 8, 'struct list_head *'],
    ]),
    // include/linux/mm_types.h (3.10): the first double word is {_mapcount, _count} for
    // page-cache/anon pages; lru links a free block head into its free_area list.
    struct('page', 64, [
      ['flags', 0, 8, P],
      ['mapping', 8, 8, 'struct address_space *'],
      ['index', 16, 8, 'unsigned long'],
      ['_mapcount', 24, 4, 'atomic_t'],
      ['_count', 28, 4, 'atomic_t'],
      ['lru', 32, 16, 'struct list_head'],
      ['private', 48, 8, P],
      ['slab_cache', 56, 8, 'struct kmem_cache *'],
    ]),
    struct('free_area', 88, [
      ['free_list', 0, 80, 'struct list_head [5]'],
      ['nr_free', 80, 8, P],
    ]),
    struct('zone_reclaim_stat', 32, [
      ['recent_rotated', 0, 16, 'unsigned long [2]'],
      ['recent_scanned', 16, 16, 'unsigned long [2]'],
    ]),
    struct('lruvec', 120, [
      ['lists', 0, 80, 'struct list_head [5]'],
      ['reclaim_stat', 80, 32, 'struct zone_reclaim_stat'],
      ['zone', 112, 8, 'struct zone *'],
    ]),
    struct('zone', 0x800, [
      ['watermark', 0, 24, 'unsigned long [3]'],
      ['percpu_drift_mark', 24, 8, P],
      ['lowmem_reserve', 32, 32, 'unsigned long [4]'],
      ['dirty_balance_reserve', 64, 8, P],
      ['node', 72, 4, 'int'],
      ['min_unmapped_pages', 80, 8, P],
      ['min_slab_pages', 88, 8, P],
      ['pageset', 96, 8, 'struct per_cpu_pageset *'],
      ['lock', 104, 4, 'spinlock_t'],
      ['all_unreclaimable', 108, 4, 'int'],
      ['compact_blockskip_flush', 112, 1, '_Bool'],
      ['compact_cached_free_pfn', 120, 8, P],
      ['compact_cached_migrate_pfn', 128, 8, P],
      ['span_seqlock', 136, 8, 'seqlock_t'],
      ['free_area', 144, 968, 'struct free_area [11]'],
      ['compact_considered', 1112, 4, 'unsigned int'],
      ['compact_defer_shift', 1116, 4, 'unsigned int'],
      ['compact_order_failed', 1120, 4, 'int'],
      ['lru_lock', 1152, 4, 'spinlock_t'],
      ['lruvec', 1160, 120, 'struct lruvec'],
      ['pages_scanned', 1280, 8, P],
      ['flags', 1288, 8, P],
      // enum zone_stat_item (3.10, NUMA): 34 items, NR_FREE_PAGES first.
      ['vm_stat', 1296, 272, 'atomic_long_t [34]'],
      ['inactive_ratio', 1568, 4, 'unsigned int'],
      ['wait_table', 1600, 8, 'wait_queue_head_t *'],
      ['wait_table_hash_nr_entries', 1608, 8, P],
      ['wait_table_bits', 1616, 8, P],
      ['zone_pgdat', 1624, 8, 'struct pglist_data *'],
      ['zone_start_pfn', 1632, 8, P],
      ['spanned_pages', 1640, 8, P],
      ['present_pages', 1648, 8, P],
      ['managed_pages', 1656, 8, P],
      ['name', 1664, 8, 'const char *'],
    ]),
    struct('zoneref', 16, [
      ['zone', 0, 8, 'struct zone *'],
      ['zone_idx', 8, 4, 'int'],
    ]),
    // MAX_ZONES_PER_ZONELIST = MAX_NUMNODES * MAX_NR_ZONES = 1024 * 4.
    struct('zonelist_cache', 8712, [
      ['z_to_n', 0, 8192, 'unsigned short [4096]'],
      ['fullzones', 8192, 512, 'unsigned long [64]'],
      ['last_full_zap', 8704, 8, P],
    ]),
    struct('zonelist', 74272, [
      ['zlcache_ptr', 0, 8, 'struct zonelist_cache *'],
      ['_zonerefs', 8, 65552, 'struct zoneref [4097]'],
      ['zlcache', 65560, 8712, 'struct zonelist_cache'],
    ]),
    struct('pglist_data', 0x26540, [
      ['node_zones', 0, 0x2000, 'struct zone [4]'],
      ['node_zonelists', 0x2000, 148544, 'struct zonelist [2]'],
      ['nr_zones', 156736, 4, 'int'],
      ['node_size_lock', 156740, 4, 'spinlock_t'],
      ['node_start_pfn', 156744, 8, P],
      ['node_present_pages', 156752, 8, P],
      ['node_spanned_pages', 156760, 8, P],
      ['node_id', 156768, 4, 'int'],
      ['reclaim_nodes', 156776, 128, 'nodemask_t'],
      ['kswapd_wait', 156904, 24, 'wait_queue_head_t'],
      ['pfmemalloc_wait', 156928, 24, 'wait_queue_head_t'],
      ['kswapd', 156952, 8, 'struct task_struct *'],
      ['kswapd_max_order', 156960, 4, 'int'],
      ['classzone_idx', 156964, 4, 'enum zone_type'],
      ['numabalancing_migrate_lock', 156968, 4, 'spinlock_t'],
      ['numabalancing_migrate_next_window', 156976, 8, P],
      ['numabalancing_migrate_nr_pages', 156984, 8, P],
    ]),
    // kernel/power/snapshot.c (3.10 … 3.16).
    struct('bm_position', 16, [
      ['block', 0, 8, 'struct bm_block *'],
      ['bit', 8, 4, 'int'],
    ]),
    struct('memory_bitmap', 40, [
      ['blocks', 0, 16, 'struct list_head'],
      ['p_list', 16, 8, 'struct linked_page *'],
      ['cur', 24, 16, 'struct bm_position'],
    ]),
    struct('bm_block', 40, [
      ['hook', 0, 16, 'struct list_head'],
      ['start_pfn', 16, 8, P],
      ['end_pfn', 24, 8, P],
      ['data', 32, 8, 'unsigned long *'],
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
    // include/linux/memblock.h with the RHEL 7 backport (flags, nid; bottom_up).
    struct('memblock_region', 32, [
      ['base', 0, 8, 'phys_addr_t'],
      ['size', 8, 8, 'phys_addr_t'],
      ['flags', 16, 8, P],
      ['nid', 24, 4, 'int'],
    ]),
    struct('memblock_type', 32, [
      ['cnt', 0, 8, P],
      ['max', 8, 8, P],
      ['total_size', 16, 8, 'phys_addr_t'],
      ['regions', 24, 8, 'struct memblock_region *'],
    ]),
    struct('memblock', 80, [
      ['bottom_up', 0, 1, '_Bool'],
      ['current_limit', 8, 8, 'phys_addr_t'],
      ['memory', 16, 32, 'struct memblock_type'],
      ['reserved', 48, 32, 'struct memblock_type'],
    ]),
    // CONFIG_MEMCG adds page_cgroup + pad (removed in 3.19): 32 bytes, 128 per root page.
    struct('mem_section', 32, [
      ['section_mem_map', 0, 8, P],
      ['pageblock_flags', 8, 8, 'unsigned long *'],
      ['page_cgroup', 16, 8, 'struct page_cgroup *'],
      ['pad', 24, 8, P],
    ]),
    struct('new_utsname', 390, [
      ['sysname', 0, 65, 'char [65]'],
      ['nodename', 65, 65, 'char [65]'],
      ['release', 130, 65, 'char [65]'],
      ['version', 195, 65, 'char [65]'],
      ['machine', 260, 65, 'char [65]'],
      ['domainname', 325, 65, 'char [65]'],
    ]),
    struct('kref', 4, [['refcount', 0, 4, 'atomic_t']]),
    struct('uts_namespace', 416, [
      ['kref', 0, 4, 'struct kref'],
      ['name', 4, 390, 'struct new_utsname'],
      ['user_ns', 400, 8, 'struct user_namespace *'],
      ['proc_inum', 408, 4, 'unsigned int'],
    ]),
    // kernel/power/power.h: __aligned(PAGE_SIZE).
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
