/**
 * Seed 000's kernel objects (shared/seeds/000_*.txt, the real RHEL 7.9
 * vmcore) placed at their real addresses in a FakeKm: page tables on the path
 * of 0xffff9263fe142000, orig_bm and its bm_block, the forbidden/free
 * bitmaps with the bytes crash showed, the 12 nosave regions, node_data[0]'s
 * zones, three struct pages. The struct offsets are the fake's own (the real
 * RHEL layouts come from src/profiles/structs/); the tests check the
 * inspector's output against crash's output for the same objects.
 */
import type { InspectTarget, PanicTask, PtRegs } from '../../src/inspect/target.js';
import { FakeKm, f, struct } from './fake-km.js';

export const POB = 0xffff926340000000n;
export const VMEMMAP = 0xffffe30300000000n;
const TEXT_VIRT = 0xffffffff8b000000n;
const TEXT_PHYS = 0x1f000000n;

const layouts = [
  struct('list_head', 16, [f('next', 0, 8, 'struct list_head *'), f('prev', 8, 8, 'struct list_head *')]),
  struct('bm_position', 16, [f('block', 0, 8, 'struct bm_block *'), f('bit', 8, 4, 'int')]),
  struct('memory_bitmap', 40, [
    f('blocks', 0, 16, 'struct list_head'),
    f('p_list', 16, 8, 'struct linked_page *'),
    f('cur', 24, 16, 'struct bm_position'),
  ]),
  struct('bm_block', 40, [
    f('hook', 0, 16, 'struct list_head'),
    f('start_pfn', 16, 8, 'unsigned long'),
    f('end_pfn', 24, 8, 'unsigned long'),
    f('data', 32, 8, 'unsigned long *'),
  ]),
  struct('nosave_region', 32, [
    f('list', 0, 16, 'struct list_head'),
    f('start_pfn', 16, 8, 'unsigned long'),
    f('end_pfn', 24, 8, 'unsigned long'),
  ]),
  struct('free_area', 88, [
    f('free_list', 0, 80, 'struct list_head [5]', { count: 5 }),
    f('nr_free', 80, 8, 'unsigned long'),
  ]),
  struct('zone', 0x800, [
    f('free_area', 0x100, 968, 'struct free_area [11]', { count: 11 }),
    f('zone_start_pfn', 0x500, 8, 'unsigned long'),
    f('managed_pages', 0x508, 8, 'unsigned long'),
    f('spanned_pages', 0x510, 8, 'unsigned long'),
    f('present_pages', 0x518, 8, 'unsigned long'),
    f('name', 0x520, 8, 'const char *'),
  ]),
  struct('pglist_data', 0x2200, [
    f('node_zones', 0, 0x2000, 'struct zone [4]', { count: 4 }),
    f('nr_zones', 0x2000, 4, 'int'),
    f('node_start_pfn', 0x2100, 8, 'unsigned long'),
    f('node_present_pages', 0x2108, 8, 'unsigned long'),
    f('node_spanned_pages', 0x2110, 8, 'unsigned long'),
    f('node_id', 0x2118, 4, 'int'),
  ]),
  struct('page', 64, [
    f('flags', 0, 8, 'unsigned long'),
    f('mapping', 8, 8, 'struct address_space *'),
    f('index', 16, 8, 'unsigned long'),
    f('_mapcount', 24, 4, 'atomic_t'),
    f('_count', 28, 4, 'atomic_t'),
    f('lru', 32, 16, 'struct list_head'),
    f('private', 48, 8, 'unsigned long'),
    f('slab_cache', 56, 8, 'struct kmem_cache *'),
  ]),
  struct('mem_section', 32, [
    f('section_mem_map', 0, 8, 'unsigned long'),
    f('pageblock_flags', 8, 8, 'unsigned long *'),
    f('page_cgroup', 16, 8, 'struct page_cgroup *'),
    f('pad', 24, 8, 'unsigned long'),
  ]),
  struct('nodemask_t', 128, [f('bits', 0, 128, 'unsigned long [16]', { count: 16 })]),
  struct('memblock_region', 32, [
    f('base', 0, 8, 'phys_addr_t'),
    f('size', 8, 8, 'phys_addr_t'),
    f('flags', 16, 8, 'unsigned long'),
    f('nid', 24, 4, 'int'),
  ]),
];

/** The 12 nosave regions of seed 000 (entry address, start_pfn, end_pfn). */
export const NOSAVE: [bigint, bigint, bigint][] = [
  [0xffff92647ff3c000n, 0xa0n, 0x100n],
  [0xffff92647ff3a340n, 0x800n, 0x808n],
  [0xffff92647ff3a300n, 0x80bn, 0x80cn],
  [0xffff92647ff3a2c0n, 0x810n, 0x900n],
  [0xffff92647ff3a280n, 0xbd85dn, 0xbd85en],
  [0xffff92647ff3a240n, 0xbd866n, 0xbd867n],
  [0xffff92647ff3a200n, 0xbe142n, 0xbe143n],
  [0xffff92647ff3a1c0n, 0xbe1e8n, 0xbe1e9n],
  [0xffff92647ff3a180n, 0xbe675n, 0xbe6ben],
  [0xffff92647ff3a140n, 0xbeb8an, 0xbebcbn],
  [0xffff92647ff3a100n, 0xbf0edn, 0xbf3ffn],
  [0xffff92647ff3a0c0n, 0xbfafcn, 0x100000n],
];

const NOSAVE_HEAD = 0xffffffff8be5da50n;
export const PGDAT = 0xffff92647ffd7000n;

function regs(v: Partial<PtRegs>): PtRegs {
  const z = 0n;
  return {
    rip: z,
    rsp: z,
    rflags: z,
    rax: z,
    rbx: z,
    rcx: z,
    rdx: z,
    rsi: z,
    rdi: z,
    rbp: z,
    r8: z,
    r9: z,
    r10: z,
    r11: z,
    r12: z,
    r13: z,
    r14: z,
    r15: z,
    origRax: z,
    cs: z,
    ss: z,
    ...v,
  };
}

/** The panicking task of seed 000 (crash `bt`). */
export const SEED_PANIC: PanicTask = {
  pid: 318,
  task: 0xffff92637d862100n,
  cpu: 0,
  comm: 'dracut-pre-moun',
  frames: [
    { sp: 0xffff9263fd72b998n, func: 'panic', pc: 0xffffffff8b97a9c7n },
    { sp: 0xffff9263fd72ba18n, func: 'oops_end', pc: 0xffffffff8b98b7b5n },
    { sp: 0xffff9263fd72ba40n, func: 'no_context', pc: 0xffffffff8b275d14n },
    { sp: 0xffff9263fd72ba90n, func: '__bad_area_nosemaphore', pc: 0xffffffff8b275fe2n },
    { sp: 0xffff9263fd72bae0n, func: 'bad_area_nosemaphore', pc: 0xffffffff8b276104n },
    { sp: 0xffff9263fd72baf0n, func: '__do_page_fault', pc: 0xffffffff8b98e750n },
    { sp: 0xffff9263fd72bb60n, func: 'trace_do_page_fault', pc: 0xffffffff8b98ea26n },
    { sp: 0xffff9263fd72bba0n, func: 'do_async_page_fault', pc: 0xffffffff8b98dfa2n },
    {
      sp: 0xffff9263fd72bbc0n,
      func: 'async_page_fault',
      pc: 0xffffffff8b98a7a8n,
      exception: {
        rip: 'load_image_lzo+2086',
        regs: regs({
          rip: 0xffffffff8b2fe476n,
          rsp: 0xffff9263fd72bc70n,
          rflags: 0x10246n,
          rbx: 0x21c6bn,
          rcx: 0x200n,
          rdx: 0x1000n,
          rsi: 0xffffb3f1c0a07058n,
          rdi: 0xffff9263fe142000n,
          rbp: 0xffff9263fd72bd78n,
          r8: 0xffff9263fd6f9288n,
          r9: 1n,
          r10: 1n,
          r11: 0xffffb3f1c0a1c058n,
          r12: 0xb000n,
          r13: 0xffff9263fd72bd88n,
          r14: 0xffffb3f1c09fc058n,
          r15: 0xffffb3f1c09fc000n,
          origRax: 0xffffffffffffffffn,
          cs: 0x10n,
          ss: 0x18n,
        }),
      },
    },
    { sp: 0xffff9263fd72bd80n, func: 'swsusp_read', pc: 0xffffffff8b2ffb2en },
    { sp: 0xffff9263fd72be10n, func: 'software_resume', pc: 0xffffffff8b2fae0en },
    { sp: 0xffff9263fd72be38n, func: 'resume_store', pc: 0xffffffff8b2fafd5n },
    { sp: 0xffff9263fd72be70n, func: 'kobj_attr_store', pc: 0xffffffff8b588612n },
    { sp: 0xffff9263fd72be80n, func: 'sysfs_kf_write', pc: 0xffffffff8b4db0b2n },
    { sp: 0xffff9263fd72be90n, func: 'kernfs_fop_write', pc: 0xffffffff8b4da69bn },
    { sp: 0xffff9263fd72bec8n, func: 'vfs_write', pc: 0xffffffff8b44db50n },
    { sp: 0xffff9263fd72bf08n, func: 'sys_write', pc: 0xffffffff8b44e92fn },
    {
      sp: 0xffff9263fd72bf50n,
      func: 'system_call_fastpath',
      pc: 0xffffffff8b993f92n,
      exception: {
        regs: regs({
          rip: 0x7f8ec046aba0n,
          rsp: 0x7fffae7dca78n,
          rflags: 0x10202n,
          rax: 1n,
          rbx: 6n,
          rcx: 0xb48n,
          rdx: 6n,
          rsi: 0x7f8ec0d95000n,
          rdi: 1n,
          rbp: 0x7f8ec0d95000n,
          r8: 0xan,
          r9: 0x7f8ec0d92740n,
          r10: 0x7fffae7dbe60n,
          r11: 0x246n,
          r12: 0x7f8ec0743400n,
          r13: 6n,
          r14: 1n,
          r15: 0n,
          origRax: 1n,
          cs: 0x33n,
          ss: 0x2bn,
        }),
      },
    },
  ],
};

export function seed000Fake(): { km: FakeKm; target: InspectTarget } {
  const km = new FakeKm(TEXT_PHYS + 0xe10000n, layouts);
  // The direct-map walk crash printed for 0xffff9263fe142000.
  const va = 0xffff9263fe142000n;
  km.setEntry(km.pgdPhys, Number((va >> 39n) & 511n), 0x1fe74067n);
  km.setEntry(0x1fe74000n, 399, 0x13ffff067n);
  km.setEntry(0x13ffff000n, 496, 0x13fffe067n);
  km.setEntry(0x13fffe000n, 321, 0x80000000be141063n);
  km.setEntry(0x13fffe000n, 323, 0x80000000be143063n);
  const direct = (addr: bigint, len = 1): void => {
    for (let p = addr & ~0xfffn; p < addr + BigInt(len); p += 0x1000n) km.map(p, p - POB);
  };
  const image = (addr: bigint): void =>
    km.map(addr & ~0xfffn, (addr & ~0xfffn) - TEXT_VIRT + TEXT_PHYS, 0x63n);
  for (const a of [
    0xffffffff8be10000n,
    0xffffffff8be5d000n,
    0xffffffff8be5e000n,
    0xffffffff8be5f000n,
    0xffffffff8be60000n,
    0xffffffff8be61000n,
    0xffffffff8bc8e000n,
  ])
    image(a);
  const sym = km.addSymbol.bind(km);
  sym('init_level4_pgt', 0xffffffff8be10000n, 'pgd_t [512]', 4096);
  sym('nosave_regions', NOSAVE_HEAD, 'struct list_head', 16);
  sym('orig_bm', 0xffffffff8be5dc00n, 'struct memory_bitmap', 40, 'b');
  sym('forbidden_pages_map', 0xffffffff8be5dc40n, 'struct memory_bitmap *', 8, 'b');
  sym('free_pages_map', 0xffffffff8be5dc48n, 'struct memory_bitmap *', 8, 'b');
  sym('nr_copy_pages', 0xffffffff8be5dc50n, 'unsigned int', 4, 'b');
  sym('nr_meta_pages', 0xffffffff8be5dc54n, 'unsigned int', 4, 'b');
  sym('page_offset_base', 0xffffffff8be5dc58n, 'unsigned long', 8);
  sym('vmemmap_base', 0xffffffff8be5dc60n, 'unsigned long', 8);
  sym('node_data', 0xffffffff8be5e000n, 'struct pglist_data *[1024]', 8192);
  sym('node_states', 0xffffffff8be60000n, 'nodemask_t [5]', 640);
  sym('memblock_memory_init_regions', 0xffffffff8be61000n, 'struct memblock_region [128]', 4096);
  sym('load_image_lzo', 0xffffffff8b2fdc50n, 'int (void)', 0xb00, 't');

  km.w64(0xffffffff8be5dc58n, POB);
  km.w64(0xffffffff8be5dc60n, VMEMMAP);
  km.w32(0xffffffff8be5dc50n, 229023);
  km.w32(0xffffffff8be5dc54n, 448);

  // orig_bm and the bm_block it points at
  const ob = 0xffffffff8be5dc00n;
  km.w64(ob, 0xffff92646cb9e620n);
  km.w64(ob + 8n, 0xffff92646cb9e008n);
  km.w64(ob + 16n, 0xffff92646cb9e000n);
  km.w64(ob + 24n, 0xffff92646cb9e288n);
  km.w32(ob + 32n, 24898);
  const bm = (at: bigint, next: bigint, prev: bigint, start: bigint, end: bigint, data: bigint): void => {
    direct(at, 40);
    km.w64(at, next);
    km.w64(at + 8n, prev);
    km.w64(at + 16n, start);
    km.w64(at + 24n, end);
    km.w64(at + 32n, data);
  };
  bm(0xffff92646cb9e288n, 0xffff92646cb9e260n, 0xffff92646cb9e2b0n, 753665n, 786433n, 0xffff9263f744b000n);
  // forbidden_pages_map / free_pages_map and their current blocks
  const mbm = (sym: bigint, at: bigint, block: bigint): void => {
    km.w64(sym, at);
    direct(at, 40);
    km.w64(at + 24n, block);
    km.w32(at + 32n, 24898);
  };
  mbm(0xffffffff8be5dc40n, 0xffff9263fd66fd80n, 0xffff92637d62d288n);
  mbm(0xffffffff8be5dc48n, 0xffff9263fd66f480n, 0xffff9263fd6f9288n);
  bm(0xffff92637d62d288n, 0xffff92637d62d260n, 0xffff92637d62d2b0n, 0xb8001n, 0xc0001n, 0xffff92637d621000n);
  bm(0xffff9263fd6f9288n, 0xffff9263fd6f9260n, 0xffff9263fd6f92b0n, 0xb8001n, 0xc0001n, 0xffff92637d524000n);
  // bitmap bytes crash read
  const forb = 0xffff92637d621000n;
  direct(forb, 4096);
  km.write(forb + 3112n, Uint8Array.of(0x02));
  km.write(forb + 3132n, Uint8Array.of(0x80));
  km.write(forb + 3278n, Uint8Array.of(0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f));
  km.write(forb + 3693n, Uint8Array.of(...new Array(18).fill(0xff), 0x3f));
  const free = 0xffff92637d524000n;
  direct(free, 4096);
  km.write(free + 3112n, Uint8Array.of(0xff));

  // nosave_regions: LIST_HEAD and 12 entries linked through nosave_region.list
  const entries = NOSAVE.map(([a]) => a);
  for (const [i, [a, s, e]] of NOSAVE.entries()) {
    direct(a, 32);
    km.w64(a, i + 1 < entries.length ? entries[i + 1]! : NOSAVE_HEAD);
    km.w64(a + 8n, i > 0 ? entries[i - 1]! : NOSAVE_HEAD);
    km.w64(a + 16n, s);
    km.w64(a + 24n, e);
  }
  km.w64(NOSAVE_HEAD, entries[0]!);
  km.w64(NOSAVE_HEAD + 8n, entries[entries.length - 1]!);

  // node_data[0] and its zones
  km.w64(0xffffffff8be5e000n, PGDAT);
  direct(PGDAT, 0x2200);
  const zones: [bigint, bigint, bigint, bigint][] = [
    [0x1n, 0xfffn, 0xea6n, 0n],
    [0x1000n, 0xff000n, 0xbe75en, 0xffffffff8bc8e57an],
    [0x100000n, 0x40000n, 0x40000n, 0n],
  ];
  for (const [i, [start, spanned, present, name]] of zones.entries()) {
    const z = PGDAT + BigInt(i * 0x800);
    km.w64(z + 0x500n, start);
    km.w64(z + 0x510n, spanned);
    km.w64(z + 0x518n, present);
    km.w64(z + 0x520n, name);
  }
  km.write(0xffffffff8bc8e57an, new TextEncoder().encode('DMA32\0'));
  // node_states[N_ONLINE] = {1, 0, …}
  km.w64(0xffffffff8be60000n + 128n, 1n);
  // memblock.memory regions around the ACPI-data hole
  const regions: [bigint, bigint][] = [
    [0x1000n, 0x9f000n],
    [0x100000n, 0x700000n],
    [0x808000n, 0x3000n],
    [0x80c000n, 0x4000n],
    [0x900000n, 0xbd842000n],
    [0xbe143000n, 0xa5000n],
  ];
  for (const [i, [base, size]] of regions.entries()) {
    km.w64(0xffffffff8be61000n + BigInt(i * 32), base);
    km.w64(0xffffffff8be61000n + BigInt(i * 32) + 8n, size);
  }

  // struct pages of pfns 0xbe141..0xbe143 (vmemmap backed by a frame of its own)
  const pg = VMEMMAP + 0xbe141n * 64n;
  km.map(pg & ~0xfffn, 0x130000000n);
  const page = (pfn: bigint, flags: bigint, mapping: bigint, index: bigint, count: number): void => {
    const a = VMEMMAP + pfn * 64n;
    km.w64(a, flags);
    km.w64(a + 8n, mapping);
    km.w64(a + 16n, index);
    km.w32(a + 24n, 0xffffffff);
    km.w32(a + 28n, count);
  };
  page(0xbe141n, 0x1fffff00080030n, 0xffff92646e1873e0n, 0x20bn, 1);
  page(0xbe142n, 0x1fffff00000000n, 0n, 0n, 1);
  page(0xbe143n, 0x1fffff00080030n, 0xffff92646e1873e0n, 0x195n, 1);
  km.map((VMEMMAP + 0xbe1e8n * 64n) & ~0xfffn, 0x130001000n);
  page(0xbe1e8n, 0x1fffff00000000n, 0n, 0n, 1);

  // The resume kernel's firmware map (seed 000's "BIOS-e820" lines) and a PM line.
  const e820: [string, string, string][] = [
    ['0000000000000000', '000000000009ffff', 'usable'],
    ['0000000000100000', '00000000007fffff', 'usable'],
    ['0000000000800000', '0000000000807fff', 'ACPI NVS'],
    ['0000000000808000', '000000000080afff', 'usable'],
    ['000000000080b000', '000000000080bfff', 'ACPI NVS'],
    ['000000000080c000', '000000000080ffff', 'usable'],
    ['0000000000810000', '00000000008fffff', 'ACPI NVS'],
    ['0000000000900000', '00000000be141fff', 'usable'],
    ['00000000be142000', '00000000be142fff', 'ACPI data'],
    ['00000000be143000', '00000000be1e7fff', 'usable'],
    ['00000000be1e8000', '00000000be1e8fff', 'ACPI data'],
    ['00000000be1e9000', '00000000be674fff', 'usable'],
    ['00000000be675000', '00000000be6bdfff', 'reserved'],
    ['00000000bf36d000', '00000000bf37efff', 'ACPI data'],
    ['00000000bf37f000', '00000000bf3fefff', 'ACPI NVS'],
    ['00000000bfb80000', '00000000bfffffff', 'ACPI NVS'],
  ];
  // Sparsemem: section 23 (pfns 0xb8000-0xbffff) present with its memmap
  // (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP; coded mem_map = vmemmap_base).
  sym('mem_section', 0xffffffff8be62000n, 'struct mem_section *[4096]', 32768);
  sym('max_pfn', 0xffffffff8be5dc68n, 'unsigned long', 8);
  sym('vm_stat', 0xffffffff8be6a000n, 'atomic_long_t [40]', 320);
  sym('totalram_pages', 0xffffffff8be5dc70n, 'unsigned long', 8);
  for (const a of [0xffffffff8be62000n, 0xffffffff8be6a000n]) image(a);
  km.w64(0xffffffff8be5dc68n, 0x140000n);
  km.w64(0xffffffff8be5dc70n, 0x3d0000n);
  const root = 0xffff92647ff30000n;
  direct(root, 4096);
  km.w64(0xffffffff8be62000n, root);
  km.w64(root + 23n * 32n, VMEMMAP | 3n);
  for (let i = 0n; i < 512n; i++) {
    const v = VMEMMAP + 0xb8000n * 64n + i * 4096n;
    if (km.translate(v) === null) km.map(v, 0x131000000n + i * 4096n);
  }
  // Free lists of DMA32: order 0 MOVABLE holds pfns 0xbe150, 0xbe151; order 3 UNMOVABLE holds 0xbe160.
  const z1 = PGDAT + 0x800n;
  const link = (head: bigint, pfns: bigint[]): void => {
    const nodes = [head, ...pfns.map((p) => VMEMMAP + p * 64n + 32n)];
    nodes.forEach((n, i) => {
      km.w64(n, nodes[(i + 1) % nodes.length]!);
      km.w64(n + 8n, nodes[(i + nodes.length - 1) % nodes.length]!);
    });
  };
  link(z1 + 0x100n + 0n * 88n + 2n * 16n, [0xbe150n, 0xbe151n]);
  link(z1 + 0x100n + 3n * 88n + 0n * 16n, [0xbe160n]);
  km.w64(0xffffffff8be6a000n, 10n);
  km.w64(PGDAT + 0x2100n, 1n);
  km.w64(PGDAT + 0x2108n, 0xea6n + 0xbe75en + 0x40000n);

  const log = [
    ...e820.map(([a, b, t]) => `[    0.000000] BIOS-e820: [mem 0x${a}-0x${b}] ${t}`),
    '[    6.993806] PM: Using 1 thread(s) for decompression.',
  ];
  return {
    km,
    target: {
      km,
      dumpName: 'seed-000.dump',
      panic: SEED_PANIC,
      panicMessage: 'BUG: unable to handle kernel paging request at ffff9263fe142000',
      log,
    },
  };
}
