/** memblock, sparse, phys-mem and nosave units against hand-worked kernel rules. */
import { describe, expect, test } from 'vitest';
import { NosaveList, registerE820Nosave } from '../../src/arch/x86/e820-nosave.js';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { Memblock } from '../../src/mm/memblock.js';
import { PhysMem } from '../../src/mm/phys-mem.js';
import { Sections } from '../../src/mm/sparse.js';
import { linux310, linux612 } from '../../src/profiles/index.js';

describe('memblock', () => {
  test('add merges adjacent regions, ignores overlap; trim drops partial pages', () => {
    const mb = new Memblock();
    mb.add(0x1000, 0x1000);
    mb.add(0x2000, 0x1000);
    mb.add(0x1800, 0x2000);
    expect(mb.memory.regions.map((r) => [r.base, r.size])).toEqual([[0x1000, 0x2800]]);
    mb.add(0x10018, 0x2000);
    mb.trimMemory(0x1000);
    expect(mb.memory.regions.map((r) => [r.base, r.size])).toEqual([
      [0x1000, 0x2000],
      [0x11000, 0x1000],
    ]);
  });

  test('find_in_range is top-down by default, bottom-up on request, never page 0', () => {
    const mb = new Memblock();
    mb.add(0, 0x100000);
    mb.reserve(0xf0000, 0x10000);
    expect(mb.findInRange(0, 0x100000, 0x2000, 0x1000)).toBe(0xee000);
    mb.bottomUp = true;
    expect(mb.findInRange(0, 0x100000, 0x2000, 0x1000)).toBe(0x1000);
    mb.bottomUp = false;
    expect(mb.findInRange(0, 0x1000, 0x1000, 0x1000)).toBe(0);
    const a = mb.alloc(0x40, 64, 'x');
    expect(a).toBe(0xeffc0);
    expect(mb.isReserved(a)).toBe(true);
    expect(mb.freeRanges()).toEqual([[0, 0xeffc0]]);
  });
});

describe('sparse', () => {
  test('a hole sharing a section with RAM is pfn_valid; 6.x subsection map limits online pages', () => {
    const mb = new Memblock();
    mb.add(0x1000, 0x200000 - 0x1000); // first 2 MiB subsection
    const s6 = new Sections(linux612, mb, 0x8000);
    expect(s6.pfnValid(0x4000)).toBe(true); // same section, no RAM in its subsection
    expect(s6.pfnToOnlinePageOk(linux612, 0x4000)).toBe(false);
    expect(s6.pfnToOnlinePageOk(linux612, 0x10)).toBe(true);
    const s3 = new Sections(linux310, mb, 0x8000);
    expect(s3.pfnToOnlinePageOk(linux310, 0x4000)).toBe(true);
    expect(s3.pfnValid(0x8000)).toBe(false);
  });
});

describe('phys-mem', () => {
  test('untouched frames read zero, writes materialise, a provider fills unwritten frames', () => {
    const m = new PhysMem();
    expect(m.u64(0x5000)).toBe(0n);
    expect(m.isMaterialised(5)).toBe(false);
    m.setU64(0x5ffc, 0x1122334455667788n); // crosses a frame boundary
    expect(m.u64(0x5ffc)).toBe(0x1122334455667788n);
    expect(m.u32(0x6000)).toBe(0x11223344);
    expect(m.isMaterialised(6)).toBe(true);
    m.setProvider({ covers: (pfn) => pfn === 9, fill: (pfn, dst) => dst.fill(pfn) });
    expect(m.u8(0x9123)).toBe(9);
    expect(m.isMaterialised(9)).toBe(false);
    m.setU8(0x9000, 1);
    expect(m.read(0x9000, 2)).toEqual(new Uint8Array([1, 9]));
  });
});

describe('nosave producers', () => {
  // QEMU fixture (612-lzo console): kernel table after trim_bios_range
  const qemu = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9ec00n, type: E820_TYPE.RAM },
    { addr: 0x9fc00n, size: 0x400n, type: E820_TYPE.RESERVED },
    { addr: 0xf0000n, size: 0x10000n, type: E820_TYPE.RESERVED },
    { addr: 0x100000n, size: 0x17eda000n, type: E820_TYPE.RAM },
    { addr: 0x17fda000n, size: 0x26000n, type: E820_TYPE.RESERVED },
    { addr: 0xfffc0000n, size: 0x40000n, type: E820_TYPE.RESERVED },
  ];
  test('6.12 reproduces the QEMU console lines', () => {
    const l = new NosaveList(linux612);
    registerE820Nosave(linux612, qemu, 0x17fda, l);
    expect(l.log).toEqual([
      'PM: hibernation: Registered nosave memory: [mem 0x00000000-0x00000fff]',
      'PM: hibernation: Registered nosave memory: [mem 0x0009f000-0x000fffff]',
    ]);
  });
  test('3.10 gap rule rounds out, type rule rounds in; stops at limit', () => {
    const l = new NosaveList(linux310);
    registerE820Nosave(linux310, qemu, 0x17fda, l);
    // entry 0 is never type-checked; [0x9f,0xa0) gap, reserved 0x9fc00 rounds in to nothing,
    // gap [0xa0,0xf0), reserved [0xf0,0x100); then RAM to 0x17fda ≥ limit: stop.
    expect(l.regions).toEqual([{ startPfn: 0x9f, endPfn: 0x100 }]);
  });
});
