/**
 * `vtop ADDRESS`: translate a kernel virtual address by walking the kernel
 * page tables (init_level4_pgt / init_top_pgt) entry by entry in physical
 * memory, and print it as crash does on x86-64 (seed 000):
 *
 *   VIRTUAL           PHYSICAL
 *   ffff9263fe142000  be142000          direct map: va - page_offset_base, even when unmapped
 *
 *   PGD DIRECTORY: ffffffff8be10000
 *   PAGE DIRECTORY: 1fe74067             the PGD entry
 *      PUD: 1fe74c78 => 13ffff067        entry address => entry value
 *      PMD: 13fffff80 => 13fffe067
 *      PTE: 13fffea10 => 0               not present: the walk ends
 *
 *         PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS
 *   ffffe30302f85080 be142000                0        0  1 1fffff00000000
 * A present leaf adds `PAGE: phys` (with `(2MB)`/`(1GB)` for large pages)
 * and the `PTE PHYSICAL FLAGS` decode (arch/x86 _PAGE_* bits).
 */

import {
  entryAddr,
  entryFlagNames,
  entryLarge,
  entryPresent,
  type Level,
  tableIndex,
} from '../../arch/x86/pgtable.js';
import type { KernelMemory } from '../../machine/kernel-memory.js';
import { addressArg, big, type Command, libAddress } from '../command.js';
import { InspectError } from '../errors.js';
import { formatPageLine, PAGE_HEADER, pageOffsetBase, pgdVirt, readPage } from '../kernel.js';
import { hx, leUint, readPhysBytes, u64 } from '../mem.js';

export interface VtopStep {
  level: Level;
  entryAddr: bigint;
  value: bigint;
}

export interface VtopResult {
  vaddr: bigint;
  pgdVirt: bigint;
  steps: VtopStep[];
  /** Physical address from the walk (undefined when a level is not present). */
  paddr?: bigint;
  /** Leaf size: 4096, 2M or 1G. */
  pageSize?: number;
  /** What crash prints in the header: the walk's result, or va - page_offset_base for the direct map. */
  headerPhys?: bigint;
}

const LEVELS: Level[] = ['PGD', 'PUD', 'PMD', 'PTE'];
const SIZES: Record<string, number> = { PUD: 1 << 30, PMD: 1 << 21, PTE: 4096 };

export function vtop(km: KernelMemory, vaddr: bigint): VtopResult {
  const va = u64(vaddr);
  const pgd = pgdVirt(km);
  const pgdPhys = km.translate(pgd);
  if (pgdPhys === null) throw new InspectError('NO_PGD', `cannot translate the page directory ${hx(pgd)}`);
  const steps: VtopStep[] = [];
  let table = BigInt(pgdPhys);
  let paddr: bigint | undefined;
  let pageSize: number | undefined;
  for (const level of LEVELS) {
    const ea = table + BigInt(tableIndex(va, level) * 8);
    const value = leUint(readPhysBytes(km, ea, 8));
    steps.push({ level, entryAddr: ea, value });
    if (!entryPresent(value)) break;
    if (level === 'PTE' || ((level === 'PUD' || level === 'PMD') && entryLarge(value))) {
      pageSize = SIZES[level]!;
      const base = BigInt(entryAddr(value)) & ~BigInt(pageSize - 1);
      paddr = base + (va & BigInt(pageSize - 1));
      break;
    }
    table = BigInt(entryAddr(value));
  }
  // crash translates direct-map addresses arithmetically for the header (x86_64_kvtop).
  const pob = pageOffsetBase(km);
  const maxDirect = 1n << BigInt(km.profile.paging.maxPhysmemBits);
  const headerPhys = paddr ?? (va >= pob && va - pob < maxDirect ? va - pob : undefined);
  return { vaddr: va, pgdVirt: pgd, steps, paddr, pageSize, headerPhys };
}

export function formatVtop(km: KernelMemory, r: VtopResult): string[] {
  const lines = ['VIRTUAL           PHYSICAL'];
  lines.push(`${hx(r.vaddr).padEnd(16)}  ${r.headerPhys === undefined ? '(not mapped)' : hx(r.headerPhys)}`);
  lines.push('');
  lines.push(`PGD DIRECTORY: ${hx(r.pgdVirt)}`);
  const [pgd, ...rest] = r.steps;
  lines.push(`PAGE DIRECTORY: ${hx(pgd!.value)}`);
  for (const s of rest) lines.push(`   ${s.level}: ${hx(s.entryAddr)} => ${hx(s.value)}`);
  if (r.paddr !== undefined) {
    const size = r.pageSize ?? 4096;
    const page = r.paddr & ~BigInt(size - 1);
    const last = r.steps[r.steps.length - 1]!;
    lines.push(`  PAGE: ${hx(page)}${size === 1 << 21 ? '  (2MB)' : size === 1 << 30 ? '  (1GB)' : ''}`);
    lines.push('');
    lines.push(`      ${last.level.padEnd(3)}         PHYSICAL  FLAGS`);
    lines.push(`${hx(last.value)}  ${hx(page)}  (${entryFlagNames(last.value).join('|')})`);
  }
  if (r.headerPhys !== undefined) {
    try {
      const p = readPage(km, r.headerPhys >> 12n);
      lines.push('');
      lines.push(PAGE_HEADER);
      lines.push(formatPageLine(km, p));
    } catch {
      // no struct page for this frame (a hole without memmap): crash prints none either
    }
  }
  return lines;
}

export const command: Command = {
  name: 'vtop',
  summary: 'virtual to physical',
  help: [
    'vtop address ...',
    '',
    '  Translates a kernel virtual address by walking the kernel page tables in',
    "  physical memory, printing each level's entry address and value, the page",
    "  and its decoded PTE flags, and the page's mem_map line (kmem -p).",
  ],
  *run(ctx, args) {
    if (args.length === 0) throw new InspectError('USAGE', 'requires an address', { prefix: 'vtop' });
    for (const [i, a] of args.entries()) {
      if (i > 0) yield '';
      yield* formatVtop(ctx.km, vtop(ctx.km, addressArg(ctx, a)));
    }
  },
  lib(args) {
    return args.map((a) => `console.log(formatVtop(km, vtop(km, ${libAddress(a)})).join('\\n'));`);
  },
};

export { big };
