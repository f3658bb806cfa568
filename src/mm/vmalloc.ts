/**
 * The vmalloc area as far as the model needs it (mm/vmalloc.c): vmalloc(size)
 * reserves PAGE_ALIGN(size) plus one guard page (every vm_struct without
 * VM_NO_GUARD) at the lowest free address above vmalloc_base — what
 * alloc_vmap_area()'s first fit gives when nothing below has been freed.
 * What earlier boot code (modules, drivers) already holds is a byte count
 * the caller supplies; the addresses after it are this allocator's own.
 */
const PAGE = 4096n;

export class VmallocArea {
  private next: bigint;

  constructor(
    readonly base: bigint,
    inUseBytes: number,
  ) {
    this.next = base + BigInt(inUseBytes);
  }

  /** vmalloc(size): the start of a fresh area of PAGE_ALIGN(size) bytes followed by its guard page. */
  vmalloc(size: number): bigint {
    const at = this.next;
    const pages = (BigInt(Math.max(1, size)) + PAGE - 1n) / PAGE;
    this.next += (pages + 1n) * PAGE;
    return at;
  }
}
