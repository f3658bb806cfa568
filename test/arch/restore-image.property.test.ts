/**
 * restore_image's copy loop (src/arch/x86/power/hibernate.ts) without a BigInt
 * per PBE and with cached walks, against the loop it replaced (kept here
 * verbatim as the reference: one full walk per address, u64 reads): random PBE
 * chains in a booted machine's memory, with corrupted pointers (unmapped,
 * non-canonical, NULL, straddling a frame), copies that overwrite the chain
 * itself or page-table pages, with and without temporary page tables — the
 * same result, the same copies in the same order, the same misplaced pages,
 * the same memory afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ArchRestoreKernel,
  type RestoreImageResult,
  restoreImage,
  setUpTemporaryMappings,
} from '../../src/arch/x86/power/hibernate.js';
import { translate, walk } from '../../src/arch/x86/walk.js';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { linux612 } from '../../src/profiles/index.js';
import { decodePbeRun } from '../power/pbe-run-decode.js';

const LOW48 = 0xffffffffffffn;
const PAGE_SIZE = 4096;
const PBE_ADDRESS = 0;
const PBE_ORIG_ADDRESS = 8;
const PBE_NEXT = 16;

/** The loop as it was: one walk per PBE page and per address, u64 reads. */
function referenceRestoreImage(
  k: ArchRestoreKernel,
  pgd: number,
  pblist: bigint,
  expected: number,
  freshWalks: boolean,
  onMisplaced: (dst: number, origPfn: number) => void,
): RestoreImageResult {
  const r: RestoreImageResult = { pbesCopied: 0 };
  let pbeV = pblist;
  let pbePageV = -1n;
  let pbePagePhys = 0;
  for (let i = 0; pbeV !== 0n; i++) {
    if (i >= expected) {
      r.overrun = true;
      return r;
    }
    const pv = pbeV - (pbeV % BigInt(PAGE_SIZE));
    if (pv !== pbePageV || freshWalks) {
      const w = walk(k.mem, pgd, pv);
      if (w.paddr === undefined) {
        r.fault = { address: pbeV, index: i, what: 'reading' };
        return r;
      }
      pbePageV = pv;
      pbePagePhys = w.paddr;
    }
    const pa = pbePagePhys + Number(pbeV - pv);
    const srcV = k.mem.u64(pa + PBE_ADDRESS);
    const dstV = k.mem.u64(pa + PBE_ORIG_ADDRESS);
    // The same walks as walk(), without a record per page (translate() allocates nothing).
    const dPa = translate(k.mem, pgd, Number(dstV & LOW48));
    const sPa = dPa < 0 ? -1 : translate(k.mem, pgd, Number(srcV & LOW48));
    if (dPa < 0 || sPa < 0) {
      r.fault = { address: dPa < 0 ? dstV : srcV, index: i, what: 'copying' };
      return r;
    }
    const dst = Math.floor(dPa / PAGE_SIZE);
    k.copyPage(dst, Math.floor(sPa / PAGE_SIZE));
    r.pbesCopied++;
    pbeV = k.mem.u64(pa + PBE_NEXT);
    const origPfn = Math.floor((k.virtToPhys(dstV) ?? dPa) / PAGE_SIZE);
    if (dst !== origPfn) onMisplaced(dst, origPfn);
  }
  return r;
}

/** 128 MiB of RAM with an ACPI hole at 96 MiB (not in the direct map). */
function machine(): Machine {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x5f00000n, type: E820_TYPE.RAM },
    { addr: 0x6000000n, size: 0x3000n, type: E820_TYPE.ACPI },
    { addr: 0x6003000n, size: 0x1ffd000n, type: E820_TYPE.RAM },
  ];
  return bootMachine({ firmware: t, kernel: t }, { profile: linux612, kaslr: { nokaslr: true } });
}

interface Copy {
  dst: number;
  src: number;
}

function kernel(m: Machine, copies: Copy[], withBytes: boolean): ArchRestoreKernel {
  let safe = 0x7f00;
  return {
    mem: m.mem,
    pgdPhys: m.kernelImage.pgdPhys,
    tableFlags: m.profile.paging.tableFlags,
    largeLeafFlags: m.profile.paging.largeLeafFlags,
    pfnMapped: m.directMap.pfnMapped,
    ptov: (p) => m.ptov(p),
    virtToPhys: (v) => m.virtToPhys(v),
    directMapBytes: withBytes ? m.kaslr.sizesTb[0]! * 2 ** 40 : undefined,
    getSafePage: () => safe++,
    copyPage: (dst, src) => {
      copies.push({ dst, src });
      m.mem.frame(dst).set(m.mem.frame(src));
    },
  };
}

/** A PBE field's value: a page's direct-map address, or something corrupt. */
const pointer = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0x100, max: 0x7e00 }).map((p) => ({ page: p })) },
  { weight: 1, arbitrary: fc.constant({ raw: 0n }) },
  // The ACPI hole: not mapped by the direct map.
  { weight: 1, arbitrary: fc.integer({ min: 0x6000, max: 0x6002 }).map((p) => ({ page: p })) },
  // Non-canonical or outside any mapping.
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ raw: v })) },
  // A page-table page of the boot kernel (a copy there changes later walks).
  { weight: 1, arbitrary: fc.nat(16).map((i) => ({ table: i })) },
);

type Ptr = { page: number } | { raw: bigint } | { table: number };

const chainArb = fc.record({
  n: fc.integer({ min: 1, max: 400 }),
  /** Chain pages (PBE storage) and the PBEs' srcs/dsts (mostly pages, some corrupt). */
  chainPages: fc.array(fc.integer({ min: 0x200, max: 0x7e00 }), { minLength: 1, maxLength: 4 }),
  fields: fc.array(fc.tuple(pointer, pointer), { minLength: 1, maxLength: 64 }),
  /** Corrupt `next` of some PBEs: into the middle of a page, at a page end (straddling), NULL. */
  nexts: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4095 }))), {
    maxLength: 3,
  }),
  temp: fc.boolean(),
  fresh: fc.boolean(),
  extra: fc.integer({ min: -3, max: 3 }),
  bytes: fc.boolean(),
});

function build(
  m: Machine,
  c: typeof chainArb extends fc.Arbitrary<infer T> ? T : never,
): { head: bigint; n: number } {
  const tables: number[] = [];
  // The boot kernel's table pages on the walk of a few direct-map addresses.
  for (const a of [0x1000, 0x200000, 0x5000000]) {
    for (const s of walk(m.mem, m.kernelImage.pgdPhys, m.ptov(a)).steps)
      tables.push(Math.floor(s.entryAddr / PAGE_SIZE));
  }
  const addr = (p: Ptr): bigint =>
    'page' in p
      ? m.ptov(p.page * PAGE_SIZE)
      : 'raw' in p
        ? p.raw
        : m.ptov(tables[p.table % tables.length]! * PAGE_SIZE);
  let prev = 0n;
  const per = Math.floor(4088 / 24);
  for (let i = 0; i < c.n; i++) {
    const page = c.chainPages[Math.floor(i / per) % c.chainPages.length]!;
    const at = page * PAGE_SIZE + 8 + (i % per) * 24;
    const [src, dst] = c.fields[i % c.fields.length]!;
    m.mem.setU64(at + PBE_ADDRESS, addr(src));
    m.mem.setU64(at + PBE_ORIG_ADDRESS, addr(dst));
    m.mem.setU64(at + PBE_NEXT, prev);
    prev = m.ptov(at);
  }
  for (const [i, off] of c.nexts) {
    const j = i % c.n;
    const page = c.chainPages[Math.floor(j / per) % c.chainPages.length]!;
    const at = page * PAGE_SIZE + 8 + (j % per) * 24;
    m.mem.setU64(at + PBE_NEXT, off < 0 ? 0n : m.ptov(c.chainPages[0]! * PAGE_SIZE + off));
  }
  return { head: prev, n: c.n };
}

function run(c: typeof chainArb extends fc.Arbitrary<infer T> ? T : never, fn: typeof restoreImage) {
  const m = machine();
  const { head, n } = build(m, c);
  const copies: Copy[] = [];
  const k = kernel(m, copies, c.bytes);
  const pgd = c.temp ? setUpTemporaryMappings(k) : k.pgdPhys;
  const misplaced: [number, number][] = [];
  let r: RestoreImageResult | string;
  try {
    r = fn(k, pgd, head, n + c.extra, c.fresh, (d, o) => misplaced.push([d, o]));
  } catch (e) {
    r = String(e);
  }
  const touched = [...new Set(copies.map((x) => x.dst))].sort((a, b) => a - b);
  const bytes = touched.map((p) => Array.from(m.mem.frame(p).subarray(0, 64)));
  return { r, copies, misplaced, touched, bytes };
}

/**
 * Chains as get_buffer() links a big image's PBEs: runs whose address and
 * orig_address go up or down a page at a time (restore_image takes such runs in
 * one step, ArchRestoreKernel.copyPages), in a window across 2 MiB boundaries
 * where their pages may be the chain pages, each other's sources or page-table
 * pages; plus some corrupt pointers and nexts.
 */
const runChainArb = fc.record({
  segs: fc.array(
    fc.record({
      len: fc.integer({ min: 1, max: 200 }),
      // Mostly apart from the dsts, sometimes among them.
      src: fc.oneof(
        fc.integer({ min: 0x3000, max: 0x3800 }),
        fc.integer({ min: 0x1c00, max: 0x2400 }),
        // Up to the 2 MiB region of the ACPI hole (4 KiB-mapped in the boot tables).
        fc.integer({ min: 0x5f00, max: 0x6100 }),
      ),
      srcStep: fc.constantFrom(1, -1),
      dst: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0x1c00, max: 0x2400 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0x5f00, max: 0x6100 }) },
      ),
      dstStep: fc.constantFrom(1, -1),
      /** The dsts run over a page-table frame (a walk the copies would change) instead. */
      overTable: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(64) }),
      /** Every PBE of the segment gets this pointer instead (a corrupt one), or none. */
      odd: fc.oneof(
        { weight: 5, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.tuple(pointer, pointer) },
      ),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  chainPages: fc.array(
    fc.oneof(fc.integer({ min: 0x4000, max: 0x4100 }), fc.integer({ min: 0x1c00, max: 0x2400 })),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  nexts: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4095 }))), {
    maxLength: 2,
  }),
  temp: fc.boolean(),
  fresh: fc.boolean(),
  extra: fc.integer({ min: -3, max: 3 }),
  bytes: fc.boolean(),
  /** copyPages given, or restore_image's fallback of copyPage() calls. */
  pages: fc.boolean(),
  /** pbeRun given (what the bytes say, from the reference decoder; declining every nth call), or not. */
  hook: fc.oneof(fc.constant(null), fc.integer({ min: 2, max: 9 })),
});

/** Every page-table frame the boot kernel's direct map walks through. */
function tableFrames(m: Machine): Set<number> {
  const t = new Set<number>();
  for (let a = 0; a < 0x8000000; a += 0x200000)
    for (const s of walk(m.mem, m.kernelImage.pgdPhys, m.ptov(a)).steps)
      t.add(Math.floor(s.entryAddr / PAGE_SIZE));
  return t;
}

let hookRuns = 0;

function runRuns(c: typeof runChainArb extends fc.Arbitrary<infer T> ? T : never, fn: typeof restoreImage) {
  const m = machine();
  const tables = tableFrames(m);
  // Tell the window's pages apart (not the page tables: the walks must stay as booted).
  for (let p = 0x1b00; p < 0x6200; p = p === 0x3900 ? 0x5e00 : p + 1)
    if (!tables.has(p)) m.mem.setU64(p * PAGE_SIZE + 2048, BigInt(p) * 7n + 1n);
  const tableList = [...tables];
  const addr = (p: Ptr): bigint =>
    'page' in p
      ? m.ptov(p.page * PAGE_SIZE)
      : 'raw' in p
        ? p.raw
        : m.ptov(tableList[p.table % tableList.length]! * PAGE_SIZE);
  const per = Math.floor(4088 / 24);
  let prev = 0n;
  let i = 0;
  for (const g of c.segs) {
    for (let j = 0; j < g.len; j++, i++) {
      const page = c.chainPages[Math.floor(i / per) % c.chainPages.length]!;
      const at = page * PAGE_SIZE + 8 + (i % per) * 24;
      const src = g.odd ? addr(g.odd[0]) : m.ptov((g.src + j * g.srcStep) * PAGE_SIZE);
      const d0 = g.overTable === null ? g.dst : tableList[g.overTable % tableList.length]! - 3 * g.dstStep;
      const dst = g.odd ? addr(g.odd[1]) : m.ptov((d0 + j * g.dstStep) * PAGE_SIZE);
      m.mem.setU64(at + PBE_ADDRESS, src);
      m.mem.setU64(at + PBE_ORIG_ADDRESS, dst);
      m.mem.setU64(at + PBE_NEXT, prev);
      prev = m.ptov(at);
    }
  }
  const n = i;
  for (const [x, off] of c.nexts) {
    const j = x % n;
    const page = c.chainPages[Math.floor(j / per) % c.chainPages.length]!;
    const at = page * PAGE_SIZE + 8 + (j % per) * 24;
    m.mem.setU64(at + PBE_NEXT, off < 0 ? 0n : m.ptov(c.chainPages[0]! * PAGE_SIZE + off));
  }
  const copies: Copy[] = [];
  const k = kernel(m, copies, c.bytes);
  if (c.pages)
    k.copyPages = (dst, dstStep, src, srcStep, cnt) => {
      for (let x = 0; x < cnt; x++) copies.push({ dst: dst + x * dstStep, src: src + x * srcStep });
      // Backwards: restore_image promises the order does not matter.
      for (let x = cnt - 1; x >= 0; x--) m.mem.frame(dst + x * dstStep).set(m.mem.frame(src + x * srcStep));
    };
  if (c.hook !== null) {
    let calls = 0;
    const base = m.ptov(0);
    k.pbeRun = (pa, max, out) => {
      const got = ++calls % c.hook! === 0 ? 0 : decodePbeRun(m.mem, base, pa, max, out);
      if (got > 1) hookRuns++;
      return got;
    };
  }
  const pgd = c.temp ? setUpTemporaryMappings(k) : k.pgdPhys;
  const misplaced: [number, number][] = [];
  let r: RestoreImageResult | string;
  try {
    r = fn(k, pgd, prev, n + c.extra, c.fresh, (d, o) => misplaced.push([d, o]));
  } catch (e) {
    r = String(e);
  }
  const touched = [...new Set(copies.map((x) => x.dst))].sort((a, b) => a - b);
  const bytes = touched.map((p) =>
    Array.from(m.mem.frame(p).subarray(2048, 2056)).concat(Array.from(m.mem.frame(p).subarray(0, 64))),
  );
  return { r, copies, misplaced, touched, bytes };
}

describe('restore_image without a BigInt per PBE', () => {
  it('cuts a run where its srcs or dsts leave a large leaf (into the ACPI hole: a fault)', () => {
    // Added going down, so restore_image walks them up across 0x6000.
    for (const [src, dst] of [
      [0x6010, 0x2030],
      [0x2030, 0x6010],
    ] as const) {
      for (const hook of [null, 5]) {
        const c = {
          segs: [
            { len: 40, src, srcStep: -1 as const, dst, dstStep: -1 as const, overTable: null, odd: null },
          ],
          chainPages: [0x4000],
          nexts: [],
          temp: false,
          fresh: false,
          extra: 0,
          bytes: true,
          pages: true,
          hook,
        };
        const a = runRuns(c, restoreImage);
        const b = runRuns({ ...c, pages: false, hook: null }, referenceRestoreImage);
        expect(a).toEqual(b);
        expect(typeof a.r === 'object' && a.r.fault !== undefined).toBe(true);
      }
    }
  });

  it('takes runs of PBEs in one step exactly where the per-PBE loop would copy the same', () => {
    let runs = 0;
    fc.assert(
      fc.property(runChainArb, (c) => {
        const a = runRuns(c, (k, ...rest) => {
          const inner = k.copyPages;
          if (inner)
            k.copyPages = (...args) => {
              runs++;
              inner(...args);
            };
          return restoreImage(k, ...rest);
        });
        const b = runRuns({ ...c, pages: false, hook: null }, referenceRestoreImage);
        expect(a).toEqual(b);
      }),
      { numRuns: 150 },
    );
    // The generator does reach the run form. (The seed is random per run: a threshold of 10 in
    // 150 cases failed once on a seed that reached it 9 times; a few are enough to show it.)
    expect(runs).toBeGreaterThan(3);
    expect(hookRuns).toBeGreaterThan(3);
  }, 300_000);

  it('copies, faults and stops exactly where the per-walk loop does', () => {
    fc.assert(
      fc.property(chainArb, (c) => {
        const a = run(c, restoreImage);
        const b = run(c, referenceRestoreImage);
        expect(a).toEqual(b);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
