/**
 * A small fake KernelMemory for the inspector's unit tests: sparse physical
 * memory, real x86-64 4-level page tables built in it (so `vtop` walks real
 * entries), a few kernel symbols and struct layouts. Tests place seed 000's
 * objects at seed 000's addresses and check that the inspector prints what
 * the real crash printed on the real vmcore.
 */
import { HiblabError } from '../../src/errors.js';
import type { KernelMemory, KernelSymbolInfo } from '../../src/machine/kernel-memory.js';
import { getProfile } from '../../src/profiles/index.js';
import type { StructField, StructLayout, StructTable } from '../../src/profiles/struct-layout.js';

const PAGE = 4096n;
const PFN_MASK = 0x000ffffffffff000n;

/** Faults are HiblabErrors, as the KernelMemory contract's KernelMemoryFault is. */
export class FakeFault extends HiblabError {
  constructor(what: string) {
    super('FAULT', `not mapped: ${what}`);
  }
}

export class FakeKm implements KernelMemory {
  readonly profile = getProfile('linux-3.10');
  readonly symbols: KernelSymbolInfo[] = [];
  readonly frames = new Map<bigint, Uint8Array>();
  /** Physical memory size; reads beyond it fault. */
  physLimit = 0x140000000n;
  private nextTable = 0x120000000n;
  readonly structs: StructTable;

  constructor(
    readonly pgdPhys: bigint,
    layouts: StructLayout[],
  ) {
    this.structs = {
      source: 'fake 3.10 layouts for tests',
      structs: new Map(layouts.map((l) => [l.name, l])),
    };
  }

  private frame(pa: bigint): Uint8Array {
    const pfn = pa / PAGE;
    let f = this.frames.get(pfn);
    if (!f) {
      f = new Uint8Array(4096);
      this.frames.set(pfn, f);
    }
    return f;
  }

  writePhys(pa: bigint, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const a = pa + BigInt(i);
      this.frame(a)[Number(a % PAGE)] = bytes[i]!;
    }
  }

  readPhys(paddr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = BigInt(paddr) + BigInt(i);
      if (a >= this.physLimit) throw new FakeFault(`phys ${a.toString(16)}`);
      const f = this.frames.get(a / PAGE);
      out[i] = f ? f[Number(a % PAGE)]! : 0;
    }
    return out;
  }

  private entry(table: bigint, idx: number): bigint {
    const b = this.readPhys(Number(table + BigInt(idx * 8)), 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  setEntry(table: bigint, idx: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.writePhys(table + BigInt(idx * 8), b);
  }

  translate(vaddr: bigint): number | null {
    let table = this.pgdPhys;
    for (const shift of [39n, 30n, 21n, 12n]) {
      const e = this.entry(table, Number((vaddr >> shift) & 511n));
      if ((e & 1n) === 0n) return null;
      if ((shift === 30n || shift === 21n) && e & 0x80n) {
        const size = 1n << shift;
        return Number((e & PFN_MASK & ~(size - 1n)) + (vaddr & (size - 1n)));
      }
      if (shift === 12n) return Number((e & PFN_MASK) + (vaddr & 0xfffn));
      table = e & PFN_MASK;
    }
    return null;
  }

  /** Map one 4K page va → pa, creating tables from a bump allocator (existing entries are kept). */
  map(va: bigint, pa: bigint, leaf = 0x8000000000000063n): void {
    let table = this.pgdPhys;
    for (const shift of [39n, 30n, 21n]) {
      const idx = Number((va >> shift) & 511n);
      let e = this.entry(table, idx);
      if ((e & 1n) === 0n) {
        const t = this.nextTable;
        this.nextTable += PAGE;
        e = t | 0x67n;
        this.setEntry(table, idx, e);
      }
      table = e & PFN_MASK;
    }
    this.setEntry(table, Number((va >> 12n) & 511n), (pa & PFN_MASK) | leaf);
  }

  read(vaddr: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const va = vaddr + BigInt(done);
      const pa = this.translate(va);
      if (pa === null) throw new FakeFault(`va ${va.toString(16)}`);
      const n = Math.min(len - done, 4096 - Number(va % PAGE));
      out.set(this.readPhys(pa, n), done);
      done += n;
    }
    return out;
  }

  /** Write at a virtual address (which must be mapped). */
  write(va: bigint, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const pa = this.translate(va + BigInt(i));
      if (pa === null) throw new FakeFault(`va ${(va + BigInt(i)).toString(16)}`);
      this.writePhys(BigInt(pa), bytes.subarray(i, i + 1));
    }
  }

  w64(va: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(va, b);
  }

  w32(va: bigint, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(va, b);
  }

  get bases() {
    const at = (n: string) => (this.symbol(n) ? this.u64(this.symbol(n)!.addr) : 0n);
    return { pageOffsetBase: at('page_offset_base'), vmallocBase: 0n, vmemmapBase: at('vmemmap_base') };
  }

  u64(vaddr: bigint): bigint {
    return new DataView(this.read(vaddr, 8).buffer).getBigUint64(0, true);
  }

  u32(vaddr: bigint): number {
    return new DataView(this.read(vaddr, 4).buffer).getUint32(0, true);
  }

  addSymbol(
    name: string,
    addr: bigint,
    type: string,
    size: number,
    section: KernelSymbolInfo['section'] = 'd',
  ): void {
    this.symbols.push({ name, addr, type, size, section });
  }

  symbol(name: string): KernelSymbolInfo | undefined {
    return this.symbols.find((s) => s.name === name);
  }

  symbolAt(addr: bigint): { sym: KernelSymbolInfo; offset: number } | undefined {
    let best: KernelSymbolInfo | undefined;
    for (const s of this.symbols) if (s.addr <= addr && (!best || s.addr > best.addr)) best = s;
    return best ? { sym: best, offset: Number(addr - best.addr) } : undefined;
  }
}

export const f = (
  name: string,
  offset: number,
  size: number,
  type: string,
  extra: Partial<StructField> = {},
): StructField => ({
  name,
  offset,
  size,
  type,
  ...extra,
});

export const struct = (
  name: string,
  size: number,
  fields: StructField[],
  kind: 'struct' | 'union' = 'struct',
): StructLayout => ({
  name,
  kind,
  size,
  fields,
});
