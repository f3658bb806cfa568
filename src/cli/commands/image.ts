/**
 * `hiblab image info|verify|pages|extract|check` — inspect a hibernation image
 * on a swap device (or a raw copy of one).
 *
 * JSON keys (stable): see src/report/image.ts, which builds every report.
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
import type { VerifyReport } from '../../power/image/reader.js';
import { summarizeImage } from '../../power/image/summary.js';
import { decodeSwsuspHeader } from '../../power/image/swsusp-header.js';
import {
  extractJson,
  extractText,
  imageInfoJson,
  imageInfoText,
  noImageJson,
  noImageText,
  pagesJson,
  pagesText,
  pfnJson,
  pfnRanges,
  pfnText,
  type VerifyVerdict,
  verifyJson,
  verifyText,
} from '../../report/image.js';
import { parseNumber } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';
import { progressBar } from '../progress.js';
import { registerImageCheck } from './image-check.js';

interface JsonOpt {
  json?: boolean;
}

function parseThreads(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError('THREADS_INVALID', `--threads ${v}: expected an integer 1..64`);
  }
  return n;
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
  const n = { path, reason: e.message, signature: sig, swapHeader };
  io.out(json ? toJson(noImageJson(n)) : noImageText(n));
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
    io.out(opts.json ? toJson(imageInfoJson(path, s)) : imageInfoText(path, s));
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
  const finish = (verdict: VerifyVerdict, err: HiblabError | null, rep?: VerifyReport) => {
    io.out(opts.json ? toJson(verifyJson(path, verdict, err, rep, lines)) : verifyText(verdict, err));
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
      finish('intact', null, rep);
    } catch (e) {
      if (e instanceof FormatError) return finish('corrupt', e.withFile(path));
      throw e;
    }
  } finally {
    opened?.src.close();
    await pool?.close();
  }
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
      const got = reader.readPfn(opts.pfn);
      io.out(opts.json ? toJson(pfnJson(path, opts.pfn, got)) : pfnText(opts.pfn, got));
      return;
    }
    const ranges = pfnRanges(meta);
    io.out(opts.json ? toJson(pagesJson(path, meta, ranges)) : pagesText(meta, ranges));
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
    // The list is ascending (checked by the decoder): its last pfn is the highest.
    const end = meta.count > 0 ? (meta.lastPfn! + 1) * PAGE_SIZE : 0;
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
    const res = { path, output: opts.output, pages, zeroPages: zero, bytes: end };
    io.out(opts.json ? toJson(extractJson(res)) : extractText(res));
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
