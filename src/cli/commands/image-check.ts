/**
 * `hiblab image check <swap> --e820 <dmesg> [--boot N] [--cmdline "memmap=… mem=…"]`:
 * would a kernel booting with that firmware e820 map (and that command line)
 * accept the image (see src/power/image/e820-check.ts), and which image pfns
 * fall outside its RAM. With --cmdline the memmap=/mem= edits apply
 * (buildKernelE820, linux-6.12 rules) and the 6.x present-page check runs.
 *
 * JSON keys: { path, e820: {file, boot, bootsFound, entries}, imageE820Checksum, mapE820Checksum,
 *   cmdline (string | null),
 *   kernel6x: {applicable, accepted, checksumMatches, presentPages, memorySizeMatches, messages},
 *   kernel310: {applicable, accepted, numPhyspages, mapMaxPfn, memorySizeMatches, messages},
 *   pfnsOutsideRam: [{start, end, pages, type, zero}], pagesOutsideRam, acceptedByAll }
 * Exit: 0 when every kernel that understands the image's header accepts it, 1 otherwise.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { buildKernelE820, e820Crc32, parseE820Boot } from '../../firmware/index.js';
import { readInput } from '../../node/files.js';
import { openImageFile } from '../../node/image-file.js';
import { checkImageAgainstE820 } from '../../power/image/e820-check.js';
import { linux612 } from '../../profiles/index.js';
import { hex, hex32 } from '../../util/hex.js';
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
  const { parsed: boot, boots: bootsFound } = parseE820Boot(readInput(opts.e820), opts.e820, opts.boot);
  const { src, reader } = openImageFile(path);
  try {
    const crc = e820Crc32(boot.entries);
    // The resume kernel's own table: memmap=/mem= of its command line (e820 rules are
    // the same in every 5.13+ kernel that has the CRC check; 6.12 stands for them).
    const kernelTable =
      opts.cmdline === undefined ? undefined : buildKernelE820(boot, linux612, opts.cmdline).kernel;
    const r = checkImageAgainstE820(reader.info, reader.metaList(), boot.entries, crc, kernelTable);
    io.exitCode = r.acceptedByAll ? 0 : 1;
    if (opts.json) {
      io.out(
        toJson({
          path,
          e820: {
            file: opts.e820,
            boot: boot.bootIndex,
            bootsFound,
            entries: boot.entries.length,
          },
          imageE820Checksum: r.imageE820Checksum === null ? null : hex32(r.imageE820Checksum),
          mapE820Checksum: hex32(r.mapE820Checksum),
          cmdline: opts.cmdline ?? null,
          kernel6x: r.kernel6x,
          kernel310: r.kernel310,
          pfnsOutsideRam: r.pfnsOutsideRam.map((x) => ({ ...x, start: hex(x.start), end: hex(x.end) })),
          pagesOutsideRam: r.pagesOutsideRam,
          acceptedByAll: r.acceptedByAll,
        }),
      );
      return;
    }
    const L: string[] = [];
    L.push(
      `e820 map: ${opts.e820}, boot ${boot.bootIndex} of ${bootsFound}, ${boot.entries.length} firmware entries, crc32 ${hex32(crc)}`,
    );
    L.push(
      `image e820 checksum: ${r.imageE820Checksum === null ? 'none (no e820 check in this header format)' : hex32(r.imageE820Checksum)}`,
    );
    if (opts.cmdline !== undefined) L.push(`resume cmdline: ${opts.cmdline}`);
    const v6 = r.kernel6x;
    if (!v6.applicable) L.push(`6.x: refuses: ${v6.messages[0]} (not a 5.13+ header)`);
    else if (v6.accepted)
      L.push(
        `6.x: accepted (e820 checksum matches${v6.presentPages === null ? '' : `; num_physpages ${reader.info.numPhyspages} == present pages ${v6.presentPages}`})`,
      );
    else
      L.push(
        `6.x: refuses: ${v6.messages.join(' / ')}${v6.memorySizeMatches === false ? ` (num_physpages ${reader.info.numPhyspages} != present pages ${v6.presentPages} with --cmdline)` : ''}`,
      );
    const v3 = r.kernel310;
    const sizeNote = `num_physpages ${v3.numPhyspages} ${v3.memorySizeMatches ? '==' : '!='} max_pfn ${v3.mapMaxPfn} of this map`;
    if (!v3.applicable) L.push(`3.10: refuses: ${v3.messages[0]} (not a 3.10 / RHEL 7 header); ${sizeNote}`);
    else if (v3.accepted) L.push(`3.10: accepted (no e820 check; ${sizeNote})`);
    else L.push(`3.10: refuses: ${v3.messages.join(' / ')} (${sizeNote})`);
    if (r.pagesOutsideRam === 0) L.push("image pfns outside this map's RAM: none");
    else {
      L.push(`image pfns outside this map's RAM: ${r.pagesOutsideRam} pages`);
      for (const x of r.pfnsOutsideRam) {
        L.push(
          `  ${hex(x.start)}-${hex(x.end)} (${x.pages} page${x.pages === 1 ? '' : 's'}) in ${x.type}${x.zero ? `, ${x.zero} zero` : ''}`,
        );
      }
    }
    const apps = [v6.applicable ? '6.x' : '', v3.applicable ? '3.10' : ''].filter(Boolean).join(' and ');
    L.push(
      apps === ''
        ? 'verdict: rejected (no modelled kernel understands this image header)'
        : `verdict: ${r.acceptedByAll ? 'accepted' : 'rejected'} by ${apps}, the kernels that understand this header`,
    );
    io.out(`${L.join('\n')}\n`);
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
