/**
 * StructPages (compact section and chunk forms) against a plain per-pfn
 * oracle: random sequences of the boot-time whole-section operations, range
 * updates, the buddy allocator's head writes (including the max-order writes
 * that keep a chunk compact) and the per-page setters; after each sequence
 * every read accessor must answer for every pfn exactly what the oracle's
 * arrays say, and the memory cost must stay at the chunks actually broken.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memblock } from '../../src/mm/memblock.js';
import { Sections } from '../../src/mm/sparse.js';
import { type PageState, PG_INIT, StructPages } from '../../src/mm/struct-page.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import type { KernelProfile } from '../../src/profiles/types.js';

const PER = 32768; // pfns per 128 MiB section
const CHUNK = 1024; // 2^maxOrder
const NSEC = 3; // sections 0 and 2 present, 1 absent (a hole between two RAM ranges)
const N = NSEC * PER;

class Oracle {
  flags = new Uint32Array(N);
  ref = new Int32Array(N);
  map = new Int32Array(N).fill(-1);
  priv = new Int32Array(N);
  node = new Int32Array(N).fill(-1);
  constructor(readonly present: (sec: number) => boolean) {}
  put(p: number, s: PageState): void {
    this.flags[p] = s.flags >>> 0;
    this.ref[p] = s.refcount;
    this.map[p] = s.mapcount;
    this.priv[p] = s.private;
    this.node[p] = s.node;
  }
  get(p: number): PageState {
    return {
      flags: this.flags[p]!,
      refcount: this.ref[p]!,
      mapcount: this.map[p]!,
      private: this.priv[p]!,
      node: this.node[p]!,
    };
  }
}

type Op =
  | { k: 'uniform'; sec: number; st: number }
  | { k: 'freeMax'; sec: number; base: number }
  | { k: 'range'; a: number; n: number; f: number }
  | { k: 'set'; p: number; st: number }
  | { k: 'freeHead'; p: number; order: number; node: number; ref: number }
  | { k: 'clearHead'; p: number }
  | { k: 'refAdd'; p: number; d: number }
  | { k: 'mapAdd'; p: number; d: number }
  | { k: 'bit'; p: number; bit: number; on: boolean }
  | { k: 'userMap'; p: number; f: number; m: number }
  | { k: 'takenRange'; a: number; n: number; claim?: { f: number; m: number } }
  | {
      k: 'bulk';
      what: 'taken' | 'heads' | 'claim';
      c: number;
      whole: boolean;
      offs: number[];
      f: number;
      m: number;
    };

function states(buddy: number): Omit<PageState, 'node'>[] {
  return [
    { flags: PG_INIT, refcount: 0, mapcount: -1, private: 0 }, // a plain free page
    { flags: PG_INIT | (1 << 10), refcount: 1, mapcount: -1, private: 0 }, // reserved
    { flags: 0, refcount: 0, mapcount: 0, private: 0 }, // never initialised
    { flags: PG_INIT, refcount: 0, mapcount: 0, private: 0 }, // initialised, all-zero fields
    { flags: PG_INIT | (1 << 3), refcount: 2, mapcount: 0, private: 7 },
    { flags: PG_INIT, refcount: 0, mapcount: buddy, private: 3 }, // looks like a buddy head
  ];
}

/** A pfn, often a chunk or section boundary (where the forms change). */
const pfnArb = fc.oneof(
  fc.integer({ min: 0, max: N - 1 }),
  fc.integer({ min: 0, max: N / CHUNK - 1 }).map((c) => c * CHUNK),
  fc.integer({ min: 0, max: N / CHUNK - 1 }).map((c) => c * CHUNK + CHUNK - 1),
);

function opArb(): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('takenRange' as const),
        // with claim: orFlagsSetMapcountRange() over the range instead
        claim: fc.option(fc.record({ f: fc.nat(0xfff), m: fc.integer({ min: -1, max: 3 }) }), {
          nil: undefined,
        }),
        a: pfnArb,
        n: fc.oneof(
          fc.integer({ min: 1, max: 40 }),
          fc.constantFrom(CHUNK, 2 * CHUNK + 7),
          fc.integer({ min: 1, max: PER }),
        ),
      }),
    },
    {
      // The placement's batched writes over the pfns of one or two chunks (a whole chunk or some).
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('bulk' as const),
        what: fc.constantFrom('taken' as const, 'heads' as const, 'claim' as const),
        c: fc.integer({ min: 0, max: N / CHUNK - 2 }),
        whole: fc.boolean(),
        offs: fc.array(fc.integer({ min: 0, max: 2 * CHUNK - 1 }), { maxLength: 60 }),
        f: fc.nat(0xfff),
        m: fc.integer({ min: -1, max: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('uniform' as const),
        sec: fc.integer({ min: 0, max: 2 }),
        st: fc.nat(5),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('freeMax' as const),
        sec: fc.constantFrom(0, 2),
        base: fc.nat(1000),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('range' as const),
        a: pfnArb,
        n: fc.oneof(
          fc.integer({ min: 1, max: 40 }),
          fc.constantFrom(CHUNK, 3 * CHUNK, PER),
          fc.integer({ min: 1, max: PER + 5 }),
        ),
        f: fc.nat(3),
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), p: pfnArb, st: fc.nat(5) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('freeHead' as const),
        p: pfnArb,
        order: fc.oneof(fc.constant(10), fc.nat(10)),
        node: fc.nat(5000),
        ref: fc.oneof(fc.constant(0), fc.constant(1)),
      }),
    },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('clearHead' as const), p: pfnArb }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('refAdd' as const),
        p: pfnArb,
        d: fc.integer({ min: -2, max: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('mapAdd' as const),
        p: pfnArb,
        d: fc.integer({ min: -2, max: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('bit' as const), p: pfnArb, bit: fc.nat(12), on: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('userMap' as const),
        p: pfnArb,
        f: fc.nat(0xfff),
        m: fc.integer({ min: -1, max: 3 }),
      }),
    },
  );
}

function setup(profile: KernelProfile): { sp: StructPages; o: Oracle } {
  const mb = new Memblock();
  mb.add(0, PER * 4096);
  mb.add(2 * PER * 4096, PER * 4096);
  const sections = new Sections(profile, mb, N);
  const sp = new StructPages(profile, sections, 0xffffea0000000000n, (pfn) => (pfn < PER ? 1 : 2));
  const o = new Oracle((s) => sections.isPresent(s));
  return { sp, o };
}

/** The transformations updateRange() is given at boot (reserve, free, initialise) plus one per-page one. */
function rangeFn(f: number, R: number): (st: PageState) => void {
  switch (f) {
    case 0:
      return (st) => {
        st.flags |= R;
      };
    case 1:
      return (st) => {
        st.flags &= ~R;
        st.refcount = 0;
      };
    case 2:
      return (st) => Object.assign(st, { flags: PG_INIT, refcount: 0, mapcount: -1, private: 0 });
    default:
      return (st) => {
        st.refcount += 1;
      };
  }
}

function apply(sp: StructPages, o: Oracle, op: Op, profile: KernelProfile): void {
  const buddy = sp.buddyMapcount;
  const S = states(buddy);
  const present = (p: number) => o.present(Math.floor(p / PER));
  switch (op.k) {
    case 'uniform': {
      sp.setSectionUniform(op.sec, S[op.st]!);
      if (!o.present(op.sec)) return;
      for (let p = op.sec * PER; p < (op.sec + 1) * PER; p++) o.put(p, { ...S[op.st]!, node: -1 });
      return;
    }
    case 'freeMax': {
      sp.setSectionFreeMax(op.sec, op.base);
      for (let p = op.sec * PER, k = 0; p < (op.sec + 1) * PER; p++) {
        const head = p % CHUNK === 0;
        o.put(p, {
          flags: PG_INIT,
          refcount: 0,
          mapcount: head ? buddy : -1,
          private: head ? 10 : 0,
          node: head ? op.base + k++ : -1,
        });
      }
      return;
    }
    case 'range': {
      const e = Math.min(N, op.a + op.n);
      const fn = rangeFn(op.f, 1 << profile.mm.pageFlags.bits.reserved);
      sp.updateRange(op.a, e, fn);
      for (let p = op.a; p < e; p++) {
        if (!present(p)) continue;
        const st = o.get(p);
        fn(st);
        o.put(p, st);
      }
      return;
    }
    case 'takenRange': {
      // a range inside present sections (the method needs a memmap for every pfn)
      if (!present(op.a)) return;
      const e = Math.min(op.a + op.n, (Math.floor(op.a / PER) + 1) * PER);
      const c = op.claim;
      if (c) {
        sp.orFlagsSetMapcountRange(op.a, e, c.f, c.m);
        for (let p = op.a; p < e; p++)
          o.put(p, { ...o.get(p), flags: (o.flags[p]! | c.f) >>> 0, mapcount: c.m });
      } else {
        sp.setTakenRange(op.a, e);
        for (let p = op.a; p < e; p++)
          o.put(p, { ...o.get(p), refcount: 1, mapcount: -1, private: 0, node: -1 });
      }
      return;
    }
    case 'bulk': {
      const set = new Set<number>();
      if (op.whole) for (let i = 0; i < CHUNK; i++) set.add(op.c * CHUNK + i);
      for (const x of op.offs) set.add(op.c * CHUNK + x);
      const list = [...set].filter(present).sort((x, y) => x - y);
      const pf = Float64Array.from(list);
      if (op.what === 'taken') {
        sp.setTakenSorted(pf, 0, list.length);
        for (const p of list) o.put(p, { ...o.get(p), refcount: 1, mapcount: -1, private: 0, node: -1 });
      } else if (op.what === 'claim') {
        sp.orFlagsSetMapcountSorted(pf, 0, list.length, op.f, op.m);
        for (const p of list) o.put(p, { ...o.get(p), flags: (o.flags[p]! | op.f) >>> 0, mapcount: op.m });
      } else {
        // free block heads: order and node drawn from the pfn; a whole chunk's head gets order 10
        const ord = Int8Array.from(list, (p) => (p % CHUNK === 0 && op.whole ? 10 : p % 11));
        const nodes = Int32Array.from(list, (p) => p % 5000);
        sp.setFreeHeads(pf, ord, nodes, 0, list.length, buddy);
        for (let i = 0; i < list.length; i++) {
          const p = list[i]!;
          o.put(p, { ...o.get(p), refcount: 0, mapcount: buddy, private: ord[i]!, node: nodes[i]! });
        }
      }
      return;
    }
    default:
      break;
  }
  // per-page operations need a memmap
  if (!present(op.p)) {
    expect(() => sp.get(op.p)).toThrow(/no struct page/);
    return;
  }
  const p = op.p;
  switch (op.k) {
    case 'set':
      sp.set(p, { ...S[op.st]!, node: -1 });
      o.put(p, { ...S[op.st]!, node: -1 });
      return;
    case 'freeHead':
      sp.setFreeHead(p, buddy, op.order, op.node, op.ref);
      o.map[p] = buddy;
      o.priv[p] = op.order;
      o.node[p] = op.node;
      o.ref[p] = op.ref;
      return;
    case 'clearHead':
      sp.setBuddyFields(p, -1, 0, -1);
      o.map[p] = -1;
      o.priv[p] = 0;
      o.node[p] = -1;
      return;
    case 'refAdd':
      expect(sp.refAdd(p, op.d)).toBe(o.ref[p]! + op.d);
      o.ref[p] = o.ref[p]! + op.d;
      return;
    case 'mapAdd':
      expect(sp.mapAdd(p, op.d)).toBe(o.map[p]! + op.d);
      o.map[p] = o.map[p]! + op.d;
      return;
    case 'bit':
      sp.setBit(p, op.bit, op.on);
      o.flags[p] = (op.on ? o.flags[p]! | (1 << op.bit) : o.flags[p]! & ~(1 << op.bit)) >>> 0;
      return;
    case 'userMap':
      sp.orFlagsSetMapcount(p, op.f, op.m);
      o.flags[p] = (o.flags[p]! | op.f) >>> 0;
      o.map[p] = op.m;
      return;
  }
}

/** Every read accessor against the oracle, for every pfn. */
function checkAll(sp: StructPages, o: Oracle, profile: KernelProfile): void {
  const buddy = sp.buddyMapcount;
  const cpupid = profile.mm.pageFlags.lastCpupidWidth > 0;
  for (let p = 0; p < N; p++) {
    const sec = Math.floor(p / PER);
    if (!o.present(sec)) {
      expect(sp.freeHeadOrder(p)).toBe(-1);
      continue;
    }
    const want = o.get(p);
    const got = sp.get(p);
    if (
      got.flags !== want.flags ||
      got.refcount !== want.refcount ||
      got.mapcount !== want.mapcount ||
      got.private !== want.private ||
      got.node !== want.node
    )
      expect({ pfn: p, ...got }).toEqual({ pfn: p, ...want });
    if (sp.ref(p) !== want.refcount) expect(sp.ref(p)).toBe(want.refcount);
    if (sp.mapRaw(p) !== want.mapcount) expect(sp.mapRaw(p)).toBe(want.mapcount);
    const bo = want.mapcount === buddy ? want.private : -1;
    if (sp.buddyOrder(p) !== bo) expect([p, sp.buddyOrder(p)]).toEqual([p, bo]);
    if (sp.buddyNode(p) !== want.node) expect([p, sp.buddyNode(p)]).toEqual([p, want.node]);
    if (sp.nodeOf(p) !== want.node) expect([p, sp.nodeOf(p)]).toEqual([p, want.node]);
    if (sp.bit(p, 3) !== ((want.flags >>> 3) & 1) > 0) expect([p, sp.bit(p, 3)]).toEqual([p, !sp.bit(p, 3)]);
    // take_page_off_buddy()'s head search: the lowest order whose aligned head is a free block of it
    let fho = -1;
    for (let ord = 0; ord <= 10; ord++) {
      const h = p - (p % 2 ** ord);
      if (o.map[h] === buddy && o.priv[h] === ord) {
        fho = ord;
        break;
      }
    }
    if (sp.freeHeadOrder(p) !== fho) expect([p, sp.freeHeadOrder(p)]).toEqual([p, fho]);
    // freeBlockAt(): the same order, and the head's node as nodeOf(head) reads it
    const fb = sp.freeBlockAt(p);
    const headNode = fho >= 0 ? o.node[p - (p % 2 ** fho)]! : -1;
    if (fb !== fho || sp.foundNode !== headNode) expect([p, fb, sp.foundNode]).toEqual([p, fho, headNode]);
  }
  // freeBlocksSorted(): ascending takes of one chunk grouped by their free blocks, as the
  // oracle's head search on each block's first take (and the head's node) gives them, up to
  // the first take that is not free. Sparse and dense take sets, every chunk.
  const bo = new Int8Array(CHUNK);
  const bn = new Int32Array(CHUNK);
  const bf = new Int32Array(CHUNK);
  for (let cs = 0; cs < N; cs += CHUNK) {
    for (const keep of [1, 5, 40, 97]) {
      const takes: number[] = [];
      for (let p = cs; p < cs + CHUNK; p++) if ((Math.imul(p, 2654435761) >>> 0) % 100 < keep) takes.push(p);
      if (takes.length === 0) continue;
      const pf = Float64Array.from(takes);
      const want: number[][] = [];
      for (let k = 0; k < takes.length; ) {
        const p = takes[k]!;
        let fho = -1;
        if (o.present(Math.floor(p / PER)))
          for (let ord = 0; ord <= 10; ord++) {
            const h = p - (p % 2 ** ord);
            if (o.map[h] === buddy && o.priv[h] === ord) {
              fho = ord;
              break;
            }
          }
        const head = fho >= 0 ? p - (p % 2 ** fho) : -1;
        want.push([k, fho, fho >= 0 ? o.node[head]! : -1]);
        if (fho < 0) break;
        k++;
        while (k < takes.length && takes[k]! < head + 2 ** fho) k++;
      }
      const nb = sp.freeBlocksSorted(pf, 0, pf.length, bo, bn, bf);
      const got: number[][] = [];
      for (let b = 0; b < nb; b++) got.push([bf[b]!, bo[b]!, bn[b]!]);
      if (JSON.stringify(got) !== JSON.stringify(want))
        expect({ cs, keep, got }).toEqual({ cs, keep, got: want });
    }
  }
  // flagClearEnd(): no page of [p, end) has the bit (how far it reaches is the forms' business).
  for (const bit of [3, 10]) {
    for (let p = 0; p < N; p += 97) {
      const end = sp.flagClearEnd(p, bit);
      expect(end).toBeGreaterThanOrEqual(p);
      for (let q = p; q < end; q++) {
        if (q >= N || !o.present(Math.floor(q / PER))) continue;
        if ((o.flags[q]! >>> bit) & 1) expect([p, end, q, 'has the bit']).toEqual([p, end, q, 'clear']);
      }
    }
  }
  // memmapZeroness over every vmemmap frame (64 struct pages)
  for (let p = 0; p < N; p += 64) {
    if (!o.present(Math.floor(p / PER))) continue;
    let z: 0 | 1 | 2 = 0;
    for (let q = p; q < p + 64 && z !== 1; q++) {
      const f = o.flags[q]!;
      if (!(f & PG_INIT)) continue;
      if (
        cpupid ||
        (f & ~PG_INIT) !== 0 ||
        o.ref[q] !== 0 ||
        o.map[q] !== 0 ||
        o.priv[q] !== 0 ||
        o.node[q]! >= 0
      )
        z = 1;
      else z = 2;
    }
    const got = sp.memmapZeroness(p, 64);
    if (got !== z) expect([p, got]).toEqual([p, z]);
  }
  // forEachStateRun over the whole space: the oracle's states pfn by pfn, absent sections skipped
  const runs: number[][] = [];
  sp.forEachStateRun(0, N, (f, r, m, pv, n) => runs.push([f, r, m, pv, n]));
  const want: number[][] = [];
  for (let p = 0; p < N; p++) {
    if (!o.present(Math.floor(p / PER))) continue;
    const last = want[want.length - 1];
    const s = [o.flags[p]!, o.ref[p]!, o.map[p]!, o.priv[p]!];
    if (last && last[0] === s[0] && last[1] === s[1] && last[2] === s[2] && last[3] === s[3]) last[4]!++;
    else want.push([...s, 1]);
  }
  expect(runs).toEqual(want);
}

describe('StructPages forms against a per-pfn oracle', () => {
  for (const profile of [linux310, linux612]) {
    it(`${profile.id}: every accessor agrees after random operations`, () => {
      fc.assert(
        fc.property(fc.array(opArb(), { minLength: 1, maxLength: 40 }), (ops) => {
          const { sp, o } = setup(profile);
          for (const op of ops) apply(sp, o, op, profile);
          checkAll(sp, o, profile);
        }),
        {
          numRuns: 25,
          // A uniform PageBuddy section (no free-list nodes) under an order-10 head: the lowest
          // order's head wins (a node-list shortcut once answered the order-10 block).
          examples: [
            [
              [
                { k: 'uniform', sec: 0, st: 5 },
                { k: 'freeHead', p: 0, order: 10, node: 0, ref: 1 },
              ],
            ],
          ],
        },
      );
    });
  }

  it('a chunk materialised into storage a dropped chunk held reads only its own state', () => {
    const { sp } = setup(linux612);
    const buddy = sp.buddyMapcount;
    // every page of chunk 0 in arrays with nonzero fields everywhere
    sp.setSectionUniform(0, { flags: PG_INIT | 0x40, refcount: 3, mapcount: 5, private: 9 });
    for (let p = 0; p < CHUNK; p++) sp.setFreeHead(p, buddy, 2, 4000 + p, 6);
    expect(sp.materialisedChunks).toBe(1);
    // the section becomes free max-order blocks: the table is dropped, its storage kept for reuse
    sp.setSectionFreeMax(0, 100);
    expect(sp.materialisedChunks).toBe(0);
    sp.setRefcount(CHUNK + 2, 7); // materialises chunk 1 from FREE_MAX
    sp.updateRange(5, 6, (st) => {
      st.flags |= 0x8; // and chunk 0 (FREE_MAX too)
    });
    expect(sp.materialisedChunks).toBe(2);
    for (const c of [0, 1]) {
      for (let p = c * CHUNK; p < (c + 1) * CHUNK; p++) {
        const head = p % CHUNK === 0;
        const want = {
          flags: (PG_INIT | (p === 5 ? 0x8 : 0)) >>> 0,
          refcount: p === CHUNK + 2 ? 7 : 0,
          mapcount: head ? buddy : -1,
          private: head ? 10 : 0,
          node: head ? 100 + c : -1,
        };
        const got = sp.get(p);
        if (JSON.stringify(got) !== JSON.stringify(want)) expect({ p, ...got }).toEqual({ p, ...want });
      }
    }
  });

  it('a chunk taken or claimed whole stays compact; a partly taken one costs its arrays', () => {
    const { sp } = setup(linux310);
    sp.setSectionFreeMax(0, 0);
    const lru = 1 << linux310.mm.pageFlags.bits.lru;
    // every page of chunk 3 taken in one batch (take_page_off_buddy of a whole max-order block), then claimed
    const whole = Float64Array.from({ length: CHUNK }, (_, i) => 3 * CHUNK + i);
    sp.setTakenSorted(whole, 0, CHUNK);
    sp.orFlagsSetMapcountSorted(whole, 0, CHUNK, lru, 0);
    // [5 chunks + 10, 7 chunks) taken as a range: chunk 6 whole, chunk 5 in part
    sp.setTakenRange(5 * CHUNK + 10, 7 * CHUNK);
    // chunk 6 handed out whole (allocBulk) and claimed as one range
    sp.orFlagsSetMapcountRange(6 * CHUNK, 7 * CHUNK, lru, 0);
    expect(sp.materialisedChunks).toBe(1);
    const taken = { refcount: 1, private: 0, node: -1 };
    expect(sp.get(3 * CHUNK)).toEqual({ flags: (PG_INIT | lru) >>> 0, mapcount: 0, ...taken });
    expect(sp.get(4 * CHUNK - 1)).toEqual({ flags: (PG_INIT | lru) >>> 0, mapcount: 0, ...taken });
    expect(sp.get(6 * CHUNK)).toEqual({ flags: (PG_INIT | lru) >>> 0, mapcount: 0, ...taken });
    expect(sp.get(5 * CHUNK + 10)).toEqual({ flags: PG_INIT, mapcount: -1, ...taken });
    // the part of chunk 5 not taken: its max-order head and a tail as they were
    expect(sp.get(5 * CHUNK)).toEqual({
      flags: PG_INIT,
      refcount: 0,
      mapcount: sp.buddyMapcount,
      private: 10,
      node: 5,
    });
    expect(sp.get(5 * CHUNK + 9)).toEqual({
      flags: PG_INIT,
      refcount: 0,
      mapcount: -1,
      private: 0,
      node: -1,
    });
    expect(sp.freeHeadOrder(3 * CHUNK + 5)).toBe(-1);
    expect(sp.freeHeadOrder(4 * CHUNK + 5)).toBe(10);
  });

  it('a max-order free block over free pages keeps its chunk compact; a broken chunk costs one chunk', () => {
    const { sp } = setup(linux612);
    const free = { flags: PG_INIT, refcount: 0, mapcount: -1, private: 0 };
    sp.setSectionUniform(0, {
      flags: PG_INIT | (1 << linux612.mm.pageFlags.bits.reserved),
      refcount: 1,
      mapcount: -1,
      private: 0,
    });
    // __free_pages_core per max-order block: clear PageReserved, refcount 0, then the head goes on a list
    sp.updateRange(CHUNK, PER, (st) => Object.assign(st, free));
    for (let p = CHUNK, id = 0; p < PER; p += CHUNK) sp.setFreeHead(p, sp.buddyMapcount, 10, id++, 0);
    expect(sp.materialisedChunks).toBe(0);
    expect(sp.freeHeadOrder(5 * CHUNK + 77)).toBe(10);
    expect(sp.nodeOf(5 * CHUNK)).toBe(4);
    // allocating a max-order block (rmv_page_order) leaves plain free pages: still compact
    sp.setBuddyFields(5 * CHUNK, -1, 0, -1);
    expect(sp.materialisedChunks).toBe(0);
    expect(sp.freeHeadOrder(5 * CHUNK + 77)).toBe(-1);
    // one page handed out (set_page_refcounted) breaks that chunk only
    sp.setRefcount(5 * CHUNK, 1);
    expect(sp.materialisedChunks).toBe(1);
    expect(sp.ref(5 * CHUNK)).toBe(1);
    expect(sp.ref(5 * CHUNK + 1)).toBe(0);
    // a reserved page inside the first chunk (a 4 KiB firmware hole) costs that chunk
    sp.updateRange(3, 4, (st) => {
      st.flags |= 1;
    });
    expect(sp.materialisedChunks).toBe(2);
  });
});
