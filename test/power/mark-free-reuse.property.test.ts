/**
 * markFreePagesAllZones() (which returns at once when nothing changed since
 * its last marking and another would leave the maps as they are) against the
 * walk itself (markFreePagesWalk) on two identical machines: random free
 * lists, random forbidden/free bits (whole pages set bit by bit, so written
 * pages left all ones; forbidden free pages), random changes between the
 * markings (allocations, frees, bits), each profile. After every marking both
 * maps have the same bits, page forms and materialised frames.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE, type E820Entry } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { clearRange, type MemoryBitmap, PfnBitSetter, setRange } from '../../src/power/snapshot/bitmap.js';
import {
  markFreePagesAllZones,
  markFreePagesWalk,
  populatedZones,
} from '../../src/power/snapshot/saveable.js';
import { SwsuspMem } from '../../src/power/snapshot/swsusp-mem.js';
import { type KernelProfile, linux310, linux612 } from '../../src/profiles/index.js';
import { ContentMap } from '../../src/workload/content-map.js';

const PROFILES: Record<string, KernelProfile> = { 'linux-3.10': linux310, 'linux-6.12': linux612 };
const P = 4096n;
const e = (a: number, s: number, t: number): E820Entry => ({
  addr: BigInt(a) * P,
  size: BigInt(s) * P,
  type: t,
});

/** RAM [0, 0x9f) + [1 MiB, 384 MiB), a reserved island, and a small high extent (a short last bit page). */
function firmware(island: number, high: boolean): E820Entry[] {
  const out = [
    e(0, 0x9f, E820_TYPE.RAM),
    e(0x9f, 1, E820_TYPE.RESERVED),
    e(0x100, island - 0x100, E820_TYPE.RAM),
  ];
  out.push(e(island, 0x40, E820_TYPE.RESERVED), e(island + 0x40, 0x18000 - island - 0x40, E820_TYPE.RAM));
  if (high) out.push(e(0x100000, 0x1200, E820_TYPE.RAM));
  return out;
}

/** A change between markings: [kind, a, b]. */
const opArb = fc.tuple(fc.nat(12), fc.nat(0x17fff), fc.nat(0x3000));

const arb = fc.record({
  profile: fc.constantFrom('linux-3.10', 'linux-6.12'),
  island: fc.integer({ min: 0x200, max: 0x17000 }),
  high: fc.boolean(),
  seed: fc.nat(1000),
  allocs: fc.array(fc.tuple(fc.nat(4), fc.nat(30)), { maxLength: 10 }),
  takes: fc.array(fc.oneof(fc.nat(0x17fff), fc.integer({ min: 0x100000, max: 0x1011ff })), { maxLength: 40 }),
  setup: fc.array(opArb, { maxLength: 4 }),
  /** Rounds of [changes, then a marking]; an empty change list is the common case. */
  rounds: fc.array(fc.oneof(fc.constant([]), fc.array(opArb, { maxLength: 3 })), {
    minLength: 1,
    maxLength: 4,
  }),
});

interface Side {
  m: Machine;
  s: SwsuspMem;
  held: [number, number][];
}

type Gen = typeof arb extends fc.Arbitrary<infer T> ? T : never;

function build(g: Gen): Side {
  const fw = firmware(g.island, g.high);
  const m = bootMachine(
    { firmware: fw, kernel: fw },
    { profile: PROFILES[g.profile]!, kaslr: { seed: g.seed } },
  );
  const held: [number, number][] = [];
  for (const [order, n] of g.allocs)
    for (let i = 0; i < n; i++) {
      const p = m.buddy.alloc(order);
      if (p >= 0) held.push([p, order]);
    }
  for (const p of g.takes) m.buddy.takePage(p);
  const s = new SwsuspMem(m, new ContentMap());
  s.createBasicMemoryBitmaps(() => {});
  return { m, s, held };
}

/** One change, made the same way on both sides. */
function apply(side: Side, [kind, a, b]: [number, number, number]): void {
  const { m, s, held } = side;
  const bm = (a & 1) === 0 ? s.free! : s.forbidden!;
  switch (kind) {
    case 0:
    case 10: {
      if (b & 1) {
        // A list's first blocks at once (Buddy.allocBulk: its own list steps).
        m.buddy.allocBulk(1 + (b % 7), m.zones.zones.length - 1, (p, n) => {
          for (let q = p; q < p + n; q++) held.push([q, 0]);
        });
        break;
      }
      const p = m.buddy.alloc(b % 3);
      if (p >= 0) held.push([p, b % 3]);
      break;
    }
    case 1: {
      const h = held.splice(b % Math.max(1, held.length), 1)[0];
      if (h) m.buddy.free(h[0], h[1]);
      break;
    }
    case 2:
      m.buddy.takePage(a);
      break;
    case 3:
      // A range of bits (set a word at a time: pages it fills whole become uniform).
      setRange(bm, a, a + b);
      break;
    case 4:
      for (let q = a; q < a + (b % 64); q++) if (bm.pfnPresent(q)) bm.clearBit(q);
      break;
    case 5: {
      // A whole bit page set bit by bit: written, all ones, not settled.
      const B = bm.blocks32();
      const blk = B[b % B.length]!;
      for (let q = blk.start; q < blk.end; q++) bm.setBit(q);
      break;
    }
    case 6:
      if (bm.pfnPresent(a)) bm.setBit(a);
      break;
    case 7:
      // The pages held so far become image pages: forbidden AND free.
      for (const [p, o] of held) {
        setRange(s.forbidden!, p, p + (1 << o));
        setRange(s.free!, p, p + (1 << o));
      }
      break;
    case 8:
      // Only forbidden changes: the next first step clears their free bits.
      for (const [p, o] of held) clearRange(s.forbidden!, p, p + (1 << o));
      break;
    case 9: {
      // A single-bit store by arithmetic (PfnBitSetter: a word store into a written page), at an
      // allocated page when there is one.
      const h = held[b % Math.max(1, held.length)];
      new PfnBitSetter(bm).set(h ? h[0] + (a % (1 << h[1])) : a);
      break;
    }
    default:
      // No change (more rounds where the lists and maps stay as they were).
      break;
  }
}

function state(m: Machine, bm: MemoryBitmap): unknown[] {
  return bm
    .blocks32()
    .map((b, k) => [
      b.start,
      b.form,
      b.words === null ? null : Array.from(b.words),
      m.mem.isMaterialised(bm.dataPfns[k]!),
    ]);
}

let reused = 0;

/** Both sides through the setup and the rounds, compared after every marking. */
function check(g: Gen, extra: (side: Side) => void = () => {}): void {
  const A = build(g);
  const B = build(g);
  for (const side of [A, B]) {
    for (const op of g.setup) apply(side, op);
    extra(side);
  }
  for (const ops of [[], ...g.rounds]) {
    for (const op of ops) {
      apply(A, op);
      apply(B, op);
    }
    const before = A.s.free!.blocks32()[0]!.counter.writes;
    markFreePagesAllZones(A.s, populatedZones(A.s));
    if (A.s.free!.blocks32()[0]!.counter.writes === before) reused++;
    markFreePagesWalk(B.s, populatedZones(B.s));
    expect(state(A.m, A.s.free!)).toEqual(state(B.m, B.s.free!));
    expect(state(A.m, A.s.forbidden!)).toEqual(state(B.m, B.s.forbidden!));
  }
}

describe('markFreePagesAllZones() reusing its last marking = the walk (fast-check)', () => {
  it('same bits, page forms and frames after every marking', () => {
    fc.assert(
      fc.property(arb, (g) => check(g)),
      {
        numRuns: 100,
        // An order-0 list's first blocks taken at once (Buddy.allocBulk), then a marking.
        examples: [
          [
            {
              profile: 'linux-6.12',
              island: 512,
              high: true,
              seed: 0,
              allocs: [],
              takes: [0x100000],
              setup: [],
              rounds: [[[0, 0, 6041]]],
            },
          ],
          [
            {
              profile: 'linux-3.10',
              island: 0x800,
              high: false,
              seed: 1,
              allocs: [],
              takes: [0x5000, 0x6000],
              setup: [],
              rounds: [[[0, 0, 1]]],
            },
          ],
        ],
      },
    );
    // The reuse was taken (a walk writes the map) in a fair share of the markings.
    expect(reused).toBeGreaterThan(10);
  }, 120_000);

  it('a written all-ones page whose blocks add no bits and touch neither end stays written', () => {
    // The high extent's bit page: forbidden all ones (ONES: the first step keeps free as it is), free
    // set bit by bit (written, all ones); its first page taken, its last one allocated at boot: the
    // blocks set nothing new and none touches the page's ends, so no set settles it (and the next
    // marking walks: a written page reads uniform).
    for (const profile of ['linux-3.10', 'linux-6.12'] as const) {
      const g: Gen = {
        profile,
        island: 0x800,
        high: true,
        seed: 1,
        allocs: [],
        takes: [0x100000],
        setup: [],
        rounds: [[]],
      };
      check(g, ({ s }) => {
        setRange(s.forbidden!, 0x100000, 0x101200);
        for (let q = 0x100000; q < 0x101200; q++) s.free!.setBit(q);
      });
    }
  });

  it('not reused where free pages are forbidden: the marking would settle a page the last one left written', () => {
    // The high extent's bit page: forbidden set bit by bit (written, all ones), free at its pages not
    // in a free block (boot allocations, the page taken from its second max-order block). The first
    // marking starts from those; the blocks the take split off (the last nodes) complete the page
    // after the block at its first pfn: it stays written, all ones. A second marking would start
    // from all ones (free & forbidden: every free page is forbidden) and settle it to ONES.
    const taken = 0x100000 + 0x600;
    for (const profile of ['linux-3.10', 'linux-6.12'] as const) {
      const g: Gen = {
        profile,
        island: 0x800,
        high: true,
        seed: 1,
        allocs: [],
        takes: [taken],
        setup: [],
        rounds: [[], []],
      };
      check(g, ({ m, s }) => {
        for (let q = 0x100000; q < 0x101200; q++) {
          s.forbidden!.setBit(q);
          if (!m.buddy.isFree(q)) s.free!.setBit(q);
        }
      });
    }
  });
});
