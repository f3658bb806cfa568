/**
 * Putting a workload into a booted model machine: each group's pages are
 * allocated from the machine's buddy allocator — 'compact' the way a fresh
 * boot hands them out (__rmqueue_smallest from the list heads, zonelist
 * Normal → DMA32 → DMA), 'scattered' at seeded random frames the way a
 * long-running system ends up (take_page_off_buddy on random free pfns) —
 * their struct pages get the flags of their kind, and their contents are
 * descriptors in the ContentMap (bytes are generated only when read).
 */
import { ScenarioError } from '../errors.js';
import type { Machine } from '../machine/boot.js';
import { setBitRange } from '../util/bits.js';
import { Prng } from '../util/prng.js';
import { contentCalibration } from './calibration.js';
import { ContentKind } from './content.js';
import type { ContentMap } from './content-map.js';
import { DrawSorter } from './draw-sort.js';
import { DEFAULT_CONTENTS, type WorkloadGroup, type WorkloadKind, type WorkloadSpec } from './types.js';

export interface PlacedGroup {
  kind: WorkloadKind;
  label: string;
  /** Frames holding this group's pages, in allocation order (4 bytes each below 16 TiB). */
  pfns: Uint32Array | Float64Array;
  count: number;
}

export interface PlacedWorkload {
  seed: number;
  groups: PlacedGroup[];
  /** Total pages placed. */
  pages: number;
}

const ZONE_LIMIT: Record<string, number> = { DMA: 0, DMA32: 1, Normal: 2, any: 2 };

/** Placer options. */
export interface PlacerOptions {
  /**
   * One allocation per page: scattered groups one take_page_off_buddy() per
   * draw (never the two-step bulk placement), compact groups one alloc() per
   * page (never allocBulk()) — the reference the property tests hold the bulk
   * paths to.
   */
  perPage?: boolean;
}

export class WorkloadPlacer {
  private readonly prng: Prng;
  readonly placed: PlacedWorkload;
  /**
   * Inside placeFixed(): the free-page bitmap of scattered placement over
   * pfns [0, end), kept from one group to the next (only the placer changes
   * the allocator there, and it clears each frame it takes), so the free
   * lists are walked once per boot, not once per group.
   */
  private freeCache: Uint32Array | undefined;
  /** Drop the kept free-page bitmap and give its bytes back to the run's budget. */
  private dropFreeCache(): void {
    if (this.freeCache) this.machine.pages.budget?.release('working arrays', this.freeCache.byteLength);
    this.freeCache = undefined;
  }
  private batching = false;

  constructor(
    private readonly machine: Machine,
    private readonly content: ContentMap,
    readonly seed: number,
    private readonly opts: PlacerOptions = {},
  ) {
    this.prng = new Prng(seed);
    this.placed = { seed, groups: [], pages: 0 };
  }

  /** Place one group of `pages` pages. Throws when memory runs out. */
  place(group: WorkloadGroup, pages: number): PlacedGroup {
    const m = this.machine;
    const bits = m.profile.mm.pageFlags.bits;
    const flagsOf: Record<WorkloadKind, number> = {
      anon: (1 << bits.lru) | (1 << bits.swapbacked) | (1 << bits.dirty) | (1 << bits.uptodate),
      pagecache: (1 << bits.lru) | (1 << bits.uptodate) | (1 << bits.referenced),
      slab: 1 << bits.slab,
      kernel: 0,
    };
    const mix = { ...DEFAULT_CONTENTS[group.kind], ...(group.contents ?? {}) };
    const cal = contentCalibration(m.profile);
    const parts: [number, number][] = [
      [mix.zero, ContentKind.ZERO],
      [mix.text, ContentKind.TEXT],
      [mix.pointer, ContentKind.POINTER],
      [mix.random, ContentKind.RANDOM],
      [mix.pattern ?? 0, ContentKind.PATTERN],
      [mix.kernel ?? 0, ContentKind.CALIBRATED + cal.kernel],
      [mix.pagecache ?? 0, ContentKind.CALIBRATED + cal.pagecache],
    ];
    const cum: number[] = [];
    let total = 0;
    for (const [wt] of parts) {
      total += wt;
      cum.push(total);
    }
    const kinds = parts.map(([, k]) => k);
    const highest = ZONE_LIMIT[group.zone ?? 'any'] ?? 2;
    if (group.frames) {
      this.dropFreeCache();
      return this.placeFrames(group, flagsOf[group.kind], cum, total, kinds);
    }
    // Refuse up front what cannot fit (a group of 2^40 pages must not size an array first).
    let free = 0;
    for (let z = 0; z <= highest && z < m.buddy.nrFreePages.length; z++) free += m.buddy.nrFreePages[z]!;
    if (pages > free) {
      throw new ScenarioError(
        'WORKLOAD_OOM',
        `workload group '${group.name ?? group.kind}' needs ${pages} pages but only ${free} are free (zones up to ${group.zone ?? 'any'})`,
      );
    }
    const wide = m.maxPfn > 0xffffffff;
    // The run's host budget (mm/host-budget.ts) pays for the group's pfn list before it is made.
    m.pages.budget?.charge('working arrays', pages * (wide ? 8 : 4));
    const out = wide ? new Float64Array(pages) : new Uint32Array(pages);
    const scattered = (group.placement ?? 'scattered') === 'scattered';
    // Frames eligible for scattered placement: the spans of the allowed zones.
    const spans = m.zones.zones
      .filter(
        (z) =>
          z.spannedPages > 0 &&
          z.index <= highest &&
          (group.zone === undefined || group.zone === 'any' || z.index === highest),
      )
      .map((z) => [z.startPfn, z.startPfn + z.spannedPages] as const);
    const spanTotal = spans.reduce((a, [s, e]) => a + (e - s), 0);
    let freeInSpans = 0;
    for (let z = 0; z <= highest; z++)
      if (spans.some(([s]) => m.zones.zoneIndexOf(s) === z)) freeInSpans += m.buddy.nrFreePages[z]!;
    // The spans as plain numbers for the per-try loop (no tuple destructuring per try).
    const spanLo = Float64Array.from(spans, ([s]) => s);
    const spanLen = Float64Array.from(spans, ([s, e]) => e - s);
    const drawBelow = Math.min(spanTotal, 0xffffffff);
    const kindFlags = flagsOf[group.kind];
    // The two-step placement needs ascending spans and a free-page bitmap of at most 128 MiB
    // (2^30 frames: 4 TiB of spans; span positions fit the draw sorter's 30 bits).
    const ascending = spans.every((sp, k) => k === 0 || sp[0] >= spans[k - 1]![1]);
    if (scattered && spanTotal > 0 && ascending && spanTotal <= 2 ** 30 && !this.opts.perPage) {
      this.placeScattered(
        group,
        pages,
        highest,
        spanLo,
        spanLen,
        freeInSpans,
        out,
        kindFlags,
        cum,
        total,
        kinds,
      );
    } else if (!scattered && !this.opts.perPage) {
      this.dropFreeCache(); // frames taken below without the bitmap
      this.placeCompact(group, pages, highest, out, kindFlags, cum, total, kinds);
    } else {
      this.dropFreeCache(); // frames taken below without the bitmap
      for (let i = 0; i < pages; i++) {
        let pfn = -1;
        if (scattered && spanTotal > 0 && freeInSpans > pages - i) {
          // Random frames until a free one is found (bounded: fall back to compact).
          for (let tries = 0; tries < 64 && pfn < 0; tries++) {
            let r = this.prng.below(drawBelow);
            for (let k = 0; k < spanLo.length; k++) {
              const len = spanLen[k]!;
              if (r < len) {
                const cand = spanLo[k]! + r;
                if (m.buddy.takePage(cand)) pfn = cand;
                break;
              }
              r -= len;
            }
          }
        }
        if (pfn < 0) pfn = m.buddy.alloc(0, highest);
        if (pfn < 0) {
          throw new ScenarioError(
            'WORKLOAD_OOM',
            `workload group '${group.name ?? group.kind}' needs ${pages} pages but memory ran out after ${i}`,
          );
        }
        if (scattered) freeInSpans--;
        this.claim(pfn, group.kind, flagsOf[group.kind], cum, total, kinds);
        out[i] = pfn;
      }
    }
    const g: PlacedGroup = { kind: group.kind, label: group.name ?? group.kind, pfns: out, count: pages };
    this.placed.groups.push(g);
    this.placed.pages += pages;
    return g;
  }

  /**
   * place() for scattered placement, the same decisions in two steps. The draws
   * run first against a bitmap of the spans' free pages (a try at pfn p
   * succeeds iff take_page_off_buddy(p) would: p is in a free block), with
   * each placed page's content kind drawn right after its frame as claim()
   * does; then the takes are applied block by block in pfn order
   * (Buddy.takePagesSorted(): the struct pages and free lists the takes in
   * draw order give) and the pages claimed in pfn order (claims touch only
   * their own page). A fallback alloc() applies the takes before it first.
   */
  private placeScattered(
    group: WorkloadGroup,
    pages: number,
    highest: number,
    spanLo: Float64Array,
    spanLen: Float64Array,
    freeInSpans: number,
    out: Uint32Array | Float64Array,
    flags: number,
    cum: number[],
    total: number,
    kinds: number[],
  ): void {
    const m = this.machine;
    const nspan = spanLo.length;
    const spanOff = new Float64Array(nspan);
    let spanTotal = 0;
    for (let k = 0; k < nspan; k++) {
      spanOff[k] = spanTotal;
      spanTotal += spanLen[k]!;
    }
    // The free-page bitmap: over pfns [0, end) of the zones when that is at most 2^30 frames
    // (kept across placeFixed()'s groups), else over the group's span positions.
    let zonesEnd = 0;
    for (const z of m.zones.zones) zonesEnd = Math.max(zonesEnd, z.startPfn + z.spannedPages);
    const byPfn = zonesEnd <= 2 ** 30;
    // Bit index of span k's first frame.
    const bitBase = byPfn ? spanLo : spanOff;
    // The working arrays are charged to the run's budget before they are made and given
    // back at the end (the free-page bitmap once it is no longer kept: dropFreeCache()).
    const budget = m.pages.budget;
    let held = 0;
    const hold = (bytes: number): void => {
      budget?.charge('working arrays', bytes);
      held += bytes;
    };
    let free = byPfn ? this.freeCache : undefined;
    if (!free) {
      const words = Math.ceil((byPfn ? zonesEnd : spanTotal) / 32);
      hold(4 * words);
      free = new Uint32Array(words);
      const bits = free;
      if (byPfn) m.buddy.forEachFreeBlockIn(-1, (head, order) => setBitRange(bits, head, head + 2 ** order));
      else
        m.buddy.forEachFreeBlockIn(-1, (head, order) => {
          const end = head + 2 ** order;
          for (let k = 0; k < nspan; k++) {
            const lo = Math.max(head, spanLo[k]!);
            const hi = Math.min(end, spanLo[k]! + spanLen[k]!);
            if (lo < hi) setBitRange(bits, spanOff[k]! + lo - spanLo[k]!, spanOff[k]! + hi - spanLo[k]!);
          }
        });
      if (byPfn && this.batching) {
        this.freeCache = free;
        held -= free.byteLength; // kept: dropFreeCache() gives it back
      }
    }
    // Bit index of a pfn (-1 outside the bitmap); spans are ascending and disjoint.
    const bitOf = (pfn: number): number => {
      if (byPfn) return pfn < zonesEnd ? pfn : -1;
      for (let k = 0; k < nspan; k++) {
        const d = pfn - spanLo[k]!;
        if (d >= 0 && d < spanLen[k]!) return spanOff[k]! + d;
      }
      return -1;
    };
    // kindOf, pfnsOut, the sorter's two columns and `when` (at most one double a page).
    hold(pages * (1 + 8 + 8 + 8));
    const kindOf = new Uint8Array(pages);
    // Pending takes of the current batch: span position and draw number (i - batchStart).
    const pfnsOut = new Float64Array(pages);
    const sorter = new DrawSorter(pages, pfnsOut);
    const dpos = sorter.pos;
    const ddraw = sorter.draw;
    let when = new Float64Array(0);
    let nkeys = 0;
    let batchStart = 0;
    const content = this.content;
    const seed = this.seed;
    const mapcount = group.kind === 'anon' ? 0 : -1;
    const flush = (): void => {
      if (nkeys === 0) return;
      sorter.sort(nkeys);
      const pfns = pfnsOut.subarray(0, nkeys);
      if (when.length < nkeys) when = new Float64Array(Math.max(nkeys, Math.min(2 * when.length, pages)));
      for (let x = 0, k = 0; x < nkeys; x++) {
        const pos = dpos[x]!;
        when[x] = ddraw[x]!;
        while (pos >= spanOff[k]! + spanLen[k]!) k++;
        pfns[x] = spanLo[k]! + (pos - spanOff[k]!);
      }
      // The takes, each page's claimKind() struct page in the same store; then descriptors.
      m.buddy.takePagesSorted(pfns, when, nkeys, flags, mapcount);
      for (let x = 0; x < nkeys; x++) {
        const pfn = pfns[x]!;
        content.set(pfn, kindOf[when[x]! + batchStart]!, seed, pfn);
      }
      m.mem.discardSorted(pfns, 0, nkeys);
      nkeys = 0;
    };
    const drawBelow = Math.min(spanTotal, 0xffffffff);
    for (let i = 0; i < pages; i++) {
      let pfn = -1;
      if (freeInSpans > pages - i) {
        for (let tries = 0; tries < 64 && pfn < 0; tries++) {
          let r = this.prng.below(drawBelow);
          for (let k = 0; k < nspan; k++) {
            const len = spanLen[k]!;
            if (r < len) {
              const bit = bitBase[k]! + r;
              if (free[bit >>> 5]! & (1 << (bit & 31))) {
                free[bit >>> 5]! &= ~(1 << (bit & 31));
                pfn = spanLo[k]! + r;
                if (nkeys === 0) batchStart = i;
                dpos[nkeys] = spanOff[k]! + r;
                ddraw[nkeys++] = i - batchStart;
              }
              break;
            }
            r -= len;
          }
        }
      }
      const taken = pfn >= 0;
      if (!taken) {
        flush();
        pfn = m.buddy.alloc(0, highest);
        if (pfn < 0) {
          throw new ScenarioError(
            'WORKLOAD_OOM',
            `workload group '${group.name ?? group.kind}' needs ${pages} pages but memory ran out after ${i}`,
          );
        }
        const bit = bitOf(pfn);
        if (bit >= 0) free[bit >>> 5]! &= ~(1 << (bit & 31));
      }
      freeInSpans--;
      kindOf[i] = this.drawKind(cum, total, kinds);
      if (!taken) this.claimKind(pfn, group.kind, flags, kindOf[i]!);
      out[i] = pfn;
    }
    flush();
    budget?.release('working arrays', held);
  }

  /**
   * place() for compact placement: alloc(0, highest) per page and claim() of
   * each in allocation order, the allocations through Buddy.allocBulk() (the
   * same n calls, reported as runs of consecutive pfns) and each run's struct
   * pages in one call, so a max-order block handed out whole stays a compact
   * chunk. Claims touch only their own page, never the allocator's state.
   */
  private placeCompact(
    group: WorkloadGroup,
    pages: number,
    highest: number,
    out: Uint32Array | Float64Array,
    flags: number,
    cum: number[],
    total: number,
    kinds: number[],
  ): void {
    const m = this.machine;
    const content = this.content;
    const seed = this.seed;
    const mapcount = group.kind === 'anon' ? 0 : -1;
    let i = 0;
    const got = m.buddy.allocBulk(pages, highest, (pfn, len) => {
      m.pages.orFlagsSetMapcountRange(pfn, pfn + len, flags, mapcount);
      for (let p = pfn, e = pfn + len; p < e; p++) {
        content.set(p, this.drawKind(cum, total, kinds), seed, p);
        out[i++] = p;
      }
      m.mem.discardRange(pfn, len);
    });
    if (got < pages) {
      throw new ScenarioError(
        'WORKLOAD_OOM',
        `workload group '${group.name ?? group.kind}' needs ${pages} pages but memory ran out after ${got}`,
      );
    }
  }

  /** claim()'s content kind draw from the group's mix. */
  private drawKind(cum: number[], total: number, kinds: number[]): number {
    const x = this.prng.float() * total;
    let k = 0;
    while (k < kinds.length - 1 && x >= cum[k]!) k++;
    return kinds[k]!;
  }

  /** claim() with the content kind already drawn. */
  private claimKind(pfn: number, kind: WorkloadKind, flags: number, contentKind: number): void {
    const m = this.machine;
    m.pages.orFlagsSetMapcount(pfn, flags, kind === 'anon' ? 0 : -1);
    this.content.set(pfn, contentKind, this.seed, pfn);
    m.mem.discard(pfn);
  }

  /** An allocated frame becomes a page of `kind`: struct page flags and a content descriptor drawn from the mix. */
  private claim(
    pfn: number,
    kind: WorkloadKind,
    flags: number,
    cum: number[],
    total: number,
    kinds: number[],
  ): void {
    const m = this.machine;
    m.pages.orFlagsSetMapcount(pfn, flags, kind === 'anon' ? 0 : -1);
    const x = this.prng.float() * total;
    let k = 0;
    while (k < kinds.length - 1 && x >= cum[k]!) k++;
    this.content.set(pfn, kinds[k]!, this.seed, pfn);
    m.mem.discard(pfn);
  }

  /** Who holds a RAM frame that is not free: an earlier workload group, or the booted kernel. */
  private ownerOf(pfn: number): string {
    for (const g of this.placed.groups) {
      for (let i = 0; i < g.count; i++) if (g.pfns[i] === pfn) return `workload group "${g.label}"`;
    }
    if (this.machine.memblock.isReserved(pfn * 4096))
      return 'memblock-reserved at boot: kernel image, page tables, memmap, initrd or firmware data';
    return 'allocated by the booted kernel';
  }

  /**
   * A group pinned to exact frames: take_page_off_buddy() each one. Every RAM
   * frame of the pin must be free (a WORKLOAD_FRAME_BUSY error names the first
   * that is not, and its owner); frames that are not RAM (holes, firmware
   * ranges inside a pinned range) are skipped.
   */
  private placeFrames(
    group: WorkloadGroup,
    flags: number,
    cum: number[],
    total: number,
    kinds: number[],
  ): PlacedGroup {
    const m = this.machine;
    const sec = m.sections;
    const got: number[] = [];
    // Ranges, not pfn by pfn: a range is clipped to the sections that exist, and parts an
    // earlier range already covered are skipped (their free frames were taken then), so
    // '0-0xfffffffffe' costs what the machine's memory costs, not 2^40 steps.
    const done: [number, number][] = []; // sorted, disjoint [start, end)
    // RAM frames of the pin that someone else owns: the first is named in the error.
    let busy = 0;
    let firstBusy = -1;
    const visit = (a: number, b: number): void => {
      for (let s = sec.sectionOf(a); s <= sec.sectionOf(b - 1); s++) {
        if (!sec.isPresent(s)) continue;
        const lo = Math.max(a, sec.sectionStart(s));
        const hi = Math.min(b, sec.sectionStart(s + 1));
        for (let pfn = lo; pfn < hi; pfn++) {
          if (!m.buddy.takePage(pfn)) {
            // Holes and firmware ranges are not frames anyone allocates: a range may span them.
            if (m.memblock.isMemory(pfn * 4096)) {
              if (busy++ === 0) firstBusy = pfn;
            }
            continue;
          }
          this.claim(pfn, group.kind, flags, cum, total, kinds);
          got.push(pfn);
        }
      }
    };
    for (const f of group.frames!) {
      const start = Math.max(0, f.start);
      const end = Math.min(f.end, sec.count * sec.pfnsPerSection);
      if (start >= end) continue;
      let at = start;
      for (const [ds, de] of done) {
        if (de <= at) continue;
        if (ds >= end) break;
        if (ds > at) visit(at, ds);
        at = Math.max(at, de);
        if (at >= end) break;
      }
      if (at < end) visit(at, end);
      done.push([start, end]);
      done.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < done.length; i++) {
        if (done[i]![0] <= done[i - 1]![1]) {
          done[i - 1]![1] = Math.max(done[i - 1]![1], done[i]![1]);
          done.splice(i--, 1);
        }
      }
    }
    if (busy > 0) {
      throw new ScenarioError(
        'WORKLOAD_FRAME_BUSY',
        `workload group "${group.name ?? group.kind}": frame 0x${firstBusy.toString(16)} is not free at boot (${this.ownerOf(firstBusy)})${busy > 1 ? `; ${busy} of its pinned RAM frames are not` : ''} — pin free RAM frames only`,
      );
    }
    const g: PlacedGroup = {
      kind: group.kind,
      label: group.name ?? group.kind,
      pfns: Float64Array.from(got),
      count: got.length,
    };
    this.placed.groups.push(g);
    this.placed.pages += got.length;
    return g;
  }

  /** Place every group except a `fill` group (placed later by fillTo()). Returns the fill group, if any. */
  placeFixed(spec: WorkloadSpec): WorkloadGroup | undefined {
    let fill: WorkloadGroup | undefined;
    this.batching = true;
    try {
      for (const g of spec.groups) {
        if (g.fill) {
          if (fill) throw new ScenarioError('WORKLOAD_TWO_FILL', 'a workload may have only one fill group');
          fill = g;
          continue;
        }
        this.place(g, g.pages ?? 0);
      }
    } finally {
      this.batching = false;
      this.dropFreeCache();
    }
    if (spec.churn) this.churn(spec.churn);
    return fill;
  }

  /**
   * Churn: free a fraction of the placed pages and allocate as many again,
   * fragmenting the free lists like a system that has run for a while.
   */
  private churn(fraction: number): void {
    const m = this.machine;
    for (const g of this.placed.groups) {
      const n = Math.floor(g.count * fraction);
      for (let i = 0; i < n; i++) {
        const j = this.prng.below(g.count);
        const old = g.pfns[j]!;
        const desc = this.content.get(old);
        const st = m.pages.get(old);
        const keepFlags = st.flags;
        this.content.clear(old);
        st.flags = keepFlags & ~this.kindFlagsMask();
        st.mapcount = -1;
        m.pages.set(old, st);
        m.buddy.free(old, 0);
        const pfn = m.buddy.alloc(0);
        if (pfn < 0) throw new ScenarioError('WORKLOAD_OOM', 'churn: memory ran out');
        const ns = m.pages.get(pfn);
        ns.flags = (ns.flags & ~this.kindFlagsMask()) | (keepFlags & this.kindFlagsMask());
        ns.mapcount = g.kind === 'anon' ? 0 : -1;
        m.pages.set(pfn, ns);
        if (desc) this.content.set(pfn, desc.kind, desc.seed, pfn);
        m.mem.discard(pfn);
        g.pfns[j] = pfn;
      }
    }
  }

  private kindFlagsMask(): number {
    const b = this.machine.profile.mm.pageFlags.bits;
    return (
      (1 << b.lru) |
      (1 << b.swapbacked) |
      (1 << b.dirty) |
      (1 << b.uptodate) |
      (1 << b.referenced) |
      (1 << b.slab)
    );
  }
}
