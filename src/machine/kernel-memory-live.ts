/**
 * KernelMemory over a booted Machine (or a machine a dump restored): every
 * kernel virtual address is translated by a real walk of the kernel's page
 * tables in model memory (arch/x86/walk.ts) and read from PhysMem, whose
 * kernel-data provider serialises struct pages, pglist_data and the other
 * boot objects on read. So the vmemmap, the direct map and vmalloc read
 * exactly as a CPU load would, and an unmapped address faults at the level
 * the walk stopped.
 *
 * The kernel image mapping (__START_KERNEL_map: level2_kernel_pgt) is not
 * built by the model's init_mem_mapping; addresses in [_text, _end) are
 * translated with __pa_symbol() (x - __START_KERNEL_map + phys_base).
 */
import { START_KERNEL_MAP } from '../arch/x86/pgtable.js';
import { walk } from '../arch/x86/walk.js';
import type { PhysMem } from '../mm/phys-mem.js';
import type { StructTable } from '../profiles/struct-layout.js';
import type { KernelProfile } from '../profiles/types.js';
import { type KernelMemory, KernelMemoryFault, type KernelSymbolInfo } from './kernel-memory.js';
import { type ImagePlacement, kernelSymbols } from './symbols.js';

const PAGE = 4096;

/** What the view needs of a machine (a live Machine satisfies it). */
export interface KernelMemoryMachine extends ImagePlacement {
  readonly mem: PhysMem;
  readonly maxPfn: number;
  readonly kaslr: {
    readonly pageOffsetBase: bigint;
    readonly vmallocBase: bigint;
    readonly vmemmapBase: bigint;
  };
}

export class LiveKernelMemory implements KernelMemory {
  readonly profile: KernelProfile;
  readonly structs: StructTable;
  readonly symbols: readonly KernelSymbolInfo[];
  private readonly byName: Map<string, KernelSymbolInfo>;

  constructor(
    readonly m: KernelMemoryMachine,
    symbols?: readonly KernelSymbolInfo[],
  ) {
    this.profile = m.profile;
    this.structs = m.profile.structs;
    this.symbols = symbols ?? kernelSymbols(m);
    this.byName = new Map(this.symbols.map((s) => [s.name, s]));
  }

  get bases() {
    return this.m.kaslr;
  }

  symbol(name: string): KernelSymbolInfo | undefined {
    return this.byName.get(name);
  }

  symbolAt(addr: bigint): { sym: KernelSymbolInfo; offset: number } | undefined {
    let best: KernelSymbolInfo | undefined;
    for (const s of this.symbols) {
      if (s.addr <= addr && (!best || s.addr >= best.addr)) best = s;
    }
    if (!best) return undefined;
    const img = this.m.kernelImage;
    if (addr >= img.textVirt + BigInt(img.endPhys - img.textPhys)) return undefined;
    return { sym: best, offset: Number(addr - best.addr) };
  }

  private inImage(vaddr: bigint): boolean {
    const img = this.m.kernelImage;
    return vaddr >= img.textVirt && vaddr < img.textVirt + BigInt(img.endPhys - img.textPhys);
  }

  translate(vaddr: bigint): number | null {
    const w = walk(this.m.mem, this.m.kernelImage.pgdPhys, vaddr);
    if (w.paddr !== undefined) return w.paddr;
    if (this.inImage(vaddr)) {
      const img = this.m.kernelImage;
      return Number(vaddr - START_KERNEL_MAP) + (img.textPhys - Number(img.textVirt - START_KERNEL_MAP));
    }
    return null;
  }

  read(vaddr: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    let va = BigInt.asUintN(64, vaddr);
    while (done < len) {
      const inPage = PAGE - Number(va % BigInt(PAGE));
      const n = Math.min(len - done, inPage);
      const pa = this.translate(va);
      if (pa === null) {
        const w = walk(this.m.mem, this.m.kernelImage.pgdPhys, va);
        throw new KernelMemoryFault(va, w.notMappedAt ?? 'PTE');
      }
      out.set(this.m.mem.read(pa, n), done);
      done += n;
      va += BigInt(n);
    }
    return out;
  }

  readPhys(paddr: number, len: number): Uint8Array {
    const end = this.m.maxPfn * PAGE;
    if (paddr < 0 || paddr + len > end) throw new KernelMemoryFault(BigInt(Math.max(0, paddr)), 'phys');
    return this.m.mem.read(paddr, len);
  }

  u64(vaddr: bigint): bigint {
    const b = this.read(vaddr, 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  u32(vaddr: bigint): number {
    const b = this.read(vaddr, 4);
    return new DataView(b.buffer).getUint32(0, true);
  }
}

/** The KernelMemory view of a live machine. */
export function kernelMemoryOf(m: KernelMemoryMachine): KernelMemory {
  return new LiveKernelMemory(m);
}
