/**
 * The report of `hiblab boot`: what the kernel built on an e820 table, as
 * text or as JSON with stable keys, plus the crash-style extras (vtop, ptov,
 * a pfn's struct page and its `kmem -p` line). Platform neutral.
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
import { formatVtopLines } from '../arch/x86/walk.js';
import { e820TypeNameFor } from '../firmware/e820-types.js';
import type { Machine } from '../machine/boot.js';
import { flat } from '../util/flat.js';
import { hex } from '../util/hex.js';

/** What was asked besides the tables: --vtop, --ptov, --page. */
export interface BootQueries {
  vtop?: bigint;
  ptov?: number;
  page?: number;
}

export interface BootExtras {
  vtop?: ReturnType<Machine['vtop']>;
  ptov?: { paddr: number; vaddr: bigint };
  page?: Record<string, unknown>;
}

/** Answer the queries on the booted machine. */
export function bootExtras(m: Machine, q: BootQueries): BootExtras {
  const x: BootExtras = {};
  if (q.vtop !== undefined) x.vtop = m.vtop(q.vtop);
  if (q.ptov !== undefined) x.ptov = { paddr: q.ptov, vaddr: m.ptov(q.ptov) };
  if (q.page !== undefined) {
    const pfn = q.page;
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

/** The JSON report (keys above). */
export function bootJson(m: Machine, file: string, boot: number, crc: number, x: BootExtras): unknown {
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
      allocations: m.memblock.allocations.toJSON(),
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

/** The text report. */
export function bootText(m: Machine, file: string, boot: number, crc: number, x: BootExtras): string {
  const L: string[] = [];
  const known = m.profile.e820.knownTypes;
  L.push(`${file} (boot ${boot}) on ${m.profile.id}: ${m.profile.description}`);
  L.push('');
  L.push(`Firmware e820 (${m.e820.firmware.length} entries, CRC32 ${hex(crc, 8)}):`);
  for (const e of m.e820.firmware)
    L.push(flat(`  [mem ${h16(e.addr)}-${h16(e.addr + e.size - 1n)}] ${e820TypeNameFor(e.type, known)}`));
  L.push(`Kernel e820 (${m.e820.kernel.length} entries):`);
  for (const e of m.e820.kernel) {
    const kern = e.type === 128 ? ' (RESERVED_KERN)' : '';
    L.push(
      flat(`  [mem ${h16(e.addr)}-${h16(e.addr + e.size - 1n)}] ${e820TypeNameFor(e.type, known)}${kern}`),
    );
  }
  L.push('');
  L.push(`max_pfn ${hex(m.maxPfn)}  max_arch_pfn ${hex(m.maxArchPfn)}`);
  L.push('');
  L.push(
    `memblock.memory (${m.memblock.memory.regions.length} regions, ${m.memblock.memory.totalSize / 1024}K):`,
  );
  for (const r of m.memblock.memory.regions)
    L.push(flat(`  base ${hex(r.base).padEnd(12)} size ${hex(r.size)}`));
  L.push(`memblock.reserved (${m.memblock.reserved.regions.length} regions):`);
  for (const r of m.memblock.reserved.regions)
    L.push(flat(`  base ${hex(r.base).padEnd(12)} size ${hex(r.size)}`));
  L.push('Boot allocations:');
  const seen = new Map<string, { base: number; size: number; n: number }>();
  m.memblock.allocations.forEach((label, base, size) => {
    const s = seen.get(label);
    if (s) {
      s.n++;
      s.size += size;
      s.base = Math.min(s.base, base);
    } else seen.set(label, { base, size, n: 1 });
  });
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
    L.push(flat(`  start_pfn ${hex(r.startPfn).padEnd(10)} end_pfn ${hex(r.endPfn)}`));
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
  for (const r of dm.ranges) L.push(flat(`  [mem ${hex(r.start)}-${hex(r.end - 1)}] page ${r.pageSize}`));
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
        m.profile.mm.structPage.size ? kmemPageLines(m, x.vtop) : undefined,
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
  return `${L.join('\n')}\n`;
}

/** The crash `kmem -p` line for the page a vtop ended at (or would have). */
export function kmemPageLines(m: Machine, w: ReturnType<Machine['vtop']>): string[] | undefined {
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
