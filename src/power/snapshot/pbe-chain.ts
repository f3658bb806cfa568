/**
 * restore_pblist and the chain of linked pages its PBEs live in, as the
 * restore side builds them in get_buffer() (kernel/power/snapshot.c:
 * chain_alloc() of sizeof(struct pbe) from a chain_allocator whose pages come
 * from __get_safe_page() / get_image_page(PG_SAFE)).
 *
 * Layout of chain page c (struct linked_page), little endian:
 *   +0          next: __va(chain page c-1), 0 for the first page
 *   +8 + 24*k   struct pbe for PBE j = 170*c + k (k = 0..169):
 *                 +0 address       __va(safe frame the page was loaded into)
 *                 +8 orig_address  __va(image pfn)
 *                 +16 next         __va(PBE j-1), 0 for PBE 0
 *   +4088       8 bytes unused (zero): LINKED_PAGE_DATA_SIZE / 24 = 170 PBEs a page
 * restore_pblist points at the newest PBE.
 *
 * The model keeps each chain page's PBEs compactly — its safe frames and its
 * image pfns each as an arithmetic progression (start, step) when they are
 * one, else as a u32 (or f64) array: 16 bytes for a page of a long run (a
 * 12 TiB resume), at most 8 bytes a PBE for scattered safe pages (a
 * fragmented one) against 24 — and the chain pages as synthesised frames
 * (PhysMem.synthesise): their bytes are produced when read — by
 * restore_image(), the inspector or a dump — instead of 4 KiB of host memory
 * per 170 PBEs (a 12 TiB resume has ~300k chain pages). A chain page that
 * something writes stops being synthesised (PhysMem.frame() materialises it
 * from fill()); PBEs added to it afterwards are stored as bytes there, as
 * chain_alloc()'s caller would.
 */
import type { FrameSource } from '../../mm/phys-mem.js';
import { type KernelHeap, LINKED_PAGE_DATA_SIZE, PAGE_SIZE, putU32 } from './kernel-heap.js';

/** sizeof(struct pbe) */
export const PBE_SIZE = 24;
/** PBEs per chain page. */
export const PBES_PER_LINKED_PAGE = Math.floor(LINKED_PAGE_DATA_SIZE / PBE_SIZE);

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

export class PbeChain implements FrameSource {
  /** Number of PBEs filled in (set()). */
  count = 0;
  /** Number of PBEs allocated (alloc()): count, or count + 1 between alloc() and set(). */
  private allocated = 0;
  /** Chain page c's frame. */
  private pagePfn = new Float64Array(64);
  private nPages = 0;
  /**
   * The PBEs of chain page c: field f (0 = safe frame, 1 = image pfn) of PBE
   * k is start[2c+f] + k × step[2c+f] when ex[2c+f] is -1, else
   * explicit[ex[2c+f]][k]. The newest page's PBEs are in `cur` until it is full.
   */
  private start = new Float64Array(128);
  private step = new Float64Array(128);
  private ex = new Int32Array(128);
  private readonly explicit: (Uint32Array | Float64Array)[] = [];
  /** Fields of the newest page's PBEs (copy, orig per PBE); page `curPage` (-1: none). */
  private readonly cur = new Float64Array(2 * PBES_PER_LINKED_PAGE);
  private curPage = -1;
  /** chain page pfn → index, built when a fill needs it (pages are not ascending). */
  private index: { pfns: Float64Array; pages: Float64Array; n: number } | null = null;
  /** __va(0) as two u32 halves. */
  private readonly vaLo: number;
  private readonly vaHi: number;

  constructor(
    private readonly heap: KernelHeap,
    /** chain_alloc()'s page source (returns a zeroed frame). */
    private readonly allocPage: () => number,
  ) {
    const base = heap.ptov(0);
    this.vaLo = Number(base & 0xffffffffn);
    this.vaHi = Number((base >> 32n) & 0xffffffffn);
  }

  /** Chain pages taken, oldest first. */
  get pages(): number {
    return this.nPages;
  }

  /** Frame of chain page c. */
  page(c: number): number {
    return this.pagePfn[c]!;
  }

  /** Physical address of PBE j. */
  pbePhys(j: number): number {
    const c = Math.floor(j / PBES_PER_LINKED_PAGE);
    return this.pagePfn[c]! * PAGE_SIZE + 8 + (j - c * PBES_PER_LINKED_PAGE) * PBE_SIZE;
  }

  /**
   * chain_alloc(ca, sizeof(struct pbe)): the next PBE's index, taking a new
   * chain page first when the current one is full. get_buffer() does this
   * before it takes the safe page the data goes to.
   */
  alloc(): number {
    if (this.allocated !== this.count) throw new Error('PbeChain.alloc: the previous PBE was not set');
    if (this.allocated % PBES_PER_LINKED_PAGE === 0) this.newPage();
    return this.allocated++;
  }

  /**
   * The stores of get_buffer() into PBE j (the one alloc() returned):
   * pbe->address = __va(copy), pbe->orig_address = __va(orig), pbe->next =
   * restore_pblist (PBE j-1). Returns the PBE's physical address.
   */
  set(j: number, copy: number, orig: number): number {
    if (j !== this.count || j >= this.allocated)
      throw new Error(`PbeChain.set: PBE ${j} is not the one allocated`);
    const pfn = this.pagePfn[this.nPages - 1]!;
    const at = pfn * PAGE_SIZE + 8 + (j % PBES_PER_LINKED_PAGE) * PBE_SIZE;
    const k = j % PBES_PER_LINKED_PAGE;
    this.noteRun(k, 1, 0, copy, 0);
    this.noteRun(k, 1, 1, orig, 0);
    this.cur[2 * k] = copy;
    this.cur[2 * k + 1] = orig;
    if (k === PBES_PER_LINKED_PAGE - 1) this.seal();
    this.count++;
    const mem = this.heap.phys;
    if (mem.sourceOf(pfn) !== this) {
      // The page was written since it was taken: the PBE goes into its bytes.
      const f = mem.frame(pfn);
      const o = at - pfn * PAGE_SIZE;
      this.putVa(f, o, copy * PAGE_SIZE);
      this.putVa(f, o + 8, orig * PAGE_SIZE);
      this.putVa(f, o + 16, j > 0 ? this.pbePhys(j - 1) : -1);
    }
    return at;
  }

  /** PBEs the newest chain page still has room for: alloc() takes no new page for that many. */
  get roomInPage(): number {
    const used = this.allocated % PBES_PER_LINKED_PAGE;
    return this.nPages === 0 || used === 0 ? 0 : PBES_PER_LINKED_PAGE - used;
  }

  /**
   * alloc() + set() for `n` PBEs in a row (n ≤ roomInPage): PBE i takes safe
   * frame copy0 + i × copyStep and image pfn orig0 + i. Returns the newest
   * PBE's physical address.
   */
  addRun(n: number, copy0: number, copyStep: number, orig0: number): number {
    if (this.allocated !== this.count || n > this.roomInPage)
      throw new Error(`PbeChain.addRun: ${n} PBEs do not fit the current chain page`);
    const pfn = this.pagePfn[this.nPages - 1]!;
    const mem = this.heap.phys;
    // The page was written since it was taken: the PBEs go into its bytes too (as set()).
    const f = mem.sourceOf(pfn) !== this ? mem.frame(pfn) : null;
    const k0 = this.count % PBES_PER_LINKED_PAGE;
    this.noteRun(k0, n, 0, copy0, copyStep);
    this.noteRun(k0, n, 1, orig0, 1);
    for (let i = 0; i < n; i++) {
      const j = this.count;
      const k = j % PBES_PER_LINKED_PAGE;
      const copy = copy0 + i * copyStep;
      this.cur[2 * k] = copy;
      this.cur[2 * k + 1] = orig0 + i;
      if (f !== null) {
        const o = 8 + k * PBE_SIZE;
        this.putVa(f, o, copy * PAGE_SIZE);
        this.putVa(f, o + 8, (orig0 + i) * PAGE_SIZE);
        this.putVa(f, o + 16, j > 0 ? this.pbePhys(j - 1) : -1);
      }
      if (k === PBES_PER_LINKED_PAGE - 1) this.seal();
      this.count++;
      this.allocated++;
    }
    return this.pbePhys(this.count - 1);
  }

  /**
   * alloc() + set() for `n` PBEs in a row (n ≤ roomInPage): PBE i takes safe
   * frame copies[i] and image pfn origs[i] — addRun() for a run in image
   * order, whose frames and pfns need not be progressions. Returns the
   * newest PBE's physical address.
   */
  addList(n: number, copies: Float64Array, origs: Float64Array): number {
    if (this.allocated !== this.count || n > this.roomInPage)
      throw new Error(`PbeChain.addList: ${n} PBEs do not fit the current chain page`);
    const pfn = this.pagePfn[this.nPages - 1]!;
    const mem = this.heap.phys;
    // The page was written since it was taken: the PBEs go into its bytes too (as set()).
    const f = mem.sourceOf(pfn) !== this ? mem.frame(pfn) : null;
    const cur = this.cur;
    let b0 = this.apBroken0;
    let b1 = this.apBroken1;
    for (let i = 0; i < n; i++) {
      const j = this.count;
      const k = j % PBES_PER_LINKED_PAGE;
      const copy = copies[i]!;
      const orig = origs[i]!;
      cur[2 * k] = copy;
      cur[2 * k + 1] = orig;
      // noteRun() a PBE at a time: does entry k leave the progression of entries 0 and 1?
      if (k === 0) {
        b0 = false;
        b1 = false;
      } else if (k >= 2) {
        if (!b0 && copy !== cur[0]! + k * (cur[2]! - cur[0]!)) b0 = true;
        if (!b1 && orig !== cur[1]! + k * (cur[3]! - cur[1]!)) b1 = true;
      }
      if (f !== null) {
        const o = 8 + k * PBE_SIZE;
        this.putVa(f, o, copy * PAGE_SIZE);
        this.putVa(f, o + 8, orig * PAGE_SIZE);
        this.putVa(f, o + 16, j > 0 ? this.pbePhys(j - 1) : -1);
      }
      if (k === PBES_PER_LINKED_PAGE - 1) {
        this.apBroken0 = b0;
        this.apBroken1 = b1;
        this.seal();
      }
      this.count++;
      this.allocated++;
    }
    this.apBroken0 = b0;
    this.apBroken1 = b1;
    return this.pbePhys(this.count - 1);
  }

  /** A new chain page: lp->next = ca->chain; ca->chain = lp. */
  private newPage(): void {
    const pfn = this.allocPage();
    if (this.nPages === this.pagePfn.length) this.pagePfn = grow(this.pagePfn);
    this.pagePfn[this.nPages++] = pfn;
    if (2 * this.nPages > this.start.length) {
      this.start = grow(this.start);
      this.step = grow(this.step);
      const e = new Int32Array(this.ex.length * 2);
      e.set(this.ex);
      this.ex = e;
    }
    this.curPage = this.nPages - 1;
    this.index = null;
    // The frame is zeroed (allocPage's contract): from now on fill() produces it.
    this.heap.phys.synthesise(pfn, this);
  }

  /**
   * Per field of the current page: do the entries written so far leave the arithmetic
   * progression its entries 0 and 1 set? Kept as they are written (a run of PBEs at once), so
   * seal() need not scan the page to find out.
   */
  private apBroken0 = false;
  private apBroken1 = false;

  /**
   * Entries k0 … k0 + n - 1 of the current page's field f are about to take base + i × st:
   * note whether the page's values leave the progression of its entries 0 and 1 (from k0 = 0
   * on, a fresh page).
   */
  private noteRun(k0: number, n: number, f: number, base: number, st: number): void {
    let broken = k0 === 0 ? false : f === 0 ? this.apBroken0 : this.apBroken1;
    // The run's first entry at position ≥ 2 (the progression is set by entries 0 and 1).
    const i2 = k0 >= 2 ? 0 : 2 - k0;
    if (!broken && i2 < n) {
      const a = k0 > 0 ? this.cur[f]! : base;
      const d = (k0 > 1 ? this.cur[2 + f]! : base + (1 - k0) * st) - a;
      if (base + i2 * st !== a + (k0 + i2) * d || (n - i2 >= 2 && st !== d)) broken = true;
    }
    if (f === 0) this.apBroken0 = broken;
    else this.apBroken1 = broken;
  }

  /** The newest page is full: keep its two fields in their compact form. */
  private seal(): void {
    const c = this.curPage;
    const n = PBES_PER_LINKED_PAGE;
    for (let f = 0; f < 2; f++) {
      const a = this.cur[f]!;
      const d = this.cur[2 + f]! - a;
      this.start[2 * c + f] = a;
      this.step[2 * c + f] = d;
      this.ex[2 * c + f] = -1;
      // An arithmetic progression needs no explicit values (nor their width).
      if (!(f === 0 ? this.apBroken0 : this.apBroken1)) continue;
      let k: number;
      let small = true;
      for (k = 0; k < n && small; k++) if (this.cur[2 * k + f]! > 0xffffffff) small = false;
      const e = small ? new Uint32Array(n) : new Float64Array(n);
      for (let k = 0; k < n; k++) e[k] = this.cur[2 * k + f]!;
      this.ex[2 * c + f] = this.explicit.length;
      this.explicit.push(e);
    }
    this.curPage = -1;
  }

  /** Field f (0 = safe frame, 1 = image pfn) of PBE j. */
  private field(j: number, f: number): number {
    const c = Math.floor(j / PBES_PER_LINKED_PAGE);
    const k = j - c * PBES_PER_LINKED_PAGE;
    if (c === this.curPage) return this.cur[2 * k + f]!;
    const x = this.ex[2 * c + f]!;
    return x < 0 ? this.start[2 * c + f]! + k * this.step[2 * c + f]! : this.explicit[x]![k]!;
  }

  /** Safe frame and image pfn of PBE j. */
  copyOf(j: number): number {
    return this.field(j, 0);
  }

  origOf(j: number): number {
    return this.field(j, 1);
  }

  /** Index of the chain page in frame `pfn`, or -1. */
  private pageIndexOf(pfn: number): number {
    let ix = this.index;
    if (ix === null || ix.n !== this.nPages) {
      const n = this.nPages;
      const order = Array.from({ length: n }, (_, c) => c).sort(
        (a, b) => this.pagePfn[a]! - this.pagePfn[b]!,
      );
      const pfns = new Float64Array(n);
      const pages = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        pfns[i] = this.pagePfn[order[i]!]!;
        pages[i] = order[i]!;
      }
      ix = { pfns, pages, n };
      this.index = ix;
    }
    let lo = 0;
    let hi = ix.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ix.pfns[mid]!;
      if (v === pfn) return ix.pages[mid]!;
      if (v < pfn) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * What restore_image would read from the PBE at physical address `pa` on,
   * told from the compact form (no page bytes): when pa's frame is a sealed
   * chain page this chain still synthesises (nothing wrote it) and pa is its
   * PBE j in slot k, how many of PBEs j, j-1, …, j-k — the ones restore_image
   * reaches by following next inside the page — at most `max`, have a safe
   * frame and an image pfn each one fixed step of ±1 from the last. Then
   * out = [safe frame of j, image pfn of j, safe-frame step, image-pfn step
   * (per PBE followed), physical address the last one's next points at (-1:
   * NULL)]. 0 when it cannot tell (the newest page, a written page, not a PBE).
   */
  runAt(pa: number, max: number, out: Float64Array): number {
    const pfn = Math.floor(pa / PAGE_SIZE);
    if (max < 1 || this.heap.phys.sourceOf(pfn) !== this) return 0;
    const c = this.pageIndexOf(pfn);
    if (c < 0 || c === this.curPage) return 0;
    const off = pa - pfn * PAGE_SIZE - 8;
    if (off < 0 || off % PBE_SIZE !== 0) return 0;
    const k = off / PBE_SIZE;
    const j = c * PBES_PER_LINKED_PAGE + k;
    if (k >= PBES_PER_LINKED_PAGE || j >= this.count) return 0;
    // A sealed page (c is not curPage): its PBE k's fields through field(), as runs are short to test.
    const f0 = (q: number): number => this.field(c * PBES_PER_LINKED_PAGE + q, 0);
    const f1 = (q: number): number => this.field(c * PBES_PER_LINKED_PAGE + q, 1);
    const lim = Math.min(max, k + 1);
    let n = 1;
    out[2] = 0;
    out[3] = 0;
    if (lim > 1) {
      const a = f0(k - 1) - f0(k);
      const b = f1(k - 1) - f1(k);
      if ((a === 1 || a === -1) && (b === 1 || b === -1)) {
        n = 2;
        // Both fields progressions: the whole page's PBEs up to k step the same way.
        if (this.ex[2 * c]! < 0 && this.ex[2 * c + 1]! < 0) n = lim;
        else while (n < lim && f0(k - n) === f0(k) + n * a && f1(k - n) === f1(k) + n * b) n++;
        out[2] = a;
        out[3] = b;
      }
    }
    out[0] = f0(k);
    out[1] = f1(k);
    out[4] = j - n >= 0 ? this.pbePhys(j - n) : -1;
    return n;
  }

  /** FrameSource: chain page bytes as they stand (dst is zeroed). */
  fill(pfn: number, dst: Uint8Array): void {
    const c = this.pageIndexOf(pfn);
    if (c < 0) return;
    if (c > 0) this.putVa(dst, 0, this.pagePfn[c - 1]! * PAGE_SIZE);
    const first = c * PBES_PER_LINKED_PAGE;
    const end = Math.min(this.count, first + PBES_PER_LINKED_PAGE);
    if (first >= end) return;
    // Words of the page (dst is a whole frame; the frame buffers are 4-aligned, else bytes).
    const w =
      (dst.byteOffset & 3) === 0 ? new Uint32Array(dst.buffer, dst.byteOffset, PAGE_SIZE >>> 2) : null;
    let prev = first > 0 ? this.pbePhys(first - 1) : -1;
    const here = this.pagePfn[c]! * PAGE_SIZE + 8;
    if (w !== null && c !== this.curPage) {
      // A sealed page (restore_image reads ~300k of them at 12 TiB): each field as its progression
      // or its array, without field()'s page lookup per PBE.
      const x0 = this.ex[2 * c]!;
      const x1 = this.ex[2 * c + 1]!;
      const e0 = x0 < 0 ? null : this.explicit[x0]!;
      const e1 = x1 < 0 ? null : this.explicit[x1]!;
      const s0 = this.start[2 * c]!;
      const d0 = this.step[2 * c]!;
      const s1 = this.start[2 * c + 1]!;
      const d1 = this.step[2 * c + 1]!;
      for (let k = 0, n = end - first; k < n; k++) {
        const i = (8 + k * PBE_SIZE) >>> 2;
        this.vaWords(w, i, (e0 === null ? s0 + k * d0 : e0[k]!) * PAGE_SIZE);
        this.vaWords(w, i + 2, (e1 === null ? s1 + k * d1 : e1[k]!) * PAGE_SIZE);
        if (prev >= 0) this.vaWords(w, i + 4, prev);
        prev = here + k * PBE_SIZE;
      }
      return;
    }
    for (let j = first; j < end; j++) {
      const o = 8 + (j - first) * PBE_SIZE;
      const copy = this.field(j, 0) * PAGE_SIZE;
      const orig = this.field(j, 1) * PAGE_SIZE;
      if (w !== null) {
        this.vaWords(w, o >>> 2, copy);
        this.vaWords(w, (o + 8) >>> 2, orig);
        if (prev >= 0) this.vaWords(w, (o + 16) >>> 2, prev);
      } else {
        this.putVa(dst, o, copy);
        this.putVa(dst, o + 8, orig);
        this.putVa(dst, o + 16, prev);
      }
      prev = here + (j - first) * PBE_SIZE;
    }
  }

  /** putVa() as two u32 words at w[i], w[i+1] (little-endian host, as x86). */
  private vaWords(w: Uint32Array, i: number, phys: number): void {
    const lo = this.vaLo + (phys >>> 0);
    w[i] = lo >>> 0;
    w[i + 1] = (this.vaHi + Math.floor(phys / 0x100000000) + (lo >= 0x100000000 ? 1 : 0)) >>> 0;
  }

  /** *(u64 *)(f + o) = __va(phys), or NULL for phys −1 (no BigInt: x >>> 0 is x mod 2^32 below 2^53). */
  private putVa(f: Uint8Array, o: number, phys: number): void {
    if (phys < 0) {
      putU32(f, o, 0);
      putU32(f, o + 4, 0);
      return;
    }
    const lo = this.vaLo + (phys >>> 0);
    const hi = (this.vaHi + Math.floor(phys / 0x100000000) + (lo >= 0x100000000 ? 1 : 0)) >>> 0;
    putU32(f, o, lo >>> 0);
    putU32(f, o + 4, hi);
  }
}
