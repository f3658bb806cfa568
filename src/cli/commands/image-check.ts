/**
 * `hiblab image check <swap> --e820 <dmesg> [--boot N] [--cmdline "memmap=… mem=…"]`:
 * would a kernel booting with that firmware e820 map (and that command line)
 * accept the image (see src/power/image/e820-check.ts), and which image pfns
 * fall outside its RAM. With --cmdline the memmap=/mem= edits apply
 * (buildKernelE820, linux-6.12 rules) and the 6.x present-page check runs.
 *
 * JSON keys (stable): see src/report/image.ts (checkJson).
 * Exit: 0 when every kernel that understands the image's header accepts it, 1 otherwise.
 */
import type { Command } from 'commander';
import { HiblabError, UsageError } from '../../errors.js';
import { buildKernelE820, e820Crc32, parseE820Boot } from '../../firmware/index.js';
import { readE820Input } from '../../node/files.js';
import { openImageFile } from '../../node/image-file.js';
import { checkImageAgainstE820 } from '../../power/image/e820-check.js';
import { linux612 } from '../../profiles/index.js';
import { checkJson, checkText } from '../../report/image.js';
import { type CliIo, toJson } from '../io.js';

interface CheckOpts {
  e820: string;
  boot?: number;
  cmdline?: string;
  json?: boolean;
}

function parseBoot(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError('BOOT_INVALID', `--boot ${v}: expected a boot index 0, 1, …`);
  return n;
}

async function cmdCheck(io: CliIo, path: string, opts: CheckOpts): Promise<void> {
  const { parsed: boot, boots: bootsFound } = parseE820Boot(readE820Input(opts.e820), opts.e820, opts.boot);
  const { src, reader } = openImageFile(path);
  try {
    const crc = e820Crc32(boot.entries);
    let meta: ReturnType<typeof reader.metaList>;
    try {
      meta = reader.metaList();
    } catch (e) {
      // A damaged meta page is found after the open: name the image all the same.
      if (e instanceof HiblabError) e.withFile(path);
      throw e;
    }
    // The resume kernel's own table: memmap=/mem= of its command line (e820 rules are
    // the same in every 5.13+ kernel that has the CRC check; 6.12 stands for them).
    const kernelTable =
      opts.cmdline === undefined ? undefined : buildKernelE820(boot, linux612, opts.cmdline).kernel;
    const r = checkImageAgainstE820(reader.info, meta, boot.entries, crc, kernelTable);
    io.exitCode = r.acceptedByAll ? 0 : 1;
    const report = {
      path,
      e820File: opts.e820,
      boot: boot.bootIndex,
      bootsFound,
      entries: boot.entries.length,
      crc,
      cmdline: opts.cmdline ?? null,
      numPhyspages: reader.info.numPhyspages,
      result: r,
    };
    io.out(opts.json ? toJson(checkJson(report)) : checkText(report));
  } finally {
    src.close();
  }
}

export function registerImageCheck(image: Command, io: CliIo): void {
  image
    .command('check')
    .description(
      'Would a kernel booting with this e820 map accept the image? (6.x e820 CRC, 3.10 memory size, pfns outside RAM)',
    )
    .argument('<swap>', 'swap device or raw image file')
    .requiredOption(
      '--e820 <file>',
      'boot log (dmesg / serial console), /proc/iomem, QEMU etc/e820 or JSON with the e820 map',
    )
    .option('--boot <n>', 'which boot of the log to use (0-based; default the last)', parseBoot)
    .option(
      '--cmdline <text>',
      'resume kernel command line: its memmap=/mem= edit the table (present-page check, pfns outside RAM)',
    )
    .option('--json', 'print the result as JSON (stable keys)')
    .action((path: string, opts: CheckOpts) => cmdCheck(io, path, opts));
}
