/**
 * `hiblab e820 show|diff`: firmware e820 tables from logs, /proc/iomem, QEMU
 * etc/e820 or JSON; the kernel's edits; the hibernation e820 CRC32.
 *
 * JSON keys (stable):
 *   show: file, boot, boots, source, origin, line, complete, cmdline, profile,
 *         firmware[], crc32, kernel[], setupData[], userDefined, log[], notes[], ramPages{firmware,kernel}
 *         (entry = {addr, size, end, type, typeName}; addresses as 0x strings)
 *   diff: a{file,boot,origin,entries,crc32,ramPages}, b{…}, identical, added[], removed[],
 *         changed[{a,b}], pages[{startPfn,endPfn,pages,from,to}], crcDiffers, resumeRefused
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  buildKernelE820,
  diffE820,
  type E820Entry,
  e820Crc32,
  e820End,
  e820TypeName,
  formatE820Line,
  hex018,
  type ParsedE820,
  parseE820Boot,
  ramPages,
} from '../../firmware/index.js';
import { readE820Input } from '../../node/files.js';
import { getProfile } from '../../profiles/index.js';
import { hex, humanBytes } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';

function parseBoot(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError('BAD_OPTION', `${flag} expects a boot index (0, 1, …), got '${text}'`);
  return Number(text);
}

function loadBoot(file: string, boot: number | undefined): { parsed: ParsedE820; boots: number } {
  return parseE820Boot(readE820Input(file), file, boot);
}

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

export function register(program: Command, io: CliIo): void {
  const e820 = program
    .command('e820')
    .description('firmware e820 memory maps: parse, apply the kernel edits, compare, CRC32');

  e820
    .command('show')
    .description(
      'show the firmware e820 table of a log / iomem / etc/e820 / JSON file, the kernel table after its edits, setup_data and the e820 CRC32',
    )
    .argument(
      '<file>',
      'dmesg/journal/console log, /proc/iomem copy, QEMU etc/e820 binary, or hiblab e820 JSON',
    )
    .option('--boot <n>', 'which boot of a multi-boot log (0-based; default 0)')
    .option('--profile <id>', 'kernel profile for the edits: linux-3.10 or linux-6.12', 'linux-6.12')
    .option(
      '--cmdline <text>',
      'kernel command line whose mem=/memmap= to apply (default: the log\'s own "Command line:")',
    )
    .option('--json', 'print JSON with stable keys instead of text')
    .action((file: string, opts: { boot?: string; profile: string; cmdline?: string; json?: boolean }) => {
      const profile = getProfile(opts.profile);
      const { parsed, boots } = loadBoot(file, parseBoot(opts.boot, '--boot'));
      const k = buildKernelE820(parsed, profile, opts.cmdline);
      const crc = e820Crc32(k.firmware);
      const notes = [...parsed.notes, ...k.notes];
      if (opts.json) {
        io.out(
          toJson({
            file,
            boot: parsed.bootIndex,
            boots,
            source: parsed.source,
            origin: parsed.origin,
            line: parsed.line ?? null,
            complete: parsed.complete,
            cmdline: opts.cmdline ?? parsed.cmdline ?? null,
            profile: profile.id,
            firmware: k.firmware.map(entryJson),
            crc32: crcHex(crc),
            kernel: k.kernel.map(entryJson),
            setupData: k.setupData,
            userDefined: k.userDefined,
            log: k.log,
            notes,
            ramPages: { firmware: Number(ramPages(k.firmware)), kernel: Number(ramPages(k.kernel)) },
          }),
        );
        return;
      }
      const out: string[] = [];
      out.push(
        `${file}: boot ${parsed.bootIndex} of ${boots}, ${parsed.origin} table${parsed.line ? ` at line ${parsed.line}` : ''} (${parsed.source})${parsed.complete ? '' : ' [fragment]'}`,
      );
      const cl = opts.cmdline ?? parsed.cmdline;
      if (cl !== undefined) out.push(`command line: ${cl}`);
      out.push(`firmware e820 (e820_table_firmware): ${k.firmware.length} entries, CRC32 ${crcHex(crc)}`);
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
        for (const s of k.setupData)
          out.push(`  [mem ${hex018(s.addr)}-${hex018(s.addr + s.size - 1n)}] ${s.size} bytes`);
      }
      out.push(`RAM: firmware ${pagesText(ramPages(k.firmware))}, kernel ${pagesText(ramPages(k.kernel))}`);
      for (const n of notes) out.push(`note: ${n}`);
      io.out(`${out.join('\n')}\n`);
    });

  e820
    .command('diff')
    .description(
      'compare the firmware e820 tables of two boots: entries, pages that changed type, RAM totals and the e820 CRC32 a 5.13+ kernel checks on resume (exit 0 identical, 1 different)',
    )
    .argument('<a>', 'the boot that wrote the image (any format e820 show reads)')
    .argument('<b>', 'the boot that resumes')
    .option('--boot-a <n>', 'boot index in <a> (default 0; 1 when <a> and <b> are the same file)')
    .option('--boot-b <n>', 'boot index in <b> (default 0)')
    .option('--json', 'print JSON with stable keys instead of text')
    .action((fa: string, fb: string, opts: { bootA?: string; bootB?: string; json?: boolean }) => {
      let ba = parseBoot(opts.bootA, '--boot-a');
      let bb = parseBoot(opts.bootB, '--boot-b');
      if (fa === fb && ba === undefined && bb === undefined) {
        // One file with two boots (the seed layout): compare its first two.
        ba = 0;
        bb = 1;
      }
      const A = loadBoot(fa, ba).parsed;
      const B = loadBoot(fb, bb).parsed;
      const d = diffE820(A.entries, B.entries);
      io.exitCode = d.identical ? 0 : 1;
      if (opts.json) {
        const side = (file: string, p: ParsedE820, crc: number, ram: bigint) => ({
          file,
          boot: p.bootIndex,
          origin: p.origin,
          entries: p.entries.map(entryJson),
          crc32: crcHex(crc),
          ramPages: Number(ram),
        });
        io.out(
          toJson({
            a: side(fa, A, d.crcA, d.ramPagesA),
            b: side(fb, B, d.crcB, d.ramPagesB),
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
          }),
        );
        return;
      }
      const out: string[] = [];
      out.push(`--- a: ${fa} boot ${A.bootIndex} (${A.origin}, ${A.entries.length} entries)`);
      out.push(`+++ b: ${fb} boot ${B.bootIndex} (${B.origin}, ${B.entries.length} entries)`);
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
      io.out(`${out.join('\n')}\n`);
    });
}
