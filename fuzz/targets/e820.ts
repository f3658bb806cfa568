/**
 * The e820 parsers, one target per input form (all go through parseE820(), the
 * CLI's entry point, so format detection is fuzzed too), each followed by what
 * the CLI does with a parsed table: the kernel's edits (buildKernelE820 on both
 * profiles), the CRC and the diff of two boots.
 */
import { ScenarioError } from '../../src/errors.js';
import {
  buildKernelE820,
  diffE820,
  type E820Entry,
  e820Crc32,
  formatE820Line,
  type ParsedE820,
  parseE820,
  parseKernelCmdline,
} from '../../src/firmware/index.js';
import { getProfile } from '../../src/profiles/index.js';
import { consoleLogFiles, e820LogFiles, readBytes, readText, text } from '../lib/corpus.js';
import { FUZZ_FILE, type FuzzTarget } from '../lib/types.js';

const PROFILES = [getProfile('linux-3.10'), getProfile('linux-6.12')];

/** What `e820 show` / `e820 diff` / `boot` do after parsing (without booting). */
function useTables(boots: ParsedE820[], cmdline?: string): void {
  for (const b of boots.slice(0, 4)) {
    for (const p of PROFILES) {
      try {
        const k = buildKernelE820(b, p, cmdline);
        e820Crc32(k.firmware);
        for (const e of k.kernel.slice(0, 64)) formatE820Line(e, 'e820', p.e820.knownTypes);
      } catch (e) {
        // The kernel's own refusal of a user map (early_panic) is a result, not a failure.
        if (!(e instanceof ScenarioError && e.code === 'E820_USER_MAP_INVALID')) throw e;
      }
    }
  }
  if (boots.length >= 2) diffE820(boots[0]!.entries, boots[1]!.entries);
}

function parseAndUse(input: Uint8Array): void {
  useTables(parseE820(input, FUZZ_FILE));
}

/** Every table found in the fixtures (for the synthetic formats). */
let tablesCache: E820Entry[][] | undefined;
function fixtureTables(): E820Entry[][] {
  if (tablesCache) return tablesCache;
  tablesCache = [];
  for (const f of e820LogFiles()) {
    try {
      for (const b of parseE820(readBytes(f), f)) tablesCache.push(b.entries);
    } catch {
      /* a fixture that is an error case on purpose */
    }
  }
  return tablesCache;
}

const h = (v: bigint, w = 0) => v.toString(16).padStart(w, '0');

export const e820Text: FuzzTarget = {
  name: 'e820-text',
  description: 'dmesg / journalctl / syslog text with BIOS-e820 lines → parseE820 → kernel edits, CRC, diff',
  seeds: () => [...e820LogFiles(), ...consoleLogFiles().slice(0, 6)].map(readBytes),
  dictionary: [
    'BIOS-e820: ',
    '[mem 0x',
    '] usable',
    '] reserved',
    '] ACPI NVS',
    'persistent (type 12)',
    'soft reserved',
    'type 4294967295',
    'e820: update [mem 0x00000000-0x00000fff] usable ==> reserved',
    'e820: remove [mem 0x000a0000-0x000fffff] usable',
    'Linux version 6.12.0',
    'Command line: memmap=16G!4G mem=1E',
    'user: ',
    'reserve setup_data: ',
    'extended: ',
    '<6>[    0.000000] ',
    'Sep 17 16:16:05 host kernel: ',
    ' - ',
    '>',
  ],
  maxBytes: 256 << 10,
  run: parseAndUse,
};

/** /proc/iomem copies found in the run consoles, plus ones written from fixture tables. */
function iomemSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of consoleLogFiles()) {
    const lines = readText(f).split('\n');
    let cur: string[] = [];
    for (const l of lines) {
      if (/^\s*[0-9a-f]+-[0-9a-f]+ : /.test(l)) cur.push(l);
      else if (cur.length) {
        out.push(text(`${cur.join('\n')}\n`));
        cur = [];
      }
    }
    if (out.length >= 4) break;
  }
  const names: Record<number, string> = {
    1: 'System RAM',
    2: 'Reserved',
    3: 'ACPI Tables',
    4: 'ACPI Non-volatile Storage',
    5: 'Unusable memory',
    7: 'Persistent Memory',
    12: 'Persistent Memory (legacy)',
  };
  for (const t of fixtureTables().slice(0, 24)) {
    const lines: string[] = [];
    for (const e of t) {
      lines.push(`${h(e.addr, 8)}-${h(e.addr + e.size - 1n, 8)} : ${names[e.type] ?? 'Unknown E820 type'}`);
      if (e.type === 1 && e.size > 0x2000000n)
        lines.push(`  ${h(e.addr + 0x1000000n, 8)}-${h(e.addr + 0x1e01d31n, 8)} : Kernel code`);
    }
    out.push(text(`${lines.join('\n')}\n`));
  }
  return out;
}

export const iomem: FuzzTarget = {
  name: 'iomem',
  description: '/proc/iomem text → parseE820 → kernel edits, CRC',
  seeds: iomemSeeds,
  dictionary: [
    ' : System RAM',
    ' : Reserved',
    '  ',
    'PCI Bus 0000:00',
    ' : Kernel code',
    '00000000-00000000 : ',
  ],
  maxBytes: 256 << 10,
  run: parseAndUse,
};

/** QEMU etc/e820: 20-byte records {u64 addr, u64 size, u32 type}. */
function qemuBytes(t: readonly E820Entry[]): Uint8Array {
  const b = new Uint8Array(t.length * 20);
  const dv = new DataView(b.buffer);
  t.forEach((e, i) => {
    dv.setBigUint64(i * 20, e.addr, true);
    dv.setBigUint64(i * 20 + 8, e.size, true);
    dv.setUint32(i * 20 + 16, e.type, true);
  });
  return b;
}

export const qemuE820: FuzzTarget = {
  name: 'qemu-e820',
  description: 'QEMU fw_cfg etc/e820 binary records → parseE820 → kernel edits, CRC',
  seeds: () => [
    qemuBytes([
      { addr: 0n, size: 0x9fc00n, type: 1 },
      { addr: 0x9fc00n, size: 0x400n, type: 2 },
      { addr: 0x100000n, size: 0x17f00000n, type: 1 },
      { addr: 0xfffc0000n, size: 0x40000n, type: 2 },
    ]),
    ...fixtureTables().slice(0, 16).map(qemuBytes),
  ],
  hotOffsets: () => Array.from({ length: 64 }, (_, k) => (k >> 1) * 20 + (k & 1 ? 8 : 16)),
  maxBytes: 64 << 10,
  run: parseAndUse,
};

function jsonSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const entry = (e: E820Entry, k: number) =>
    k % 3 === 0
      ? { addr: `0x${h(e.addr)}`, size: `0x${h(e.size)}`, type: e.type === 1 ? 'usable' : e.type }
      : k % 3 === 1
        ? {
            addr: `0x${h(e.addr)}`,
            end: `0x${h(e.addr + e.size - 1n)}`,
            type: e.type === 2 ? 'reserved' : e.type,
          }
        : { addr: Number(e.addr), size: Number(e.size), type: e.type };
  fixtureTables()
    .slice(0, 16)
    .forEach((t, i) => {
      const list = t.map((e, k) => entry(e, k + i));
      const doc =
        i % 4 === 0
          ? list
          : i % 4 === 1
            ? { e820: list, cmdline: 'memmap=64M$0x10000000 mem=4G' }
            : i % 4 === 2
              ? { firmware: list, setupData: [{ addr: '0x10000', size: '0x100' }] }
              : { e820: list };
      out.push(text(JSON.stringify(doc, null, i % 2 ? 2 : 0)));
    });
  return out;
}

export const e820Json: FuzzTarget = {
  name: 'e820-json',
  description:
    "hiblab's e820 JSON (bare array, {e820}, {firmware}, setupData, cmdline) → parseE820 → kernel edits",
  seeds: jsonSeeds,
  dictionary: [
    '"addr"',
    '"size"',
    '"end"',
    '"type"',
    '"e820"',
    '"firmware"',
    '"setupData"',
    '"cmdline"',
    'null',
    'true',
    '1.5',
    '"0x"',
    '[[[[[[[[',
    '\\u0000',
  ],
  maxBytes: 256 << 10,
  run: parseAndUse,
};

/** Command lines: the fixtures' own plus memmap=/mem= forms of both kernels. */
function cmdlineSeeds(): Uint8Array[] {
  const lines = new Set<string>([
    'memmap=16G!4G',
    'memmap=exactmap memmap=640K@0 memmap=4G@1M',
    'mem=4G nokaslr',
    'memmap=64M$0x10000000,32M#0x20000000',
    'memmap=1G%4G-1+12',
    'memmap=0x1000%0x100000-4',
    'mem=nopentium memmap',
    'resume=/dev/vda "memmap=2G!8G" -- init=/bin/sh',
    'memmap=16E mem=0x',
  ]);
  for (const f of consoleLogFiles().slice(0, 4)) {
    for (const m of readText(f).matchAll(/Command line: (.*)/g)) lines.add(m[1]!);
  }
  return [...lines].map(text);
}

const cmdlineTable = (): ParsedE820 =>
  parseE820(
    [
      'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable',
      'BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved',
      'BIOS-e820: [mem 0x0000000000100000-0x00000000bffdffff] usable',
      'BIOS-e820: [mem 0x00000000bffe0000-0x00000000bfffffff] reserved',
      'BIOS-e820: [mem 0x0000000100000000-0x000000043fffffff] usable',
    ].join('\n'),
    'cmdline-table',
  )[0]!;

export const cmdline: FuzzTarget = {
  name: 'cmdline',
  description:
    'kernel command line (memmap=, mem=, quotes, --) → parseKernelCmdline → buildKernelE820 on both profiles',
  seeds: cmdlineSeeds,
  dictionary: [
    'memmap=',
    'mem=',
    'exactmap',
    '@',
    '#',
    '$',
    '!',
    '%',
    '-',
    '+',
    ',',
    '"',
    'K',
    'M',
    'G',
    'T',
    'P',
    'E',
    '--',
    'nokaslr',
  ],
  maxBytes: 16 << 10,
  errorsNameFile: false, // a command line is not a file: its errors name the option instead
  run(input) {
    const line = new TextDecoder().decode(input);
    parseKernelCmdline(line);
    useTables([cmdlineTable()], line);
  },
};
