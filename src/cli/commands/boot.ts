/**
 * `hiblab boot <file>`: boot the x86-64 memory model on an e820 table and
 * show what the kernel would have built: firmware and kernel e820 tables,
 * memblock, zones, sections, nosave regions, KASLR bases, the direct map.
 *
 * --json keys (stable):
 *   file, boot, profile, crc32, maxPfn, maxArchPfn,
 *   firmwareE820[] {addr,size,type,name}, kernelE820[] {addr,size,type,name},
 *   memblock {memory[] {base,size}, reserved[] {base,size}, allocations[] {label,base,size}},
 *   zones[] {name,startPfn,spannedPages,presentPages,managedPages}, totalPages, freePages,
 *   sections {size, count, present, runs[] [first,last]},
 *   nosave[] {startPfn,endPfn},
 *   kaslr {pageOffsetBase,vmallocBase,vmemmapBase,source,sizesTb},
 *   kernelImage {textPhys,textVirt,endPhys,pgdPhys,pgdVirt,pgtBufPhys},
 *   directMap {leafCount{4k,2M,1G}, ranges[] {start,end,pageSize}, pfnMapped[] [start,end], pgtPages[] {addr,source,level}},
 *   log[] (kernel-style boot log),
 *   vtop? {vaddr, paddr|null, pageSize|null, notMappedAt|null, steps[] {level,index,entryAddr,value}},
 *   ptov? {paddr, vaddr}, page? {pfn, page, valid, flags, refcount, mapcount, private, reserved, buddy, nosave, directMapped}
 * Addresses that may exceed 2^53 (virtual) are 0x hex strings; physical ones are numbers.
 */
import type { Command } from 'commander';
import { formatVtopLines } from '../../arch/x86/walk.js';
import { UsageError } from '../../errors.js';
import { e820TypeNameFor } from '../../firmware/e820-types.js';
import { buildKernelE820, e820Crc32, parseE820Boot } from '../../firmware/index.js';
import { bootMachine, type Machine } from '../../machine/boot.js';
import { readE820Input } from '../../node/files.js';
import { getProfile } from '../../profiles/index.js';
import { hex, parseNumber } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';

interface BootCliOptions {
  boot?: string;
  profile: string;
  cmdline?: string;
  kaslrSeed?: string;
  pageOffsetBase?: string;
  vmemmapBase?: string;
  vmallocBase?: string;
  nokaslr?: boolean;
  vtop?: string;
  ptov?: string;
  page?: string;
  json?: boolean;
}

function num(flag: string, text: string): bigint {
  const v = parseNumber(text);
  if (v === undefined)
    throw new UsageError('BAD_OPTION', `${flag} expects a number (0x… or decimal), got '${text}'`);
  return v;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('boot')
    .description('Boot the x86-64 memory model on an e820 table: memblock, zones, nosave, KASLR, direct map')
    .argument('<file>', 'e820 input (dmesg/journal, /proc/iomem, binary, JSON)')
    .option('--boot <n>', 'which boot of the file to use (0-based, default 0)')
    .option('--profile <id>', 'kernel profile: linux-3.10 | linux-6.12', 'linux-3.10')
    .option('--cmdline <options>', 'kernel command line options: memmap=, mem=, nokaslr')
    .option('--kaslr-seed <seed>', 'seed for kernel_randomize_memory (default: the profile/fixed bases)')
    .option('--page-offset-base <addr>', 'explicit page_offset_base (direct map base)')
    .option('--vmemmap-base <addr>', 'explicit vmemmap_base (struct page array)')
    .option('--vmalloc-base <addr>', 'explicit vmalloc_base')
    .option('--nokaslr', 'use the fixed __PAGE_OFFSET / VMALLOC_START / VMEMMAP_START')
    .option('--vtop <vaddr>', 'walk the page tables for a virtual address (crash vtop format)')
    .option('--ptov <paddr>', 'direct-map virtual address of a physical address')
    .option('--page <pfn>', "show one pfn's struct page, mapping and nosave state")
    .option('--json', 'print JSON (keys documented in the command source)')
    .action((file: string, o: BootCliOptions) => {
      const profile = getProfile(o.profile);
      const { parsed, index: bootIdx } = parseE820Boot(
        readE820Input(file),
        file,
        o.boot === undefined ? undefined : Number(num('--boot', o.boot)),
      );
      const cmdline = o.cmdline ?? '';
      const fw = buildKernelE820(parsed, profile, cmdline);
      const nokaslr = o.nokaslr || /(^|\s)nokaslr(\s|$)/.test(cmdline);
      const m = bootMachine(fw, {
        profile,
        kaslr: {
          nokaslr,
          seed: o.kaslrSeed,
          pageOffsetBase: o.pageOffsetBase ? num('--page-offset-base', o.pageOffsetBase) : undefined,
          vmemmapBase: o.vmemmapBase ? num('--vmemmap-base', o.vmemmapBase) : undefined,
          vmallocBase: o.vmallocBase ? num('--vmalloc-base', o.vmallocBase) : undefined,
        },
      });
      const crc = e820Crc32(fw.firmware);
      const extras = buildExtras(m, o);
      if (o.json) {
        io.out(toJson(toJsonModel(m, file, bootIdx, crc, extras)));
        return;
      }
      io.out(renderText(m, file, bootIdx, crc, o, extras));
    });
}

interface Extras {
  vtop?: ReturnType<Machine['vtop']>;
  ptov?: { paddr: number; vaddr: bigint };
  page?: Record<string, unknown>;
}

function buildExtras(m: Machine, o: BootCliOptions): Extras {
  const x: Extras = {};
  if (o.vtop) x.vtop = m.vtop(num('--vtop', o.vtop));
  if (o.ptov) {
    const p = Number(num('--ptov', o.ptov));
    x.ptov = { paddr: p, vaddr: m.ptov(p) };
  }
  if (o.page) {
    const pfn = Number(num('--page', o.page));
    const valid = m.pfnValid(pfn);
    const st = valid ? m.pages.get(pfn) : undefined;
    x.page = {
      pfn,
      page: m.pfnToPage(pfn),
      valid,
      flags: valid ? m.pages.flagsWord(pfn) : null,
      refcount: st?.refcount ?? null,
      mapcount: st?.mapcount ?? null,
      private: st?.private ?? null,
      reserved: valid ? m.pages.isReserved(pfn) : null,
      buddy: valid ? m.buddy.isFree(pfn) : null,
      nosave: m.nosave.contains(pfn),
      directMapped: m.isDirectMapped(pfn),
    };
  }
  return x;
}

function toJsonModel(m: Machine, file: string, boot: number, crc: number, x: Extras): unknown {
  const known = m.profile.e820.knownTypes;
  const e = (t: readonly { addr: bigint; size: bigint; type: number }[]) =>
    t.map((v) => ({ addr: v.addr, size: v.size, type: v.type, name: e820TypeNameFor(v.type, known) }));
  return {
    file,
    boot,
    profile: m.profile.id,
    crc32: hex(crc, 8),
    maxPfn: m.maxPfn,
    maxArchPfn: m.maxArchPfn,
    firmwareE820: e(m.e820.firmware),
    kernelE820: e(m.e820.kernel),
    memblock: {
      memory: m.memblock.memory.regions.map((r) => ({ base: r.base, size: r.size })),
      reserved: m.memblock.reserved.regions.map((r) => ({ base: r.base, size: r.size })),
      allocations: m.memblock.allocations,
    },
    zones: m.zones.zones.map((z) => ({
      name: z.name,
      startPfn: z.startPfn,
      spannedPages: z.spannedPages,
      presentPages: z.presentPages,
      managedPages: z.managedPages,
    })),
    totalPages: m.zones.totalPresent,
    freePages: m.buddy.totalFreePages,
    sections: {
      size: m.sections.pfnsPerSection * 4096,
      count: m.sections.count,
      present: m.sections.presentCount,
      runs: m.sections.presentRuns(),
    },
    nosave: m.nosave.regions,
    kaslr: m.kaslr,
    kernelImage: m.kernelImage,
    directMap: {
      leafCount: m.directMap.leafCount,
      ranges: m.directMap.ranges.map((r) => ({ start: r.start, end: r.end, pageSize: r.pageSize })),
      pfnMapped: m.directMap.pfnMapped,
      pgtPages: m.directMap.pgtPages,
    },
    log: m.log,
    ...(x.vtop
      ? {
          vtop: {
            vaddr: x.vtop.vaddr,
            paddr: x.vtop.paddr ?? null,
            pageSize: x.vtop.pageSize ?? null,
            notMappedAt: x.vtop.notMappedAt ?? null,
            steps: x.vtop.steps,
          },
        }
      : {}),
    ...(x.ptov ? { ptov: x.ptov } : {}),
    ...(x.page ? { page: x.page } : {}),
  };
}

const h16 = (v: number | bigint): string => `0x${BigInt(v).toString(16).padStart(16, '0')}`;

function renderText(
  m: Machine,
  file: string,
  boot: number,
  crc: number,
  o: BootCliOptions,
  x: Extras,
): string {
  const L: string[] = [];
  const known = m.profile.e820.knownTypes;
  L.push(`${file} (boot ${boot}) on ${m.profile.id}: ${m.profile.description}`);
  L.push('');
  L.push(`Firmware e820 (${m.e820.firmware.length} entries, CRC32 ${hex(crc, 8)}):`);
  for (const e of m.e820.firmware)
    L.push(`  [mem ${h16(e.addr)}-${h16(e.addr + e.size - 1n)}] ${e820TypeNameFor(e.type, known)}`);
  L.push(`Kernel e820 (${m.e820.kernel.length} entries):`);
  for (const e of m.e820.kernel) {
    const kern = e.type === 128 ? ' (RESERVED_KERN)' : '';
    L.push(`  [mem ${h16(e.addr)}-${h16(e.addr + e.size - 1n)}] ${e820TypeNameFor(e.type, known)}${kern}`);
  }
  L.push('');
  L.push(`max_pfn ${hex(m.maxPfn)}  max_arch_pfn ${hex(m.maxArchPfn)}`);
  L.push('');
  L.push(
    `memblock.memory (${m.memblock.memory.regions.length} regions, ${m.memblock.memory.totalSize / 1024}K):`,
  );
  for (const r of m.memblock.memory.regions) L.push(`  base ${hex(r.base).padEnd(12)} size ${hex(r.size)}`);
  L.push(`memblock.reserved (${m.memblock.reserved.regions.length} regions):`);
  for (const r of m.memblock.reserved.regions) L.push(`  base ${hex(r.base).padEnd(12)} size ${hex(r.size)}`);
  L.push('Boot allocations:');
  const seen = new Map<string, { base: number; size: number; n: number }>();
  for (const a of m.memblock.allocations) {
    const s = seen.get(a.label);
    if (s) {
      s.n++;
      s.size += a.size;
      s.base = Math.min(s.base, a.base);
    } else seen.set(a.label, { base: a.base, size: a.size, n: 1 });
  }
  for (const [label, s] of seen) {
    L.push(`  ${label.padEnd(38)} ${s.n > 1 ? `${s.n}× lowest ` : ''}${hex(s.base)} size ${hex(s.size)}`);
  }
  L.push('');
  L.push('Zones:');
  for (const z of m.zones.zones) {
    if (!z.spannedPages) {
      L.push(`  ${z.name.padEnd(7)} empty`);
      continue;
    }
    L.push(
      `  ${z.name.padEnd(7)} start ${hex(z.startPfn).padEnd(10)} spanned ${hex(z.spannedPages).padEnd(10)} present ${hex(
        z.presentPages,
      ).padEnd(10)} managed ${hex(z.managedPages)}`,
    );
  }
  L.push(`  Total pages: ${m.zones.totalPresent} present, ${m.buddy.totalFreePages} free`);
  L.push('');
  const runs = m.sections.presentRuns();
  L.push(
    `Sections: ${m.sections.presentCount} present of ${m.sections.count} (${(m.sections.pfnsPerSection * 4) / 1024} MiB each): ${runs
      .slice(0, 8)
      .map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`))
      .join(', ')}${runs.length > 8 ? `, … (${runs.length} runs)` : ''}`,
  );
  L.push('');
  L.push(`Nosave regions (${m.nosave.regions.length}):`);
  for (const r of m.nosave.regions)
    L.push(`  start_pfn ${hex(r.startPfn).padEnd(10)} end_pfn ${hex(r.endPfn)}`);
  L.push('');
  L.push(
    `KASLR (${m.kaslr.source}): page_offset_base ${hex(m.kaslr.pageOffsetBase)}  vmalloc_base ${hex(m.kaslr.vmallocBase)}  vmemmap_base ${hex(m.kaslr.vmemmapBase)}`,
  );
  const k = m.kernelImage;
  L.push(
    `Kernel image: _text ${hex(k.textVirt)} (phys ${hex(k.textPhys)}), _end phys ${hex(k.endPhys)}, PGD ${hex(k.pgdVirt)} (phys ${hex(k.pgdPhys)})`,
  );
  L.push('');
  const dm = m.directMap;
  L.push(
    `Direct map: ${dm.leafCount['4k']} × 4k, ${dm.leafCount['2M']} × 2M, ${dm.leafCount['1G']} × 1G leaf entries; ${dm.pgtPages.length} page-table pages (${dm.pgtPages.filter((p) => p.source === 'brk').length} brk, ${dm.pgtPages.filter((p) => p.source === 'memblock').length} memblock)`,
  );
  for (const r of dm.ranges) L.push(`  [mem ${hex(r.start)}-${hex(r.end - 1)}] page ${r.pageSize}`);
  if (x.ptov) {
    L.push('');
    L.push('VIRTUAL           PHYSICAL');
    L.push(`${x.ptov.vaddr.toString(16).padEnd(16)}  ${x.ptov.paddr.toString(16)}`);
  }
  if (x.vtop) {
    L.push('');
    L.push(
      ...formatVtopLines(
        x.vtop,
        k.pgdVirt,
        m.virtToPhys(x.vtop.vaddr),
        m.profile.mm.structPage.size ? pageLine(m, x.vtop) : undefined,
      ),
    );
  }
  if (x.page) {
    L.push('');
    const p = x.page;
    L.push(
      `pfn ${hex(p.pfn as number)}: page ${hex(p.page as bigint)} valid=${p.valid} flags=${p.flags === null ? '-' : hex(p.flags as bigint)} count=${p.refcount ?? '-'} mapcount=${p.mapcount ?? '-'} reserved=${p.reserved ?? '-'} buddy=${p.buddy ?? '-'} nosave=${p.nosave} direct-mapped=${p.directMapped}`,
    );
  }
  void o;
  return `${L.join('\n')}\n`;
}

/** The crash `kmem -p` line for the page a vtop ended at (or would have). */
function pageLine(m: Machine, w: ReturnType<Machine['vtop']>): string[] | undefined {
  const paddr = w.paddr ?? m.virtToPhys(w.vaddr);
  if (paddr === undefined) return undefined;
  const pfn = Math.floor(paddr / 4096);
  if (!m.pfnValid(pfn)) return undefined;
  const st = m.pages.get(pfn);
  return [
    '      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS',
    `${m.pfnToPage(pfn).toString(16)} ${(pfn * 4096).toString(16).padStart(8)} ${'0'.padStart(16)} ${'0'.padStart(8)} ${String(st.refcount).padStart(2)} ${m.pages.flagsWord(pfn).toString(16)}`,
  ];
}
