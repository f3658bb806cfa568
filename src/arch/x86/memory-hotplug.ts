/**
 * arch_add_memory() / arch_remove_memory() (arch/x86/mm/init_64.c) for
 * memremap_pages(): a CPU-addressable (MEMORY_DEVICE_COHERENT) range gets
 * direct-map leaves like hot-added RAM; device-private memory gets none.
 * Handed to the mm layer as MmArchOps so mm/ never imports arch/.
 */
import type { MmArchOps, MmContext } from '../../mm/context.js';
import { PAGE_SIZE } from '../../mm/phys-mem.js';
import { entryAddr, readEntry, tableIndex, writeEntry } from './pgtable.js';

/** arch_add_memory() → init_memory_mapping(): 2 MiB direct-map leaves for a coherent range. */
export function archAddMemory(ctx: MmContext, spfn: number, epfn: number): void {
  const m = ctx.machine;
  const table = m.profile.paging.tableFlags;
  const large = m.profile.paging.largeLeafFlags;
  for (let pfn = spfn; pfn < epfn; pfn += 512) {
    const va = m.kaslr.pageOffsetBase + BigInt(pfn) * 4096n;
    let t = m.kernelImage.pgdPhys;
    for (const lvl of ['PGD', 'PUD'] as const) {
      let e = readEntry(m.mem, t, tableIndex(va, lvl));
      if (e === 0n) {
        e = BigInt(ctx.allocTable() * PAGE_SIZE) | table;
        writeEntry(m.mem, t, tableIndex(va, lvl), e);
      }
      t = entryAddr(e);
    }
    writeEntry(m.mem, t, tableIndex(va, 'PMD'), BigInt(pfn * PAGE_SIZE) | large);
  }
}

/** arch_remove_memory(): clear the direct-map leaves again. */
export function archRemoveMemory(ctx: MmContext, spfn: number, epfn: number): void {
  const m = ctx.machine;
  for (let pfn = spfn; pfn < epfn; pfn += 512) {
    const va = m.kaslr.pageOffsetBase + BigInt(pfn) * 4096n;
    let t = m.kernelImage.pgdPhys;
    let ok = true;
    for (const lvl of ['PGD', 'PUD'] as const) {
      const e = readEntry(m.mem, t, tableIndex(va, lvl));
      if (e === 0n) {
        ok = false;
        break;
      }
      t = entryAddr(e);
    }
    if (ok) writeEntry(m.mem, t, tableIndex(va, 'PMD'), 0n);
  }
}

export const X86_MM_ARCH_OPS: MmArchOps = { addMemory: archAddMemory, removeMemory: archRemoveMemory };
