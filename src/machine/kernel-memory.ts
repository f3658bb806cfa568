/**
 * KernelMemory: a booted (or dump-loaded) kernel's memory as the CPU and the
 * crash utility see it — any kernel virtual address read as bytes.
 *
 * Contract (implementations: the live view over a Machine, and the view a
 * loaded dump restores):
 *   - direct map (page_offset_base…): through the kernel's page tables in
 *     model memory, exactly as a CPU load would translate it;
 *   - __START_KERNEL_map (kernel image .text/.data/.bss): symbols such as
 *     nr_copy_pages, orig_bm, restore_pblist, node_data / contig_page_data,
 *     memblock, nosave_regions, page_offset_base, vmemmap_base …;
 *   - vmemmap (vmemmap_base…): struct pages serialised on read in the
 *     profile's `struct page` layout (flags with zone/section bits, _refcount,
 *     _mapcount, lru / buddy links that agree with the buddy allocator,
 *     private = order of a free block head);
 *   - vmalloc, where mapped.
 * An address no page table maps is a fault (`KernelMemoryFault`, with the
 * address and the level at which the walk stopped), as it would be on the
 * real machine; the inspector prints it the crash way ("invalid kernel
 * virtual address").
 */
import { HiblabError } from '../errors.js';
import type { StructTable } from '../profiles/struct-layout.js';
import type { KernelProfile } from '../profiles/types.js';

/**
 * A read of an address no page table maps (or a physical address outside the
 * machine): `level` is where the walk stopped ('PGD' … 'PTE'), or 'phys' for
 * readPhys; the inspector prints it the crash way.
 */
export class KernelMemoryFault extends HiblabError {
  constructor(
    readonly address: bigint,
    readonly level: 'PGD' | 'PUD' | 'PMD' | 'PTE' | 'phys',
    message?: string,
  ) {
    super(
      'KMEM_FAULT',
      message ??
        (level === 'phys'
          ? `physical address 0x${address.toString(16)} is outside the machine's memory`
          : `invalid kernel virtual address: 0x${address.toString(16)} (not present at the ${level} level)`),
      {},
      1,
    );
  }
}

/** A kernel symbol: a global in the kernel image or a per-boot address. */
export interface KernelSymbolInfo {
  readonly name: string;
  readonly addr: bigint;
  /** C type ("unsigned long", "struct memory_bitmap", "struct list_head"). */
  readonly type: string;
  readonly size: number;
  /** 'd' data, 'b' bss, 't' text (as in System.map). */
  readonly section: 'd' | 'b' | 't' | 'r';
}

export interface KernelMemory {
  readonly profile: KernelProfile;
  /** Struct layouts of this kernel build. */
  readonly structs: StructTable;
  readonly symbols: readonly KernelSymbolInfo[];
  symbol(name: string): KernelSymbolInfo | undefined;
  /** Nearest symbol at or below addr (crash `sym ADDR`), with the offset into it. */
  symbolAt(addr: bigint): { sym: KernelSymbolInfo; offset: number } | undefined;
  /** Bytes at a kernel virtual address; throws KernelMemoryFault if any byte is unmapped. */
  read(vaddr: bigint, len: number): Uint8Array;
  /** Physical bytes (crash `rd -p`); throws KernelMemoryFault outside the machine's memory. */
  readPhys(paddr: number, len: number): Uint8Array;
  /** Virtual → physical through the page tables (null when not mapped). */
  translate(vaddr: bigint): number | null;
  /** KASLR bases of this boot (page_offset_base, vmalloc_base, vmemmap_base). */
  readonly bases: {
    readonly pageOffsetBase: bigint;
    readonly vmallocBase: bigint;
    readonly vmemmapBase: bigint;
  };
  /** Little-endian helpers over read(). */
  u64(vaddr: bigint): bigint;
  u32(vaddr: bigint): number;
}
