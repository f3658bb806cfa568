/**
 * struct mm_struct: the VMA tree and the 4-level user page tables, whose
 * pages are frames of model memory from the buddy allocator (pgd_alloc,
 * __pte_alloc). Lookups mirror find_vma()/vma_lookup() (mm/mmap.c).
 */
import type { MmContext } from './context.js';
import type { IntervalNotifier } from './mmu-notifier.js';
import { clearPte, PTE_PSE, PTE_TABLE, pteNone, ptePfn, setPte } from './pte.js';
import type { Vma } from './vma.js';

export class MmStruct {
  /** VMAs sorted by start (the maple tree). */
  readonly vmas: Vma[] = [];
  /** mmu_interval_notifier subscriptions (mm->notifier_subscriptions). */
  readonly notifiers: IntervalNotifier[] = [];
  readonly pgdPfn: number;
  /** mm_users. */
  users = 1;
  /** Top-down get_unmapped_area() starts below this (mmap_base). */
  mmapBase = 0x7f0000000000;
  /** Page-table pages allocated for this mm (freed at exit_mmap). */
  readonly tablePfns: number[] = [];
  private lastPteVa = -1;
  private lastPte: Uint32Array | null = null;
  private lastGen = -1;

  constructor(
    readonly ctx: MmContext,
    readonly id: number,
  ) {
    this.pgdPfn = ctx.allocTable();
    this.tablePfns.push(this.pgdPfn);
  }

  /** find_vma(): the first VMA with end > va. */
  findVma(va: number): Vma | undefined {
    let lo = 0;
    let hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid]!.end > va) hi = mid;
      else lo = mid + 1;
    }
    return this.vmas[lo];
  }

  /** vma_lookup(): the VMA containing va. */
  vmaLookup(va: number): Vma | undefined {
    const v = this.findVma(va);
    return v && v.start <= va ? v : undefined;
  }

  insertVma(v: Vma): void {
    let i = 0;
    while (i < this.vmas.length && this.vmas[i]!.start < v.start) i++;
    this.vmas.splice(i, 0, v);
  }

  removeVma(v: Vma): void {
    const i = this.vmas.indexOf(v);
    if (i >= 0) this.vmas.splice(i, 1);
  }

  private next(table: Uint32Array, idx: number, alloc: boolean): Uint32Array | null {
    if (pteNone(table, idx)) {
      if (!alloc) return null;
      const pfn = this.ctx.allocTable();
      this.tablePfns.push(pfn);
      setPte(table, idx, pfn, PTE_TABLE, false);
      return this.ctx.table(pfn);
    }
    return this.ctx.table(ptePfn(table, idx));
  }

  /**
   * The PMD table covering va (pud_alloc/pmd_alloc when `alloc`). The last
   * one found is cached per 1 GiB of address space until the page-table
   * structure changes (pgtGen): walks of consecutive pages skip the upper levels.
   */
  pmdTable(va: number, alloc: boolean): Uint32Array | null {
    const gib = Math.floor(va / 2 ** 30);
    if (gib === this.lastPmdGib && this.lastPmdGen === this.ctx.pgtGen) return this.lastPmd;
    const pgd = this.ctx.table(this.pgdPfn);
    const pud = this.next(pgd, Math.floor(va / 2 ** 39) % 512, alloc);
    if (!pud) return null;
    const pmd = this.next(pud, gib % 512, alloc);
    if (pmd) {
      this.lastPmdGib = gib;
      this.lastPmd = pmd;
      this.lastPmdGen = this.ctx.pgtGen;
    }
    return pmd;
  }
  private lastPmdGib = -1;
  private lastPmd: Uint32Array | null = null;
  private lastPmdGen = -1;

  /**
   * pte_offset_map() (+ __pte_alloc when `alloc`): the PTE table covering va,
   * or null when the PMD is none (and !alloc) or is a huge leaf.
   */
  pteTable(va: number, alloc: boolean): Uint32Array | null {
    const base = va - (va & 0x1fffff);
    if (base === this.lastPteVa && this.lastGen === this.ctx.pgtGen) return this.lastPte;
    const pmd = this.pmdTable(va, alloc);
    if (!pmd) return null;
    const i = pmdIndex(va);
    if (!pteNone(pmd, i) && (pmd[2 * i]! & PTE_PSE) !== 0) return null;
    const t = this.next(pmd, i, alloc);
    if (t) {
      this.lastPteVa = base;
      this.lastPte = t;
      this.lastGen = this.ctx.pgtGen;
    }
    return t;
  }

  /** Free every page-table page (free_pgtables at exit_mmap). */
  freeTables(): void {
    for (const pfn of this.tablePfns) this.ctx.freeTable(pfn);
    this.tablePfns.length = 0;
    this.lastPteVa = -1;
    this.lastPmdGib = -1;
  }

  /** Detach a PTE table from its PMD (a huge PMD replaces it: collapse is not modelled; used by zap of a whole PMD range). */
  clearPmd(va: number): void {
    const pmd = this.pmdTable(va, false);
    if (pmd) clearPte(pmd, pmdIndex(va));
    this.ctx.pgtGen++;
  }
}

/** (va >> 12) & 511; `&` is exact on the double and avoids a floating-point remainder per call. */
export function pteIndex(va: number): number {
  return Math.floor(va / 4096) & 511;
}

export function pmdIndex(va: number): number {
  return Math.floor(va / 0x200000) & 511;
}
