/**
 * Random firmware-map changes for the property test: small base maps in the
 * shape of real ones (low RAM, ACPI/NVS/reserved islands, RAM above 4 GiB)
 * and edits a BIOS update or a resize makes — a reserved or ACPI range slides,
 * RAM grows or shrinks, a page turns into ACPI data, an island disappears.
 */
import fc from 'fast-check';
import { E820_TYPE, type E820Entry } from '../../src/firmware/e820-types.js';

const P = 4096n;
const e = (a: number, s: number, t: number): E820Entry => ({
  addr: BigInt(a) * P,
  size: BigInt(s) * P,
  type: t,
});

/** Base maps (in pages), sorted, non-overlapping. */
export const BASE_MAPS: Record<string, E820Entry[]> = {
  // SeaBIOS-like 160 MiB guest (the fixture's shape, smaller).
  qemu: [
    e(0, 0x9f, E820_TYPE.RAM),
    e(0x9f, 1, E820_TYPE.RESERVED),
    e(0xf0, 0x10, E820_TYPE.RESERVED),
    e(0x100, 0x9eda, E820_TYPE.RAM),
    e(0x9fda, 0x26, E820_TYPE.RESERVED),
    e(0xfffc0, 0x40, E820_TYPE.RESERVED),
  ],
  // UEFI-like: ACPI data / NVS islands inside RAM (the seed-000 shape, scaled down).
  uefi: [
    e(0, 0xa0, E820_TYPE.RAM),
    e(0x100, 0x700, E820_TYPE.RAM),
    e(0x800, 0x8, E820_TYPE.NVS),
    e(0x808, 0x3, E820_TYPE.RAM),
    e(0x80b, 0x1, E820_TYPE.NVS),
    e(0x80c, 0x4, E820_TYPE.RAM),
    e(0x810, 0xf0, E820_TYPE.NVS),
    e(0x900, 0x4800, E820_TYPE.RAM),
    e(0x5100, 0x1, E820_TYPE.ACPI),
    e(0x5101, 0x700, E820_TYPE.RAM),
    e(0x5801, 0x40, E820_TYPE.RESERVED),
    e(0x5841, 0x7bf, E820_TYPE.RAM),
    e(0x6000, 0x80, E820_TYPE.ACPI),
    e(0x6080, 0x80, E820_TYPE.NVS),
    e(0x6100, 0x3f00, E820_TYPE.RAM),
  ],
  // RAM above 4 GiB too.
  highmem: [
    e(0, 0x9f, E820_TYPE.RAM),
    e(0x9f, 1, E820_TYPE.RESERVED),
    e(0x100, 0x6f00, E820_TYPE.RAM),
    e(0x7000, 0x10, E820_TYPE.ACPI),
    e(0xfeffc, 4, E820_TYPE.RESERVED),
    e(0x100000, 0x4000, E820_TYPE.RAM),
  ],
};

export type MapChange =
  | { kind: 'slide'; index: number; by: number }
  | { kind: 'resize-ram'; index: number; by: number }
  | { kind: 'punch'; index: number; at: number; type: number }
  | { kind: 'drop'; index: number }
  | { kind: 'none' };

export const mapChangeArb: fc.Arbitrary<MapChange> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('slide' as const),
      index: fc.nat(30),
      by: fc.integer({ min: -40, max: 40 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('resize-ram' as const),
      index: fc.nat(30),
      by: fc.integer({ min: -0x800, max: 0x800 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('punch' as const),
      index: fc.nat(30),
      at: fc.nat(0x4000),
      type: fc.constantFrom(E820_TYPE.ACPI, E820_TYPE.NVS, E820_TYPE.RESERVED, E820_TYPE.UNUSABLE),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), index: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
);

/** Apply a change; the result is sorted and non-overlapping (entries are clipped). */
export function applyChange(base: readonly E820Entry[], c: MapChange): E820Entry[] {
  const m = base.map((x) => ({ ...x }));
  const pick = (pred: (x: E820Entry) => boolean) => {
    const idx = m.map((x, i) => (pred(x) ? i : -1)).filter((i) => i >= 0);
    return idx.length ? idx[(c as { index: number }).index % idx.length]! : -1;
  };
  switch (c.kind) {
    case 'none':
      break;
    case 'slide': {
      const i = pick((x) => x.type !== E820_TYPE.RAM);
      if (i < 0) break;
      const x = m[i]!;
      const addr = x.addr + BigInt(c.by) * P;
      if (addr < 0x100000n) break;
      m[i] = { ...x, addr };
      // RAM around it gives up / takes the slid pages: carve the new range out of RAM.
      return carve(
        m.filter((_, j) => j !== i),
        { ...x, addr },
      );
    }
    case 'resize-ram': {
      const i = pick((x) => x.type === E820_TYPE.RAM && x.addr >= 0x100000n);
      if (i < 0) break;
      const x = m[i]!;
      const size = x.size + BigInt(c.by) * P;
      if (size <= 0n) break;
      const next = m[i + 1];
      const cap = next ? next.addr - x.addr : size;
      m[i] = { ...x, size: size < cap ? size : cap };
      break;
    }
    case 'punch': {
      const i = pick((x) => x.type === E820_TYPE.RAM && x.addr >= 0x100000n && x.size > 2n * P);
      if (i < 0) break;
      const x = m[i]!;
      const at = x.addr + (BigInt(c.at) % (x.size / P)) * P;
      return carve(m, { addr: at, size: P, type: c.type });
    }
    case 'drop': {
      const i = pick((x) => x.type !== E820_TYPE.RAM);
      if (i >= 0) m.splice(i, 1);
      break;
    }
  }
  return m;
}

/** Insert `r`, cutting it out of whatever it overlaps. */
function carve(m: E820Entry[], r: E820Entry): E820Entry[] {
  const out: E820Entry[] = [];
  const rEnd = r.addr + r.size;
  for (const x of m) {
    const xEnd = x.addr + x.size;
    if (xEnd <= r.addr || x.addr >= rEnd) {
      out.push(x);
      continue;
    }
    if (x.addr < r.addr) out.push({ ...x, size: r.addr - x.addr });
    if (xEnd > rEnd) out.push({ ...x, addr: rEnd, size: xEnd - rEnd });
  }
  out.push(r);
  return out.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}
