/**
 * The reports of `hiblab e820 show` and `hiblab e820 diff`, as text or JSON
 * with stable keys. Platform neutral.
 *
 * JSON keys (stable):
 *   show: file, boot, boots, source, origin, line, complete, cmdline, profile,
 *         firmware[], crc32, kernel[], setupData[], userDefined, log[], notes[], ramPages{firmware,kernel}
 *         (entry = {addr, size, end, type, typeName}; addresses as 0x strings)
 *   diff: a{file,boot,origin,entries,crc32,ramPages}, b{…}, identical, added[], removed[],
 *         changed[{a,b}], pages[{startPfn,endPfn,pages,from,to}], crcDiffers, resumeRefused
 */
import {
  type E820Diff,
  type E820Entry,
  e820End,
  e820TypeName,
  formatE820Line,
  hex018,
  type KernelE820,
  type ParsedE820,
  ramPages,
} from '../firmware/index.js';
import type { KernelProfile } from '../profiles/types.js';
import { hex, humanBytes } from '../util/hex.js';

const crcHex = (c: number): string => `0x${c.toString(16).padStart(8, '0')}`;

const entryJson = (e: E820Entry) => ({
  addr: e.addr,
  size: e.size,
  end: e820End(e),
  type: e.type,
  typeName: e820TypeName(e.type),
});

const typeLabel = (t: number | null): string => (t === null ? 'hole' : e820TypeName(t));

function pagesText(n: bigint): string {
  return `${n} pages (${humanBytes(n * 4096n)})`;
}

/** What `e820 show` reports on: the parsed boot, the kernel's edits, the CRC of the firmware table. */
export interface E820Show {
  file: string;
  parsed: ParsedE820;
  boots: number;
  /** The --cmdline given (the log's own command line otherwise). */
  cmdline: string | undefined;
  profile: KernelProfile;
  kernel: KernelE820;
  crc: number;
}

const showNotes = (s: E820Show) => [...s.parsed.notes, ...s.kernel.notes];

export function e820ShowJson(s: E820Show) {
  const { parsed, kernel: k } = s;
  return {
    file: s.file,
    boot: parsed.bootIndex,
    boots: s.boots,
    source: parsed.source,
    origin: parsed.origin,
    line: parsed.line ?? null,
    complete: parsed.complete,
    cmdline: s.cmdline ?? parsed.cmdline ?? null,
    profile: s.profile.id,
    firmware: k.firmware.map(entryJson),
    crc32: crcHex(s.crc),
    kernel: k.kernel.map(entryJson),
    setupData: k.setupData,
    userDefined: k.userDefined,
    log: k.log,
    notes: showNotes(s),
    ramPages: { firmware: Number(ramPages(k.firmware)), kernel: Number(ramPages(k.kernel)) },
  };
}

export function e820ShowText(s: E820Show): string {
  const { parsed, kernel: k, profile } = s;
  const out: string[] = [];
  out.push(
    `${s.file}: boot ${parsed.bootIndex} of ${s.boots}, ${parsed.origin} table${parsed.line ? ` at line ${parsed.line}` : ''} (${parsed.source})${parsed.complete ? '' : ' [fragment]'}`,
  );
  const cl = s.cmdline ?? parsed.cmdline;
  if (cl !== undefined) out.push(`command line: ${cl}`);
  out.push(`firmware e820 (e820_table_firmware): ${k.firmware.length} entries, CRC32 ${crcHex(s.crc)}`);
  for (const e of k.firmware) out.push(`  ${formatE820Line(e, 'BIOS-e820', profile.e820.knownTypes)}`);
  out.push(`kernel log (${profile.id}):`);
  for (const l of k.log.slice(1 + k.firmware.length)) out.push(`  ${l}`);
  out.push(`kernel e820_table: ${k.kernel.length} entries${k.userDefined ? ' (user-defined)' : ''}`);
  for (const e of k.kernel)
    out.push(
      `  ${formatE820Line(e, 'e820', profile.e820.knownTypes)}${e.type === 128 ? ' (RESERVED_KERN)' : ''}`,
    );
  if (k.setupData.length === 0) out.push('setup_data: none known');
  else {
    out.push(
      `setup_data: ${k.setupData.length} range(s)${profile.e820.setupData === 'memblock-reserve' ? ' (memblock_reserve, e820 unchanged)' : ' (RESERVED_KERN in e820)'}`,
    );
    for (const sd of k.setupData)
      out.push(`  [mem ${hex018(sd.addr)}-${hex018(sd.addr + sd.size - 1n)}] ${sd.size} bytes`);
  }
  out.push(`RAM: firmware ${pagesText(ramPages(k.firmware))}, kernel ${pagesText(ramPages(k.kernel))}`);
  for (const n of showNotes(s)) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}

/** What `e820 diff` reports on: two parsed boots and their diff. */
export interface E820DiffReport {
  fileA: string;
  fileB: string;
  a: ParsedE820;
  b: ParsedE820;
  diff: E820Diff;
}

export function e820DiffJson(r: E820DiffReport) {
  const d = r.diff;
  const side = (file: string, p: ParsedE820, crc: number, ram: bigint) => ({
    file,
    boot: p.bootIndex,
    origin: p.origin,
    entries: p.entries.map(entryJson),
    crc32: crcHex(crc),
    ramPages: Number(ram),
  });
  return {
    a: side(r.fileA, r.a, d.crcA, d.ramPagesA),
    b: side(r.fileB, r.b, d.crcB, d.ramPagesB),
    identical: d.identical,
    added: d.added.map(entryJson),
    removed: d.removed.map(entryJson),
    changed: d.changed.map((c) => ({ a: entryJson(c.a), b: entryJson(c.b) })),
    pages: d.pages.map((p) => ({
      startPfn: p.startPfn,
      endPfn: p.endPfn,
      pages: Number(p.pages),
      from: typeLabel(p.from),
      to: typeLabel(p.to),
    })),
    crcDiffers: d.crcDiffers,
    resumeRefused: d.crcDiffers,
  };
}

export function e820DiffText(r: E820DiffReport): string {
  const { a: A, b: B, diff: d } = r;
  const out: string[] = [];
  out.push(`--- a: ${r.fileA} boot ${A.bootIndex} (${A.origin}, ${A.entries.length} entries)`);
  out.push(`+++ b: ${r.fileB} boot ${B.bootIndex} (${B.origin}, ${B.entries.length} entries)`);
  if (d.identical) out.push('firmware e820 tables are identical');
  const lines: { addr: bigint; text: string }[] = [];
  for (const e of d.removed) lines.push({ addr: e.addr, text: `- ${formatE820Line(e)}` });
  for (const e of d.added) lines.push({ addr: e.addr, text: `+ ${formatE820Line(e)}` });
  for (const c of d.changed) {
    lines.push({ addr: c.a.addr, text: `- ${formatE820Line(c.a)}` });
    lines.push({ addr: c.b.addr, text: `+ ${formatE820Line(c.b)}` });
  }
  lines.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
  for (const l of lines) out.push(l.text);
  if (d.pages.length > 0) {
    out.push('pages that changed type:');
    for (const p of d.pages) {
      const range =
        p.pages === 1n ? `pfn ${hex(p.startPfn)}` : `pfn ${hex(p.startPfn)}-${hex(p.endPfn - 1n)}`;
      out.push(
        `  ${range} (${p.pages} page${p.pages === 1n ? '' : 's'}): ${typeLabel(p.from)} -> ${typeLabel(p.to)}`,
      );
    }
  }
  out.push(`RAM: a ${pagesText(d.ramPagesA)}, b ${pagesText(d.ramPagesB)}`);
  out.push(
    `e820 CRC32: a ${crcHex(d.crcA)}, b ${crcHex(d.crcB)} — ${
      d.crcDiffers
        ? 'DIFFER: a 5.13+ kernel refuses the resume ("Hibernate inconsistent memory map detected!")'
        : 'equal: the e820 check passes'
    }`,
  );
  return `${out.join('\n')}\n`;
}
