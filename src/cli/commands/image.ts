/**
 * `hiblab image info|verify|pages|extract|check` — inspect a hibernation image
 * on a swap device (or a raw copy of one).
 *
 * JSON keys (stable):
 *   info:    { image: true, path, device, swapHeader, swsusp, format, swsuspInfo, arch, stream,
 *              compression, swapMap }  or  { image: false, path, reason, swapHeader? }
 *   verify:  { path, ok, verdict: 'intact'|'corrupt'|'unusable', error: {code, message, offset}|null,
 *              crc32Computed, crc32Stored, streamPages, dataPages, zeroPages, log: string[] }
 *   pages:   { path, pfns, dataPages, zeroPages, ranges: [{start, end, pages, zero}] }
 *            with --pfn: { path, pfn, state: 'data'|'zero'|'absent', bytes?: hex string }
 *   extract: { path, output, pages, zeroPages, bytes }
 *   check:   see ./image-check.ts
 *
 * Exit status: 0 ok; 1 no image (info), corrupt image (verify), rejected (check); 2 unusable input.
 */
import type { Command } from 'commander';
import { FormatError, HiblabError, UsageError } from '../../errors.js';
import { AtomicFileWriter } from '../../node/files.js';
import { FileSource, openImageFile } from '../../node/image-file.js';
import '../../node/install-fast-paths.js';
import { NodeChunkPool } from '../../node/compress-pool.js';
import { decodeMkswapHeader } from '../../power/image/mkswap-header.js';
import { PAGE_SIZE } from '../../power/image/page.js';
import { type ImageSummary, summarizeImage } from '../../power/image/summary.js';
import { decodeSwsuspHeader } from '../../power/image/swsusp-header.js';
import { hex, hex32, parseNumber } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';
import { progressBar } from '../progress.js';
import { registerImageCheck } from './image-check.js';

interface JsonOpt {
  json?: boolean;
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

function parseThreads(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError('THREADS_INVALID', `--threads ${v}: expected an integer 1..64`);
  }
  return n;
}

export function formatInfo(path: string, s: ImageSummary): string {
  const L: string[] = [];
  const sh = s.swapHeader;
  L.push(`swap device: ${path} (${s.device.size} bytes, ${s.device.pages} pages)`);
  L.push(
    `mkswap header: version ${sh.version}, last_page ${sh.lastPage}, nr_badpages ${sh.nrBadpages}, uuid ${sh.uuid}, label "${printable(sh.label)}"`,
  );
  L.push(
    `swsusp header: sig "${printable(s.swsusp.sig)}", orig_sig "${printable(s.swsusp.origSig)}", image at swap page ${s.swsusp.image}`,
  );
  L.push(`  flags 0x${s.swsusp.flags.toString(16)} ${s.swsusp.flagNames.join(' | ') || '(none)'}`);
  L.push(`  crc32 ${s.swsusp.crc32}, hw_sig ${s.swsusp.hwSig ?? '-'}`);
  L.push(`format: ${s.format.label}; compressor ${s.format.compressor}`);
  const i = s.swsuspInfo;
  L.push(
    `swsusp_info: num_physpages ${i.numPhyspages}, image_pages ${i.imagePages}, pages ${i.pages}, size ${i.size}, nr_meta_pages ${i.nrMetaPages}, version_code ${i.versionCode}, cpus ${i.cpus}`,
  );
  const a = s.arch;
  L.push(
    `arch header: magic ${hex(a.magic, 16)}${a.magicKnown ? '' : ' (unknown)'}, jump_address ${hex(a.jumpAddress, 16)}, jump_address_phys ${a.jumpAddressPhys === null ? '-' : hex(a.jumpAddressPhys)}, cr3 ${hex(a.cr3)}, e820 ${a.e820Checksum !== null ? `checksum ${a.e820Checksum}` : a.e820Digest !== null ? `md5 ${a.e820Digest}` : 'check: none'}`,
  );
  const st = s.stream;
  L.push(
    `stream: ${st.streamPages} pages = ${st.metaPages} meta + ${st.copyPages} copy; ${st.zeroPages} zero pages; ${st.pfns} pfns${st.minPfn !== null ? ` (${hex(st.minPfn)}-${hex(st.maxPfn!)})` : ''}`,
  );
  if (s.compression) {
    const c = s.compression;
    L.push(
      `compression: ${c.chunks} chunks, ${c.compressedBytes} bytes compressed (${c.kbytesAfterCompression} kbytes) from ${c.uncompressedBytes}, ratio ${c.ratio.toFixed(2)}:1`,
    );
  } else {
    L.push('compression: none (SF_NOCOMPRESS_MODE)');
  }
  L.push(
    `swap map: ${s.swapMap.mapPages} map pages (${s.swapMap.firstMapPages.join(', ')}${s.swapMap.mapPages > s.swapMap.firstMapPages.length ? ', ...' : ''}), ${s.swapMap.entries} entries`,
  );
  return `${L.join('\n')}\n`;
}

function infoNoImage(io: CliIo, path: string, e: FormatError, json: boolean): void {
  const src = new FileSource(path);
  let swapHeader: ReturnType<typeof decodeMkswapHeader> | null = null;
  let sig = '';
  try {
    const page0 = src.readAt(0, PAGE_SIZE);
    if (page0.length === PAGE_SIZE) {
      swapHeader = decodeMkswapHeader(page0);
      sig = decodeSwsuspHeader(page0).sig;
    }
  } catch {
    swapHeader = null;
  } finally {
    src.close();
  }
  if (json) io.out(toJson({ image: false, path, reason: e.message, signature: sig, swapHeader }));
  else {
    io.out(`${path}: ${e.message}\n`);
    if (swapHeader && /^SWAP/.test(sig)) {
      io.out(
        `mkswap header: version ${swapHeader.version}, last_page ${swapHeader.lastPage}, uuid ${swapHeader.uuid}, label "${printable(swapHeader.label)}"\n`,
      );
    }
  }
  io.exitCode = 1;
}

async function cmdInfo(io: CliIo, path: string, opts: JsonOpt): Promise<void> {
  let opened: ReturnType<typeof openImageFile>;
  try {
    opened = openImageFile(path);
  } catch (e) {
    if (e instanceof FormatError && e.code === 'SWSUSP_SIG_MISSING')
      return infoNoImage(io, path, e, Boolean(opts.json));
    throw e;
  }
  try {
    const s = summarizeImage(opened.reader);
    io.out(opts.json ? toJson({ image: true, path, ...s }) : formatInfo(path, s));
  } finally {
    opened.src.close();
  }
}

async function cmdVerify(io: CliIo, path: string, opts: JsonOpt & { threads?: number }): Promise<void> {
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(l);
    if (!opts.json) io.out(`${l}\n`);
  };
  let opened: ReturnType<typeof openImageFile> | null = null;
  const threads = opts.threads ?? 1;
  const pool = threads > 1 ? new NodeChunkPool({ threads }) : undefined;
  const finish = (verdict: 'intact' | 'corrupt' | 'unusable', err: HiblabError | null, rep?: object) => {
    if (opts.json) {
      io.out(
        toJson({
          path,
          ok: verdict === 'intact',
          verdict,
          error: err ? { code: err.code, message: err.message, offset: err.location.offset ?? null } : null,
          ...(rep ?? {}),
          log: lines,
        }),
      );
    } else {
      io.out(
        verdict === 'intact'
          ? 'verdict: image intact\n'
          : `verdict: image ${verdict.toUpperCase()}: ${err!.oneLine()}\n`,
      );
    }
    io.exitCode = verdict === 'intact' ? 0 : verdict === 'corrupt' ? 1 : 2;
  };
  try {
    try {
      opened = openImageFile(path);
    } catch (e) {
      if (
        e instanceof UsageError ||
        (e instanceof FormatError && (e.code === 'SWSUSP_SIG_MISSING' || e.code === 'DEVICE_TOO_SMALL'))
      ) {
        return finish('unusable', e);
      }
      if (e instanceof FormatError) return finish('corrupt', e);
      throw e;
    }
    const bar = progressBar(io, 'verify');
    try {
      const rep = await opened.reader.verify({ pool, threads, log, ...(bar ? { onProgress: bar } : {}) });
      finish('intact', null, {
        crc32Computed: rep.crc32Computed === null ? null : hex32(rep.crc32Computed),
        crc32Stored: rep.crc32Stored === null ? null : hex32(rep.crc32Stored),
        streamPages: rep.streamPages,
        dataPages: rep.dataPages,
        zeroPages: rep.zeroPages,
      });
    } catch (e) {
      if (e instanceof FormatError) return finish('corrupt', e.withFile(path));
      throw e;
    }
  } finally {
    opened?.src.close();
    await pool?.close();
  }
}

/** crash `rd`-like dump: physical address, 16 bytes per line, ASCII. */
export function hexDump(bytes: Uint8Array, base: number): string {
  let out = '';
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hx = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const asc = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out += `${(base + off).toString(16).padStart(16, '0')}:  ${hx.slice(0, 8).join(' ')}  ${hx.slice(8).join(' ')}   ${asc}\n`;
  }
  return out;
}

function parsePfn(v: string): number {
  const n = parseNumber(v.startsWith('0x') || /^[0-9]+$/.test(v) ? v : `0x${v}`);
  if (n === undefined || n >= 2n ** 52n)
    throw new UsageError('PFN_INVALID', `--pfn ${v}: expected a page frame number (hex 0x… or decimal)`);
  return Number(n);
}

async function cmdPages(io: CliIo, path: string, opts: JsonOpt & { pfn?: number }): Promise<void> {
  const { src, reader } = openImageFile(path);
  try {
    const meta = reader.metaList();
    if (opts.pfn !== undefined) {
      const pfn = opts.pfn;
      const got = reader.readPfn(pfn);
      const state = got === null ? 'absent' : got === 'zero' ? 'zero' : 'data';
      if (opts.json) {
        io.out(
          toJson({
            path,
            pfn: hex(pfn),
            state,
            ...(got instanceof Uint8Array
              ? { bytes: Array.from(got, (b) => b.toString(16).padStart(2, '0')).join('') }
              : {}),
          }),
        );
      } else if (got === null) io.out(`pfn ${hex(pfn)} is not in the image\n`);
      else if (got === 'zero')
        io.out(`pfn ${hex(pfn)} is a zero page (ENCODED_PFN_ZERO_FLAG, no data page)\n`);
      else io.out(`pfn ${hex(pfn)} (physical ${hex(pfn * PAGE_SIZE)}):\n${hexDump(got, pfn * PAGE_SIZE)}`);
      return;
    }
    const ranges: { start: number; end: number; pages: number; zero: boolean }[] = [];
    for (let i = 0; i < meta.count; i++) {
      const pfn = meta.pfns[i]!;
      const zero = meta.zero[i] === 1;
      const last = ranges[ranges.length - 1];
      if (last && last.end + 1 === pfn && last.zero === zero) {
        last.end = pfn;
        last.pages++;
      } else ranges.push({ start: pfn, end: pfn, pages: 1, zero });
    }
    if (opts.json) {
      io.out(
        toJson({
          path,
          pfns: meta.count,
          dataPages: meta.dataCount,
          zeroPages: meta.zeroCount,
          ranges: ranges.map((r) => ({ start: hex(r.start), end: hex(r.end), pages: r.pages, zero: r.zero })),
        }),
      );
      return;
    }
    let out = '';
    for (const r of ranges) {
      out += `${hex(r.start)}-${hex(r.end)} (${r.pages} page${r.pages === 1 ? '' : 's'})${r.zero ? ' zero' : ''}\n`;
    }
    out += `${ranges.length} ranges, ${meta.count} pfns (${meta.dataCount} data, ${meta.zeroCount} zero)\n`;
    io.out(out);
  } finally {
    src.close();
  }
}

async function cmdExtract(
  io: CliIo,
  path: string,
  opts: JsonOpt & { output: string; force?: boolean; threads?: number },
): Promise<void> {
  const { src, reader } = openImageFile(path);
  const threads = opts.threads ?? 1;
  const pool = threads > 1 ? new NodeChunkPool({ threads }) : undefined;
  let w: AtomicFileWriter | null = null;
  try {
    // The raw file reaches the end of the highest pfn: size it now, so a filesystem that
    // cannot hold it (ext4: 16 TiB, pfn >= 2^32) refuses before any page is decompressed.
    const meta = reader.metaList();
    let end = 0;
    for (let i = 0; i < meta.count; i++) end = Math.max(end, (meta.pfns[i]! + 1) * PAGE_SIZE);
    w = new AtomicFileWriter(opts.output, Boolean(opts.force));
    w.reserve(end);
    let pages = 0;
    let zero = 0;
    const bar = progressBar(io, 'extract');
    for await (const p of reader.pages({ pool, threads, ...(bar ? { onProgress: bar } : {}) })) {
      if (p.bytes) {
        w.writeAt(p.bytes, p.pfn * PAGE_SIZE);
        pages++;
      } else zero++;
    }
    w.commit();
    if (opts.json) io.out(toJson({ path, output: opts.output, pages, zeroPages: zero, bytes: end }));
    else
      io.out(
        `wrote ${opts.output}: ${pages} data pages, ${zero} zero pages as holes, ${end} bytes (sparse)\n`,
      );
  } catch (e) {
    w?.abort();
    if (e instanceof HiblabError) e.withFile(path);
    throw e;
  } finally {
    src.close();
    await pool?.close();
  }
}

/** Errors found after the image was opened (a chunk, a meta page) name the file too. */
async function namingFile(path: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof HiblabError) e.withFile(path);
    throw e;
  }
}

export function register(program: Command, io: CliIo): void {
  const image = program
    .command('image')
    .description(
      'Inspect, verify and extract a hibernation (swsusp) image on a swap device or a raw copy of one',
    );

  image
    .command('info')
    .description('Decode the mkswap header, swsusp header, image header page, swap map and stream counts')
    .argument('<swap>', 'swap device or raw image file')
    .option('--json', 'print the summary as JSON (stable keys)')
    .action((path: string, opts: JsonOpt) => namingFile(path, () => cmdInfo(io, path, opts)));

  image
    .command('verify')
    .description(
      'Walk the whole image: swap map, meta pages, every chunk decompressed, CRC32; exit 0 intact, 1 corrupt, 2 unusable',
    )
    .argument('<swap>', 'swap device or raw image file')
    .option('--threads <n>', 'decompression worker threads (1 = in this thread)', parseThreads)
    .option('--json', 'print the verdict as JSON (stable keys)')
    .action((path: string, opts: JsonOpt & { threads?: number }) =>
      namingFile(path, () => cmdVerify(io, path, opts)),
    );

  image
    .command('pages')
    .description('List the image pfns as ranges (zero pages marked), or hex-dump one page with --pfn')
    .argument('<swap>', 'swap device or raw image file')
    .option('--pfn <n>', 'hex-dump this page frame (hex, 0x optional, or decimal)', parsePfn)
    .option('--json', 'print as JSON (stable keys)')
    .action((path: string, opts: JsonOpt & { pfn?: number }) =>
      namingFile(path, () => cmdPages(io, path, opts)),
    );

  image
    .command('extract')
    .description(
      'Write a sparse raw physical-memory file (page at pfn*4096; zero and absent pages are holes)',
    )
    .argument('<swap>', 'swap device or raw image file')
    .requiredOption('-o, --output <file>', 'output file (written atomically)')
    .option('--force', 'overwrite the output file if it exists')
    .option('--threads <n>', 'decompression worker threads (1 = in this thread)', parseThreads)
    .option('--json', 'print the result as JSON (stable keys)')
    .action((path: string, opts: JsonOpt & { output: string; force?: boolean; threads?: number }) =>
      namingFile(path, () => cmdExtract(io, path, opts)),
    );

  registerImageCheck(image, io);
}
