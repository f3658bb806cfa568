import type { HibernationProfile } from './hibernation.js';
import type { HmmProfile } from './hmm.js';
import type { StructTable } from './struct-layout.js';

/**
 * A kernel profile: the data and the small strategy choices in which the
 * supported kernels differ. Code elsewhere asks the profile ("which nosave
 * algorithm?", "which leaf PTE flags?") instead of testing a version number,
 * so adding a kernel (say linux-4.18 for RHEL 8) is one new file in this
 * directory plus one line in ./index.ts.
 *
 * Each field names the kernel function or constant it stands for.
 */

/** Bit positions of `struct page` flags (include/linux/page-flags.h, mm.h). */
export interface PageFlagsLayout {
  /** enum pageflags bit numbers used by the model. */
  readonly bits: {
    readonly locked: number;
    readonly referenced: number;
    readonly uptodate: number;
    readonly dirty: number;
    readonly lru: number;
    readonly active: number;
    readonly slab: number;
    readonly reserved: number;
    readonly private: number;
    readonly writeback: number;
    readonly head: number;
    readonly swapbacked: number;
    readonly unevictable: number;
    readonly mlocked: number;
  };
  /** ZONES_PGOFF / ZONES_WIDTH (page_zonenum()). */
  readonly zonesPgoff: number;
  readonly zonesWidth: number;
  /** NODES_PGOFF / NODES_WIDTH (page_to_nid()). */
  readonly nodesPgoff: number;
  readonly nodesWidth: number;
  /** LAST_CPUPID_PGOFF / LAST_CPUPID_WIDTH; page_cpupid_reset_last() sets all ones. 0 width = none. */
  readonly lastCpupidPgoff: number;
  readonly lastCpupidWidth: number;
}

/** `struct page` field offsets (64 bytes on x86-64 in both kernels), derived from the profile's struct table. */
export interface StructPageLayout {
  readonly size: number;
  readonly flags: number;
  readonly mapping: number;
  readonly index: number;
  /** _count (3.10) / _refcount (4.6+). */
  readonly refcount: number;
  /** _mapcount. */
  readonly mapcount: number;
  /** lru list_head (buddy free lists link through it). */
  readonly lru: number;
  /** `private` (buddy order of a free block head). */
  readonly private: number;
}

export type NosaveAlgorithm =
  /** 3.10 arch/x86/kernel/e820.c e820_mark_nosave_regions(): gap rule + type rule. */
  | 'e820_mark_nosave_regions'
  /** 6.15+ e820__register_nosave_regions() after the April 2025 sub-page fix: non-RAM = hole, rounded out. */
  | 'e820__register_nosave_regions';

export type SetupDataHandling =
  /** 3.10 e820_reserve_setup_data(): e820_update_range(RAM → RESERVED_KERN), kept in memblock.memory. */
  | 'reserved-kern'
  /** 6.x: setup_data stays RAM in e820 and is memblock_reserve()d (E820_TYPE_RESERVED_KERN removed). */
  | 'memblock-reserve';

export type MemoryMapStepping =
  /** 3.10 upstream init_mem_mapping(): step starts at PMD_SIZE and grows << 5. */
  | 'top-down-step-shift-5'
  /** RHEL 7.9 / 6.x memory_map_top_down(): get_new_step_size() grows << (PMD_SHIFT - PAGE_SHIFT - 1) = << 8. */
  | 'top-down-step-shift-8';

export interface PagingProfile {
  /** Leaf 4K PTE value bits for the direct map (pfn excluded), e.g. PRESENT|RW|ACCESSED|DIRTY|NX. */
  readonly pteLeafFlags: bigint;
  /** 2M / 1G leaf flags (with _PAGE_PSE). */
  readonly largeLeafFlags: bigint;
  /** Table (non-leaf) entry flags: _PAGE_TABLE / _KERNPG_TABLE. */
  readonly tableFlags: bigint;
  /** Fixed bases without KASLR (__PAGE_OFFSET, VMALLOC_START, VMEMMAP_START). */
  readonly fixedPageOffset: bigint;
  readonly fixedVmallocBase: bigint;
  readonly fixedVmemmapBase: bigint;
  /** KASLR memory randomization (kernel_randomize_memory) on by default. */
  readonly kaslrMemoryDefault: boolean;
  /** kaslr.c vaddr_start for 4-level paging. */
  readonly kaslrVaddrStart: bigint;
  /** kaslr.c vaddr_end (CPU_ENTRY_AREA_BASE on 6.x; __START_KERNEL_map-ish on backports). */
  readonly kaslrVaddrEnd: bigint;
  /** VMALLOC_SIZE_TB. */
  readonly vmallocSizeTb: number;
  /** CONFIG_RANDOMIZE_MEMORY_PHYSICAL_PADDING in TB. */
  readonly physicalPaddingTb: number;
  /** MAX_PHYSMEM_BITS (4-level). */
  readonly maxPhysmemBits: number;
  /** Pages in the early brk page-table buffer (INIT_PGT_BUF_SIZE / PAGE_SIZE). */
  readonly pgtBufPages: number;
  /** init_mem_mapping() top-down stepping. */
  readonly stepping: MemoryMapStepping;
  /** direct_gbpages default (CONFIG_X86_DIRECT_GBPAGES). */
  readonly directGbpages: boolean;
}

/**
 * Where the kernel image sits (the boot default; scenarios may override).
 * Offsets are from _text; the PGD (init_level4_pgt / init_top_pgt) is in the
 * image's data, the brk area (early page-table buffer) just after .bss.
 */
export interface KernelImageLayout {
  /** Physical address of _text. */
  readonly textPhys: number;
  /** Virtual address of _text (__START_KERNEL_map + load offset). */
  readonly textVirt: bigint;
  /** PGD page = _text + pgdOffset. */
  readonly pgdOffset: number;
  /** brk pgt_buf = _text + pgtBufOffset (profile.paging.pgtBufPages pages). */
  readonly pgtBufOffset: number;
  /** _end = _text + endOffset (memblock reserves [_text, _end)). */
  readonly endOffset: number;
  /** Name of the PGD symbol (init_level4_pgt in 3.10, init_top_pgt in 4.13+). */
  readonly pgdSymbol: string;
}

/**
 * One build of a kernel version: what the .config and the linker made of the
 * same source (stock distro kernel, a tinyconfig test kernel, or one taken from
 * a real boot log + System.map). The version decides the algorithms; the
 * build decides sizes, addresses and which optional lines print. See ./builds.ts.
 */
/** A syscore op as "%pS" prints it: `func+0x0/0xsize` (kallsyms), or its offset from _text (raw address). */
export type SyscoreOp = string | number;

export interface KernelBuild {
  /** `stock`, `tiny`, … (`linux-6.12/tiny` names version + build). */
  readonly id: string;
  readonly description: string;
  /**
   * Sections of [_text, _end) that stay allocated after boot, as /proc/iomem
   * shows them ("Kernel code/rodata/data/bss"), offsets from _text, [start, end).
   * free_initmem() / free_kernel_image_pages() give every other page of the
   * image (init text/data, alignment gaps) back to the buddy allocator; the brk
   * area after .bss stays reserved. null = keep the whole image (3.10 model).
   */
  readonly keptSections:
    | readonly { readonly name: string; readonly start: number; readonly end: number }[]
    | null;
  /** restore_registers − _text (System.map): the image's jump_address = _text + this. */
  readonly restoreRegistersOffset: number;
  /** CONFIG_KALLSYMS: oops lines print func+off/size, else raw addresses. */
  readonly kallsyms: boolean;
  /** __die() header flags after "[#1]": " PREEMPT SMP NOPTI" (stock 6.12), "" (tiny: no PREEMPT/SMP/PTI). */
  readonly dieFlags: string;
  /** CONFIG_NUMA: "NODE_DATA(0) allocated …" prints (stock), not on tiny kernels. */
  readonly numa: boolean;
  /** uname -r in the oops CPU: line. */
  readonly release: string;
  /**
   * Which fixture measurements describe this build's memory contents
   * (src/workload/calibration.ts); null = the generic kinds (the kernel image
   * as ContentKind.KERNEL), as the 3.10 builtins were written.
   */
  readonly calibration: 'stock' | 'tiny' | null;
  /**
   * CONFIG_PANIC_ON_OOPS_VALUE (the panic_on_oops default): oops_end() panics
   * with "Fatal exception" (RHEL kernels: 1), else make_task_dead() kills the
   * task, which panics only for PID 1 ("Attempted to kill init!"): Debian: 0.
   */
  readonly panicOnOops: boolean;
  /** CONFIG_SMP: freeze_secondary_cpus() prints "Disabling non-boot CPUs ..." (not on tiny kernels). */
  readonly smp: boolean;
  /**
   * CONFIG_PM_SLEEP_DEBUG: pm_pr_dbg() lines (syscore_suspend()'s "Checking wakeup
   * interrupts", "Calling %pS") print with `pm_debug_messages` on the command line.
   * On in the stock and the tiny configs (config-*-hiblab-tiny: CONFIG_PM_SLEEP_DEBUG=y).
   */
  readonly pmSleepDebug: boolean;
  /**
   * CONFIG_DYNAMIC_DEBUG: kernel/power/Makefile then builds swap.c and snapshot.c with
   * -DDEBUG, so their pr_debug() lines ("Marking nosave pages", "Basic memory bitmaps
   * created/freed", "Image signature found, resuming") print by default; without it
   * they are compiled out (the tiny kernels never print them, pm_debug_messages or not).
   */
  readonly dynamicDebug: boolean;
  /**
   * Entries e820_table holds: E820_MAX_ENTRIES = 128 (the zeropage's) + 3 * MAX_NUMNODES
   * (asm/e820/types.h; 3.10's E820_X_MAX with CONFIG_EFI is the same sum). MAX_NUMNODES =
   * 1 << CONFIG_NODES_SHIFT: 10 on MAXSMP distro kernels (3200), 0 without NUMA (131).
   * Firmware entries past it are ignored, one error line each.
   */
  readonly e820MaxEntries: number;
  /**
   * The syscore_ops a suspend and a resume call, in call order, as "%pS" prints them
   * (`func+0x0/0xsize`): syscore_suspend() walks the list in reverse, syscore_resume()
   * forward; 6.x prints "Calling …" for each with pm_debug_messages. They depend on the
   * build (sizes) and the machine's drivers: these are the QEMU `-M pc` boots of
   * ../shared/fixtures/kernel-images. null = not printed (3.10: only with initcall_debug).
   * Without CONFIG_KALLSYMS %pS prints the raw address: such ops are offsets from _text.
   */
  readonly syscoreOps: {
    readonly suspend: readonly SyscoreOp[];
    readonly resume: readonly SyscoreOp[];
  } | null;
}

export interface KernelProfile {
  /** Stable id used on the command line: `linux-3.10`, `linux-6.12`, `linux-6.12/tiny`. */
  readonly id: string;
  /** Version id without the build (`linux-6.12`). */
  readonly version: string;
  /** The build (sizes, addresses, config-dependent lines); `stock` by default. */
  readonly build: KernelBuild;
  /** Human description, e.g. "RHEL 7.9 3.10.0-1160.el7". */
  readonly description: string;
  /** The kernel functions whose rules this profile follows (documentation, shown by `hiblab profiles`). */
  readonly follows: readonly string[];

  readonly e820: {
    /** Types this kernel knows by name (others print "type N"). */
    readonly knownTypes: readonly number[];
    readonly setupData: SetupDataHandling;
    readonly nosave: NosaveAlgorithm;
    /** register_nosave_region() log line format. */
    readonly nosaveLog: 'exclusive-016lx' | 'mem-inclusive' | 'mem-inclusive-hibernation-prefix';
    /**
     * Characters parse_memmap_one() accepts after `memmap=nn` (arch/x86/kernel/e820.c):
     * '@' RAM, '#' ACPI, '$' reserved, '!' PRAM (4.1+, RHEL 7 backport), '%' retype (4.16+).
     * Any other character falls through to the `memmap=nn` (= mem=nn) branch.
     */
    readonly memmapOperators: string;
    /** e820_add_kernel_range() warning (setup.c): "E820_RAM" in 3.10, "E820_TYPE_RAM" in 4.12+. */
    readonly kernelNotRamWarning: string;
    /**
     * __e820__range_add() / __e820_add_region() when e820_table is full:
     * "e820: too many entries; ignoring" (3.10 printk), "too many entries; ignoring"
     * (6.x pr_err, no pr_fmt; 6.15 says "too many E820 table entries"), then " [mem %#010llx-%#010llx]".
     */
    readonly tooManyEntries: string;
  };

  /** HMM / ZONE_DEVICE / test_hmm data (profiles/hmm.ts); absent for kernels without DEVICE_PRIVATE (3.10). */
  readonly hmm?: HmmProfile;

  readonly memblock: {
    /** e820 types added to memblock.memory (memblock_x86_fill / e820__memblock_setup). */
    readonly memoryTypes: readonly number[];
    /** Bytes of low memory reserved at boot (3.10 X86_RESERVE_LOW 64K; 6.x reserve_real_mode: 1 MiB). */
    readonly reserveLowBytes: number;
  };

  readonly mm: {
    /** SECTION_SIZE_BITS (27 on x86-64). */
    readonly sectionSizeBits: number;
    /** SUBSECTION_SHIFT, or null where the kernel has no subsections (3.10). */
    readonly subsectionShift: number | null;
    /** pfn_to_online_page() with the early-section subsection rule (6.x). */
    readonly hasPfnToOnlinePage: boolean;
    /**
     * Are struct pages of non-RAM pfns inside a present section PageReserved?
     * 6.x init_unavailable_range(): yes. RHEL 7.9: no — the seed-000 crash dump
     * shows an ACPI-data page with flags 0x1fffff00000000 and count 1.
     */
    readonly holePagesReserved: boolean;
    readonly pageFlags: PageFlagsLayout;
    readonly structPage: StructPageLayout;
    /** MAX_ORDER - 1 (10 in both). */
    readonly maxOrder: number;
    /**
     * Raw _mapcount / page_type value of a PageBuddy page: 3.10
     * PAGE_BUDDY_MAPCOUNT_VALUE (-128); 6.12 page_type PGTY_buddy << 24.
     */
    readonly buddyMapcount: number;
    /**
     * Boot-time frees (memblock_free_all → __free_pages_core) add blocks at the
     * TAIL of the free lists: 6.x FPI_TO_TAIL (5.10+). 3.10 uses __free_one_page's
     * normal head/tail choice.
     */
    readonly bootFreeToTail: boolean;
    /**
     * The memmap of pfns outside every zone span but inside a present section is
     * initialised (6.x memmap_init() → init_unavailable_range() up to the section
     * end). 3.10 memmap_init_zone() leaves them zero.
     */
    readonly memmapInitWholeSection: boolean;
    /**
     * Bytes memblock-allocated for pglist_data (NODE_DATA). 3.10: rounded up to
     * PAGE_SIZE (setup_node_data); 6.x: raw size, SMP_CACHE_BYTES aligned.
     */
    readonly nodeDataBytes: number;
    /** Alignment of the NODE_DATA allocation. */
    readonly nodeDataAlign: number;
    /**
     * MIGRATE_MOVABLE: the free_area.free_list[] the model's one list per order
     * stands for (boot frees go to movable pageblocks). 3.10: 2; 6.x: 1.
     */
    readonly migrateMovable: number;
    /**
     * Flag bits in mem_section.section_mem_map of a boot section:
     * SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP (3.10), | SECTION_IS_ONLINE |
     * SECTION_IS_EARLY (6.x).
     */
    readonly sectionMapFlags: number;
    /** NR_NODE_STATES (6.x adds N_GENERIC_INITIATOR). */
    readonly nrNodeStates: number;
    /**
     * SPARSEMEM_EXTREME root array: a static array `mem_section[NR_SECTION_ROOTS]`
     * (3.10) or a pointer `struct mem_section **mem_section` (4.15+).
     */
    readonly sectionRoots: 'static-array' | 'pointer';
  };

  readonly paging: PagingProfile;

  /**
   * The hibernation image this kernel writes (src/power/image/format-era.ts):
   * `format` = swsusp_header layout, worst-case bound and log spellings of
   * kernel/power/swap.c; `archHeader` = the x86-64 struct restore_data_record
   * variant (RESTORE_MAGIC) of arch/x86/power/hibernate*.c.
   */
  readonly swsuspImage: {
    /** '6.1': the 6.x layout without zero-page flags, LZ4 or the compressor name in log lines. */
    readonly format: '3.10' | '6.1' | '6.x';
    readonly archHeader: '3.10' | '4.7-4.9' | '4.10-md5' | '5.13-crc32';
  };

  /** Default kernel image placement (see KernelImageLayout). */
  readonly kernelImage: KernelImageLayout;

  /** Spelling of boot log lines that differ between kernels. */
  readonly bootLog: {
    /** Prefix of "last_pfn = … max_arch_pfn = …" ('e820: ' in 3.10, none in 6.12). */
    readonly lastPfnPrefix: string;
    /**
     * Prefix of the "BIOS-provided / user-defined physical RAM map:" headers:
     * 'e820: ' in 3.10 (printk "e820: BIOS-provided physical RAM map:" in
     * setup_memory_map(), as el7 consoles show), none in 6.x.
     */
    readonly e820Prefix: string;
    /** Width of addresses in "Zone ranges:" lines (%#010lx in 3.10, %#018Lx in 6.x). */
    readonly zoneRangeWidth: number;
    /**
     * "Built 1 zonelists … Total pages: N": 'present' (6.12: the QEMU fixture
     * prints the present page count) or 'present-minus-memmap' (3.10
     * build_all_zonelists() before mem_init: Σ managed estimate of
     * free_area_init_core() = present − memmap pages, watermarks still 0).
     */
    readonly totalPages: 'present' | 'present-minus-memmap';
  };

  /** kernel/power + arch/x86/power differences (./hibernation.ts). */
  readonly hibernation: HibernationProfile;

  /** C struct layouts of this kernel build (./structs/*.ts); mm.structPage is derived from its `page`. */
  readonly structs: StructTable;
}
