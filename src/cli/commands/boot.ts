/**
 * `hiblab boot <file>`: boot the x86-64 memory model on an e820 table and
 * show what the kernel would have built: firmware and kernel e820 tables,
 * memblock, zones, sections, nosave regions, KASLR bases, the direct map.
 *
 * --json keys (stable): see src/report/boot.ts, which builds both reports.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { buildKernelE820, e820Crc32, parseE820Boot } from '../../firmware/index.js';
import { bootMachine } from '../../machine/boot.js';
import { HostBudget } from '../../mm/host-budget.js';
import { readE820Input } from '../../node/files.js';
import { getProfile } from '../../profiles/index.js';
import { bootExtras, bootJson, bootText } from '../../report/boot.js';
import { DEFAULT_HOST_BUDGET_BYTES } from '../../scenario/limits.js';
import { parseNumber } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';
import { MAX_MEM_HELP, parseMaxMem } from '../limits.js';

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
  maxMem?: string;
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
    .option(
      '--profile <id>',
      'kernel profile: linux-3.10 | linux-6.1 | linux-6.12, or version/build (linux-6.12/tiny)',
      'linux-3.10',
    )
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
    .option('--max-mem <size>', MAX_MEM_HELP)
    .action((file: string, o: BootCliOptions) => {
      const profile = getProfile(o.profile);
      // The run's host budget (mm/host-budget.ts): a table of tens of TiB makes millions of
      // free max-order blocks, each a free-list node; past the budget the boot stops with
      // MODEL_HOST_MEMORY instead of growing the process with the table's claim.
      const budget = new HostBudget(
        o.maxMem === undefined ? DEFAULT_HOST_BUDGET_BYTES : parseMaxMem(o.maxMem),
        file,
        'hiblab boot --max-mem SIZE',
      );
      budget.stage = 'the boot';
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
        budget,
      });
      const crc = e820Crc32(fw.firmware);
      const extras = bootExtras(m, {
        vtop: o.vtop ? num('--vtop', o.vtop) : undefined,
        ptov: o.ptov ? Number(num('--ptov', o.ptov)) : undefined,
        page: o.page ? Number(num('--page', o.page)) : undefined,
      });
      io.out(
        o.json ? toJson(bootJson(m, file, bootIdx, crc, extras)) : bootText(m, file, bootIdx, crc, extras),
      );
    });
}
