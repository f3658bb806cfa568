/**
 * Page-table walks over the real entries in model physical memory, as crash's
 * `vtop` prints them, plus the direct-map address conversions
 * (__va/__pa, ptov) and __pa_symbol() for kernel-image addresses.
 */
import type { PhysMem } from '../../mm/phys-mem.js';
import { hexRaw } from '../../util/hex.js';
import {
  entryAddr,
  entryFlagNames,
  entryLarge,
  entryPresent,
  type Level,
  PAGE_SIZE,
  PMD_SIZE,
  PUD_SIZE,
  readEntry,
  tableIndex,
} from './pgtable.js';

export interface WalkStep {
  level: Level;
  index: number;
  /** Physical address of the entry. */
  entryAddr: number;
  value: bigint;
}

export interface WalkResult {
  vaddr: bigint;
  steps: WalkStep[];
  /** Physical address the vaddr translates to, when mapped. */
  paddr?: number;
  pageSize?: number;
  /** Level whose entry was not present (walk stopped there). */
  notMappedAt?: Level;
}

const LEVELS: Level[] = ['PGD', 'PUD', 'PMD', 'PTE'];

/**
 * walk()'s translation alone, allocating nothing: the physical address that
 * the virtual address with low 48 bits `low48` maps to, or -1 when an entry on
 * the way is not present (walk() then gives the steps). Same rules as walk():
 * PGD → PUD (1G leaf) → PMD (2M leaf) → PTE, present bit and PSE only; an
 * entry's address is bits 12..51.
 */
export function translate(mem: PhysMem, pgdPhys: number, low48: number): number {
  let table = pgdPhys;
  for (let level = 0; level < 4; level++) {
    const size = LEVEL_SIZE[level]!;
    // Bits [shift, shift + 9) of the address: the quotient is below 2^36, `& 511` is exact.
    const ea = table + (Math.floor(low48 / size) & 511) * 8;
    const lo = mem.u32Aligned(ea);
    if ((lo & 1) === 0) return -1;
    const hi = mem.u32Aligned(ea + 4);
    const addr = (hi & 0xfffff) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
    if ((level === 1 || level === 2) && (lo & 0x80) !== 0) return leafAddr(addr, low48, size);
    if (level === 3) return addr + (low48 - Math.floor(low48 / PAGE_SIZE) * PAGE_SIZE);
    table = addr;
  }
  return -1;
}

/** Bytes mapped by one entry of each level: PGD 512 GiB, PUD 1 GiB, PMD 2 MiB, PTE 4 KiB. */
const LEVEL_SIZE = [2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12];

/** A large leaf at `addr` mapping `size` bytes: the frame of `low48` inside it (powers of two: exact). */
function leafAddr(addr: number, low48: number, size: number): number {
  return Math.floor(addr / size) * size + (low48 - Math.floor(low48 / size) * size);
}

/**
 * translate() for many addresses while the page tables do not change — one
 * pass of count_data_pages() asking kernel_page_present() for every reserved
 * page — remembering the last 2 MiB region's walk down to the PMD level: a
 * large leaf (or a non-present entry above the PTEs) answers the whole region,
 * a PTE table leaves one entry to read. The same answers as translate(); the
 * caller must drop the cache when it changes a mapping (CPA, set_memory_*).
 */
export class TranslateCache {
  /** 2 MiB-aligned low48 of the cached region, -1 when none. */
  private base = -1;
  /** 0: not mapped above the PTE level; 1: large leaf, `addr` = the region's physical base; 2: `addr` = PTE table. */
  private kind = 0;
  private addr = 0;
  /** Frames of the PGD, PUD and PMD tables the cached walk read (-1: none). */
  private t0 = -1;
  private t1 = -1;
  private t2 = -1;

  constructor(
    private readonly mem: PhysMem,
    private readonly pgdPhys: number,
  ) {}

  translate(low48: number): number {
    const PMD = 2 ** 21;
    const base = Math.floor(low48 / PMD) * PMD;
    if (base !== this.base) this.fill(base);
    if (this.kind === 0) return -1;
    const off = low48 - base;
    if (this.kind === 1) return this.addr + off;
    const ea = this.addr + Math.floor(off / PAGE_SIZE) * 8;
    const lo = this.mem.u32Aligned(ea);
    if ((lo & 1) === 0) return -1;
    const hi = this.mem.u32Aligned(ea + 4);
    return (
      (hi & 0xfffff) * 0x100000000 +
      ((lo & 0xfffff000) >>> 0) +
      (off - Math.floor(off / PAGE_SIZE) * PAGE_SIZE)
    );
  }

  /** Drop the cached walk (a mapping changed). */
  forgetAll(): void {
    this.base = -1;
  }

  /**
   * The region of the last translate() is one large leaf: every address in its
   * 2 MiB translates linearly (a run of copies can take the first's answer).
   */
  get leaf(): boolean {
    return this.kind === 1;
  }

  /** Did the cached walk read an entry in a frame of [lo, hi]? (A write there would drop it.) */
  readsFrameIn(lo: number, hi: number): boolean {
    if (this.base < 0) return false;
    return (
      (this.t0 >= lo && this.t0 <= hi) || (this.t1 >= lo && this.t1 <= hi) || (this.t2 >= lo && this.t2 <= hi)
    );
  }

  /** Frame `pfn` was written: a cached walk that read an entry there is dropped. */
  forgetFrame(pfn: number): void {
    if (pfn === this.t0 || pfn === this.t1 || pfn === this.t2) this.base = -1;
  }

  /** Walk PGD → PUD → PMD for the region at `base` (translate()'s first three levels). */
  private fill(base: number): void {
    this.base = base;
    this.kind = 0;
    this.t1 = -1;
    this.t2 = -1;
    let table = this.pgdPhys;
    for (let level = 0; level < 3; level++) {
      const size = LEVEL_SIZE[level]!;
      const tf = Math.floor(table / PAGE_SIZE);
      if (level === 0) this.t0 = tf;
      else if (level === 1) this.t1 = tf;
      else this.t2 = tf;
      const ea = table + (Math.floor(base / size) & 511) * 8;
      const lo = this.mem.u32Aligned(ea);
      if ((lo & 1) === 0) return;
      const hi = this.mem.u32Aligned(ea + 4);
      const addr = (hi & 0xfffff) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
      if ((level === 1 || level === 2) && (lo & 0x80) !== 0) {
        this.kind = 1;
        this.addr = leafAddr(addr, base, size);
        return;
      }
      table = addr;
    }
    this.kind = 2;
    this.addr = table;
  }
}

/** Walk `vaddr` from the PGD at `pgdPhys`. */
export function walk(mem: PhysMem, pgdPhys: number, vaddr: bigint): WalkResult {
  const steps: WalkStep[] = [];
  let table = pgdPhys;
  for (const level of LEVELS) {
    const index = tableIndex(vaddr, level);
    const ea = table + index * 8;
    const value = readEntry(mem, table, index);
    steps.push({ level, index, entryAddr: ea, value });
    if (!entryPresent(value)) return { vaddr, steps, notMappedAt: level };
    if ((level === 'PUD' || level === 'PMD') && entryLarge(value)) {
      const size = level === 'PUD' ? PUD_SIZE : PMD_SIZE;
      const off = Number(BigInt.asUintN(64, vaddr) % BigInt(size));
      return { vaddr, steps, paddr: entryAddr(value) - (entryAddr(value) % size) + off, pageSize: size };
    }
    if (level === 'PTE') {
      const off = Number(BigInt.asUintN(64, vaddr) % BigInt(PAGE_SIZE));
      return { vaddr, steps, paddr: entryAddr(value) + off, pageSize: PAGE_SIZE };
    }
    table = entryAddr(value);
  }
  return { vaddr, steps };
}

/**
 * crash-style `vtop` lines: header, PGD DIRECTORY (virtual) and PAGE DIRECTORY
 * (the PGD entry), then one "LEVEL: entry-address => value" line per level,
 * and for a 4K mapping the PTE/PHYSICAL/FLAGS block. `pageLines` (kmem -p
 * style) are appended when given.
 */
export function formatVtopLines(
  r: WalkResult,
  pgdVirt: bigint,
  translated?: number,
  pageLines?: string[],
): string[] {
  const lines: string[] = [];
  lines.push('VIRTUAL           PHYSICAL');
  const phys = r.paddr ?? translated;
  lines.push(`${hexRaw(r.vaddr).padEnd(16)}  ${phys === undefined ? '(not mapped)' : hexRaw(phys)}`);
  lines.push('');
  lines.push(`PGD DIRECTORY: ${hexRaw(pgdVirt)}`);
  const [pgd, ...rest] = r.steps;
  lines.push(`PAGE DIRECTORY: ${hexRaw(pgd!.value)}`);
  for (const s of rest) lines.push(`   ${s.level}: ${hexRaw(s.entryAddr)} => ${hexRaw(s.value)}`);
  if (r.paddr !== undefined) {
    const last = r.steps[r.steps.length - 1]!;
    const size = r.pageSize ?? PAGE_SIZE;
    lines.push(`  PAGE: ${hexRaw(r.paddr - (r.paddr % size))}`);
    lines.push('');
    lines.push(`      ${last.level.padEnd(3)}         PHYSICAL  FLAGS`);
    lines.push(
      `${hexRaw(last.value)}  ${hexRaw(r.paddr - (r.paddr % size))}  (${entryFlagNames(last.value).join('|')})`,
    );
  }
  if (pageLines) {
    lines.push('');
    lines.push(...pageLines);
  }
  return lines;
}
