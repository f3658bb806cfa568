/**
 * struct vm_area_struct, anon_vma and address_space (include/linux/mm_types.h,
 * mm/rmap.c, include/linux/fs.h) — one object per VMA / anon_vma / file, which
 * the model allows; per-page state stays in typed arrays.
 *
 * VM_* values are include/linux/mm.h's. A VMA is anonymous when it has no
 * vm_ops (vma_is_anonymous()); MAP_SHARED|MAP_ANONYMOUS gets a shmem file
 * (shmem_zero_setup), so it is not anonymous.
 */
import type { MmStruct } from './mm-struct.js';

export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYREAD = 0x10;
export const VM_MAYWRITE = 0x20;
export const VM_MAYEXEC = 0x40;
export const VM_MAYSHARE = 0x80;
export const VM_PFNMAP = 0x400;
export const VM_IO = 0x4000;
export const VM_DONTCOPY = 0x20000;
export const VM_DONTEXPAND = 0x40000;
export const VM_ACCOUNT = 0x100000;
export const VM_HUGETLB = 0x400000;
export const VM_MIXEDMAP = 0x10000000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;
/** VM_SPECIAL: VMAs migrate_vma refuses. */
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
export const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

/** struct anon_vma: the VMAs that may map this anon_vma's pages (via anon_vma_chain). */
export class AnonVma {
  readonly vmas = new Set<Vma>();
  constructor(readonly id: number) {}
}

/** A page cache: a shmem / tmpfs inode's address_space, or a driver file's. */
export class AddressSpace {
  /** index → pfn (the xarray i_pages). */
  readonly pages = new Map<number, number>();
  /** i_mmap: the VMAs mapping this file. */
  readonly vmas = new Set<Vma>();
  /** i_size in bytes. */
  size = 0;
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}

/** vm_operations_struct, reduced to what the model's mappings need. */
export interface VmOps {
  readonly name: string;
  /** vm_ops->fault for file-backed VMAs: the page-cache pfn at `index`, or -1 (VM_FAULT_SIGBUS). */
  fault?(index: number): number;
}

export class Vma {
  /** anon_vma_chain: every anon_vma whose pages this VMA may map. */
  anonChain: AnonVma[] = [];
  /** vma->anon_vma: where new anonymous pages of this VMA go. */
  anonVma: AnonVma | null = null;
  constructor(
    readonly mm: MmStruct,
    public start: number,
    public end: number,
    public flags: number,
    /** vm_pgoff in pages (for anonymous VMAs: start >> PAGE_SHIFT at creation). */
    public pgoff: number,
    readonly file: AddressSpace | null,
    readonly ops: VmOps | null,
  ) {}

  get isAnonymous(): boolean {
    return this.ops === null;
  }

  /** linear_page_index(). */
  linearIndex(va: number): number {
    return (va - this.start) / 4096 + this.pgoff;
  }

  /** vma_address() for a page index; -1 when outside the VMA. */
  addressOf(index: number): number {
    const va = this.start + (index - this.pgoff) * 4096;
    return va >= this.start && va < this.end ? va : -1;
  }

  /** is_cow_mapping(): private and may be written. */
  get isCow(): boolean {
    return (this.flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
  }
}
