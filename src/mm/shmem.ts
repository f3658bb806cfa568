/**
 * shmem / tmpfs files (mm/shmem.c): the page cache of an inode, filled on
 * demand by shmem_fault() with zeroed pages, and read/written by
 * pread/pwrite. MAP_SHARED|MAP_ANONYMOUS mappings get such a file
 * (shmem_zero_setup); an O_TMPFILE in a tmpfs /tmp is one too.
 */
import type { MmContext } from './context.js';
import { AddressSpace, type VmOps } from './vma.js';

/** shmem_file_setup(). */
export function shmemFileSetup(ctx: MmContext, name: string, size: number): AddressSpace {
  const as = new AddressSpace(ctx.newMappingId(), name);
  as.size = size;
  ctx.mappings.set(as.id, as);
  return as;
}

/** shmem_get_folio(SGP_CACHE): the page at `index`, allocated zeroed on first use; -1 beyond i_size. */
export function shmemGetPage(ctx: MmContext, as: AddressSpace, index: number): number {
  if (index * 4096 >= as.size) return -1;
  let pfn = as.pages.get(index);
  if (pfn === undefined) {
    pfn = ctx.allocPages(0, true);
    if (pfn < 0) return -1;
    ctx.fields.setMapping(pfn, as.id);
    ctx.fields.setIndex(pfn, index);
    ctx.pages.setBit(pfn, ctx.pgSwapbacked, true);
    as.pages.set(index, pfn);
  }
  return pfn;
}

/** shmem_vm_ops: .fault = shmem_fault. */
export function shmemVmOps(ctx: MmContext, as: AddressSpace): VmOps {
  return { name: 'shmem_vm_ops', fault: (index) => shmemGetPage(ctx, as, index) };
}

/** shmem_file_read_iter / shmem_file_write_iter on the page cache (pread/pwrite). */
export function shmemRw(
  ctx: MmContext,
  as: AddressSpace,
  buf: Uint8Array,
  off: number,
  write: boolean,
): number {
  let done = 0;
  if (write && off + buf.length > as.size) as.size = off + buf.length;
  const len = write ? buf.length : Math.max(0, Math.min(buf.length, as.size - off));
  while (done < len) {
    const pos = off + done;
    const index = Math.floor(pos / 4096);
    const po = pos % 4096;
    const n = Math.min(len - done, 4096 - po);
    const pfn = shmemGetPage(ctx, as, index);
    if (pfn < 0) break;
    if (write) ctx.mem.frame(pfn).set(buf.subarray(done, done + n), po);
    else buf.set(ctx.mem.read(pfn * 4096 + po, n), done);
    done += n;
  }
  return done;
}

/** Drop the page cache when the last reference to the inode goes (evict → truncate_inode_pages). */
export function shmemEvict(ctx: MmContext, as: AddressSpace): void {
  for (const pfn of as.pages.values()) {
    ctx.fields.setMapping(pfn, 0);
    ctx.putPage(pfn);
  }
  as.pages.clear();
  ctx.mappings.delete(as.id);
}
