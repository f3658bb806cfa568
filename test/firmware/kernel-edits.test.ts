/**
 * buildKernelE820 against expectations derived by hand from the kernel rules
 * (parse_memopt / parse_memmap_one / trim_bios_range in arch/x86/kernel/e820.c,
 * setup.c) on the QEMU `-m 384 -M pc` firmware table, plus the guest's own
 * /proc/iomem as an independent oracle for the edits.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import {
  buildKernelE820,
  E820_TYPE,
  type E820Entry,
  e820Crc32,
  type ParsedE820,
  parseE820,
  parseKernelCmdline,
} from '../../src/firmware/index.js';
import { getProfile, linux310, linux612 } from '../../src/profiles/index.js';
import { fixturePath } from '../helpers/fixtures.js';

const { RAM, RESERVED: RES, ACPI, NVS, PRAM } = E820_TYPE;
const E = (addr: bigint, end: bigint, type: number): E820Entry => ({ addr, size: end - addr + 1n, type });

/** QEMU 7.2 SeaBIOS, -m 384, pc (console-hibernate.log of every run). */
const FW: E820Entry[] = [
  E(0n, 0x9fbffn, RAM),
  E(0x9fc00n, 0x9ffffn, RES),
  E(0xf0000n, 0xfffffn, RES),
  E(0x100000n, 0x17fd9fffn, RAM),
  E(0x17fda000n, 0x17ffffffn, RES),
  E(0xfffc0000n, 0xffffffffn, RES),
  E(0xfd00000000n, 0xffffffffffn, RES),
];
const parsed = (entries = FW): ParsedE820 => ({
  source: 'json',
  bootIndex: 0,
  origin: 'json',
  entries,
  setupData: [],
  logEdits: [],
  complete: true,
  notes: [],
});
/** trim_bios_range() result on FW: page 0 reserved. */
const LOW = [
  E(0n, 0xfffn, RES),
  E(0x1000n, 0x9fbffn, RAM),
  E(0x9fc00n, 0x9ffffn, RES),
  E(0xf0000n, 0xfffffn, RES),
];
const HIGH_RES = [E(0xfffc0000n, 0xffffffffn, RES), E(0xfd00000000n, 0xffffffffffn, RES)];
const kernel = (cmdline: string, profile = linux612) => buildKernelE820(parsed(), profile, cmdline);

describe('buildKernelE820: no options', () => {
  it('trim_bios_range only; matches the guest /proc/iomem (kernel view)', () => {
    const k = kernel('');
    expect(k.kernel).toEqual([
      ...LOW,
      E(0x100000n, 0x17fd9fffn, RAM),
      E(0x17fda000n, 0x17ffffffn, RES),
      ...HIGH_RES,
    ]);
    expect(k.userDefined).toBe(false);
    expect(k.log).toContain('e820: update [mem 0x00000000-0x00000fff] usable ==> reserved');
    expect(k.log).toContain('e820: remove [mem 0x000a0000-0x000fffff] usable');
    // Oracle: /proc/iomem printed by that guest (612-lz4 hibernate boot, pc).
    const log = readFileSync(fixturePath('kernel-images/runs/612-lz4/console-hibernate.log'), 'utf8');
    const iomem = log.split(/==== HIBLAB \/proc\/iomem ====\r?\n/)[1]!.split('====')[0]!;
    const [io] = parseE820(iomem, 'iomem');
    expect(io!.source).toBe('iomem');
    expect(io!.entries).toEqual(k.kernel);
  });
  it('firmware table and CRC are never changed by edits', () => {
    for (const cl of ['mem=256M', 'memmap=exactmap memmap=640K@0 memmap=100M@1M', 'memmap=16M!64M']) {
      const k = kernel(cl);
      expect(k.firmware).toEqual(FW);
      expect(e820Crc32(k.firmware)).toBe(0xa5445455);
    }
  });
});

describe('mem= and memmap= (parse_memopt / parse_memmap_one)', () => {
  it('mem=256M removes RAM above 256 MiB only', () => {
    const k = kernel('mem=256M');
    expect(k.kernel).toEqual([
      ...LOW,
      E(0x100000n, 0xfffffffn, RAM),
      E(0x17fda000n, 0x17ffffffn, RES),
      ...HIGH_RES,
    ]);
    expect(k.userDefined).toBe(true);
    expect(k.log).toContain('e820: remove [mem 0x10000000-0xfffffffffffffffe] usable');
    expect(k.log).toContain('user-defined physical RAM map:');
    expect(k.log).toContain('user: [mem 0x0000000000100000-0x000000000fffffff] usable');
  });
  it('memmap=nn without @ behaves as mem=nn', () => {
    expect(kernel('memmap=256M').kernel).toEqual(kernel('mem=256M').kernel);
  });
  it('memmap=exactmap then @ ranges: only the given RAM', () => {
    const k = kernel('memmap=exactmap memmap=640K@0,255M@1M');
    expect(k.kernel).toEqual([E(0n, 0xfffn, RES), E(0x1000n, 0x9ffffn, RAM), E(0x100000n, 0xfffffffn, RAM)]);
  });
  it('memmap=exactmap with one range is an invalid user map (kernel early_panic)', () => {
    expect(() => kernel('memmap=exactmap memmap=100M@1M')).toThrow(ScenarioError);
  });
  it('memmap=nn$ss carves reserved out of RAM', () => {
    const k = kernel('memmap=64M$0x8000000');
    expect(k.kernel.slice(4, 7)).toEqual([
      E(0x100000n, 0x7ffffffn, RAM),
      E(0x8000000n, 0xbffffffn, RES),
      E(0xc000000n, 0x17fd9fffn, RAM),
    ]);
  });
  it('memmap=nn#ss ACPI, memmap=nn!ss PRAM (type 12), comma list in one option', () => {
    const k = kernel('memmap=1M#16M,16M!32M');
    expect(k.kernel.slice(4, 9)).toEqual([
      E(0x100000n, 0xffffffn, RAM),
      E(0x1000000n, 0x10fffffn, ACPI),
      E(0x1100000n, 0x1ffffffn, RAM),
      E(0x2000000n, 0x2ffffffn, PRAM),
      E(0x3000000n, 0x17fd9fffn, RAM),
    ]);
    expect(k.log).toContain('user: [mem 0x0000000002000000-0x0000000002ffffff] persistent (type 12)');
  });
  it('memmap=nn@ss over reserved: the higher type (reserved) wins in sanitize', () => {
    const k = kernel('memmap=1M@0x17f00000');
    expect(k.kernel).toEqual(kernel('').kernel);
    expect(k.userDefined).toBe(true);
  });
  it('memmap=nn@ss in a hole adds RAM', () => {
    expect(kernel('memmap=1M@0x20000000').kernel).toContainEqual(E(0x20000000n, 0x200fffffn, RAM));
  });
  it('memmap=nn%ss-old+new retypes (6.12); -old removes; +new adds', () => {
    const k = kernel('memmap=4M%0x3000000-1+2');
    expect(k.kernel.slice(4, 7)).toEqual([
      E(0x100000n, 0x2ffffffn, RAM),
      E(0x3000000n, 0x33fffffn, RES),
      E(0x3400000n, 0x17fd9fffn, RAM),
    ]);
    expect(k.log).toContain('e820: update [mem 0x03000000-0x033fffff] usable ==> reserved');
    const rm = kernel('memmap=4M%0x3000000-1');
    expect(rm.kernel.slice(4, 6)).toEqual([E(0x100000n, 0x2ffffffn, RAM), E(0x3400000n, 0x17fd9fffn, RAM)]);
    const add = kernel('memmap=4M%0x3000000+4');
    expect(add.kernel).toContainEqual(E(0x3000000n, 0x33fffffn, NVS));
  });
  it("3.10 has no '%': memmap=4M%… falls into the mem=4M branch", () => {
    const k = kernel('memmap=4M%0x3000000-1+2', linux310);
    expect(k.kernel).toContainEqual(E(0x100000n, 0x3fffffn, RAM));
    expect(k.kernel.some((e) => e.type === RAM && e.addr >= 0x400000n)).toBe(false);
    expect(k.notes.join(' ')).toContain("'%'");
  });
  it('options apply in command-line order; unknown words are kept', () => {
    const o = parseKernelCmdline(
      'ro memmap=exactmap "memmap=640K@0" mem=1G nokaslr resume=/dev/vda -- mem=2G',
    );
    expect(o.options.map((x) => x.param)).toEqual(['memmap', 'memmap', 'mem']);
    expect(o.nokaslr).toBe(true);
    expect(o.other).toEqual(['ro', 'resume=/dev/vda', '--', 'mem=2G']);
    expect(o.options[1]!.items[0]).toMatchObject({ size: 640n * 1024n, op: '@', start: 0n, trailing: '' });
  });
  it('mem=0 is refused by the kernel (Malformed early option)', () => {
    const k = kernel('mem=0');
    expect(k.log).toContain("Malformed early option 'mem'");
    expect(k.kernel).toEqual(kernel('').kernel);
  });
});

describe('log edits and setup_data', () => {
  it("a log's own e820: update/remove lines are that kernel's edits: not replayed on top of the model's", () => {
    const p = parsed();
    p.logEdits = [{ kind: 'update', addr: 0x10000000n, size: 0x1000000n, fromType: RAM, toType: RES }];
    const k = buildKernelE820(p, linux612, '');
    expect(k.kernel).toEqual(kernel('').kernel);
    expect(k.firmware).toEqual(FW);
  });
  it('the fixture log of 612-lzo: kernel table = /proc/iomem System RAM of that boot', () => {
    const text = readFileSync(fixturePath('kernel-images/runs/612-lzo/console-hibernate.log'), 'utf8');
    const [b] = parseE820(text, '612-lzo');
    const k = buildKernelE820(b!, linux612);
    // /proc/iomem of the same boot: "00001000-0009fbff : System RAM", "00100000-17fd9fff : System RAM".
    expect(k.kernel.filter((e) => e.type === RAM)).toEqual([
      E(0x1000n, 0x9fbffn, RAM),
      E(0x100000n, 0x17fd9fffn, RAM),
    ]);
  });
  it('3.10 turns setup_data into RESERVED_KERN (printed usable); 6.12 leaves the table alone', () => {
    const p = parsed();
    p.setupData = [{ addr: 0x1234018n, size: 0x100n }];
    const k3 = buildKernelE820(p, linux310, '');
    expect(k3.kernel).toContainEqual({ addr: 0x1234018n, size: 0x100n, type: E820_TYPE.RESERVED_KERN });
    expect(k3.log).toContain('reserve setup_data: [mem 0x0000000001234018-0x0000000001234117] usable');
    const k6 = buildKernelE820(p, linux612, '');
    expect(k6.kernel).toEqual(kernel('').kernel);
    expect(k6.setupData).toEqual(p.setupData);
  });
});

describe('e820_add_kernel_range (arch/x86/kernel/setup.c)', () => {
  // The stock 6.12 build runs at _text = 0x1000000 with nokaslr; [_text, _end) = 0x1000000-0x3c1bfff.
  it('nokaslr: a memmap= hole over .text/.data/.bss is undone, with the kernel warning', () => {
    const k = kernel('nokaslr memmap=64M$20M');
    expect(k.kernelFixed).toBe(true);
    expect(k.log).toContain('.text .data .bss are not marked as E820_TYPE_RAM!');
    expect(k.log).toContain('e820: remove [mem 0x01000000-0x03c1bfff]');
    // Only the part of the hole outside [_text, _end) stays reserved.
    expect(k.kernel).toContainEqual(E(0x3c1c000n, 0x53fffffn, RES));
    expect(k.kernel).toContainEqual(E(0x100000n, 0x3c1bfffn, RAM));
  });
  it('3.10 spells the type E820_RAM', () => {
    const k = buildKernelE820(parsed(), linux310, 'nokaslr memmap=4M$16M');
    expect(k.log).toContain('.text .data .bss are not marked as E820_RAM!');
  });
  it('a kernel in RAM, or one KASLR places (no nokaslr), leaves the table alone', () => {
    expect(kernel('nokaslr memmap=4M$256M').log.join('\n')).not.toContain('.text .data .bss');
    const k = kernel('memmap=64M$20M');
    expect(k.kernelFixed).toBe(false);
    expect(k.kernel).toContainEqual(E(0x1400000n, 0x53fffffn, RES));
  });
});

describe('a table larger than e820_table (E820_MAX_ENTRIES, __e820__range_add)', () => {
  /** 2 RAM anchors, then `n` alternating 4 KiB RAM/reserved entries from 1 GiB. */
  const big = (n: number): E820Entry[] => {
    const t = [E(0n, 0x9fbffn, RAM), E(0x100000n, 0x3fffffffn, RAM)];
    for (let i = 0; i < n; i++) {
      const a = 0x40000000n + BigInt(i) * 0x1000n;
      t.push(E(a, a + 0xfffn, i % 2 ? RES : RAM));
    }
    return t;
  };
  it('keeps the first 3200 entries on MAXSMP builds (128 + 3 * 1024), one error line per dropped entry', () => {
    const k612 = buildKernelE820(parsed(big(3300)), linux612, '');
    const dropped = k612.log.filter((l) => l.startsWith('too many entries; ignoring [mem '));
    expect(dropped).toHaveLength(3302 - 3200);
    // Entry 3200 is alternating entry 3198 (RAM) at 1 GiB + 3198 * 4 KiB; %#010llx, inclusive end.
    expect(dropped[0]).toBe('too many entries; ignoring [mem 0x40c7e000-0x40c7efff]');
    // The error lines come from append_e820_table(), before the table is printed.
    expect(k612.log.indexOf(dropped[0]!)).toBeLessThan(k612.log.indexOf('BIOS-provided physical RAM map:'));
    // Touching RAM entries merge: what survives ends at the last kept entry (3199 → alternating 3197, reserved).
    const last = k612.firmware[k612.firmware.length - 1]!;
    expect(last.addr + last.size).toBe(0x40000000n + 3198n * 0x1000n);
    const k310 = buildKernelE820(parsed(big(3300)), linux310, '');
    expect(k310.log.filter((l) => l.startsWith('e820: too many entries; ignoring [mem '))).toHaveLength(102);
  });
  it('a tiny (no NUMA) build holds 131 entries', () => {
    const tiny = buildKernelE820(parsed(big(200)), getProfile('linux-6.12/tiny'), '');
    expect(tiny.log.filter((l) => l.startsWith('too many entries; ignoring'))).toHaveLength(202 - 131);
    expect(buildKernelE820(parsed(big(129)), getProfile('linux-6.12/tiny'), '').log.join('\n')).not.toContain(
      'too many entries',
    );
  });
});
