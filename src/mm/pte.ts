/**
 * User page-table entries of x86-64 (arch/x86/include/asm/pgtable_types.h,
 * pgtable_64.h) as two little-endian u32 words per 8-byte entry, so the hot
 * paths never touch BigInt. A table is a Uint32Array over its 4 KiB frame in
 * model memory: entry i is words [2i] (lo) and [2i+1] (hi).
 *
 * Present entry (lo: bits 0..31, hi: bits 32..63):
 *   bit 0 PRESENT, 1 RW, 2 USER, 5 ACCESSED, 6 DIRTY, 7 PSE (PMD leaf),
 *   8 GLOBAL (= PROTNONE when PRESENT is clear), 9 SPECIAL (_PAGE_BIT_SOFTW1),
 *   11 SOFT_DIRTY (_PAGE_BIT_SOFTW3), 12..51 pfn, 63 NX.
 * pte_present() is PRESENT|PROTNONE: a PROT_NONE mapping keeps its page.
 *
 * Swap entry (not present, not none), __swp_entry() of pgtable_64.h with
 * the L1TF inversion: bits 59..63 the swap type (SWP_TYPE_BITS 5), bits 9..58
 * the offset inverted (~offset), bits 1..3 are _PAGE_SWP_SOFT_DIRTY (RW),
 * _PAGE_SWP_UFFD_WP (USER) and _PAGE_SWP_EXCLUSIVE (PWT). For pfn swap
 * entries (migration, device-private, device-exclusive) the offset is a pfn.
 */

export const PTE_PRESENT = 0x1;
export const PTE_RW = 0x2;
export const PTE_USER = 0x4;
export const PTE_PWT = 0x8;
export const PTE_ACCESSED = 0x20;
export const PTE_DIRTY = 0x40;
export const PTE_PSE = 0x80;
export const PTE_PROTNONE = 0x100;
export const PTE_SPECIAL = 0x200;
export const PTE_SOFT_DIRTY = 0x800;
/** NX in the high word (bit 63). */
export const PTE_HI_NX = 0x80000000;
/** Table entry flags the kernel uses for user PGD/PUD/PMD → next table (_PAGE_TABLE). */
export const PTE_TABLE = PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | PTE_DIRTY;

const TWO20 = 1048576;
const TWO23 = 8388608;
/** Offsets are 50 bits wide (bits 9..58). */
const SWP_OFFSET_MAX = 2 ** 50 - 1;

export function pteNone(t: Uint32Array, i: number): boolean {
  return t[2 * i] === 0 && t[2 * i + 1] === 0;
}

/** pte_present(): PRESENT or PROTNONE. */
export function ptePresent(t: Uint32Array, i: number): boolean {
  return (t[2 * i]! & (PTE_PRESENT | PTE_PROTNONE)) !== 0;
}

export function pteFlags(t: Uint32Array, i: number): number {
  return t[2 * i]! & 0xfff;
}

export function ptePfn(t: Uint32Array, i: number): number {
  return (t[2 * i]! >>> 12) + (t[2 * i + 1]! & 0xfffff) * TWO20;
}

export function pteWrite(t: Uint32Array, i: number): boolean {
  return (t[2 * i]! & PTE_RW) !== 0;
}

/** set_pte(): a present (or PROTNONE) entry for `pfn` with low flag bits `flags`. */
export function setPte(t: Uint32Array, i: number, pfn: number, flags: number, nx = true): void {
  t[2 * i] = (((pfn & (TWO20 - 1)) << 12) | (flags & 0xfff)) >>> 0;
  t[2 * i + 1] = ((Math.floor(pfn / TWO20) & 0xfffff) | (nx ? PTE_HI_NX : 0)) >>> 0;
}

export function clearPte(t: Uint32Array, i: number): void {
  t[2 * i] = 0;
  t[2 * i + 1] = 0;
}

export function setPteFlags(t: Uint32Array, i: number, set: number, clear: number): void {
  t[2 * i] = ((t[2 * i]! & ~clear) | set) >>> 0;
}

/** A swap-format entry (__swp_entry_to_pte). `flags` are the _PAGE_SWP_* bits (1..3). */
export function setSwapPte(t: Uint32Array, i: number, type: number, offset: number, flags = 0): void {
  const inv = SWP_OFFSET_MAX - offset;
  t[2 * i] = (((inv & (TWO23 - 1)) << 9) | (flags & 0xe)) >>> 0;
  t[2 * i + 1] = (Math.floor(inv / TWO23) | (type << 27)) >>> 0;
}

/** __swp_type(). Only for non-present, non-none entries. */
export function swpType(t: Uint32Array, i: number): number {
  return t[2 * i + 1]! >>> 27;
}

/** __swp_offset() (the pfn of a pfn swap entry). */
export function swpOffset(t: Uint32Array, i: number): number {
  const inv = (t[2 * i + 1]! & 0x7ffffff) * TWO23 + (t[2 * i]! >>> 9);
  return SWP_OFFSET_MAX - inv;
}

export function swpFlags(t: Uint32Array, i: number): number {
  return t[2 * i]! & 0xe;
}

/** _PAGE_SWP_SOFT_DIRTY / _PAGE_SWP_EXCLUSIVE. */
export const SWP_SOFT_DIRTY = PTE_RW;
export const SWP_EXCLUSIVE = PTE_PWT;

/** The raw 64-bit value of entry i (for pagemap, reports and tests). */
export function pteValue(t: Uint32Array, i: number): bigint {
  return (BigInt(t[2 * i + 1]!) << 32n) | BigInt(t[2 * i]!);
}

export { type SwapTypes, swapTypes } from '../profiles/hmm.js';
