/**
 * `hiblab image check <swap> --e820 <dmesg> [--boot N]`: would a kernel
 * booting with that firmware e820 map accept the image (see
 * src/power/image/e820-check.ts), and which image pfns fall outside its RAM.
 *
 * JSON keys: { path, e820: {file, boot, bootsFound, entries}, imageE820Checksum, mapE820Checksum,
 *   kernel6x: {applicable, accepted, checksumMatches, messages},
 *   kernel310: {applicable, accepted, numPhyspages, mapMaxPfn, memorySizeMatches, messages},
 *   pfnsOutsideRam: [{start, end, pages, type, zero}], pagesOutsideRam, acceptedByAll }
 * Exit: 0 when every kernel that understands the image's header accepts it, 1 otherwise.
 */
import type { Command } from 'commander';
import { HiblabError, UsageError } from '../../errors.js';
import { e820Crc32, parseE820Boot } from '../../firmware/index.js';
import { readE820Input } from '../../node/files.js';
import { openImageFile } from '../../node/image-file.js';
import { checkImageAgainstE820 } from '../../power/image/e820-check.js';
import { hex, hex32 } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';

interface CheckOpts {
  e820: string;
  boot?: number;
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
    const r = checkImageAgainstE820(reader.info, meta, boot.entries, crc);
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
    const v6 = r.kernel6x;
    if (!v6.applicable) L.push(`6.x: refuses: ${v6.messages[0]} (not a 5.13+ header)`);
    else if (v6.accepted) L.push('6.x: accepted (e820 checksum matches)');
    else L.push(`6.x: refuses: ${v6.messages.join(' / ')}`);
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
    .option('--json', 'print the result as JSON (stable keys)')
    .action((path: string, opts: CheckOpts) => cmdCheck(io, path, opts));
}
