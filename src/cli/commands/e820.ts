/**
 * `hiblab e820 show|diff`: firmware e820 tables from logs, /proc/iomem, QEMU
 * etc/e820 or JSON; the kernel's edits; the hibernation e820 CRC32.
 *
 * JSON keys (stable): see src/report/e820.ts, which builds both reports.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  buildKernelE820,
  diffE820,
  e820Crc32,
  type ParsedE820,
  parseE820Boot,
} from '../../firmware/index.js';
import { readE820Input } from '../../node/files.js';
import { getProfile } from '../../profiles/index.js';
import { e820DiffJson, e820DiffText, e820ShowJson, e820ShowText } from '../../report/e820.js';
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
    .option(
      '--profile <id>',
      'kernel profile for the edits: linux-3.10, linux-6.1, linux-6.12 (or version/build)',
      'linux-6.12',
    )
    .option(
      '--cmdline <text>',
      'kernel command line whose mem=/memmap= to apply (default: the log\'s own "Command line:")',
    )
    .option('--json', 'print JSON with stable keys instead of text')
    .action((file: string, opts: { boot?: string; profile: string; cmdline?: string; json?: boolean }) => {
      const profile = getProfile(opts.profile);
      const { parsed, boots } = loadBoot(file, parseBoot(opts.boot, '--boot'));
      const k = buildKernelE820(parsed, profile, opts.cmdline);
      const report = {
        file,
        parsed,
        boots,
        cmdline: opts.cmdline,
        profile,
        kernel: k,
        crc: e820Crc32(k.firmware),
      };
      io.out(opts.json ? toJson(e820ShowJson(report)) : e820ShowText(report));
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
      const report = { fileA: fa, fileB: fb, a: A, b: B, diff: d };
      io.out(opts.json ? toJson(e820DiffJson(report)) : e820DiffText(report));
    });
}
